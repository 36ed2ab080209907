"""`agent-telemetry stack up --gateways` as a user runs it: the one command starts the collector tiers of
docker-compose.gateways.yml natively (an agent collector on the OTLP ports, two gateways listed statically,
Prometheus or Thanos with --scale-out, Jaeger, ...), and two instrumented processes' data goes through both
gateways exactly."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest

from agent_telemetry.tooling.fake_provider import FakeProviderServer
from agent_telemetry.tooling.stack.process import is_running
from tests.stack import prom
from tests.stack.agent_process import AgentProcess
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

WAIT_S = 120.0  # generous: a busy machine
CALLS = 10  # per process: 20 traces, so both gateways get some (all on one: a 2 in a million chance)
GATEWAYS = ("otel-gateway-1", "otel-gateway-2")


def _stack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent_telemetry", "stack", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _accepted(metrics_url: str) -> float:
    """Metric points plus spans a collector's OTLP receiver accepted, from its own metrics."""
    with urllib.request.urlopen(metrics_url, timeout=5) as response:
        lines = response.read().decode().splitlines()
    counters = ("otelcol_receiver_accepted_metric_points", "otelcol_receiver_accepted_spans")
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(counters))


def _jaeger_traces(jaeger_url: str, service: str) -> int:
    query = urllib.parse.urlencode({"service": service, "limit": "1000", "lookback": "1h"})
    with urllib.request.urlopen(f"{jaeger_url}/api/traces?{query}", timeout=5) as response:
        return len(json.load(response)["data"] or [])


# Each storage profile the tiers write to, and its servers (`stack up` prints Thanos's querier as
# "prometheus"); besides them every run has the agent collector, the gateways and the other stores.
STORES = {
    (): {"prometheus", "alertmanager"},
    ("--scale-out",): {
        "alertmanager", "thanos-receive-0", "thanos-receive-1", "thanos-receive-2", "thanos-receive-router",
        "thanos-query", "thanos-rule", "prometheus-agent",
    },
}  # fmt: skip


@pytest.mark.parametrize("profile", list(STORES), ids=["single", "scale-out"])
def test_stack_up_gateways_carries_two_processes_through_both_gateways_exactly(
    tmp_path: Path, collector_binary, profile: tuple[str, ...]
):
    state_dir = str(tmp_path / "state")
    service = f"gateway-stack-{uuid.uuid4().hex[:8]}"
    pids: dict[str, int] = {}
    try:
        up = _stack("up", "--gateways", *profile, "--free-ports", "--state-dir", state_dir)
        assert up.returncode == 0, up.stderr
        urls = dict(line.split(": ", 1) for line in up.stdout.splitlines() if not line.startswith("state:"))
        state = json.loads((tmp_path / "state" / "stack.json").read_text())
        pids = {s["name"]: s["pid"] for s in state["services"]}
        services = {"alert-log", "victorialogs", "jaeger", "otel-collector", *GATEWAYS, *STORES[profile]}
        assert set(pids) == services
        assert _stack("status", "--state-dir", state_dir).stdout.count(": running") == len(services)

        with FakeProviderServer() as fake, ExitStack() as processes:
            env = {
                "AGENT_TELEMETRY_ENABLED": "true",
                "FAKE_OPENAI_URL": fake.openai_base_url,
                "OTEL_SERVICE_NAME": service,
                "OTEL_EXPORTER_OTLP_ENDPOINT": urls["otlp_http"],  # the agent collector
                "OTEL_METRIC_EXPORT_INTERVAL": "1000",
            }
            agents = [AgentProcess(Path(__file__).with_name("gateway_app.py"), env) for _ in range(2)]
            for agent in agents:
                processes.callback(agent.stop)
            for agent in agents:
                agent.calls(CALLS)

            promql = f'sum by (instance) (agent_requests_total{{job="{service}"}})'
            wait_until(
                lambda: sorted(prom.query(urls["prometheus"], promql).values()) == [f"{CALLS}", f"{CALLS}"],
                f"{promql}: not {CALLS} for each of the two processes",
                WAIT_S,
            )
            wait_until(
                lambda: _jaeger_traces(urls["jaeger"], service) == 2 * CALLS,
                f"Jaeger does not hold the {2 * CALLS} traces of {service}",
                WAIT_S,
            )
        # Metrics are routed by process, traces by trace id over the two gateways: both carried data.
        for gateway in GATEWAYS:
            assert _accepted(urls[f"{gateway.replace('-', '_')}_metrics"]) > 0, gateway
    finally:
        down = _stack("down", "--state-dir", state_dir)
    assert down.returncode == 0, down.stderr
    assert "killed" not in down.stdout
    assert not [name for name, pid in pids.items() if is_running(pid)]
