"""Each scenario leaves its signature in the metrics its alert reads, with the real SDKs and pipeline.

The fleet runs in-process for a moment at a high rate, its deliberate waits scaled down (TIME_SCALE);
the thresholds come from prometheus/thresholds.yaml, so the assertions follow the alert rules.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from agent_telemetry.tooling.demo.agents.base import QUALITY_DROP
from agent_telemetry.tooling.demo.agents.computer_use import ComputerUseAgent
from agent_telemetry.tooling.demo.agents.research import ResearchAgent
from agent_telemetry.tooling.demo.agents.support import SupportAgent
from agent_telemetry.tooling.demo.fleet import DEFAULT_RATE, SHARES, Fleet, FleetConfig, Status, drive
from agent_telemetry.tooling.demo.models import (
    RESEARCH_RUNAWAY_STEP_MODEL,
    RESEARCH_RUNAWAY_SYNTHESIS_MODEL,
    RESEARCH_STEP_MODEL,
    RESEARCH_SYNTHESIS_MODEL,
)
from agent_telemetry.tooling.demo.scenarios import (
    AGENTS,
    COMPUTER_USE,
    RESEARCH,
    SLOW_CALL_S,
    SLOW_RUN_S,
    SUPPORT,
    Scenario,
    Schedule,
    parse_schedule,
)
from agent_telemetry.tooling.fake_provider import FakeProviderServer
from agent_telemetry.tooling.rules.config import load_thresholds
from tests.demo.conftest import TIME_SCALE, wait_until

THRESHOLDS = load_thresholds(Path(__file__).parents[2] / "prometheus" / "thresholds.yaml")


def agent_value(recorded, metric: str, agent: str, **attributes: str) -> float:
    return recorded.value(metric, gen_ai__agent__name=agent, **attributes)


def histogram(
    recorded, metric: str, agent: str, **attributes: str
) -> tuple[int, float, list[int], list[float]]:
    """(count, sum, bucket counts, bounds) over every point of ``agent`` (with ``attributes``)."""
    count, total, buckets, bounds = 0, 0.0, [], []
    for labels, point in recorded.points(metric):
        if labels.get("gen_ai.agent.name") != agent:
            continue
        if any(labels.get(key) != value for key, value in attributes.items()):
            continue
        count, total = count + point.count, total + point.sum
        bounds = list(point.explicit_bounds)
        buckets = [
            a + b for a, b in zip(buckets or [0] * len(point.bucket_counts), point.bucket_counts, strict=True)
        ]
    return count, total, buckets, bounds


def test_normal_traffic_is_healthy_and_exercises_every_signal(run_fleet):
    def enough(recorded) -> bool:
        return all(
            agent_value(recorded, "agent.requests", agent) >= 10
            and agent_value(recorded, "agent.runs", agent, status="success") >= 2
            and histogram(recorded, "agent.quality.score", agent)[0] >= 2
            for agent in AGENTS
        ) and (
            histogram(recorded, "agent.request.time_to_first_token", SUPPORT)[0] > 0
            and agent_value(recorded, "agent.actions", COMPUTER_USE) > 0
            and agent_value(recorded, "agent.screenshots", COMPUTER_USE) > 0
            and agent_value(recorded, "agent.tools.calls", RESEARCH, gen_ai__tool__name="web_search") > 0
            and agent_value(recorded, "agent.tools.calls", SUPPORT, gen_ai__tool__name="lookup_order") > 0
        )

    status, recorded = run_fleet(Scenario.NORMAL, 2.0, until=enough)
    for agent in AGENTS:
        assert agent_value(recorded, "agent.requests", agent) >= 10, agent
        assert agent_value(recorded, "agent.runs", agent, status="success") >= 2, agent
    assert recorded.points("agent.requests.errors") == []
    assert recorded.points("agent.tools.errors") == []
    assert recorded.value("agent.cost.unpriced_requests") == 0
    assert recorded.value("agent.tokens.unreported_requests") == 0
    assert recorded.value("agent.telemetry.internal_errors") == 0
    # Both providers, several models, streaming (time to first token), cached tokens.
    providers = {attrs["gen_ai.provider.name"] for attrs in recorded.attributes("agent.requests")}
    assert providers == {"openai", "anthropic"}
    assert len({attrs["gen_ai.request.model"] for attrs in recorded.attributes("agent.requests")}) >= 2
    assert histogram(recorded, "agent.request.time_to_first_token", SUPPORT)[0] > 0
    assert recorded.value("agent.tokens", gen_ai__token__type="cache_read") > 0
    # Tools, computer use, quality.
    assert agent_value(recorded, "agent.tools.calls", SUPPORT, gen_ai__tool__name="lookup_order") > 0
    assert agent_value(recorded, "agent.tools.calls", RESEARCH, gen_ai__tool__name="web_search") > 0
    assert agent_value(recorded, "agent.tools.requested", SUPPORT) > 0
    assert agent_value(recorded, "agent.actions", COMPUTER_USE) > 0
    assert agent_value(recorded, "agent.screenshots", COMPUTER_USE) > 0
    assert histogram(recorded, "agent.action.duration", COMPUTER_USE)[0] > 0
    for agent, cls in ((SUPPORT, SupportAgent), (RESEARCH, ResearchAgent), (COMPUTER_USE, ComputerUseAgent)):
        count, total, _, _ = histogram(recorded, "agent.quality.score", agent)
        assert count >= 2 and abs(total / count - cls.judge_mean) < 0.15, agent
    # The progress counters agree with the telemetry.
    for stats in status.agents:
        assert stats.calls == agent_value(recorded, "agent.requests", stats.name)
        assert stats.errors == 0
        assert stats.cost_usd == pytest.approx(agent_value(recorded, "agent.cost.usd", stats.name), rel=1e-6)
    # A demo left running all day must not trip AgentDailyBudgetWarning on normal traffic.
    budget = THRESHOLDS.daily_budget
    for agent in AGENTS:
        calls = agent_value(recorded, "agent.requests", agent)
        per_call = agent_value(recorded, "agent.cost.usd", agent) / calls
        per_day = per_call * DEFAULT_RATE * SHARES[agent] * 86400
        limit = budget.agents.get(agent, budget.usd) * budget.warning_ratio
        assert per_day < limit, (agent, per_day, limit)  # about 10, 30 and 30 USD against 40


def test_rate_limit_storm(run_fleet):
    def enough(recorded) -> bool:
        limited = agent_value(recorded, "agent.requests.errors", SUPPORT, error__type="rate_limit")
        succeeded = agent_value(recorded, "agent.runs", SUPPORT, status="success")
        return limited >= THRESHOLDS.rate_limit_storm.min_errors and succeeded > 0

    _, recorded = run_fleet(Scenario.RATE_LIMIT_STORM, 1.2, until=enough, agents=(SUPPORT,))
    requests = agent_value(recorded, "agent.requests", SUPPORT)
    limited = agent_value(recorded, "agent.requests.errors", SUPPORT, error__type="rate_limit")
    assert limited >= THRESHOLDS.rate_limit_storm.min_errors
    assert limited / requests > 2 * THRESHOLDS.rate_limit_storm.ratio  # about 0.4
    assert limited / requests > THRESHOLDS.error_rate.critical  # AgentHighErrorRate as well
    assert recorded.value("agent.requests.errors") == limited  # nothing but rate limits
    # The agent retried: some runs still succeeded.
    assert agent_value(recorded, "agent.runs", SUPPORT, status="success") > 0


def test_retry_storm_hides_its_429s_in_the_sdks_retries_and_still_trips_the_rate_limit_ratio(run_fleet):
    status, recorded = run_fleet(Scenario.RETRY_STORM, 1.2, agents=(SUPPORT,))
    requests = agent_value(recorded, "agent.requests", SUPPORT)
    retried = agent_value(recorded, "agent.requests.retries", SUPPORT, error__type="rate_limit")
    assert recorded.points("agent.requests.errors") == []  # every call succeeded in the end
    assert recorded.value("agent.requests.retries") == retried  # nothing but rate limits, retried
    assert retried % 2 == 0  # two 429s per hit call, both absorbed by the client's max_retries=2
    assert retried >= THRESHOLDS.rate_limit_storm.min_errors
    # What AgentRateLimitStorm reads: rate-limited attempts over all attempts, about 0.8 / 1.8.
    assert retried / (requests + retried) > 2 * THRESHOLDS.rate_limit_storm.ratio
    (stats,) = status.agents
    assert (stats.calls, stats.errors) == (requests, 0)
    assert agent_value(recorded, "agent.runs", SUPPORT, status="failure") == 0


def test_latency_spike(run_fleet):
    _, recorded = run_fleet(
        Scenario.LATENCY_SPIKE,
        1.8,
        until=lambda r: histogram(r, "agent.request.duration", COMPUTER_USE)[0] >= 8,
        agents=(COMPUTER_USE,),
    )
    count, _, buckets, bounds = histogram(recorded, "agent.request.duration", COMPUTER_USE)
    slow_s = SLOW_CALL_S * TIME_SCALE  # 0.33 s here, 11 s in the demo
    # Calls above the largest bucket boundary below the slow delay: the slow ones.
    boundary = max(bound for bound in bounds if bound < slow_s)
    slow = sum(n for n, upper in zip(buckets, [*bounds, float("inf")], strict=True) if upper > boundary)
    assert count >= 8
    assert 0.1 < slow / count < 0.6  # about 25%: P95 is a slow call
    quantile = THRESHOLDS.latency.quantile
    assert slow / count > 1 - quantile


def test_cost_spike(run_fleet):
    schedule = Schedule(parse_schedule("normal:1s,cost-spike:1s"))

    def calls(recorded, *models: str) -> float:
        return sum(
            agent_value(recorded, "agent.requests", RESEARCH, gen_ai__request__model=m) for m in models
        )

    def enough(recorded) -> bool:
        normal = calls(recorded, RESEARCH_STEP_MODEL, RESEARCH_SYNTHESIS_MODEL)
        return (
            normal > 0 and calls(recorded, RESEARCH_RUNAWAY_STEP_MODEL, RESEARCH_RUNAWAY_SYNTHESIS_MODEL) > 0
        )

    _, recorded = run_fleet(schedule, 2.0, until=enough, agents=(RESEARCH,))

    def cost_per_call(*models: str) -> float:
        cost = sum(
            agent_value(recorded, "agent.cost.usd", RESEARCH, gen_ai__request__model=m) for m in models
        )
        calls = sum(
            agent_value(recorded, "agent.requests", RESEARCH, gen_ai__request__model=m) for m in models
        )
        assert calls > 0, models
        return cost / calls

    normal = cost_per_call(RESEARCH_STEP_MODEL, RESEARCH_SYNTHESIS_MODEL)
    spike = cost_per_call(RESEARCH_RUNAWAY_STEP_MODEL, RESEARCH_RUNAWAY_SYNTHESIS_MODEL)
    assert spike > 50 * normal
    assert recorded.points("agent.requests.errors") == []


def test_runaway_runs_hit_their_budget(run_fleet):
    def enough(recorded) -> bool:
        return (
            agent_value(recorded, "agent.runs", RESEARCH, status="budget_exceeded") > 0
            and agent_value(recorded, "agent.run.budget_stops", RESEARCH, limit="cost") > 0
            and agent_value(recorded, "agent.runs", RESEARCH) >= 2
        )

    _, recorded = run_fleet(Scenario.COST_SPIKE, 1.5, until=enough, agents=(RESEARCH,), rate=80)
    finished = agent_value(recorded, "agent.runs", RESEARCH)
    assert agent_value(recorded, "agent.runs", RESEARCH, status="budget_exceeded") > 0
    assert agent_value(recorded, "agent.run.budget_stops", RESEARCH, limit="cost") > 0
    assert finished >= 2


def test_tool_failures(run_fleet):
    _, recorded = run_fleet(
        Scenario.TOOL_FAILURES,
        1.2,
        until=lambda r: agent_value(r, "agent.tools.calls", SUPPORT, gen_ai__tool__name="lookup_order") >= 10,
        agents=(SUPPORT,),
    )
    calls = agent_value(recorded, "agent.tools.calls", SUPPORT, gen_ai__tool__name="lookup_order")
    failed = agent_value(
        recorded,
        "agent.tools.errors",
        SUPPORT,
        gen_ai__tool__name="lookup_order",
        error__type="OrderServiceTimeout",
    )
    assert calls >= 10
    assert failed / calls > 2 * THRESHOLDS.tool_errors.ratio  # about 0.45
    assert recorded.value("agent.tools.errors") == failed  # only the flaky tool
    assert recorded.points("agent.requests.errors") == []  # the model calls themselves are fine


def test_quality_drop(run_fleet):
    _, recorded = run_fleet(
        Scenario.QUALITY_DROP,
        1.5,
        until=lambda r: histogram(r, "agent.quality.score", RESEARCH)[0] >= 5,
        agents=(RESEARCH,),
    )
    count, total, _, _ = histogram(recorded, "agent.quality.score", RESEARCH)
    assert count >= 5
    mean = total / count
    assert mean < ResearchAgent.judge_mean - THRESHOLDS.quality_drift.max_drop
    assert mean == pytest.approx(ResearchAgent.judge_mean - QUALITY_DROP, abs=0.12)
    assert recorded.points("agent.requests.errors") == []


def test_run_failures_fail_about_half_the_support_runs_with_no_failed_call(run_fleet):
    def finished(recorded) -> float:
        return sum(agent_value(recorded, "agent.runs", SUPPORT, status=s) for s in ("success", "failure"))

    _, recorded = run_fleet(Scenario.RUN_FAILURES, 1.0, until=lambda r: finished(r) >= 20, agents=(SUPPORT,))
    failed = agent_value(recorded, "agent.runs", SUPPORT, status="failure")
    assert failed / finished(recorded) == pytest.approx(0.5, abs=0.25)
    assert failed / finished(recorded) > 2 * (1 - THRESHOLDS.run_success.ratio)  # AgentRunSuccessRateLow
    assert recorded.points("agent.requests.errors") == []


def test_slow_runs_stall_every_research_run(run_fleet):
    def finished(recorded) -> tuple[int, float, list[int], list[float]]:
        # The demo's stop cancels the run in flight, early: only runs that ran to their end.
        return histogram(recorded, "agent.run.duration", RESEARCH, status="success")

    _, recorded = run_fleet(Scenario.SLOW_RUNS, 1.0, until=lambda r: finished(r)[0] >= 2, agents=(RESEARCH,))
    count, _, buckets, bounds = finished(recorded)
    stall_s = SLOW_RUN_S * TIME_SCALE  # 3.9 s here, 130 s in the demo
    within_stall = sum(n for n, upper in zip(buckets, bounds, strict=False) if upper < stall_s)
    assert count >= 2
    assert within_stall == 0  # no run finished sooner than its stall
    assert THRESHOLDS.run_duration.threshold_seconds < SLOW_RUN_S  # AgentRunDurationHigh


def test_expensive_runs_cost_over_the_run_cost_threshold_each(run_fleet):
    def finished(recorded) -> tuple[int, float, list[int], list[float]]:
        return histogram(recorded, "agent.run.cost.usd", RESEARCH, status="success")

    _, recorded = run_fleet(
        Scenario.EXPENSIVE_RUNS, 1.0, until=lambda r: finished(r)[0] >= 3, agents=(RESEARCH,)
    )
    count, total, buckets, bounds = finished(recorded)
    cheaper = sum(n for n, upper in zip(buckets, bounds, strict=False) if upper <= THRESHOLDS.run_cost.usd)
    assert count >= 3
    assert cheaper == 0  # every run over 1 USD: AgentRunCostHigh
    assert total / count < 3.0  # under the research agent's run budget: no run stopped by it


class _Sink:
    def __init__(self) -> None:
        self.updates: list[Status] = []
        self.summaries: list[tuple[Status, str]] = []

    def update(self, status: Status) -> None:
        self.updates.append(status)

    def summary(self, status: Status, reason: str) -> None:
        self.summaries.append((status, reason))


def test_drive_follows_the_schedule_and_stops_after_the_duration(run_fleet, real_prices):
    from agent_telemetry import Settings
    from tests.conftest import instrumented

    # Phases 20 progress intervals long: a busy machine may miss updates, not a whole phase.
    schedule = Schedule(parse_schedule("normal:1s,rate-limit-storm:1s"))
    fleet = Fleet(FleetConfig(schedule=schedule, rate=30, time_scale=TIME_SCALE, agents=(SUPPORT,)))
    sink = _Sink()
    with instrumented(real_prices, Settings()):
        status, reason = drive(fleet, duration_s=2.5, interval_s=0.05, stop=threading.Event(), progress=sink)
    assert reason == "--duration 2.5s reached"
    assert status.elapsed_s >= 2.5
    assert [s for s, _ in sink.summaries] == [status]
    seen = [update.phase.scenario for update in sink.updates]
    phases = [scenario for i, scenario in enumerate(seen) if i == 0 or seen[i - 1] is not scenario]
    assert phases == [Scenario.NORMAL, Scenario.RATE_LIMIT_STORM, Scenario.NORMAL]  # the schedule repeats
    assert not any(thread.is_alive() for thread in fleet._threads)


def test_drive_stops_on_the_stop_event(real_prices):
    from agent_telemetry import Settings
    from tests.conftest import instrumented

    fleet = Fleet(FleetConfig(rate=10, time_scale=TIME_SCALE, agents=(RESEARCH,)))
    stop = threading.Event()
    result: list[tuple[Status, str]] = []
    with instrumented(real_prices, Settings()):
        # An hour between progress updates and no duration: only the stop event can end this in time.
        driving = threading.Thread(
            target=lambda: result.append(
                drive(fleet, duration_s=None, interval_s=3600, stop=stop, progress=_Sink())
            )
        )
        driving.start()
        stop.set()
        driving.join(timeout=60)
    assert not driving.is_alive()
    assert result[0][1] == "stopped"


def test_stop_cuts_slow_calls_short(real_prices):
    """Ctrl-C in a latency spike must not wait for 11 s replies."""
    from agent_telemetry import Settings
    from tests.conftest import instrumented

    config = FleetConfig(
        schedule=Schedule.constant(Scenario.LATENCY_SPIKE), rate=50, time_scale=10, agents=(COMPUTER_USE,)
    )
    fleet = Fleet(config)  # time scale 10: slow calls take 110 s, far past the 60 s this test waits
    with instrumented(real_prices, Settings()):
        fleet.start()

        def in_flight() -> int:
            received = sum(len(server.requests) for server in fleet._servers)
            return received - sum(agent.calls for agent in fleet.tick().agents)

        # The agent's second call is a slow one (seed 0), and the fake provider has it.
        wait_until(lambda: sum(len(server.requests) for server in fleet._servers) >= 2 and in_flight() > 0)
        stopping = threading.Thread(target=fleet.stop)
        stopping.start()
        stopping.join(timeout=60)
        assert not stopping.is_alive()
    assert not any(thread.is_alive() for thread in fleet._threads)


def test_external_provider_gets_server_wide_faults_and_is_restored(real_prices):
    from agent_telemetry import Settings
    from tests.conftest import instrumented

    with FakeProviderServer() as server, instrumented(real_prices, Settings()) as recorded:
        before: dict[str, Any] = server.behaviour.snapshot()
        config = FleetConfig(
            schedule=Schedule.constant(Scenario.RATE_LIMIT_STORM),
            rate=30,
            time_scale=TIME_SCALE,
            provider_url=server.base_url,
        )
        fleet = Fleet(config).start()
        try:
            assert server.behaviour.snapshot()["error_rates"] == {"429": 0.4}
            wait_until(
                lambda: (
                    recorded.value("agent.runs", status="success") > 0
                    and all(
                        agent_value(recorded, "agent.requests.errors", agent, error__type="rate_limit") > 0
                        for agent in AGENTS
                    )
                )
            )
        finally:
            fleet.stop()
        assert server.behaviour.snapshot() == before
    # Server-wide: every agent met rate limits; unscripted replies still make complete runs.
    for agent in AGENTS:
        assert agent_value(recorded, "agent.requests.errors", agent, error__type="rate_limit") > 0, agent
    assert recorded.value("agent.runs", status="success") > 0


def test_bad_deploy_runs_version_2_of_the_research_agent_at_more_cost_and_less_success(run_fleet):
    def runs(recorded, version: str, **attributes: str) -> float:
        return agent_value(recorded, "agent.runs", RESEARCH, gen_ai__agent__version=version, **attributes)

    _, recorded = run_fleet(
        Scenario.BAD_DEPLOY,
        1.5,
        until=lambda r: runs(r, "v2", status="failure") >= 1 and runs(r, "v2") >= 5,
        agents=(RESEARCH,),
        rate=80,
    )
    assert runs(recorded, "v1") == 0  # every run of the scenario is the new version
    assert runs(recorded, "v2", status="failure") >= 1


def test_healthy_runs_are_version_1(run_fleet):
    _, recorded = run_fleet(
        Scenario.NORMAL, 1.0, until=lambda r: agent_value(r, "agent.runs", RESEARCH) >= 2, agents=(RESEARCH,)
    )
    assert {a["gen_ai.agent.version"] for a in recorded.attributes("agent.runs")} == {"v1"}
