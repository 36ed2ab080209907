#!/usr/bin/env bash
# The main job: set everything up, start the monitoring stack and run the demo fleet of agents into
# it, printing where to look. Ctrl-C stops the demo and the stack.
#
# The stack runs with Docker Compose where a Docker engine answers (collector, Prometheus,
# Alertmanager, Grafana, Jaeger), natively otherwise (collector, Prometheus, Alertmanager, and an
# alert log standing in for Slack/PagerDuty). AGENT_TELEMETRY_STACK=native|compose forces one.
# AGENT_TELEMETRY_RULES_PROFILE=test (native only) loads the test profile's rules: windows of 1-2
# minutes, so each scenario's alert fires within a minute or two instead of 6-50 minutes.
# Extra arguments go to `agent-telemetry demo` (e.g. --scenario rate-limit-storm --duration 10m).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cli=.venv/bin/agent-telemetry

mode=${AGENT_TELEMETRY_STACK:-auto}
if [ "$mode" = auto ]; then
  mode=native
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then mode=compose; fi
fi

if [ "$mode" = compose ]; then
  mkdir -p .stack
  password_file=.stack/grafana-admin-password
  [ -s "$password_file" ] || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(12))' > "$password_file"
  export GRAFANA_ADMIN_PASSWORD=${GRAFANA_ADMIN_PASSWORD:-$(cat "$password_file")}
  docker compose up -d --wait
  trap 'docker compose stop' EXIT
  echo
  echo "Where to look:"
  echo "  Grafana         http://127.0.0.1:3000  (admin / $GRAFANA_ADMIN_PASSWORD; folder agent-telemetry)"
  echo "  Prometheus      http://127.0.0.1:9090/alerts"
  echo "  Alertmanager    http://127.0.0.1:9093"
  echo "  Traces (Jaeger) http://127.0.0.1:16686"
else
  $cli stack down --state-dir .stack >/dev/null 2>&1 || true
  rules=()
  if [ -n "${AGENT_TELEMETRY_RULES_PROFILE:-}" ]; then
    $cli rules generate --profile "$AGENT_TELEMETRY_RULES_PROFILE" --output-dir .stack/rules >/dev/null
    rules=(--rules-dir .stack/rules)
  fi
  $cli stack up --state-dir .stack "${rules[@]}"
  trap '$cli stack down --state-dir .stack' EXIT
  echo
  echo "Where to look:"
  echo "  Prometheus      http://127.0.0.1:9090/alerts  (rules, and which alerts are pending or firing)"
  echo "  Alertmanager    http://127.0.0.1:9093"
  echo "  Alerts received tail -f .stack/alerts.log  (every notification Alertmanager sends)"
  echo "  Grafana         not part of the native stack: with Docker, AGENT_TELEMETRY_STACK=compose scripts/run.sh"
fi
echo "  Scenarios       scripts/run.sh --scenario rate-limit-storm  (see README: which alert fires when)"
echo
$cli demo "$@"
