#!/usr/bin/env bash
# The whole test suite, every tier (fast, e2e, compat, install, slow), after doing all set-up itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# -m "" lifts the default selection (pyproject addopts) so that every tier runs.
exec .venv/bin/python -m pytest -m "" "$@"
