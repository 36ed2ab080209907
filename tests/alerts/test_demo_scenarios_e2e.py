"""The demo's fault scenarios trip their alerts: ``agent-telemetry demo`` (real SDKs, our instrumentation,
OTLP) runs one schedule through every scenario into the test-profile stack, and each scenario's alert
must become active in Prometheus within the time the README and the demo's docs promise.

Prometheus's alert state is read, not the webhook: the test profile's 0.01 USD daily budget makes
AgentDailyBudgetExceeded (critical) fire for every demo agent, which rightly mutes their warnings in
Alertmanager; the notification path itself is covered by test_alerting_e2e.py.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime

import pytest

from tests.alerts.harness import AGENT, Detection, prometheus_alerts
from tests.support.processes import environ_without_telemetry

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

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
    ("slow-runs", 210),
)
RATE = "4"  # LLM calls per second for the fleet


@dataclass(frozen=True)
class Expected:
    alert: str
    agent: str
    within_s: float  # from the start of the scenario, with the test profile's rules


# The documented promise (README, "Scenarios and the alerts they trip"; test profile).
EXPECTED: dict[str, Expected] = {
    "cost-spike": Expected("AgentCostSpike", "research-agent", 30),
    "quality-drop": Expected("AgentQualityDrift", "research-agent", 90),
    "rate-limit-storm": Expected("AgentRateLimitStorm", "support-agent", 30),
    "tool-failures": Expected("AgentToolErrorRate", "support-agent", 40),
    # 11 s calls slow the agent down: P95 passes 10 s once ~5% of the minute's calls were slow.
    "latency-spike": Expected("AgentHighLatencyP95", "computer-use-agent", 75),
    # Every call succeeds after the SDK's retries: the retried 429s alone trip it.
    "retry-storm": Expected("AgentRateLimitStorm", "support-agent", 30),
    # Half the runs fail: the 2-minute success rate falls below 75% (test profile) in about 45 s.
    "run-failures": Expected("AgentRunSuccessRateLow", "support-agent", 90),
    # Expensive runs must outnumber cheap ones in the 1-minute window: the mean passes 1 USD in ~45 s.
    "expensive-runs": Expected("AgentRunCostHigh", "research-agent", 100),
    # The first stalled run ends 130 s after it started, the run in flight before it first.
    "slow-runs": Expected("AgentRunDurationHigh", "research-agent", 200),
}
# The anomaly alerts, tripped by scenarios made for others: the runaway loop's context grows 8k tokens
# a step, the latency spike's 11 s calls are far above the agent's usual P95 of milliseconds, and the
# slow runs' stall stops the research agent's calls.
ALSO_EXPECTED: tuple[tuple[str, Expected], ...] = (
    ("cost-spike", Expected("AgentTokensPerCallAnomaly", "research-agent", 45)),
    ("latency-spike", Expected("AgentLatencyAnomaly", "computer-use-agent", 90)),
    ("slow-runs", Expected("AgentRequestRateDrop", "research-agent", 120)),
)
# On normal traffic only the test profile's tiny daily budget may fire (and the Watchdog, always).
ALLOWED_ON_NORMAL_TRAFFIC = {"Watchdog", "AgentDailyBudgetWarning", "AgentDailyBudgetExceeded"}


@dataclass
class DemoRun:
    started_at: float
    activations: dict[tuple[str, str], set[float]]  # (alertname, agent) -> every time it became active

    def first_active(self, key: tuple[str, str], since: float) -> float | None:
        return min((at for at in self.activations.get(key, ()) if at >= since), default=None)

    def phase_start(self, scenario: str) -> float:
        offset = 0
        for name, seconds in SCHEDULE:
            if name == scenario:
                return self.started_at + offset
            offset += seconds
        raise KeyError(scenario)


def _active_at(alert: dict) -> float:
    return datetime.fromisoformat(alert["activeAt"].replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def demo_run(alert_stack, used_agents: set[str], tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    agents = {expected.agent for expected in EXPECTED.values()}
    assert not agents & used_agents, "the demo's agents must not share alerts with another test's"
    used_agents.update(agents)
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
    started_at = time.time()
    activations: dict[tuple[str, str], set[float]] = {}
    with log.open("w") as output:
        demo = subprocess.Popen(
            [sys.executable, "-m", "agent_telemetry.tooling.demo", "--schedule", schedule, "--duration", f"{total}s",
             "--rate", RATE, "--seed", "3", "--progress-interval", "30"],
            env=env, stdout=output, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            while demo.poll() is None:
                for alert in prometheus_alerts(alert_stack.prometheus):
                    labels = alert["labels"]
                    if alert["state"] == "firing" and labels.get(AGENT) in agents:
                        activations.setdefault((labels["alertname"], labels[AGENT]), set()).add(
                            _active_at(alert)
                        )
                time.sleep(1)
        finally:
            if demo.poll() is None:
                demo.kill()
                demo.wait()
    assert demo.returncode == 0, log.read_text()[-4000:]
    return DemoRun(started_at, activations)


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [*EXPECTED.items(), *ALSO_EXPECTED],
    ids=[f"{scenario}-{expected.alert}" for scenario, expected in [*EXPECTED.items(), *ALSO_EXPECTED]],
)
def test_each_scenario_trips_its_alert_within_the_documented_time(
    demo_run: DemoRun, scenario: str, expected: Expected, detections
):
    started = demo_run.phase_start(scenario)
    active = demo_run.first_active((expected.alert, expected.agent), since=started)
    assert active is not None, (
        f"{expected.alert} for {expected.agent} did not fire after {scenario} started: "
        f"{sorted(demo_run.activations)}"
    )
    detections.entries.append(
        Detection(
            f"demo {scenario}",
            f"{expected.alert}/{expected.agent}",
            "active",
            active - started,
            "scenario start",
        )
    )
    assert started <= active <= started + expected.within_s, (
        f"{expected.alert} became active {active - started:.1f}s after {scenario} started "
        f"(promised within {expected.within_s:g}s)"
    )


def test_normal_traffic_trips_no_alert_but_the_test_profiles_tiny_budget(demo_run: DemoRun):
    normal_end = demo_run.phase_start("cost-spike")
    during_normal = sorted(
        name
        for (name, _), times in demo_run.activations.items()
        if min(times) < normal_end and name not in ALLOWED_ON_NORMAL_TRAFFIC
    )
    assert during_normal == []
