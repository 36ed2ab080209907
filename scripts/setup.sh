#!/usr/bin/env bash
# Set up everything the tests and the stack need on a fresh machine; cheap when already done.
#   - .venv with agent-telemetry (editable) and its dev dependencies
#   - the OpenTelemetry Collector, built once with ocb into a cache (scripts/build-collector.sh)
#   - Prometheus, Alertmanager and Jaeger at the versions in versions.env (the same as docker-compose.yml's
#     images), built once from the Go module proxy into a cache (scripts/build-engines.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$python" -m venv .venv
fi
stamp=.venv/.agent-telemetry-installed
# The .pth start-up hook is copied at install time: a change to it needs a reinstall too.
want=$(cat pyproject.toml src/agent_telemetry_bootstrap.pth | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing agent-telemetry and its dev dependencies into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip >&2
  .venv/bin/python -m pip install -q -e '.[dev,grpc]' >&2
  echo "$want" > "$stamp"
fi

scripts/build-collector.sh >&2
scripts/build-engines.sh >&2
