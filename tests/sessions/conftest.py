"""Fixtures for session recording: a recording directory in the environment, and hand-made recordings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent_telemetry.core.telemetry import set_active
from agent_telemetry.sessions import retention


def record_into(directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs started without init() from now on are recorded into ``directory``: the environment's
    settings are read once, when the telemetry is made, so the one of an earlier test is dropped."""
    monkeypatch.setenv("AGENT_TELEMETRY_RECORD_DIR", str(directory))
    monkeypatch.delenv("AGENT_TELEMETRY_RECORD_RETENTION_DAYS", raising=False)
    set_active(None)


@pytest.fixture
def record_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Runs in this test are recorded into the returned directory (created by the recorder)."""
    directory = tmp_path / "recordings"
    record_into(directory, monkeypatch)
    retention._reset()  # each test is a "new process" for the once-per-process retention sweep
    yield directory
    retention._reset()
    set_active(None)


@pytest.fixture
def pixels(record_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``record_dir``, with screenshots' pixels kept: content capture on, and screenshots asked for."""
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    monkeypatch.setenv("AGENT_TELEMETRY_RECORD_SCREENSHOTS", "true")
    set_active(None)
    return record_dir


def write_recording(path: Path, events: list[dict[str, Any]], tail: str = "") -> Path:
    """A recording as the recorder writes it, plus ``tail`` (e.g. a line cut off by a crash)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(event) + "\n" for event in events) + tail, encoding="utf-8")
    return path


# The fields of one LLM call event, as the SDK instrumentation reports it to the run.
LLM_CALL: dict[str, Any] = {
    "provider": "anthropic",
    "operation": "chat",
    "model": "claude-sonnet-4-5",
    "duration_s": 0.92,
    "error_type": None,
    "step": True,
    "tokens": {"input": 1200, "output": 85, "cache_read": 1000, "cache_write": 0},
    "cost_usd": 0.0041,
}

# A known run: every kind of event, with round numbers, for exact replay output.
KNOWN_NAME = "20250301T093005Z-support-bot-a1b2c3.jsonl"
KNOWN_EVENTS: list[dict[str, Any]] = [
    {
        "t": 0.0,
        "ts": "2025-03-01T09:30:05.000Z",
        "kind": "run_start",
        "agent": "support-bot",
        "run_id": "a1b2c3",
        "budget": {"max_cost_usd": 0.5, "max_steps": 10},
    },
    {"t": 0.012, "ts": "2025-03-01T09:30:05.012Z", "kind": "llm_call", **LLM_CALL},
    {"t": 0.95, "ts": "2025-03-01T09:30:05.950Z", "kind": "tool_request", "tool": "search"},
    {
        "t": 1.204,
        "ts": "2025-03-01T09:30:06.204Z",
        "kind": "tool",
        "tool": "search",
        "duration_s": 0.25,
        "error": None,
    },
    {"t": 1.31, "ts": "2025-03-01T09:30:06.310Z", "kind": "action_request", "action": "click"},
    {
        "t": 1.4,
        "ts": "2025-03-01T09:30:06.400Z",
        "kind": "action",
        "action": "click",
        "duration_s": 0.1,
        "outcome": "success",
    },
    {
        "t": 1.45,
        "ts": "2025-03-01T09:30:06.450Z",
        "kind": "screenshot",
        "bytes": 86221,
        "image_file": "20250301T093005Z-support-bot-a1b2c3/screenshot-0001.png",
        "image_bytes": 86221,
    },
    {"t": 1.5, "ts": "2025-03-01T09:30:06.500Z", "kind": "action_blocked", "reason": "pending_safety_check"},
    {
        "t": 2.1,
        "ts": "2025-03-01T09:30:07.100Z",
        "kind": "llm_call",
        "provider": "openai",
        "operation": "chat",
        "model": "computer-use-preview",
        "duration_s": 0.3,
        "error_type": "rate_limit",
        "step": True,
        "tokens": None,
        "cost_usd": None,
    },
    {"t": 2.2, "ts": "2025-03-01T09:30:07.200Z", "kind": "quality", "evaluator": "judge", "score": 0.8},
    {
        "t": 2.25,
        "ts": "2025-03-01T09:30:07.250Z",
        "kind": "run_end",
        "status": "success",
        "duration_s": 2.25,
        "steps": 2,
        "tokens": 2285,
        "cost_usd": 0.0041,
        "error": None,
    },
]
