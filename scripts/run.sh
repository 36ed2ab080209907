#!/usr/bin/env bash
# The main job: set everything up, start the stack natively (collector, Prometheus, Alertmanager)
# and run the demo fleet of agents into it. Ctrl-C stops the demo and the stack.
# Extra arguments go to `agent-telemetry demo` (e.g. --scenario rate-limit-storm --duration 10m).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cli=.venv/bin/agent-telemetry
$cli stack down --state-dir .stack >/dev/null 2>&1 || true
$cli stack up --state-dir .stack
trap '$cli stack down --state-dir .stack' EXIT
echo "Prometheus alerts: http://127.0.0.1:9090/alerts   Alertmanager: http://127.0.0.1:9093"
echo "Grafana: docker compose up -d grafana (where Docker runs); dashboards in grafana/dashboards/"
$cli demo "$@"
