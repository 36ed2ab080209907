"""Scenarios (what goes wrong, and for which agent), durations and schedules.

Each fault scenario hits exactly one agent, so that its alert fires for that agent only and the others
show what healthy looks like next to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

SUPPORT = "support-agent"
RESEARCH = "research-agent"
COMPUTER_USE = "computer-use-agent"
AGENTS: tuple[str, ...] = (SUPPORT, RESEARCH, COMPUTER_USE)


class Scenario(str, Enum):
    NORMAL = "normal"
    RATE_LIMIT_STORM = "rate-limit-storm"
    LATENCY_SPIKE = "latency-spike"
    COST_SPIKE = "cost-spike"
    TOOL_FAILURES = "tool-failures"
    QUALITY_DROP = "quality-drop"
    RETRY_STORM = "retry-storm"
    BAD_DEPLOY = "bad-deploy"
    RUN_FAILURES = "run-failures"
    SLOW_RUNS = "slow-runs"
    EXPENSIVE_RUNS = "expensive-runs"


@dataclass(frozen=True)
class Effects:
    """What the current scenario does to one agent. The default is healthy traffic."""

    rate_limit_share: float = 0.0  # share of LLM calls answered with HTTP 429
    # Share of LLM calls whose first SDK_RETRIES attempts get HTTP 429 and whose last one succeeds: the
    # agent's client retries (max_retries=SDK_RETRIES), so every call succeeds, only later.
    retried_rate_limit_share: float = 0.0
    slow_share: float = 0.0  # share of LLM calls delayed by SLOW_CALL_S (times the time scale)
    tool_failure_share: float = 0.0  # share of executions of the agent's flaky tool that raise
    quality_drop: bool = False  # the LLM judge scores the agent's answers lower
    runaway: bool = False  # expensive model and a loop that does not stop: the cost spike
    # The agent's version (gen_ai_agent_version). The bad deploy's v2 uses BAD_DEPLOY_COST_FACTOR times
    # the tokens per run and fails BAD_DEPLOY_FAILURE_SHARE of its runs: what `compare` must catch.
    version: str = "v1"
    run_failure_share: float = 0.0  # share of runs whose result fails the agent's own check: status failure
    run_stall_s: float = 0.0  # each run first waits this long (times the time scale) on a slow backend
    expensive_runs: bool = False  # premium models and whole documents in context: over 1 USD a run


HEALTHY = Effects()
BAD_DEPLOY_VERSION = "v2"
BAD_DEPLOY_COST_FACTOR = 1.4
BAD_DEPLOY_FAILURE_SHARE = 0.1
SDK_RETRIES = 2  # the SDKs' default max_retries, which the retry-storm turns on
# 11 s: above the 10 s P95 threshold, and above the 10 s bucket boundary it is measured against.
SLOW_CALL_S = 11.0
# 130 s: above the 120 s P95 run completion time threshold, which reads a bucket boundary at 120 s.
SLOW_RUN_S = 130.0

# Which agent each fault scenario hits, and how. The shares are well above the alert ratios in
# prometheus/thresholds.yaml (rate limits 10%, tool errors 10%, P95 needs > 5% slow calls), so the
# alerts fire soon after the window fills, yet most calls still succeed, as in a real incident.
_FAULTS: dict[Scenario, tuple[str, Effects]] = {
    Scenario.RATE_LIMIT_STORM: (SUPPORT, Effects(rate_limit_share=0.4)),
    Scenario.LATENCY_SPIKE: (COMPUTER_USE, Effects(slow_share=0.25)),
    Scenario.COST_SPIKE: (RESEARCH, Effects(runaway=True)),
    Scenario.TOOL_FAILURES: (SUPPORT, Effects(tool_failure_share=0.45)),
    Scenario.QUALITY_DROP: (RESEARCH, Effects(quality_drop=True)),
    Scenario.RETRY_STORM: (SUPPORT, Effects(retried_rate_limit_share=0.4)),
    Scenario.BAD_DEPLOY: (RESEARCH, Effects(version=BAD_DEPLOY_VERSION)),
    # Half the tickets end unresolved: the run success rate (90% threshold) falls to about 50%.
    Scenario.RUN_FAILURES: (SUPPORT, Effects(run_failure_share=0.5)),
    Scenario.SLOW_RUNS: (RESEARCH, Effects(run_stall_s=SLOW_RUN_S)),
    Scenario.EXPENSIVE_RUNS: (RESEARCH, Effects(expensive_runs=True)),
}


def target(scenario: Scenario) -> str | None:
    """The agent a scenario hits; None for normal traffic."""
    fault = _FAULTS.get(scenario)
    return fault[0] if fault else None


def effects(scenario: Scenario, agent: str) -> Effects:
    fault = _FAULTS.get(scenario)
    if fault is None or fault[0] != agent:
        return HEALTHY
    return fault[1]


_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")


def parse_duration(text: str) -> float:
    """``"90"`` or ``"90s"``, ``"10m"``, ``"1h"``, ``"1h30m"``, ``"2m30s"`` -> seconds (> 0)."""
    value = text.strip().lower()
    seconds: float | None = None
    try:
        seconds = float(value)
    except ValueError:
        match = _DURATION.fullmatch(value)
        if value and match and any(match.groups()):
            hours, minutes, secs = (float(group or 0) for group in match.groups())
            seconds = hours * 3600 + minutes * 60 + secs
    if seconds is None or not seconds > 0:
        raise ValueError(f"expected a duration such as 30s, 10m, 1h30m; got {text!r}")
    return seconds


@dataclass(frozen=True)
class Phase:
    scenario: Scenario
    seconds: float


def parse_schedule(text: str) -> tuple[Phase, ...]:
    """``"normal:2m,rate-limit-storm:3m,normal:2m"`` -> phases."""
    phases = []
    for item in text.split(","):
        name, sep, duration = item.strip().partition(":")
        if not sep:
            raise ValueError(f"schedule item {item.strip()!r}: expected SCENARIO:DURATION, e.g. normal:2m")
        try:
            scenario = Scenario(name.strip())
        except ValueError:
            known = ", ".join(s.value for s in Scenario)
            raise ValueError(f"unknown scenario {name.strip()!r} (known: {known})") from None
        phases.append(Phase(scenario, parse_duration(duration)))
    if not phases:
        raise ValueError("the schedule is empty")
    return tuple(phases)


class Schedule:
    """The scenario at each moment: phases in order, repeated until the demo stops."""

    def __init__(self, phases: tuple[Phase, ...]) -> None:
        if not phases:
            raise ValueError("a schedule needs at least one phase")
        self.phases = phases
        self.cycle_s = sum(phase.seconds for phase in phases)

    @classmethod
    def constant(cls, scenario: Scenario) -> Schedule:
        return cls((Phase(scenario, float("inf")),))

    def at(self, elapsed_s: float) -> tuple[int, Phase, float]:
        """(phase index, phase, seconds left in it) at ``elapsed_s`` since the start."""
        offset = elapsed_s % self.cycle_s if self.cycle_s != float("inf") else elapsed_s
        for index, phase in enumerate(self.phases):
            if offset < phase.seconds:
                return index, phase, phase.seconds - offset
            offset -= phase.seconds
        return len(self.phases) - 1, self.phases[-1], 0.0  # float rounding at the very end of a cycle

    def describe(self) -> str:
        if len(self.phases) == 1 and self.phases[0].seconds == float("inf"):
            return self.phases[0].scenario.value
        return ",".join(f"{p.scenario.value}:{format_duration(p.seconds)}" for p in self.phases)


def format_duration(seconds: float) -> str:
    """Compact and exact for the durations people type: 90 -> 1m30s, 3600 -> 1h, 2.5 -> 2.5s."""
    if seconds == float("inf"):
        return "∞"
    if seconds < 60:
        return f"{seconds:g}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs else ""]
    return "".join(parts) or "0s"
