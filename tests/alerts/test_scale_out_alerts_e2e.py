"""The alert scenarios of test_alerting_e2e.py again, on the scale-out profile (``stack up --scale-out``):
Thanos rule evaluates the same generated TEST-profile rules through the Thanos querier, over samples the
receive router replicated to three ingestors, and sends to the same Alertmanager and webhook.

The scenarios are the same test functions, not copies: this module overrides the fixtures they run on (the
stack, its webhook sink and the agents it has seen), so each runs here against a scale-out stack of its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from agent_telemetry.tooling.stack import ProjectFiles
from agent_telemetry.tooling.stack.scale_out import ScaleOutPorts
from tests.alerts import test_alerting_e2e as scenarios
from tests.alerts.conftest import start_profile_stack
from tests.alerts.harness import (
    AlertStack,
    TimedWebhookSink,
    alertmanager_alerts,
    get_json,
    poll,
    prometheus_alerts,
    prometheus_query,
)
from tests.support.sinks import OtlpSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

# prometheus, otel-collector and alertmanager (as on the single profile), and the six Thanos components.
SCRAPE_TARGETS = 9


def test_the_ruler_runs_the_generated_test_profile_rules(alert_stack, profile_rules_dir):
    """The same groups with the same expressions as the generated files. Thanos's Rules API (the ruler's and
    the querier's alike) lists a group's rules in an order of its own, so each group is compared as a sorted
    list; the ruler evaluates them in file order (Prometheus's rule manager)."""
    loaded = get_json(alert_stack.prometheus, "/api/v1/rules")["data"]["groups"]
    generated = [
        group
        for path in sorted(profile_rules_dir.glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
    ]
    assert sorted(g["name"] for g in loaded) == sorted(g["name"] for g in generated)
    exprs = {g["name"]: sorted(scenarios._flat(r["query"]) for r in g["rules"]) for g in loaded}
    for group in generated:
        assert exprs[group["name"]] == sorted(scenarios._flat(r["expr"]) for r in group["rules"]), group[
            "name"
        ]


# The shared scenarios, in their file's order (the quiet ones first, while the system is still idle).
test_no_alert_on_an_idle_system = scenarios.test_no_alert_on_an_idle_system
test_no_alert_under_normal_traffic = scenarios.test_no_alert_under_normal_traffic
test_rate_limit_storm_pages_and_mutes_the_agents_warnings = (
    scenarios.test_rate_limit_storm_pages_and_mutes_the_agents_warnings
)
test_slow_responses_raise_the_p95_latency_alert = scenarios.test_slow_responses_raise_the_p95_latency_alert
test_expensive_calls_raise_the_daily_budget_warning_then_exceeded = (
    scenarios.test_expensive_calls_raise_the_daily_budget_warning_then_exceeded
)
test_watchdog_reaches_the_heartbeat_webhook = scenarios.test_watchdog_reaches_the_heartbeat_webhook


@pytest.fixture(scope="module")
def alert_sink() -> Iterator[TimedWebhookSink]:
    with TimedWebhookSink() as sink:
        yield sink


@pytest.fixture(scope="module")
def used_agents() -> set[str]:
    return set()


@pytest.fixture(scope="module")
def alert_stack(
    tmp_path_factory: pytest.TempPathFactory,
    alerts_project_files: ProjectFiles,
    profile_rules_dir: Path,
    alert_sink: TimedWebhookSink,
    alerts_trace_sink: OtlpSink,
) -> Iterator[AlertStack]:
    with start_profile_stack(
        tmp_path_factory.mktemp("scale-out-alert-stack"),
        alerts_project_files,
        profile_rules_dir,
        alerts_trace_sink,
        webhook_url=f"{alert_sink.url}{{path}}",
        scale_out=True,
        scale_out_ports=ScaleOutPorts.free(),
    ) as stack:
        ready = AlertStack(stack, time.time())
        poll("scale-out stack settled", lambda: _settled(ready), 60)
        yield ready


def _settled(stack: AlertStack) -> bool:
    """The ruler evaluates (the Watchdog fires) and reaches Alertmanager, every target is scraped and
    stored, and the startup's CollectorDown (pending until the collector's first scrape was stored) gone."""
    # The querier answers `"alerts": null` until it has discovered the ruler.
    if get_json(stack.prometheus, "/api/v1/alerts")["data"]["alerts"] is None:
        return False
    alerts = [a["labels"]["alertname"] for a in prometheus_alerts(stack.prometheus)]
    up = prometheus_query(stack.prometheus, "up")
    return (
        alerts == ["Watchdog"]
        and len(up) == SCRAPE_TARGETS
        and all(s["value"][1] == "1" for s in up)
        and bool(alertmanager_alerts(stack.alertmanager, alertname="Watchdog"))
    )
