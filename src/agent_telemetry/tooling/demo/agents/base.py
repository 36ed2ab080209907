"""What every demo agent shares: its provider link, pacing, scripted replies with faults, stats, the judge.

An agent is a loop of tasks in its own thread; each task is one ``agent_run``. Before each LLM call
the agent scripts the fake provider's answer (tool calls, computer actions, token usage) and lays the
current scenario's faults over it (a 429 instead, or an 11 s delay). This is only possible because
each agent has a fake server of its own: the reply queue is per server, and a shared one would hand
one agent's scripted reply to another agent's request.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from agent_telemetry import agent_run, record_quality
from agent_telemetry.agents.runs import Run
from agent_telemetry.tooling.demo.scenarios import SDK_RETRIES, SLOW_CALL_S, Effects
from agent_telemetry.tooling.fake_provider import FakeProviderServer, Provider, Reply, TokenUsage

logger = logging.getLogger("agent_telemetry.tooling.demo")

T = TypeVar("T")

EVALUATOR = "llm-judge"
MAX_ATTEMPTS = 3  # per LLM call: the first try and two retries after a rate limit
RETRY_AFTER_S = 1.0  # what the fake 429s ask for (retry-after header); the agent honours it
QUALITY_DROP = 0.35  # how far the judge's mean falls in the quality-drop scenario


class Stopping(Exception):
    """The demo is stopping: unwinds an agent's task from wherever it waits."""


@dataclass
class Link:
    """Where an agent's calls go. With ``server`` (ours, in-process) replies can be scripted."""

    openai_base_url: str
    anthropic_base_url: str
    server: FakeProviderServer | None = None

    @classmethod
    def to(cls, server: FakeProviderServer) -> Link:
        return cls(server.openai_base_url, server.anthropic_base_url, server)

    @property
    def scripted(self) -> bool:
        return self.server is not None

    def script(self, reply: Reply, provider: Provider) -> None:
        if self.server is not None:
            self.server.enqueue(reply, provider=provider)


@dataclass
class AgentStats:
    """Counters for the progress display; written by the agent's thread, read by the display's."""

    name: str
    calls: int = 0
    errors: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    runs: int = 0
    failed_runs: int = 0
    models: set[str] = field(default_factory=set)
    _cost_done: float = 0.0
    _current: Run | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for key, value in counts.items():
                setattr(self, key, getattr(self, key) + value)

    def run_started(self, run: Run) -> None:
        with self._lock:
            self._current = run

    def run_ended(self, run: Run, *, failed: bool) -> None:
        with self._lock:
            self._current = None
            self._cost_done += run.cost_usd  # computed by agent-telemetry from the scripted usage
            self.runs += 1
            self.failed_runs += int(failed)

    @property
    def cost_usd(self) -> float:
        with self._lock:
            return self._cost_done + (self._current.cost_usd if self._current is not None else 0.0)


class Pacer:
    """Spaces an agent's LLM calls ``1 / rate`` seconds apart; slow calls make it late, not bursty."""

    def __init__(self, rate: float, stop: threading.Event) -> None:
        self.interval = 1.0 / rate
        self.stop = stop
        self._next = time.monotonic()

    def wait(self, speedup: float = 1.0) -> None:
        now = time.monotonic()
        delay = self._next - now
        if delay > 0 and self.stop.wait(delay):
            raise Stopping
        if self.stop.is_set():
            raise Stopping
        self._next = max(self._next, now) + self.interval / speedup


@dataclass
class AgentContext:
    """Everything an agent gets from the fleet."""

    name: str
    link: Link
    rate: float  # LLM calls per second
    seed: int
    stop: threading.Event
    effects: Callable[[], Effects]  # the current scenario's effects on this agent
    time_scale: float = 1.0  # multiplies every deliberate wait: slow replies, backoff, tool and action time
    stats: AgentStats = field(init=False)

    def __post_init__(self) -> None:
        self.stats = AgentStats(self.name)


