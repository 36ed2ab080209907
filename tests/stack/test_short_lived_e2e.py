"""Short-lived processes (docs/scaling.md): series churn with cumulative metrics, and its fix, measured
on the real collector and Prometheus.

The many processes are simulated SDKs (tests/stack/sdk_processes.py); real agent processes (the openai
client against the fake provider) check the same through agent_telemetry.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agent_telemetry.tooling.fake_provider import FakeProviderServer
from agent_telemetry.tooling.stack import ProjectFiles, Stack, process
from agent_telemetry.tooling.stack.ports import HOST, Ports
from agent_telemetry.tooling.stack.readiness import wait_ready
from tests.stack import prom
from tests.stack.sdk_processes import DELTA, PROCESSES, run_processes
from tests.support.processes import MY_AGENT, environ_without_telemetry

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def short_lived_collector(
    tmp_path_factory: pytest.TempPathFactory,
    project_files: ProjectFiles,
    collector_binary: Path,
    running_stack: Stack,
) -> Iterator[str]:
    """A collector with otel-collector/short-lived.yaml over config.yaml, writing to the stack's
    Prometheus; yields its OTLP/HTTP base URL."""
    ports = Ports.free()
    env = {
        "OTLP_GRPC_ENDPOINT": f"{HOST}:{ports.otlp_grpc}",
        "OTLP_HTTP_ENDPOINT": f"{HOST}:{ports.otlp_http}",
        "PROMETHEUS_REMOTE_WRITE_URL": running_stack.urls["remote_write"],
        "HEALTH_CHECK_ENDPOINT": f"{HOST}:{ports.health_check}",
        "COLLECTOR_METRICS_HOST": HOST,
        "COLLECTOR_METRICS_PORT": str(ports.collector_metrics),
        "SHORT_LIVED_INTERVAL": "1s",
    }
    argv = [
        str(collector_binary),
        "--config",
        str(project_files.collector_config),
        "--config",
        str(project_files.collector_short_lived_config),
    ]
    log = tmp_path_factory.mktemp("short-lived") / "collector.log"
    pid = process.start(argv, log, env)
    try:
        wait_ready(f"http://{HOST}:{ports.health_check}/", lambda: process.is_running(pid), 120, "collector")
        yield f"http://{HOST}:{ports.otlp_http}"
    finally:
        process.stop(pid)


def _series(url: str, service: str) -> int:
    return len(prom.api(url, "series", **{"match[]": f'{{job="{service}", __name__=~"agent_.*"}}'}))


def test_cumulative_short_lived_processes_make_a_series_per_process(running_stack: Stack):
    service = f"churn-cumulative-{uuid.uuid4().hex[:8]}"
    url = running_stack.urls["prometheus"]
    run_processes(running_stack.urls["otlp_http"], service, None)

    per_instance = prom.wait_for(url, f'agent_requests_total{{job="{service}"}}', count=PROCESSES)
    assert set(per_instance.values()) == {"2"}
    # One requests series plus the histogram's 16 buckets (the SDK's 15 default bounds and +Inf),
    # _count and _sum: 19 series per process.
    assert _series(url, service) == PROCESSES * 19


def test_delta_short_lived_processes_share_one_series_per_label_set_with_exact_counts(
    running_stack: Stack, short_lived_collector: str
):
    service = f"churn-delta-{uuid.uuid4().hex[:8]}"
    url = running_stack.urls["prometheus"]
    run_processes(short_lived_collector, service, DELTA)

    want = f'agent_requests_total{{job="{service}"}} == {2 * PROCESSES}'
    prom.wait_for(url, want, timeout=120)
    assert _series(url, service) == 19
    counts = prom.query(url, f'agent_request_duration_seconds_count{{job="{service}"}}')
    assert list(counts.values()) == [str(2 * PROCESSES)]
    assert prom.query(url, f'resets(agent_requests_total{{job="{service}"}}[1h])').popitem()[1] == "0"


def _run_agent(app: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, str(app)],
        env={**environ_without_telemetry(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, ""), result.stderr


def test_real_agent_processes_with_delta_temporality_are_summed_and_cumulative_ones_kept_apart(
    running_stack: Stack, short_lived_collector: str, tmp_path: Path
):
    app = tmp_path / "my_agent.py"
    app.write_text(MY_AGENT)
    short, long_running = (f"{kind}-{uuid.uuid4().hex[:8]}" for kind in ("short", "long"))
    with FakeProviderServer() as fake:
        env = {
            "AGENT_TELEMETRY_ENABLED": "true",
            "FAKE_OPENAI_URL": fake.openai_base_url,
            "OTEL_EXPORTER_OTLP_ENDPOINT": short_lived_collector,
        }
        delta = {
            **env,
            "OTEL_SERVICE_NAME": short,
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
        }
        with ThreadPoolExecutor(max_workers=3) as pool:
            runs = [pool.submit(_run_agent, app, delta) for _ in range(6)]
            runs += [
                pool.submit(_run_agent, app, {**env, "OTEL_SERVICE_NAME": long_running}) for _ in range(2)
            ]
            for run in runs:
                run.result()

    url = running_stack.urls["prometheus"]
    (summed,) = prom.wait_for(url, f'agent_requests_total{{job="{short}"}} == 6', timeout=120)
    assert dict(summed).get("instance", "") == ""
    kept_apart = prom.wait_for(url, f'agent_requests_total{{job="{long_running}"}}', count=2)
    assert sorted(kept_apart.values()) == ["1", "1"]
    assert len({dict(labels)["instance"] for labels in kept_apart}) == 2
