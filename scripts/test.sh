#!/usr/bin/env bash
# The whole test suite, every tier (fast, e2e, compat, install, slow), after doing all set-up itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The Docker Compose CLI checks docker-compose.yml in the tests; the stack itself never needs it.
scripts/build-compose.sh >&2
# helm, kubeconform and controller-gen check the Kubernetes chart (tests/helm); cached after the first build.
scripts/build-engines.sh helm kubeconform controller_gen >/dev/null
# -m "" lifts the default selection (pyproject addopts) so that every tier runs.
exec .venv/bin/python -m pytest -m "" "$@"
