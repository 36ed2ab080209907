"""A comparison's output (terminal table, JSON, Markdown) and its regression gate (``--fail-on``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from agent_telemetry.compare.model import Row
from agent_telemetry.compare.stats import bonferroni


class GateError(ValueError):
    """A ``--fail-on`` limit that cannot be read; the message says how to write one."""


@dataclass(frozen=True, slots=True)
class Limit:
    key: str
    amount: float  # signed: +10 means "up by more than 10", -2 "down by more than 2"
    unit: str  # "%" (relative) or "pp" (percentage points, for rates)

    def __str__(self) -> str:
        return f"{self.key}:{self.amount:+g}{self.unit}"

    def passed_by(self, row: Row) -> bool:
        """Whether the row's change goes past this limit, in the limit's direction."""
        if self.unit == "pp":
            change = None if row.change is None else row.change * 100
        else:
            change = None if row.relative_change is None else row.relative_change * 100
        if change is None:
            return False
        return change > self.amount if self.amount >= 0 else change < self.amount


# METRIC:+N% or METRIC:-Npp; a metric by error type has the type after a colon (tool_error_rate:Timeout).
_LIMIT = re.compile(r"^\s*([a-z0-9_]+(?::[\w.-]+)?)\s*:\s*([+-])\s*(\d+(?:\.\d+)?)\s*(%|pp)\s*$")


def parse_limits(text: str, known: set[str]) -> list[Limit]:
    limits = []
    for part in filter(str.strip, text.split(",")):
        match = _LIMIT.match(part)
        if match is None:
            raise GateError(
                f"--fail-on {part.strip()!r}: write METRIC:+N% or METRIC:-Npp, e.g. "
                "'cost_per_run:+10%,success_rate:-2pp,p95_run_seconds:+20%'"
            )
        key, sign, amount, unit = match.groups()
        if key not in known:
            raise GateError(f"--fail-on {key!r}: no such metric; use one of {', '.join(sorted(known))}")
        limits.append(Limit(key, float(sign + amount), unit))
    return limits


@dataclass(frozen=True, slots=True)
class Breach:
    limit: Limit
    row: Row

    def __str__(self) -> str:
        p = self.row.result.p_value if self.row.result else None
        return f"{self.row.key} {_change(self.row)} passes {self.limit} (p={p:.3g})"


def gate(rows: list[Row], limits: list[Limit], alpha: float) -> list[Breach]:
    """The limits passed by a significant change. Each limit is tested at ``alpha`` / number of limits,
    so that the gate as a whole fires by chance at most at ``alpha``."""
    level = bonferroni(alpha, len(limits))
    by_key = {row.key: row for row in rows}
    breaches = []
    for limit in limits:
        row = by_key.get(limit.key)
        if row is not None and row.significant(level) and limit.passed_by(row):
            breaches.append(Breach(limit, row))
    return breaches


# -- Rendering ----------------------------------------------------------------------------------------
def _value(row: Row, value: float | None) -> str:
    if value is None:
        return "-"
    if row.unit == "rate":
        return f"{value * 100:.1f}%"
    if row.unit == "usd":
        return f"${value:.4g}"
    if row.unit == "s":
        return f"{value:.3g}s"
    return f"{value:.4g}"


def _change(row: Row) -> str:
    if row.change is None:
        return "-"
    if row.unit == "rate":
        return f"{row.change * 100:+.1f}pp"
    relative = row.relative_change
    return f"{relative * 100:+.1f}%" if relative is not None else f"{row.change:+.4g}"


def _significance(row: Row, alpha: float) -> str:
    verdict = row.verdict(alpha)
    if row.result is None or row.result.p_value is None:
        return verdict if row.note is None else f"n/a ({row.note})"
    return f"{verdict} (p={row.result.p_value:.3g})"


def _table_rows(rows: list[Row], alpha: float) -> list[list[str]]:
    return [
        [row.key, _value(row, row.a), _value(row, row.b), _change(row), _significance(row, alpha)]
        for row in rows
    ]


def as_text(a: str, b: str, rows: list[Row], alpha: float, breaches: list[Breach]) -> str:
    header = ["metric", f"A: {a}", f"B: {b}", "change", f"significant at {alpha:g}?"]
    table = [header, *_table_rows(rows, alpha)]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in table
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append(f"runs: A {_count(rows, 'a')}, B {_count(rows, 'b')}")
    lines.extend(f"REGRESSION: {breach}" for breach in breaches)
    return "\n".join(lines) + "\n"


def _count(rows: list[Row], side: str) -> str:
    first = rows[0]
    return f"{first.n_a if side == 'a' else first.n_b:g}"


def as_markdown(a: str, b: str, rows: list[Row], alpha: float, breaches: list[Breach]) -> str:
    lines = [
        f"### agent-telemetry compare: {a} → {b}",
        "",
        f"| metric | A: {a} | B: {b} | change | significant at {alpha:g}? |",
        "|---|---:|---:|---:|---|",
        *(f"| `{r[0]}` | {r[1]} | {r[2]} | {r[3]} | {r[4]} |" for r in _table_rows(rows, alpha)),
        "",
    ]
    if breaches:
        lines.extend(f"- :x: **regression**: {breach}" for breach in breaches)
    else:
        lines.append("No limit passed by a significant change.")
    return "\n".join(lines) + "\n"


def as_json(
    a: str, b: str, rows: list[Row], alpha: float, limits: list[Limit], breaches: list[Breach]
) -> str:
    document = {
        "a": a,
        "b": b,
        "alpha": alpha,
        "metrics": [
            {
                "key": row.key,
                "title": row.title,
                "unit": row.unit,
                "a": row.a,
                "b": row.b,
                "change": row.change,
                "relative_change": row.relative_change,
                "n_a": row.n_a,
                "n_b": row.n_b,
                "test": row.result.test if row.result else None,
                "p_value": row.result.p_value if row.result else None,
                "verdict": row.verdict(alpha),
                "note": row.note,
            }
            for row in rows
        ],
        "fail_on": [str(limit) for limit in limits],
        "regressions": [{"key": b.row.key, "limit": str(b.limit)} for b in breaches],
    }
    return json.dumps(document, indent=2) + "\n"
