"""Comparisons over session recordings, offline: two sets of runs, or two runs side by side."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_telemetry.compare.model import Side
from agent_telemetry.compare.stats import Distribution
from agent_telemetry.sessions import naming
from agent_telemetry.sessions.reader import INCOMPLETE, Recording, read_recording


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def read_directory(directory: str | Path) -> list[Recording]:
    """Every recording in ``directory``; ``OSError`` if it is not one."""
    directory = Path(directory)
    paths = sorted(p for p in directory.iterdir() if naming.is_run_file(p) and p.is_file())
    return [read_recording(path) for path in paths]


def side_of(label: str, recordings: list[Recording]) -> Side:
    """The finished runs of ``recordings`` as one side (runs still going, or crashed, are left out)."""
    runs: dict[str, float] = {}
    durations, costs, tokens, steps, quality, call_durations = [], [], [], [], [], []
    tool_calls = calls = 0.0
    call_errors: dict[str, float] = {}
    tool_errors: dict[str, float] = {}
    for recording in recordings:
        end = next((e for e in reversed(recording.events) if e.get("kind") == "run_end"), None)
        if end is None or recording.summary.status == INCOMPLETE:
            continue
        runs[recording.summary.status] = runs.get(recording.summary.status, 0.0) + 1
        for values, key in (
            (durations, "duration_s"),
            (costs, "cost_usd"),
            (tokens, "tokens"),
            (steps, "steps"),
        ):
            if (value := _number(end.get(key))) is not None:
                values.append(value)
        for event in recording.events:
            kind = event.get("kind")
            if kind == "tool":
                tool_calls += 1
                if (error := event.get("error")) is not None:
                    tool_errors[str(error)] = tool_errors.get(str(error), 0.0) + 1
            elif kind == "quality" and (score := _number(event.get("score"))) is not None:
                quality.append(score)
            elif kind == "llm_call":
                calls += 1
                if (duration := _number(event.get("duration_s"))) is not None:
                    call_durations.append(duration)
                if isinstance(error := event.get("error_type"), str):
                    call_errors[error] = call_errors.get(error, 0.0) + 1
    return Side(
        label,
        runs_by_status=runs,
        run_duration=Distribution.of_values(durations),
        run_cost=Distribution.of_values(costs),
        run_tokens=Distribution.of_values(tokens),
        run_steps=Distribution.of_values(steps),
        quality=Distribution.of_values(quality),
        tool_calls=tool_calls,
        tool_errors_by_type=tool_errors,
        call_duration=Distribution.of_values(call_durations),
        calls=calls,
        call_errors_by_type=call_errors,
    )


# -- Two runs side by side ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RunFacts:
    path: Path
    agent: str | None
    version: str | None
    status: str
    duration_s: float | None
    steps: int | None
    llm_calls: int
    tool_calls: int
    tool_errors: int
    tokens: float | None
    cost_usd: float | None
    trail: tuple[str, ...]  # what the run did, one entry per call or tool: where two runs part ways
    problem: str | None


def facts_of(recording: Recording) -> RunFacts:
    events = recording.events
    start = next((e for e in events if e.get("kind") == "run_start"), {})
    end = next((e for e in reversed(events) if e.get("kind") == "run_end"), {})
    summary = recording.summary
    return RunFacts(
        path=recording.path,
        agent=summary.agent,
        version=start.get("version") if isinstance(start.get("version"), str) else None,
        status=summary.status,
        duration_s=summary.duration_s,
        steps=summary.steps,
        llm_calls=sum(1 for e in events if e.get("kind") == "llm_call"),
        tool_calls=sum(1 for e in events if e.get("kind") == "tool"),
        tool_errors=sum(1 for e in events if e.get("kind") == "tool" and e.get("error") is not None),
        tokens=_number(end.get("tokens")),
        cost_usd=summary.cost_usd,
        trail=tuple(_step_of(e) for e in events if e.get("kind") in ("llm_call", "tool")),
        problem=recording.problem,
    )


def _step_of(event: dict[str, Any]) -> str:
    if event.get("kind") == "tool":
        failed = f" failed ({event.get('error')})" if event.get("error") is not None else ""
        return f"tool {event.get('tool')}{failed}"
    error = f" failed ({event.get('error_type')})" if event.get("error_type") else ""
    return f"{event.get('operation') or 'call'} {event.get('model') or '?'}{error}"


def first_divergence(a: RunFacts, b: RunFacts) -> str:
    """Where the two runs first did something different, in words."""
    for index, (step_a, step_b) in enumerate(zip(a.trail, b.trail, strict=False), start=1):
        if step_a != step_b:
            return f"step {index}: A {step_a}, B {step_b}"
    if len(a.trail) == len(b.trail):
        return "none: the same calls and tools in the same order"
    longer, name = (a, "A") if len(a.trail) > len(b.trail) else (b, "B")
    index = min(len(a.trail), len(b.trail)) + 1
    return f"step {index}: only {name} goes on, with {longer.trail[index - 1]}"
