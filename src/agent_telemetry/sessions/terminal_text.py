"""Text for the terminal: a recording's header, one line per event, and the table of recordings.

Recordings can be hand-edited or written by another version, so every function here copes with
missing or oddly typed fields (an event it cannot describe is shown as its raw fields).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from agent_telemetry.sessions import transcript
from agent_telemetry.sessions.reader import RecordingSummary

_MISSING = "-"
_OWN_KEYS = ("t", "ts", "kind")


def header(summary: RecordingSummary) -> list[str]:
    rows = [
        ("agent", summary.agent or _MISSING),
        ("run id", summary.run_id or _MISSING),
        ("started", _started(summary.started)),
        ("status", summary.status),
        ("duration", _seconds(summary.duration_s)),
        ("steps", _MISSING if summary.steps is None else str(summary.steps)),
        ("cost", _cost(summary.cost_usd)),
    ]
    return [f"{label:<9} {value}" for label, value in rows]


def columns(events: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """The widths of the time and kind columns, so that the descriptions line up."""
    events = list(events)
    return (
        max((len(_offset(event)) for event in events), default=0),
        max((len(str(event.get("kind", "?"))) for event in events), default=0),
    )


def event_line(event: dict[str, Any], widths: tuple[int, int] = (0, 0)) -> str:
    """``  +1.204s  llm_call  anthropic claude-sonnet-4-5  in=1200 out=85  $0.0041  0.92s``"""
    offset_width, kind_width = widths
    kind = str(event.get("kind", "?"))
    return f"  {_offset(event):>{offset_width}}  {kind:<{kind_width}}  {describe(event)}".rstrip()


def event_lines(event: dict[str, Any], widths: tuple[int, int] = (0, 0)) -> list[str]:
    """The event's line, then the content it carries (with content capture on), indented under its
    description: messages sent (``>``) and received (``<``), a tool's arguments and result."""
    lines = [event_line(event, widths)]
    try:
        content = transcript.content_lines(event)
    except (TypeError, ValueError, AttributeError, KeyError):
        content = []  # a hand-edited or foreign recording: its event line is still shown
    indent = " " * (2 + widths[0] + 2 + widths[1] + 2)
    for line in content:
        first, *rest = line.split("\n")
        lines.append(f"{indent}{first}".rstrip())
        lines.extend(f"{indent}    {more}".rstrip() for more in rest)
    return lines


def describe(event: dict[str, Any]) -> str:
    describer = _DESCRIBERS.get(str(event.get("kind")))
    if describer is not None:
        try:
            return describer(event)
        except (TypeError, ValueError, AttributeError, KeyError):
            pass  # a field of an unexpected type: show the raw fields instead
    return _raw(event)


