#!/usr/bin/env bash
# Set up everything the tests and the stack need on a fresh machine; cheap when already done.
#   - .venv with agent-telemetry (editable) and its dev dependencies
#   - Prometheus and Alertmanager from Debian's packages
#   - the OpenTelemetry Collector, built once with ocb into a cache (scripts/build-collector.sh)
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

if ! command -v promtool >/dev/null || ! command -v prometheus-alertmanager >/dev/null; then
  echo "setup: installing prometheus and prometheus-alertmanager from Debian's packages" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq prometheus prometheus-alertmanager >&2
  # Debian starts the services on install; our stack runs its own instances on its own ports.
  $sudo_cmd systemctl stop prometheus prometheus-alertmanager >/dev/null 2>&1 || true
fi

if [ -x scripts/build-collector.sh ]; then
  scripts/build-collector.sh >&2
fi
