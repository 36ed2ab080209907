#!/usr/bin/env bash
# The main job: set everything up, start the monitoring stack and run the demo fleet of agents into
# it, printing where to look. Ctrl-C stops the demo and the stack.
#
# The stack runs with Docker Compose where a Docker engine answers (collector, Prometheus,
# Alertmanager, Grafana, Jaeger), natively otherwise (collector, Prometheus, Alertmanager, Jaeger, and an
# alert log standing in for Slack/PagerDuty). AGENT_TELEMETRY_STACK=native|compose forces one.
# Native only: AGENT_TELEMETRY_RULES_PROFILE=test loads the test profile's rules (windows of 1-2
# minutes: each scenario's alert fires within a minute or so instead of 6-50 minutes);
# AGENT_TELEMETRY_FREE_PORTS=1 picks free ports when the standard ones are taken;
# AGENT_TELEMETRY_STATE_DIR (default .stack) holds logs, data and the alert log.
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
  mkdir -p -m 700 .stack
  password_file=.stack/grafana-admin-password
  # umask 077: the password file is the owner's alone (0600).
  [ -s "$password_file" ] || (umask 077; .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(12))' > "$password_file")
  export GRAFANA_ADMIN_PASSWORD=${GRAFANA_ADMIN_PASSWORD:-$(cat "$password_file")}
  # Slack and PagerDuty read their URL and key from secrets/: name the missing files now, not at the first alert.
  $cli stack check || echo "run.sh: Slack/PagerDuty notifications fail until then; the alert-log service gets every alert" >&2
  trap 'docker compose stop' EXIT
  docker compose up -d --wait
  echo
  echo "Where to look:"
  echo "  Grafana         http://127.0.0.1:3000  (admin / $GRAFANA_ADMIN_PASSWORD; folder agent-telemetry)"
  echo "  Prometheus      http://127.0.0.1:9090/alerts"
  echo "  Alertmanager    http://127.0.0.1:9093"
  echo "  Traces (Jaeger) http://127.0.0.1:16686"
  echo "  Alerts received docker compose logs -f alert-log  (every notification Alertmanager sends)"
else
  state=${AGENT_TELEMETRY_STATE_DIR:-.stack}
  up_args=(--state-dir "$state")
  if [ -n "${AGENT_TELEMETRY_FREE_PORTS:-}" ]; then up_args+=(--free-ports); fi
  if [ -n "${AGENT_TELEMETRY_RULES_PROFILE:-}" ]; then
    $cli rules generate --profile "$AGENT_TELEMETRY_RULES_PROFILE" --output-dir "$state/rules" >/dev/null
    up_args+=(--rules-dir "$state/rules")
  fi
  $cli stack down --state-dir "$state" >/dev/null 2>&1 || true
  urls=$($cli stack up "${up_args[@]}")
  trap '$cli stack down --state-dir "$state"' EXIT
  url() { printf '%s\n' "$urls" | sed -n "s/^$1: //p"; }
  export OTEL_EXPORTER_OTLP_ENDPOINT=${OTEL_EXPORTER_OTLP_ENDPOINT:-$(url otlp_http)}
  echo
  echo "Where to look:"
  echo "  Prometheus      $(url prometheus)/alerts  (rules, and which alerts are pending or firing)"
  echo "  Alertmanager    $(url alertmanager)"
  echo "  Alerts received tail -f $(url alert_log)  (every notification Alertmanager sends)"
  echo "  Traces (Jaeger) $(url jaeger)/api/traces/<trace id>  (the query API; no UI in the native build)"
  echo "  Grafana         not part of the native stack: with Docker, AGENT_TELEMETRY_STACK=compose scripts/run.sh"
  echo "  Stack logs      $state/*.log"
fi
echo "  Scenarios       scripts/run.sh --scenario rate-limit-storm  (see README: which alert fires when)"
echo
$cli demo "$@"
