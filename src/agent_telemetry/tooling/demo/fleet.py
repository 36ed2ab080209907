"""The fleet: a fake provider per agent, one thread per agent, the schedule, and a clean stop.

One in-process fake server per agent makes scripted replies and faults per agent (the server's reply
queue and ``Behaviour`` are server-wide). With ``provider_url`` (an external ``agent-telemetry
fake-provider``) nothing can be scripted: replies are the server's defaults (no tool calls or computer
actions), and the rate-limit storm and latency spike are set server-wide through its admin endpoint,
so they hit every agent.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol

from agent_telemetry.tooling.demo.agents import AGENT_CLASSES, Agent, AgentContext, AgentStats, Link
from agent_telemetry.tooling.demo.scenarios import (
    AGENTS,
    COMPUTER_USE,
    RESEARCH,
    SLOW_CALL_S,
    SUPPORT,
    Effects,
    Phase,
    Scenario,
    Schedule,
    effects,
    format_duration,
    target,
)
from agent_telemetry.tooling.fake_provider import Behaviour, FakeProviderServer

logger = logging.getLogger("agent_telemetry.tooling.demo")

DEFAULT_RATE = 1.5  # LLM calls per second, whole fleet
# Each agent's share of --rate. At the default rate, normal traffic costs about 1 USD/h per agent,
# so a demo left running for a day stays below 80% of the default 50 USD daily budget.
SHARES: dict[str, float] = {SUPPORT: 0.4, RESEARCH: 0.33, COMPUTER_USE: 0.27}
_TICK_S = 0.2  # how often the schedule moves on and the stop flags are read
STOP_GRACE_S = 1.0  # in-flight calls get this long to finish before the fake servers cut them off


@dataclass
class FleetConfig:
    schedule: Schedule = field(default_factory=lambda: Schedule.constant(Scenario.NORMAL))
    rate: float = DEFAULT_RATE
    seed: int = 0
    time_scale: float = 1.0
    provider_url: str | None = None
    agents: tuple[str, ...] = AGENTS

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError("rate must be > 0")
        if not self.time_scale > 0:
            raise ValueError("time_scale must be > 0")
        unknown = set(self.agents) - set(AGENT_CLASSES)
        if unknown:
            raise ValueError(f"unknown agents: {sorted(unknown)}")


@dataclass(frozen=True)
class Status:
    """What the progress display shows."""

    elapsed_s: float
    phase_index: int
    phase: Phase
    phase_left_s: float
    phases: int
    agents: tuple[AgentStats, ...]


class Fleet:
    def __init__(self, config: FleetConfig) -> None:
        self.config = config
        self.stop_event = threading.Event()
        self._servers: list[FakeProviderServer] = []
        self._agents: list[Agent] = []
        self._threads: list[threading.Thread] = []
        self._start = 0.0
        self._phase_index, self._phase, _ = config.schedule.at(0.0)
        self._external_behaviour: dict[str, Any] | None = None  # to restore on stop

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> Fleet:
        config = self.config
        total_share = sum(SHARES[name] for name in config.agents)
        if config.provider_url:
            try:
                self._external_behaviour = _admin(config.provider_url, "GET")
            except OSError as error:
                raise OSError(f"no fake provider answers at {config.provider_url}: {error}") from error
        for index, name in enumerate(config.agents):
            link = self._link(name, index)
            context = AgentContext(
                name=name,
                link=link,
                rate=config.rate * SHARES[name] / total_share,
                seed=config.seed,
                stop=self.stop_event,
                effects=lambda name=name: self.effects(name),  # type: ignore[misc]
                time_scale=config.time_scale,
            )
            self._agents.append(AGENT_CLASSES[name](context))
        self._start = time.monotonic()
        self._apply_external_faults()
        for agent in self._agents:
            thread = threading.Thread(target=agent.run_forever, name=f"demo-{agent.name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _link(self, name: str, index: int) -> Link:
        if self.config.provider_url:
            url = self.config.provider_url.rstrip("/")
            return Link(openai_base_url=f"{url}/v1", anthropic_base_url=url)
        # The server's own Behaviour is unused (every reply is scripted) but seeded all the same.
        server = FakeProviderServer(behaviour=Behaviour(seed=self.config.seed + index)).start()
        _quiet_connection_resets(server)
        self._servers.append(server)
        return Link.to(server)

    def stop(self) -> None:
        """Stop the agents: in-flight calls get STOP_GRACE_S to finish, then the fake servers cut them."""
        self.stop_event.set()
        deadline = time.monotonic() + STOP_GRACE_S
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for server in self._servers:
            server.stop()  # ends slow replies at once; those calls fail and their agents exit
        for thread in self._threads:
            thread.join(5.0)
        for agent in self._agents:
            agent.close()
        self._servers.clear()
        if self.config.provider_url and self._external_behaviour is not None:
            try:
                _admin(self.config.provider_url, "POST", self._external_behaviour)
            except OSError as error:
                logger.warning("demo: could not restore the fake provider's behaviour: %s", error)
            self._external_behaviour = None

    # -- scenario -------------------------------------------------------------------------------------
    @property
    def scenario(self) -> Scenario:
        return self._phase.scenario

    def effects(self, agent: str) -> Effects:
        return effects(self._phase.scenario, agent)

    def tick(self) -> Status:
        """Move the schedule on to now; returns the status for the display."""
        elapsed = time.monotonic() - self._start
        index, phase, left = self.config.schedule.at(elapsed)
        if (index, phase) != (self._phase_index, self._phase):
            changed = phase.scenario != self._phase.scenario
            self._phase_index, self._phase = index, phase
            if changed:
                self._apply_external_faults()
        return Status(
            elapsed_s=elapsed,
            phase_index=index,
            phase=phase,
            phase_left_s=left,
            phases=len(self.config.schedule.phases),
            agents=tuple(agent.stats for agent in self._agents),
        )

    def _apply_external_faults(self) -> None:
        """Against an external server, faults are its Behaviour: server-wide, for every agent."""
        url = self.config.provider_url
        if not url:
            return
        hit = effects(self.scenario, target(self.scenario) or "")
        # Behaviour latency is a base plus uniform jitter: jitter J gives P(delay > SLOW_CALL_S) =
        # 1 - SLOW_CALL_S / J, i.e. the scenario's share of slow calls.
        jitter = SLOW_CALL_S / (1 - hit.slow_share) * self.config.time_scale if hit.slow_share else 0.0
        # The retry-storm's 429s: the support agent's SDK client retries them (max_retries=2).
        limited = hit.rate_limit_share or hit.retried_rate_limit_share
        payload = {
            "error_rates": {"429": limited} if limited else {},
            "latency_s": 0.0,
            "latency_jitter_s": jitter,
        }
        try:
            _admin(url, "POST", payload)
        except OSError as error:
            logger.warning("demo: could not set the fake provider's behaviour: %s", error)


def _quiet_connection_resets(server: FakeProviderServer) -> None:
    """Keep the fake server from printing a traceback when a client resets an idle keep-alive connection.

    The sync openai SDK closes a stream's connection right after ``[DONE]`` without reading the
    chunked terminator, so the socket is reset under the server's next ``readline``; socketserver
    then prints the ConnectionResetError to stderr, in the middle of the demo's display. Real servers
    ignore that; so do we, for our own in-process servers only, until the fake provider does itself.
    """
    httpd = getattr(server, "_httpd", None)
    if httpd is None:
        return
    report = httpd.handle_error

    def handle_error(request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            report(request, client_address)

    httpd.handle_error = handle_error


def _admin(base_url: str, method: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/_admin/behaviour",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


class Stop(Protocol):
    """What ``drive`` waits on between ticks: a ``threading.Event``, or a ``SignalStop`` (SIGTERM)."""

    def wait(self, timeout: float) -> bool: ...


class ProgressSink(Protocol):
    def update(self, status: Status) -> None: ...
    def summary(self, status: Status, reason: str) -> None: ...


def drive(
    fleet: Fleet,
    *,
    duration_s: float | None,
    interval_s: float,
    stop: Stop,
    progress: ProgressSink,
) -> tuple[Status, str]:
    """Run ``fleet`` until ``duration_s``, ``stop`` (SIGTERM) or Ctrl-C; show progress; stop it cleanly.

    Returns the final status and why the demo stopped (also shown in the summary).
    """
    fleet.start()
    reason = "Ctrl-C"
    try:
        next_update = time.monotonic() + min(interval_s, 1.0)  # a first sign of life soon
        while True:
            status = fleet.tick()
            if duration_s is not None and status.elapsed_s >= duration_s:
                reason = f"--duration {format_duration(duration_s)} reached"
                break
            if stop.wait(_TICK_S):
                reason = "stopped"
                break
            if time.monotonic() >= next_update:
                progress.update(status)
                next_update = time.monotonic() + interval_s
    except KeyboardInterrupt:
        reason = "Ctrl-C"
    finally:
        fleet.stop()
    status = fleet.tick()
    progress.summary(status, reason)
    return status, reason
