"""Every dashboard panel and variable, run against the real Prometheus of an end-to-end stack of its own
that only the demo fleet (``agent-telemetry demo``, real SDKs through OTLP and the real collector) feeds.

The demo runs a schedule through every fault scenario, so that error, budget-stop and tool-error
panels have data too; the panels that stay empty say why in ``EMPTY_WITH_DEMO_TRAFFIC``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_telemetry.tooling.dashboards.compare import FIGURES, OFFSET, VERSION_A, VERSION_B
from agent_telemetry.tooling.stack import ProjectFiles, Stack
from agent_telemetry.tooling.stack.scale_out import ScaleOutPorts
from tests.dashboards.panel_queries import (
    MAY_BE_EMPTY_WITHOUT_FAILURES,
    assert_every_panel_returns_data,
    assert_every_variable_resolves,
)
from tests.stack import prom
from tests.stack.conftest import PROFILES, start_stack
from tests.support.processes import environ_without_telemetry

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SERVICE = "dashboards-demo"
# Every fault scenario once, short: the time scale shrinks the demo's pauses and slow calls alike.
SCHEDULE = "normal:5s,rate-limit-storm:5s,tool-failures:5s,cost-spike:8s,latency-spike:5s,quality-drop:4s"
DURATION = "32s"

# Panels that stay empty with demo traffic, and why. Everything else must show data.
EMPTY_WITH_DEMO_TRAFFIC: dict[str, str] = {
    **{
        key: MAY_BE_EMPTY_WITHOUT_FAILURES[key]
        for key in (
            "agent-cost/Unpriced calls",
            "agent-cost/Calls without reported usage",
            "agent-pipeline/Points exported to Prometheus/B",
            "agent-pipeline/Points exported to Prometheus/C",
            "agent-pipeline/agent-telemetry label overflow",
            "agent-pipeline/agent-telemetry internal errors",
            "agent-pipeline/Notifications failed",
        )
    },
    "agent-overview/Quality score (mean over 1h)/B": "the drift baseline is the 7 days that end 1 h ago: "
    "a stack younger than an hour has none",
    **{
        f"agent-compare/{figure.title} vs ${OFFSET} before": "a stack younger than the offset has no "
        "earlier period to compare with"
        for figure in FIGURES
    },
}
# Variables that may have no values with demo traffic, and why.
UNRESOLVED_WITH_DEMO_TRAFFIC: dict[str, str] = {
    f"agent-compare/${name}": "demo runs may carry no gen_ai_agent_version" for name in (VERSION_A, VERSION_B)
}


@pytest.fixture(scope="module", params=PROFILES)
def demo_stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    project_files: ProjectFiles,
    collector_binary: Path,
    trace_sink,
) -> Iterator[Stack]:
    """No other test's telemetry in it: every panel that shows data shows the demo's. On the scale-out
    profile the panels query the Thanos querier, as Grafana's data source for that profile does."""
    scale_out = request.param == "scale-out"
    with start_stack(
        tmp_path_factory.mktemp("dashboards-stack"),
        project_files,
        traces_endpoint=trace_sink.url,
        alert_log=True,
        scale_out=scale_out,
        scale_out_ports=ScaleOutPorts.free() if scale_out else None,
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def demo_fed_prometheus(demo_stack: Stack) -> str:
    """Runs the demo fleet into the stack once; returns the Prometheus URL once its data is queryable."""
    env = {
        **environ_without_telemetry(),
        "OTEL_SERVICE_NAME": SERVICE,
        "OTEL_EXPORTER_OTLP_ENDPOINT": demo_stack.urls["otlp_http"],
        "OTEL_METRIC_EXPORT_INTERVAL": "1000",
    }
    demo = subprocess.run(
        [sys.executable, "-m", "agent_telemetry.tooling.demo", "--schedule", SCHEDULE, "--duration", DURATION,
         "--time-scale", "0.05", "--rate", "15", "--progress-interval", "10"],
        env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-4000:]
    prometheus = demo_stack.urls["prometheus"]
    # Past one scrape of the collector's last export, and one rule evaluation after it.
    prom.wait_for(prometheus, f'agent_runs_total{{job="{SERVICE}"}}', timeout=60)
    prom.wait_for_rule_evaluation(prometheus, after=time.time())
    return prometheus


def test_every_panel_query_returns_data_with_demo_traffic(demo_fed_prometheus: str) -> None:
    assert_every_panel_returns_data(demo_fed_prometheus, EMPTY_WITH_DEMO_TRAFFIC)


def test_every_dashboard_variable_resolves_with_demo_traffic(demo_fed_prometheus: str) -> None:
    assert_every_variable_resolves(demo_fed_prometheus, allowed_unresolved=UNRESOLVED_WITH_DEMO_TRAFFIC)
