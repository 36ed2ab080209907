"""The demo fleet, run in-process for a moment with both SDKs instrumented into in-memory exporters."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent_telemetry import Settings
from agent_telemetry.tooling.demo.fleet import Fleet, FleetConfig, Status
from agent_telemetry.tooling.demo.scenarios import Scenario, Schedule
from tests.conftest import Recorded, instrumented
from tests.support import waiting

# Fast enough for a test: the latency spike's 11 s calls take 0.33 s, tool and action pauses shrink too.
TIME_SCALE = 0.03
RATE = 40.0  # LLM calls per second, per test fleet
# How long a test waits for the evidence it needs: generous, it is only reached when something is wrong.
UNTIL_BOUND_S = 120.0


@pytest.fixture
def real_prices(tmp_path: Path) -> str:
    """An empty override file: every cost comes from the genai-prices snapshot, as in the demo."""
    path = tmp_path / "prices.yaml"
    path.write_text("models: []\n")
    return str(path)


@pytest.fixture
def run_fleet(real_prices: str) -> Iterator[Callable[..., tuple[Status, Recorded]]]:
    """``run_fleet(scenario_or_schedule, seconds, until=..., agents=(...))`` -> (final status, what was
    recorded). The fleet runs at least ``seconds`` of its own time, and on until ``until(recorded)``
    holds: a slow machine gets the same evidence later, not less of it. ``UNTIL_BOUND_S`` bounds that."""
    with contextlib.ExitStack() as stack:

        def run(
            what: Scenario | Schedule,
            seconds: float,
            *,
            until: Callable[[Recorded], bool] | None = None,
            agents: tuple[str, ...] | None = None,
            rate: float = RATE,
            seed: int = 1,
        ) -> tuple[Status, Recorded]:
            recorded = stack.enter_context(instrumented(real_prices, Settings()))
            schedule = what if isinstance(what, Schedule) else Schedule.constant(what)
            config = FleetConfig(schedule=schedule, rate=rate, seed=seed, time_scale=TIME_SCALE)
            if agents is not None:
                config.agents = agents
            fleet = Fleet(config).start()
            try:
                wait_until(lambda: fleet.tick().elapsed_s >= seconds and (until is None or until(recorded)))
            finally:
                fleet.stop()
            return fleet.tick(), recorded

        yield run


def wait_until(condition: Callable[[], bool], bound_s: float = UNTIL_BOUND_S) -> None:
    """Checks ``condition`` a few times a second until it holds; fails after ``bound_s``."""
    waiting.wait_until(condition, f"the condition did not hold within {bound_s:g} s", bound_s, poll_s=0.1)
