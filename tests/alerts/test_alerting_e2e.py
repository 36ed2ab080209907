"""Alerting end to end: faults on a fake provider -> real SDK calls of an instrumented app -> collector ->
Prometheus (TEST-profile rules: the shipped expressions, short windows) -> Alertmanager (committed routing
and inhibition) -> the test's webhook.

Each scenario is an agent of its own (its own fake provider and app process), so alerts never mix. Faults are
scripted replies (a burst of 429s, slow replies, replies with large token counts): exact and repeatable.
Detection latency is measured from the fault's injection to the webhook's receipt of the notification.

The tests run in file order: the quiet ones first, while the system is still idle.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from agent_telemetry.tooling.fake_provider import FakeProviderServer, Reply, TokenUsage
from tests.alerts.harness import (
    AGENT,
    USD_PER_MILLION_TOKENS,
    Agent,
    AlertStack,
    TimedWebhookSink,
    alertmanager_alerts,
    firing,
    get_json,
    poll,
    prometheus_alerts,
    prometheus_query,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

NOTIFY_TIMEOUT_S = 40.0  # a fault to its notification takes ~3-5 s (a slow call adds its own latency)
RESOLVE_TIMEOUT_S = 60.0
QUIET_S = 6.0  # evaluations (1 s each) watched to call a system quiet


def _is_background(labels: dict[str, str], used_agents: set[str]) -> bool:
    """Alerts a quiet system may have: the Watchdog, and those of agents that earlier tests made fail."""
    return labels["alertname"] == "Watchdog" or labels.get(AGENT) in used_agents


def _assert_quiet_for(
    seconds: float, stack: AlertStack, sink: TimedWebhookSink, background: set[str]
) -> None:
    """Nothing pending or firing in Prometheus, held by Alertmanager or delivered, but the background."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        in_prometheus = [a["labels"] for a in prometheus_alerts(stack.prometheus)]
        in_alertmanager = [a["labels"] for a in alertmanager_alerts(stack.alertmanager)]
        delivered = [a["labels"] for a in sink.alerts()]
        # Rules are being evaluated. (Alertmanager gets the Watchdog only ~1 min after a cold start: see
        # test_watchdog_reaches_the_heartbeat_webhook.)
        assert {"alertname": "Watchdog", "severity": "none"} in in_prometheus, in_prometheus
        for where, labels in (
            ("prometheus", in_prometheus),
            ("alertmanager", in_alertmanager),
            ("webhook", delivered),
        ):
            unexpected = [lab for lab in labels if not _is_background(lab, background)]
            assert not unexpected, f"{where}: unexpected alerts {unexpected}"
        time.sleep(1.0)


def _muted_warnings(stack: AlertStack, agent: str, names: set[str]) -> dict[str, dict[str, Any]] | None:
    """The agent's warnings ``names``, once Alertmanager holds all of them inhibited by its criticals."""
    alerts = alertmanager_alerts(stack.alertmanager, **{AGENT: agent})
    criticals = {
        a["fingerprint"]
        for a in alerts
        if a["labels"]["severity"] == "critical" and a["status"]["state"] == "active"
    }
    warnings = {a["labels"]["alertname"]: a for a in alerts if a["labels"]["severity"] == "warning"}
    if not names <= warnings.keys():
        return None
    for alert in warnings.values():
        status = alert["status"]
        if status["state"] != "suppressed" or not status["inhibitedBy"]:
            return None
        # Muted by a critical alert of this very agent (the rule's `equal: [gen_ai_agent_name]`).
        assert set(status["inhibitedBy"]) <= criticals, (alert, criticals)
    return warnings


def _when_taken(fake: FakeProviderServer, left: int = 0, timeout: float = 30.0) -> float:
    """time.time() (to ~10 ms) once the app's calls have taken scripted replies until ``left`` remain: the
    first fault is served with ``left=queued - 1``, the last with ``left=0``."""
    deadline = time.monotonic() + timeout
    while fake.pending() > left:
        assert time.monotonic() < deadline, f"scripted replies not taken within {timeout:g}s"
        time.sleep(0.01)
    return time.time()


def _flat(promql: str) -> str:
    """PromQL with the layout dropped (Prometheus's API answers with its own)."""
    return re.sub(r"\s*([()])\s*", r"\1", " ".join(promql.split()))


# --- quiet --------------------------------------------------------------------------------------------------