class Agent:
    """The base of the three demo agents: subclasses implement ``task`` (one run) and ``close``."""

    name = "agent"
    judge_mean = 0.8

    def __init__(self, context: AgentContext) -> None:
        self.context = context
        self.stats = context.stats
        # Per-agent seeds: agents do not share a random stream, so one agent's pace never changes
        # another's draws. Faults draw from their own stream, so switching scenarios does not change
        # the content of the conversations.
        self.rng = random.Random(f"{context.seed}:{self.name}")
        self.fault_rng = random.Random(f"{context.seed}:{self.name}:faults")
        # Run-level faults draw from a stream of their own, once per run: the call-level stream above
        # stays exactly as it was, whatever the run-level scenarios.
        self.run_fault_rng = random.Random(f"{context.seed}:{self.name}:run-faults")
        self.pacer = Pacer(context.rate, context.stop)
        self._reported_bug = False
        # How many retries the SDK client of the next call may take (max_retries): 0 but in the
        # retry-storm, whose 429s the SDK absorbs. Agents that support that scenario read it in send().
        self.sdk_retries = 0

    # -- the loop -------------------------------------------------------------------------------------
    def run_forever(self) -> None:
        """Tasks until the demo stops. The fleet closes the clients afterwards, once the fake servers
        have stopped: closing a keep-alive connection under a server handler makes it log a reset."""
        while not self.context.stop.is_set():
            try:
                self.task()
            except Stopping:
                break
            except Exception as error:
                # A task that failed has been recorded as a failed run; the agent takes the next one.
                # Anything other than the provider errors we expect is a demo bug: say so once.
                if not self._reported_bug and not _is_provider_error(error):
                    self._reported_bug = True
                    logger.exception("demo agent %s: unexpected error in a task", self.name)

    def task(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Close the SDK clients."""

    # -- helpers for tasks ------------------------------------------------------------------------------
    @property
    def effects(self) -> Effects:
        return self.context.effects()

    @contextlib.contextmanager
    def run(self, *, max_cost_usd: float | None = None, max_steps: int | None = None) -> Iterator[Run]:
        """One task as an ``agent_run``; stopping the demo marks it ``cancelled``, not failed."""
        failed = True
        effects = self.effects  # decided per run: a run started healthy stays healthy
        with agent_run(
            self.name, max_cost_usd=max_cost_usd, max_steps=max_steps, version=effects.version
        ) as run:
            self.stats.run_started(run)
            try:
                if effects.run_stall_s:
                    self.sleep(effects.run_stall_s)  # the slow-runs scenario: waiting on a slow backend
                yield run
                rejected = self.run_fault_rng.random() < effects.run_failure_share
                if rejected and run.status in (None, "success"):
                    run.status = "failure"  # the run-failures scenario: the result fails the agent's check
                failed = run.status not in (None, "success")
            except Stopping:
                run.status = "cancelled"
                failed = False
                raise
            finally:
                self.stats.run_ended(run, failed=failed)

    def sleep(self, seconds: float) -> None:
        """A deliberate wait (scaled by the time scale) that ends early when the demo stops."""
        if self.context.stop.wait(seconds * self.context.time_scale):
            raise Stopping

    def usage(self, provider: Provider, uncached: int, output: int, cached: int = 0) -> TokenUsage:
        """Scripted usage with ±20% jitter (real conversations vary), in ``provider``'s own fields."""

        def jitter(n: int) -> int:
            return max(1, int(n * self.rng.uniform(0.8, 1.2))) if n else 0

        uncached, output, cached = jitter(uncached), jitter(output), jitter(cached)
        # OpenAI's input count includes its cached tokens; Anthropic's excludes them.
        total_input = uncached + cached if provider == "openai" else uncached
        return TokenUsage(input_tokens=total_input, output_tokens=output, cached_tokens=cached)

    def llm(self, provider: Provider, model: str, reply: Reply, send: Callable[[], T]) -> T:
        """Make one LLM call: pace, script ``reply`` (with the scenario's faults), send, count.

        A rate-limited call is retried by the agent after the server's retry-after, up to MAX_ATTEMPTS;
        each attempt is a call of its own for the provider and for agent-telemetry. The SDK's own retries
        are off (every HTTP request consumes one scripted reply), but in the retry-storm: there the
        scripted 429s come before the reply and the SDK (``sdk_retries``) absorbs them within one call.
        """
        self.stats.models.add(model)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            effects = self.effects
            self.pacer.wait(2.0 if effects.runaway else 1.0)  # a runaway loop has no think time
            self.sdk_retries = SDK_RETRIES if effects.retried_rate_limit_share else 0
            for scripted in self._with_faults(reply, effects):
                self.context.link.script(scripted, provider)
            try:
                result = send()
            except Exception as error:
                if self.context.stop.is_set():
                    raise Stopping from error  # the fake server was stopped under an in-flight call
                self.stats.add(calls=1, errors=1)
                if attempt == MAX_ATTEMPTS or type(error).__name__ != "RateLimitError":
                    raise
                self.sleep(RETRY_AFTER_S)
                continue
            self.stats.add(calls=1)
            return result
        raise AssertionError("unreachable")

    def _with_faults(self, reply: Reply, effects: Effects) -> list[Reply]:
        """The replies to script for one call: one per HTTP request it will make."""
        # Two draws every call, whatever the scenario: the fault stream stays aligned across scenarios.
        # The rate-limit scenarios share the first draw (only one of them is ever on).
        draw = self.fault_rng.random()
        slow = self.fault_rng.random() < effects.slow_share
        if draw < effects.rate_limit_share:
            return [Reply.fail(429, retry_after=RETRY_AFTER_S)]
        if draw < effects.retried_rate_limit_share:
            # The SDK sleeps for the retry-after itself: scale it here like the agent's own waits.
            limited = Reply.fail(429, retry_after=max(RETRY_AFTER_S * self.context.time_scale, 0.001))
            return [limited] * SDK_RETRIES + [reply]
        if slow:
            return [dataclasses.replace(reply, delay_s=SLOW_CALL_S * self.context.time_scale)]
        return [reply]

    def tool_fails(self) -> bool:
        """Whether this execution of the agent's flaky tool fails (the tool-failures scenario)."""
        return self.fault_rng.random() < self.effects.tool_failure_share

    def judge(self, run: Run, *, mean: float) -> float:
        """A stand-in "LLM judge": a score around ``mean`` (much lower in the quality-drop scenario)."""
        if self.effects.quality_drop:
            mean -= QUALITY_DROP
        # A Beta distribution with this mean: scores stay in [0, 1] and cluster like real judge scores.
        concentration = 20.0
        score = self.rng.betavariate(mean * concentration, (1 - mean) * concentration)
        record_quality(score, evaluator=EVALUATOR, run=run)
        return score

    def run_tool(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, bool]:
        """Execute a tool; a failure becomes an error message for the model, as agents usually do."""
        try:
            result = function(*args, **kwargs)
        except ToolFailure as error:
            self.stats.add(tool_calls=1, tool_errors=1)
            return f"error: {error}", False
        self.stats.add(tool_calls=1)
        return str(result), True


class ToolFailure(Exception):
    """The base of the demo tools' failures; the subclass name becomes agent_tools_errors' error_type."""


def _is_provider_error(error: BaseException) -> bool:
    module = type(error).__module__.split(".")[0]
    return module in ("openai", "anthropic") or type(error).__name__ == "BudgetExceededError"
