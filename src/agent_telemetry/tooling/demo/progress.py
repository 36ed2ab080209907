"""Live progress: one status line every few seconds, or a small table redrawn in place on a terminal."""

from __future__ import annotations

from typing import TextIO

from agent_telemetry.tooling.demo.agents import AgentStats
from agent_telemetry.tooling.demo.fleet import Status
from agent_telemetry.tooling.demo.scenarios import format_duration, target

_COLUMNS = ("calls", "errors", "tools", "tool err", "runs", "cost")


def clock(seconds: float) -> str:
    """Elapsed time as m:ss, or h:mm:ss past an hour."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def money(usd: float) -> str:
    return f"${usd:.4f}" if usd < 10 else f"${usd:,.2f}"


def scenario_text(status: Status) -> str:
    """``rate-limit-storm -> support-agent (phase 2/3, 1m55s left)``; ``normal`` when constant."""
    scenario = status.phase.scenario
    hit = target(scenario)
    text = scenario.value + (f" -> {hit}" if hit else "")
    if status.phases > 1 or status.phase.seconds != float("inf"):
        left = format_duration(status.phase_left_s)
        text += f" (phase {status.phase_index + 1}/{status.phases}, {left} left)"
    return text


def status_line(status: Status) -> str:
    """One line for logs and pipes:
    ``[0:42] normal | support-agent 25 calls 0 err $0.0061 | ... | total 59 calls 0 err $0.0277``"""
    parts = [f"[{clock(status.elapsed_s)}] {scenario_text(status)}"]
    for stats in status.agents:
        parts.append(f"{stats.name} {stats.calls} calls {stats.errors} err {money(stats.cost_usd)}")
    calls, errors, cost = _totals(status.agents)
    parts.append(f"total {calls} calls {errors} err {money(cost)}")
    return " | ".join(parts)


def table(status: Status, title: str | None = None) -> list[str]:
    """The per-agent table: a title line, a header, one row per agent and a total."""
    width = max([len("total"), *(len(stats.name) for stats in status.agents)])
    title = title or f"agent-telemetry demo  {clock(status.elapsed_s)}  scenario: {scenario_text(status)}"
    lines = [title, _row(width, "agent", *_COLUMNS)]
    rows = [
        (s.name, s.calls, s.errors, s.tool_calls, s.tool_errors, s.runs, s.cost_usd) for s in status.agents
    ]
    totals = ("total", *(sum(row[i] for row in rows) for i in range(1, 7)))
    for name, *numbers, cost in [*rows, totals]:
        lines.append(_row(width, str(name), *(str(n) for n in numbers), money(float(cost))))
    return lines


def _row(width: int, name: str, *cells: str) -> str:
    widths = (6, 6, 6, 8, 5, 10)
    return f"{name:<{width}}" + "".join(f"  {cell:>{w}}" for cell, w in zip(cells, widths, strict=True))


def _totals(agents: tuple[AgentStats, ...]) -> tuple[int, int, float]:
    return sum(s.calls for s in agents), sum(s.errors for s in agents), sum(s.cost_usd for s in agents)


class Progress:
    """Writes status to ``out``: a table redrawn in place when ``live`` (a terminal), else lines."""

    def __init__(self, out: TextIO, *, live: bool | None = None) -> None:
        self.out = out
        self.live = out.isatty() if live is None else live
        self._drawn = 0  # lines of the table currently on screen

    def update(self, status: Status) -> None:
        if self.live:
            self._redraw(table(status))
        else:
            self.out.write(status_line(status) + "\n")
        self.out.flush()

    def summary(self, status: Status, reason: str) -> None:
        """The final table, in place of the live one."""
        title = f"agent-telemetry demo: stopped after {clock(status.elapsed_s)} ({reason})"
        lines = table(status, title)
        if self.live:
            self._redraw(lines)
        else:
            self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        self._drawn = 0

    def _redraw(self, lines: list[str]) -> None:
        # Back to the first line of the previous table (ESC[nF), clear to the end of the screen (ESC[J).
        prefix = f"\x1b[{self._drawn}F\x1b[J" if self._drawn else ""
        self.out.write(prefix + "\n".join(lines) + "\n")
        self._drawn = len(lines)