def runs_table(summaries: list[RecordingSummary]) -> list[str]:
    rows = [("STARTED (UTC)", "AGENT", "STATUS", "DURATION", "STEPS", "COST", "FILE")]
    for s in summaries:
        steps = _MISSING if s.steps is None else str(s.steps)
        rows.append(
            (
                _started(s.started, zone=False),
                s.agent or _MISSING,
                s.status,
                _seconds(s.duration_s),
                steps,
                _cost(s.cost_usd),
                s.path.name,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    right = {3, 4, 5}  # numbers line up on the right
    return [
        "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


# -- one description per kind ---------------------------------------------------------------------
def _run_start(e: dict[str, Any]) -> str:
    parts = [f"{e['agent']}  run {e['run_id']}"]
    budget = e.get("budget") or {}
    limits = []
    if "max_cost_usd" in budget:
        limits.append(f"${budget['max_cost_usd']:.2f}")
    if "max_steps" in budget:
        limits.append(f"{budget['max_steps']} steps")
    if limits:
        parts.append("budget " + ", ".join(limits))
    return "  ".join(parts)


def _llm_call(e: dict[str, Any]) -> str:
    model = f"{e.get('provider') or '?'} {e.get('model') or '?'}"
    if e.get("operation") not in (None, "chat"):
        model += f" ({e['operation']})"
    parts = [model]
    tokens = e.get("tokens")
    if tokens:
        counts = [f"in={tokens.get('input', 0)}", f"out={tokens.get('output', 0)}"]
        counts += [f"{key}={tokens[key]}" for key in ("cache_read", "cache_write") if tokens.get(key)]
        parts.append(" ".join(counts))
    if _is_number(e.get("cost_usd")):
        parts.append(_cost(e["cost_usd"]))
    parts.append(_seconds(e.get("duration_s")))
    if e.get("error_type"):
        parts.append(f"error={e['error_type']}")
    return "  ".join(parts)


def _tool(e: dict[str, Any]) -> str:
    parts = [str(e["tool"]), _seconds(e.get("duration_s"))]
    if e.get("error"):
        parts.append(f"error={e['error']}")
    return "  ".join(parts)


def _screenshot(e: dict[str, Any]) -> str:
    parts = [_size(e.get("bytes"))]
    facts = [str(e["media_type"])] if e.get("media_type") else []
    if _is_number(e.get("width")) and _is_number(e.get("height")):
        facts.append(f"{e['width']}x{e['height']}")
    if facts:
        parts.append(" ".join(facts))
    if e.get("image_file"):
        parts.append(f"-> {e['image_file']}")
    return "  ".join(parts)


def _action(e: dict[str, Any]) -> str:
    return _with_parameters(e, f"{e['action']}  {e.get('outcome', '?')}  {_seconds(e.get('duration_s'))}")


def _with_parameters(e: dict[str, Any], text: str) -> str:
    """An action's parameters (recorded with content capture on) after its description."""
    if "parameters" not in e:
        return text
    return f"{text}  {json.dumps(e['parameters'], ensure_ascii=False, separators=(',', ':'), default=str)}"


def _run_end(e: dict[str, Any]) -> str:
    parts = [
        str(e["status"]),
        _seconds(e.get("duration_s")),
        f"steps={e.get('steps', '?')} tokens={e.get('tokens', '?')}",
        _cost(e.get("cost_usd")),
    ]
    if e.get("error"):
        parts.append(f"error={e['error']}")
    return "  ".join(parts)


_DESCRIBERS = {
    "run_start": _run_start,
    "llm_call": _llm_call,
    "tool": _tool,
    "tool_request": lambda e: str(e["tool"]),
    "action_request": lambda e: _with_parameters(e, str(e["action"])),
    "action_blocked": lambda e: str(e["reason"]),
    "screenshot": _screenshot,
    "quality": lambda e: f"{e['evaluator']}  {float(e['score']):.2f}",
    "action": _action,
    "run_end": _run_end,
}


# -- formatting helpers ---------------------------------------------------------------------------
def _raw(event: dict[str, Any]) -> str:
    return " ".join(
        f"{key}={json.dumps(value, default=str)}" for key, value in event.items() if key not in _OWN_KEYS
    )


def _offset(event: dict[str, Any]) -> str:
    t = event.get("t")
    return f"+{t:.3f}s" if _is_number(t) else "+?"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _seconds(value: object) -> str:
    return f"{value:.2f}s" if _is_number(value) else _MISSING


def _cost(value: object) -> str:
    return f"${value:.4f}" if _is_number(value) else _MISSING


def _size(value: object) -> str:
    if not _is_number(value):
        return "size unknown"
    assert isinstance(value, (int, float))
    if value < 1024:
        return f"{int(value)} B"
    if value < 1024 * 1024:
        return f"{value / 1024:.1f} KiB"
    return f"{value / (1024 * 1024):.1f} MiB"


def _started(iso: str | None, *, zone: bool = True) -> str:
    """``2025-03-01T09:30:05.123Z`` -> ``2025-03-01 09:30:05 UTC`` (to the second: enough to find a run)."""
    if not iso:
        return _MISSING
    if len(iso) >= 19 and iso[10] == "T":
        return iso[:10] + " " + iso[11:19] + (" UTC" if zone else "")
    return iso
