"""The demo's parts without a fleet: scenarios, schedules, models, screenshots, progress output."""

from __future__ import annotations

import struct
import zlib

import pytest

from agent_telemetry.pricing import load_price_book
from agent_telemetry.tooling.demo import progress
from agent_telemetry.tooling.demo.agents import AgentStats
from agent_telemetry.tooling.demo.fleet import Status
from agent_telemetry.tooling.demo.models import ALL_MODELS
from agent_telemetry.tooling.demo.scenarios import (
    AGENTS,
    COMPUTER_USE,
    HEALTHY,
    RESEARCH,
    SUPPORT,
    Phase,
    Scenario,
    Schedule,
    effects,
    format_duration,
    parse_duration,
    parse_schedule,
    target,
)
from agent_telemetry.tooling.demo.screenshots import HEIGHT, WIDTH, screenshot_base64, screenshot_png
from agent_telemetry.usage import Usage


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("30", 30), ("10m", 600), ("1h", 3600), ("1h30m", 5400), ("2m30s", 150), ("0.5s", 0.5)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-5", "10x", "m", "1d", "5 m"])
def test_bad_durations(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_format_duration_round_trips_what_people_type():
    for text in ("30s", "10m", "1h", "1h30m", "2m30s"):
        assert format_duration(parse_duration(text)) == text


def test_schedule_parses_and_cycles():
    schedule = Schedule(parse_schedule("normal:2m, rate-limit-storm:3m,normal:1m"))
    assert schedule.phases == (
        Phase(Scenario.NORMAL, 120),
        Phase(Scenario.RATE_LIMIT_STORM, 180),
        Phase(Scenario.NORMAL, 60),
    )
    assert schedule.describe() == "normal:2m,rate-limit-storm:3m,normal:1m"
    assert schedule.at(0)[:2] == (0, schedule.phases[0])
    assert schedule.at(119.9)[0] == 0
    index, phase, left = schedule.at(130)
    assert (index, phase.scenario, left) == (1, Scenario.RATE_LIMIT_STORM, 170)
    assert schedule.at(300)[0] == 2
    assert schedule.at(360 + 130)[:2] == (1, schedule.phases[1])  # it repeats


@pytest.mark.parametrize(
    ("text", "message"),
    [("normal", "SCENARIO:DURATION"), ("calm:2m", "unknown scenario 'calm'"), ("normal:soon", "duration")],
)
def test_bad_schedules(text, message):
    with pytest.raises(ValueError, match=message):
        parse_schedule(text)


def test_constant_schedule():
    schedule = Schedule.constant(Scenario.LATENCY_SPIKE)
    assert schedule.at(1e9)[1].scenario is Scenario.LATENCY_SPIKE
    assert schedule.describe() == "latency-spike"


def test_each_fault_hits_one_agent_and_leaves_the_others_healthy():
    assert target(Scenario.NORMAL) is None
    assert {scenario: target(scenario) for scenario in Scenario if scenario is not Scenario.NORMAL} == {
        Scenario.RATE_LIMIT_STORM: SUPPORT,
        Scenario.LATENCY_SPIKE: COMPUTER_USE,
        Scenario.COST_SPIKE: RESEARCH,
        Scenario.TOOL_FAILURES: SUPPORT,
        Scenario.QUALITY_DROP: RESEARCH,
        Scenario.RETRY_STORM: SUPPORT,
        Scenario.BAD_DEPLOY: RESEARCH,
        Scenario.RUN_FAILURES: SUPPORT,
        Scenario.SLOW_RUNS: RESEARCH,
        Scenario.EXPENSIVE_RUNS: RESEARCH,
    }
    for scenario in Scenario:
        for agent in AGENTS:
            hit = effects(scenario, agent)
            assert (hit != HEALTHY) == (agent == target(scenario))


def test_models_are_priced_and_not_deprecated():
    from anthropic._data.deprecated_models import DEPRECATED_MODELS

    book = load_price_book()
    for provider, model in ALL_MODELS:
        assert book.cost(provider, model, Usage(input_tokens=1000, output_tokens=100)), model
        assert model not in DEPRECATED_MODELS


def _png_chunks(data: bytes) -> dict[bytes, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = {}, 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks[kind] = body
        position += 12 + length
    return chunks


def test_screenshots_are_valid_deterministic_pngs():
    first = screenshot_png(3)
    chunks = _png_chunks(first)
    assert struct.unpack(">II", chunks[b"IHDR"][:8]) == (WIDTH, HEIGHT)
    assert len(zlib.decompress(chunks[b"IDAT"])) == HEIGHT * (1 + WIDTH * 3)
    assert screenshot_png(3) == first
    assert screenshot_png(4) != first  # the cursor moved
    assert 10_000 < len(first) < 200_000  # weighs like a (small) real screenshot
    assert screenshot_base64(3).startswith("iVBORw0KGgo")


def _status(**overrides) -> Status:
    support = AgentStats(SUPPORT, calls=25, errors=9, tool_calls=10, runs=8)
    support._cost_done = 0.0061
    research = AgentStats(RESEARCH, calls=20, tool_calls=16, runs=4)
    research._cost_done = 12.5
    fields = {
        "elapsed_s": 42.0,
        "phase_index": 1,
        "phase": Phase(Scenario.RATE_LIMIT_STORM, 180),
        "phase_left_s": 138.0,
        "phases": 3,
        "agents": (support, research),
    }
    return Status(**{**fields, **overrides})


def test_status_line():
    assert progress.status_line(_status()) == (
        "[0:42] rate-limit-storm -> support-agent (phase 2/3, 2m18s left)"
        " | support-agent 25 calls 9 err $0.0061"
        " | research-agent 20 calls 0 err $12.50"
        " | total 45 calls 9 err $12.51"
    )
    constant = _status(phase=Phase(Scenario.NORMAL, float("inf")), phases=1, phase_index=0, elapsed_s=3725)
    assert progress.status_line(constant).startswith("[1:02:05] normal | ")


def test_table():
    lines = progress.table(_status())
    assert lines[0] == (
        "agent-telemetry demo  0:42  scenario: rate-limit-storm -> support-agent (phase 2/3, 2m18s left)"
    )
    assert lines[1].split() == ["agent", "calls", "errors", "tools", "tool", "err", "runs", "cost"]
    assert lines[2].split() == ["support-agent", "25", "9", "10", "0", "8", "$0.0061"]
    assert lines[4].split() == ["total", "45", "9", "26", "0", "12", "$12.51"]
    assert len({len(line) for line in lines[1:]}) == 1  # aligned columns


class _Out:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def test_progress_writes_lines_when_not_a_terminal():
    out = _Out()
    display = progress.Progress(out)  # type: ignore[arg-type]
    display.update(_status())
    display.update(_status())
    display.summary(_status(), "Ctrl-C")
    lines = out.text.splitlines()
    assert lines[0].startswith("[0:42] rate-limit-storm") and lines[1] == lines[0]
    assert lines[2] == "agent-telemetry demo: stopped after 0:42 (Ctrl-C)"
    assert "\x1b" not in out.text


def test_progress_redraws_the_table_in_place_on_a_terminal():
    out = _Out()
    display = progress.Progress(out, live=True)  # type: ignore[arg-type]
    display.update(_status())
    assert not out.text.startswith("\x1b")
    first = len(out.text)
    display.update(_status())
    assert out.text[first:].startswith("\x1b[5F\x1b[J")  # up over the 5 lines drawn, clear, redraw
    display.summary(_status(), "Ctrl-C")
    assert "stopped after 0:42 (Ctrl-C)" in out.text
