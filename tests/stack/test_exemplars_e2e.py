"""Exemplars end to end: a slow call's trace id, from the SDK through OTLP, the real collector and remote
write, stored by Prometheus (exemplar storage on, as in compose) and named by Grafana's exemplar link.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent_telemetry.tooling.fake_provider import FakeProviderServer, Reply, TokenUsage
from agent_telemetry.tooling.stack import ProjectFiles
from tests.stack import jaeger, prom
from tests.support.processes import environ_without_telemetry

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the first run builds the collector

SERVICE = "exemplar-app"
SLOW_S = 2.5  # the fake provider's delay before the slow reply: its own latency bucket (2-3 s)
BUCKETS = f'agent_request_duration_seconds_bucket{{job="{SERVICE}"}}'


@pytest.fixture(scope="module")
def slow_trace_id(running_stack) -> str:
    """Runs the app against the stack; returns the trace id of its slow call."""
    usage = TokenUsage(input_tokens=10, output_tokens=5)
    with FakeProviderServer() as fake:
        fake.enqueue(
            *(Reply(usage=usage) for _ in range(3)), Reply(usage=usage, delay_s=SLOW_S), provider="openai"
        )
        env = {
            **environ_without_telemetry(),
            "FAKE_OPENAI_URL": fake.openai_base_url,
            "OTEL_SERVICE_NAME": SERVICE,
            "OTEL_EXPORTER_OTLP_ENDPOINT": running_stack.urls["otlp_http"],
            "OTEL_METRIC_EXPORT_INTERVAL": "600000",  # one export, at shutdown
        }
        app = Path(__file__).with_name("exemplar_app.py")
        result = subprocess.run(
            [sys.executable, str(app)], env=env, capture_output=True, text=True, timeout=120, check=False
        )
    assert result.returncode == 0, result.stderr
    (trace_id,) = result.stdout.split()
    prom.wait_for(running_stack.urls["prometheus"], BUCKETS)
    return trace_id


def _exemplars(base_url: str) -> list[dict[str, Any]]:
    """The app's latency exemplars of the last hour."""
    return prom.exemplars(base_url, BUCKETS)


def _slow_exemplar(base_url: str) -> dict[str, Any]:
    exemplars = _exemplars(base_url)
    slow = [e for e in exemplars if float(e["value"]) >= SLOW_S]
    assert len(slow) == 1, f"one exemplar of the slow call wanted, got: {exemplars}"
    return slow[0]


def _provisioned_datasources(files: ProjectFiles) -> list[dict[str, Any]]:
    path = files.root / "grafana" / "provisioning" / "datasources" / "datasources.yaml"
    return yaml.safe_load(path.read_text())["datasources"]


def test_the_slow_calls_trace_id_is_stored_as_an_exemplar(running_stack, slow_trace_id: str):
    exemplars = _exemplars(running_stack.urls["prometheus"])
    slow = _slow_exemplar(running_stack.urls["prometheus"])
    assert slow["labels"]["trace_id"] == slow_trace_id
    # The fast calls' exemplars (one per bucket is kept) name other traces: each call has its own.
    assert slow_trace_id not in {e["labels"]["trace_id"] for e in exemplars if e != slow}


def test_the_exemplar_link_opens_that_trace_in_the_provisioned_trace_store(
    running_stack, slow_trace_id: str, project_files: ProjectFiles
):
    datasources = _provisioned_datasources(project_files)
    (prometheus,) = [d for d in datasources if d["type"] == "prometheus"]
    (link,) = prometheus["jsonData"]["exemplarTraceIdDestinations"]
    (trace_store,) = [d for d in datasources if d["uid"] == link["datasourceUid"]]
    assert trace_store["type"] == "jaeger"
    # Grafana reads the link's trace id from the exemplar label the link names: the slow call's trace.
    slow = _slow_exemplar(running_stack.urls["prometheus"])
    assert slow["labels"][link["name"]] == slow_trace_id
    # And Jaeger, the store that data source reads, holds that trace: the app's span and the call's.
    spans = jaeger.trace_spans(running_stack.urls["jaeger"], slow_trace_id, count=2)
    assert sorted(span["operationName"] for span in spans) == ["chat gpt-4o-mini", "slow-request"]
    assert {span["process"]["serviceName"] for span in spans} == {SERVICE}


def test_compose_runs_prometheus_with_the_features_of_the_native_run(
    running_stack, project_files: ProjectFiles
):
    """Exemplar storage and the remote-write receiver in both: the engines behave alike, not just match."""
    (native,) = [s for s in running_stack.services if s.name == "prometheus"]
    argv = Path(f"/proc/{native.pid}/cmdline").read_text().split("\0")
    compose = yaml.safe_load((project_files.root / "docker-compose.yml").read_text())
    command = compose["services"]["prometheus"]["command"]

    def features(args: list[str]) -> set[str]:
        return {arg for arg in args if arg.startswith(("--enable-feature=", "--web.enable-"))}

    assert features(command) == features(argv)
    assert "--enable-feature=exemplar-storage" in features(argv)
