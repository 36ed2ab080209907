#!/usr/bin/env bash
# The whole test suite, every tier (fast, e2e, compat, install, slow), after doing all set-up itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The Docker Compose CLI checks docker-compose.yml in the tests; the stack itself never needs it.
scripts/build-compose.sh >&2
# Thanos, for the scale-out profile's end-to-end tests (tests/stack/test_scale_out_e2e.py and the
# contract, dashboard and alert tests parametrized over it): ~20-30 min cold on 2 cores, then cached;
# helm, kubeconform and controller-gen check the Kubernetes chart (tests/helm).
scripts/build-engines.sh thanos helm kubeconform controller_gen >/dev/null
# -m "" lifts the default selection (pyproject addopts) so that every tier runs.
exec .venv/bin/python -m pytest -m "" "$@"
