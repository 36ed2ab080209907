"""The demo's fault scenarios trip their alerts: ``agent-telemetry demo`` (real SDKs, our instrumentation,
OTLP) runs one schedule through every scenario into the test-profile stack, and each scenario's alert
must become active in Prometheus after the scenario starts.

No time is asserted (a busy machine is slower, not wrong): each alert gets a generous bounded wait,
ALERT_WAIT_S from the start of its scenario, and the time it took is recorded in the session's
terminal summary ("alert detection latency"), where the README's table of typical times comes from.
The demo stops as soon as every expected alert has fired.

Prometheus's alert state is read, not the webhook: the test profile's 0.01 USD daily budget makes
AgentDailyBudgetExceeded (critical) fire for every demo agent, which rightly mutes their warnings in
Alertmanager; the notification path itself is covered by test_alerting_e2e.py.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime

import pytest

from tests.alerts.harness import AGENT, Detection, prometheus_alerts
from tests.support.processes import environ_without_telemetry

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

# How long each alert may take from the start of its scenario: about twice the slowest typical time
# (slow-runs, ~2.5 min, bound by its 130 s stall), so that only an alert that does not fire fails.
ALERT_WAIT_S = 300
# (scenario, seconds). Normal traffic first: AgentCostSpike and AgentQualityDrift compare with a
# baseline that ends 2 minutes ago (test profile), so they need that much history.
SCHEDULE: tuple[tuple[str, int], ...] = (
    ("normal", 150),
    ("cost-spike", 30),
    ("quality-drop", 90),
    ("rate-limit-storm", 30),
    ("tool-failures", 40),
    ("latency-spike", 75),
    # Last, on the same agent and alert as rate-limit-storm: that one has long resolved by now.
    ("retry-storm", 40),
    ("run-failures", 60),
    ("expensive-runs", 60),
    # Each research run stalls 130 s first: the slow runs end, and are measured, 130 s in at the earliest.
    # By now the research agent has 5 minutes of history: its calls stopping trips AgentRequestRateDrop.
    # The whole wait long: the demo normally stops well before, once every alert has fired.
    ("slow-runs", ALERT_WAIT_S),
)
RATE = "4"  # LLM calls per second for the fleet
STOP_WAIT_S = 60  # for the demo to stop and flush after SIGTERM


@dataclass(frozen=True)
class Expected:
    scenario: str
    alert: str
    agent: str


# README, "Scenarios and the alerts they trip" (test profile).
EXPECTED: tuple[Expected, ...] = (
    Expected("cost-spike", "AgentCostSpike", "research-agent"),
    Expected("quality-drop", "AgentQualityDrift", "research-agent"),
    Expected("rate-limit-storm", "AgentRateLimitStorm", "support-agent"),
    Expected("tool-failures", "AgentToolErrorRate", "support-agent"),
    # 11 s calls slow the agent down: P95 passes 10 s once ~5% of the minute's calls were slow.
    Expected("latency-spike", "AgentHighLatencyP95", "computer-use-agent"),
    # Every call succeeds after the SDK's retries: the retried 429s alone trip it.
    Expected("retry-storm", "AgentRateLimitStorm", "support-agent"),
    # Half the runs fail: the 2-minute success rate falls below 75% (test profile).
    Expected("run-failures", "AgentRunSuccessRateLow", "support-agent"),
    # Expensive runs must outnumber cheap ones in the 1-minute window for the mean to pass 1 USD.
    Expected("expensive-runs", "AgentRunCostHigh", "research-agent"),
    # The first stalled run ends 130 s after it started, the run in flight before it first.
    Expected("slow-runs", "AgentRunDurationHigh", "research-agent"),
    # The anomaly alerts, tripped by scenarios made for others: the runaway loop's context grows 8k
    # tokens a step, the latency spike's 11 s calls are far above the agent's usual P95 of milliseconds,
    # and the slow runs' stall stops the research agent's calls.
    Expected("cost-spike", "AgentTokensPerCallAnomaly", "research-agent"),
    Expected("latency-spike", "AgentLatencyAnomaly", "computer-use-agent"),
    Expected("slow-runs", "AgentRequestRateDrop", "research-agent"),
)
DEMO_AGENTS = {expected.agent for expected in EXPECTED}
# On normal traffic only the test profile's tiny daily budget may fire (and the Watchdog, always).
ALLOWED_ON_NORMAL_TRAFFIC = {"Watchdog", "AgentDailyBudgetWarning", "AgentDailyBudgetExceeded"}


def phase_offset(scenario: str) -> int:
    """Seconds from the demo's start to the start of ``scenario``."""
    names = [name for name, _ in SCHEDULE]
    return sum(seconds for _, seconds in SCHEDULE[: names.index(scenario)])


