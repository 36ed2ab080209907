#!/usr/bin/env bash
# The whole test suite, end-to-end tests included, after doing all set-up itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
