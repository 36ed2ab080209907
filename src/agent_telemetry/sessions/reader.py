"""Reading recordings back: tolerant of a crash mid-write, never a traceback for a damaged file.

Reading stops at the first line that is not an event and says so in ``problem``; the events before it
are kept, which is exactly what a run that crashed (or is still running) leaves behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_telemetry.sessions import naming

INCOMPLETE = "incomplete"  # no run_end: the process crashed, or the run is still going


@dataclass(frozen=True)
class RecordingSummary:
    path: Path
    agent: str | None
    run_id: str | None
    started: str | None  # ISO 8601 UTC, from run_start (else from the file name)
    status: str  # the run's status, or "incomplete"
    duration_s: float | None
    steps: int | None
    cost_usd: float | None
    events: int
    problem: str | None = None


@dataclass
class Recording:
    path: Path
    events: list[dict[str, Any]]
    summary: RecordingSummary
    problem: str | None = None  # what is wrong with the file, if anything


def read_recording(path: str | Path) -> Recording:
    """Read one recording; ``OSError`` (e.g. ``FileNotFoundError``) if it cannot be opened at all."""
    path = Path(path)
    text = path.read_bytes().decode("utf-8", errors="replace")
    events: list[dict[str, Any]] = []
    problem: str | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            problem = f"line {number} is not valid JSON"
        else:
            if isinstance(event, dict) and isinstance(event.get("kind"), str):
                events.append(event)
                continue
            problem = f"line {number} is not a recorded event"
        shown = f"{len(events)} event{'' if len(events) == 1 else 's'}"
        problem = f"{path.name}: {problem}; showing the {shown} before it"
        break
    return Recording(path, events, summarize(path, events, problem), problem)


def list_recordings(directory: str | Path) -> list[RecordingSummary]:
    """Summaries of the recordings in ``directory``, newest first; ``OSError`` if it is not a directory."""
    directory = Path(directory)
    summaries: list[RecordingSummary] = []
    for path in directory.iterdir():
        if not (naming.is_run_file(path) and path.is_file()):
            continue
        try:
            summary = read_recording(path).summary
        except OSError as exc:
            # Deleted or unreadable while listing: show it rather than lose the whole listing.
            summary = summarize(path, [], f"{path.name}: cannot be read ({exc.strerror or exc})")
        summaries.append(summary)
    return sorted(summaries, key=lambda s: (s.started or "", s.path.name), reverse=True)


def summarize(path: Path, events: list[dict[str, Any]], problem: str | None = None) -> RecordingSummary:
    start = next((e for e in events if e.get("kind") == "run_start"), {})
    end = next((e for e in reversed(events) if e.get("kind") == "run_end"), None)
    started = start.get("ts") if isinstance(start.get("ts"), str) else None
    if started is None and (from_name := naming.started_from_name(path)) is not None:
        started = from_name.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if end is not None:
        status = str(end.get("status") or INCOMPLETE)
        duration, steps, cost = (_number(end.get(key)) for key in ("duration_s", "steps", "cost_usd"))
    else:
        # What the run had done when the recording stops, from its calls.
        status = INCOMPLETE
        calls = [e for e in events if e.get("kind") == "llm_call"]
        duration = _number(events[-1].get("t")) if events else None
        steps = sum(1 for e in calls if e.get("step") is True)
        cost = sum(c for e in calls if (c := _number(e.get("cost_usd"))) is not None)
    return RecordingSummary(
        path=path,
        agent=_text(start.get("agent")),
        run_id=_text(start.get("run_id")),
        started=started,
        status=status,
        duration_s=duration,
        steps=int(steps) if steps is not None else None,
        cost_usd=cost,
        events=len(events),
        problem=problem,
    )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