def wait_window(expected: Expected) -> tuple[int, int]:
    """(from, to) in seconds since the demo's start: the scenario's start, then ALERT_WAIT_S, or less if a
    later scenario expects the same alert of the same agent (its activation must not count for this one)."""
    start = phase_offset(expected.scenario)
    later_same = [
        phase_offset(other.scenario)
        for other in EXPECTED
        if (other.alert, other.agent) == (expected.alert, expected.agent)
        and phase_offset(other.scenario) > start
    ]
    return start, min([start + ALERT_WAIT_S, *later_same])


@dataclass
class DemoRun:
    started_at: float
    ended_at: float
    activations: dict[tuple[str, str], set[float]]  # (alertname, agent) -> every time it became active

    def first_active(self, expected: Expected) -> float | None:
        """When ``expected``'s alert first became active in its wait window (time.time()), if it did."""
        start, end = wait_window(expected)
        times = self.activations.get((expected.alert, expected.agent), ())
        return min((at for at in times if start <= at - self.started_at < end), default=None)

    def all_fired(self) -> bool:
        return all(self.first_active(expected) is not None for expected in EXPECTED)

    def fired_between(self, start: float, end: float) -> list[str]:
        """Every demo alert that became active in [start, end), with its time since ``start``."""
        return sorted(
            f"{name}/{agent} +{at - start:.1f}s"
            for (name, agent), times in self.activations.items()
            for at in times
            if start <= at < end
        )


def _active_at(alert: dict) -> float:
    return datetime.fromisoformat(alert["activeAt"].replace("Z", "+00:00")).timestamp()


def _record_activations(prometheus: str, run: DemoRun) -> None:
    for alert in prometheus_alerts(prometheus):
        labels = alert["labels"]
        if alert["state"] == "firing" and labels.get(AGENT) in DEMO_AGENTS:
            run.activations.setdefault((labels["alertname"], labels[AGENT]), set()).add(_active_at(alert))


@pytest.fixture(scope="module")
def demo_run(alert_stack, used_agents: set[str], tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    assert not DEMO_AGENTS & used_agents, "the demo's agents must not share alerts with another test's"
    used_agents.update(DEMO_AGENTS)
    prices = tmp_path_factory.mktemp("demo-prices") / "prices.yaml"
    prices.write_text("models: []\n")  # the demo's real prices (genai-prices), as users run it
    env = {
        **environ_without_telemetry(),
        "OTEL_SERVICE_NAME": "demo-scenarios",
        "OTEL_EXPORTER_OTLP_ENDPOINT": alert_stack.otlp_http,
        "OTEL_METRIC_EXPORT_INTERVAL": "1000",
        "AGENT_TELEMETRY_PRICES": str(prices),
    }
    schedule = ",".join(f"{name}:{seconds}s" for name, seconds in SCHEDULE)
    total = sum(seconds for _, seconds in SCHEDULE)
    log = tmp_path_factory.mktemp("demo") / "demo.log"
    run = DemoRun(time.time(), float("inf"), {})
    with log.open("w") as output:
        demo = subprocess.Popen(
            [sys.executable, "-m", "agent_telemetry.tooling.demo", "--schedule", schedule, "--duration", f"{total}s",
             "--rate", RATE, "--seed", "3", "--progress-interval", "30"],
            env=env, stdout=output, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            while demo.poll() is None:
                _record_activations(alert_stack.prometheus, run)
                if run.all_fired():  # nothing left to wait for: stop as a user would, with a clean flush
                    demo.send_signal(signal.SIGTERM)
                    demo.wait(STOP_WAIT_S)
                    break
                time.sleep(1)
            run.ended_at = time.time()
        finally:
            if demo.poll() is None:
                demo.kill()
                demo.wait()
    assert demo.returncode == 0, log.read_text()[-4000:]
    return run


@pytest.mark.parametrize("expected", EXPECTED, ids=[f"{e.scenario}-{e.alert}" for e in EXPECTED])
def test_each_scenario_trips_its_alert(demo_run: DemoRun, expected: Expected, detections) -> None:
    start, end = (demo_run.started_at + offset for offset in wait_window(expected))
    active = demo_run.first_active(expected)
    waited_until = min(end, demo_run.ended_at)
    assert active is not None, (
        f"{expected.alert} for {expected.agent} did not become active in the {waited_until - start:.0f}s "
        f"waited after {expected.scenario} started; what did: {demo_run.fired_between(start, waited_until)}"
    )
    detection = Detection(
        f"demo {expected.scenario}",
        f"{expected.alert}/{expected.agent}",
        "active",
        active - start,
        "scenario start",
    )
    detections.entries.append(detection)
    print(
        f"\n[alert latency] {detection.scenario}: {detection.alert} active {detection.seconds:.1f}s after start"
    )


def test_normal_traffic_trips_no_alert_but_the_test_profiles_tiny_budget(demo_run: DemoRun) -> None:
    normal_end = demo_run.started_at + phase_offset("cost-spike")
    during_normal = sorted(
        name
        for (name, _), times in demo_run.activations.items()
        if min(times) < normal_end and name not in ALLOWED_ON_NORMAL_TRAFFIC
    )
    assert during_normal == []