def test_prometheus_runs_the_generated_test_profile_rules(alert_stack, profile_rules_dir):
    """The rules under test are exactly the generated files: same names, same expressions."""
    loaded = get_json(alert_stack.prometheus, "/api/v1/rules")["data"]["groups"]
    generated = [
        group
        for path in sorted(profile_rules_dir.glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
    ]
    assert sorted(g["name"] for g in loaded) == sorted(g["name"] for g in generated)
    exprs = {g["name"]: [_flat(r["query"]) for r in g["rules"]] for g in loaded}
    for group in generated:
        assert exprs[group["name"]] == [_flat(r["expr"]) for r in group["rules"]], group["name"]


def test_no_alert_on_an_idle_system(alert_stack, alert_sink, used_agents):
    _assert_quiet_for(QUIET_S, alert_stack, alert_sink, used_agents)


def test_no_alert_under_normal_traffic(alert_stack, alert_sink, used_agents, start_agent, profile_thresholds):
    agent: Agent = start_agent("alerts-normal")
    # Silence means something only once the agent's calls are in the series the alerts read, above every
    # alert's minimum amount of traffic.
    minimum = max(profile_thresholds.error_rate.min_requests, profile_thresholds.latency.min_requests)
    selector = f'{{{AGENT}="{agent.name}"}}'
    recorded = (
        f"gen_ai_agent_name:agent_requests:rate1m{selector} * 60 >= {minimum}"
        f" and gen_ai_agent_name:agent_requests_errors:ratio_rate1m{selector} == 0"
        f" and gen_ai_agent_name:agent_request_duration_seconds:p95_rate1m{selector} < 1"
    )
    poll("normal traffic recorded", lambda: prometheus_query(alert_stack.prometheus, recorded), 30)
    _assert_quiet_for(QUIET_S, alert_stack, alert_sink, used_agents - {agent.name})


# --- faults -------------------------------------------------------------------------------------------------

RATE_LIMIT_BURST = 12  # 429s in a row (~1.2 s of the app's calls): a storm, then recovery


def test_rate_limit_storm_pages_and_mutes_the_agents_warnings(
    alert_stack, alert_sink, catalog, detections, start_agent: Callable[..., Agent]
):
    agent = start_agent("alerts-rate-limit", threads=2, pace_s=0.2)
    name = agent.name
    agent.fake.enqueue(*[Reply.fail(429)] * RATE_LIMIT_BURST, provider="openai")
    start = _when_taken(agent.fake, RATE_LIMIT_BURST - 1)
    burst_over = _when_taken(agent.fake)

    page = alert_sink.wait_alert(
        "firing", NOTIFY_TIMEOUT_S, alertname="AgentHighErrorRate", severity="critical", **{AGENT: name}
    )
    detections.record("rate-limit storm", page, start, "first 429")
    catalog.check(page, "AgentHighErrorRate", "critical", name)
    assert (page["receiver"], page["path"]) == ("webhook", "/alerts")

    storm = poll(
        "AgentRateLimitStorm firing in Prometheus",
        lambda: firing(
            prometheus_alerts(alert_stack.prometheus, **{AGENT: name}), "AgentRateLimitStorm", "warning"
        ),
        20,
    )
    catalog.check(storm, "AgentRateLimitStorm", "warning", name)

    # Inhibition (source severity=critical, target severity=warning, equal: [gen_ai_agent_name]) mutes the
    # alert itself, for every receiver: Alertmanager holds the warnings as suppressed and sends them nowhere.
    muted = poll(
        "warnings inhibited in Alertmanager",
        lambda: _muted_warnings(alert_stack, name, {"AgentRateLimitStorm", "AgentHighErrorRate"}),
        20,
    )
    catalog.check(muted["AgentRateLimitStorm"], "AgentRateLimitStorm", "warning", name)
    catalog.check(muted["AgentHighErrorRate"], "AgentHighErrorRate", "warning", name)
    # Every warning fires no earlier than the critical (the error ratio jumps past every threshold at once),
    # so while the critical fires none can have been delivered.
    assert not alert_sink.alerts(severity="warning", **{AGENT: name})

    resolved = alert_sink.wait_alert(
        "resolved", RESOLVE_TIMEOUT_S, alertname="AgentHighErrorRate", severity="critical", **{AGENT: name}
    )
    detections.record("rate-limit storm", resolved, burst_over, "last 429")
    catalog.check(resolved, "AgentHighErrorRate", "critical", name)
    # The storm (10% threshold) resolves before the page (5%), so it was muted all its life: never notified,
    # hence no "resolved" notification either; its resolution shows in Prometheus.
    poll(
        "AgentRateLimitStorm resolved in Prometheus",
        lambda: (
            not prometheus_alerts(alert_stack.prometheus, alertname="AgentRateLimitStorm", **{AGENT: name})
        ),
        5,
    )
    assert not alert_sink.alerts(alertname="AgentRateLimitStorm", **{AGENT: name})


SLOW_CALLS = 6  # of 8 callers: ~12% of the minute's calls above the threshold, far from the 72% of a page


def test_slow_responses_raise_the_p95_latency_alert(
    alert_stack, alert_sink, catalog, detections, profile_thresholds, start_agent: Callable[..., Agent]
):
    # The test profile keeps the shipped 10 s threshold (only windows, `for`s and minimums differ), so slow
    # means just above it. The other callers keep the P95 alert a warning: a latency-SLO page would mute it.
    agent = start_agent("alerts-latency", threads=8, pace_s=0.8)
    name = agent.name
    slow_s = profile_thresholds.latency.warning_seconds + 0.5
    agent.fake.enqueue(*[Reply(delay_s=slow_s)] * SLOW_CALLS, provider="openai")
    start = _when_taken(agent.fake, SLOW_CALLS - 1)
    slow_over = _when_taken(agent.fake) + slow_s  # the last slow call, answered slow_s after it was taken

    alert = alert_sink.wait_alert(
        "firing", NOTIFY_TIMEOUT_S, alertname="AgentHighLatencyP95", severity="warning", **{AGENT: name}
    )
    detections.record("slow responses", alert, start, f"first {slow_s:g}s call started")
    catalog.check(alert, "AgentHighLatencyP95", "warning", name)
    assert not alert_sink.alerts(severity="critical", **{AGENT: name})

    resolved = alert_sink.wait_alert(
        "resolved", RESOLVE_TIMEOUT_S, alertname="AgentHighLatencyP95", severity="warning", **{AGENT: name}
    )
    detections.record("slow responses", resolved, slow_over, "last slow call answered")
    catalog.check(resolved, "AgentHighLatencyP95", "warning", name)


def _spend(fake: FakeProviderServer, usd: float, calls: int) -> None:
    """The app's next ``calls`` calls cost ``usd`` in all (input tokens at the test price)."""
    tokens = round(usd / calls / (USD_PER_MILLION_TOKENS / 1e6))
    fake.enqueue(*[Reply(usage=TokenUsage(input_tokens=tokens, output_tokens=0))] * calls, provider="openai")


def test_expensive_calls_raise_the_daily_budget_warning_then_exceeded(
    alert_stack, alert_sink, catalog, detections, profile_thresholds, start_agent: Callable[..., Agent]
):
    """No resolution here: the budget is a rolling 24 h (increase(...[1d])), which the test profile keeps, so
    spend stays counted (and both alerts firing) for a day after the calls."""
    agent = start_agent("alerts-budget")
    name = agent.name
    budget = profile_thresholds.daily_budget
    usd = budget.agents.get(name, budget.usd)
    # increase() extrapolates by up to ~1 sample interval past its samples: with >= 5 s of this agent's cost
    # samples in Prometheus first, the error stays under ~12%, well within the margins below.
    poll(
        "5 s of cost samples",
        lambda: prometheus_query(
            alert_stack.prometheus, f'count_over_time(agent_cost_usd_total{{{AGENT}="{name}"}}[1m]) >= 10'
        ),
        30,
    )

    _spend(agent.fake, usd * (budget.warning_ratio + 0.05), calls=5)  # 85%: warning, not exceeded
    start = _when_taken(agent.fake)
    warning = alert_sink.wait_alert(
        "firing", NOTIFY_TIMEOUT_S, alertname="AgentDailyBudgetWarning", severity="warning", **{AGENT: name}
    )
    detections.record("expensive calls", warning, start, "85% of the budget spent")
    catalog.check(warning, "AgentDailyBudgetWarning", "warning", name)
    in_prometheus = prometheus_alerts(alert_stack.prometheus, **{AGENT: name})
    assert not firing(in_prometheus, "AgentDailyBudgetExceeded", "critical")

    _spend(agent.fake, usd * (budget.critical_ratio - budget.warning_ratio + 0.1), calls=2)  # 115% in all
    start = _when_taken(agent.fake)
    exceeded = alert_sink.wait_alert(
        "firing", NOTIFY_TIMEOUT_S, alertname="AgentDailyBudgetExceeded", severity="critical", **{AGENT: name}
    )
    detections.record("expensive calls", exceeded, start, "115% of the budget spent")
    catalog.check(exceeded, "AgentDailyBudgetExceeded", "critical", name)
    # From now on the critical mutes the warning (same agent).
    poll(
        "budget warning inhibited",
        lambda: _muted_warnings(alert_stack, name, {"AgentDailyBudgetWarning"}),
        20,
    )


# --- the dead man's switch ------------------------------------------------------------------------------


def test_watchdog_reaches_the_heartbeat_webhook(alert_stack, alert_sink, catalog, detections):
    """Last, because slow after a cold start: Prometheus evaluates the Watchdog at once, but drops alerts
    until its notifier has discovered Alertmanager (discovery updates are throttled to every 5 s), and only
    resends a firing alert after --rules.alert.resend-delay (1m). So the heartbeat starts ~1 min after
    startup."""
    heartbeat = poll(
        "Watchdog at /heartbeat",
        lambda: next((a for a in alert_sink.alerts(alertname="Watchdog") if a["path"] == "/heartbeat"), None),
        90,
    )
    assert (heartbeat["receiver"], heartbeat["status"]) == ("heartbeat", "firing")
    catalog.check(heartbeat, "Watchdog", "none", agent=None)
    # Every alert also reaches the generic webhook (first route, continue: true).
    generic = poll(
        "Watchdog at /alerts",
        lambda: next((a for a in alert_sink.alerts(alertname="Watchdog") if a["path"] == "/alerts"), None),
        30,
    )
    assert generic["receiver"] == "webhook"
    detections.record("watchdog", heartbeat, alert_stack.ready_at, "stack ready")
