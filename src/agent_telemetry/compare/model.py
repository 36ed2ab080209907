"""What one side of a comparison holds, and the rows that compare two sides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agent_telemetry.compare.stats import (
    Distribution,
    TestResult,
    difference_of_means,
    mann_whitney,
    two_proportions,
)

SUCCESS = "success"
NOT_BY_VERSION = "not split by version: the per-call metrics carry no version label"


@dataclass
class Side:
    """The runs (and calls) of one version, period or agent. ``None``: not available for this comparison
    (the per-call metrics carry no version, so calls are not split by version)."""

    label: str
    runs_by_status: dict[str, float] = field(default_factory=dict)
    run_duration: Distribution | None = None
    run_cost: Distribution | None = None
    run_tokens: Distribution | None = None
    run_steps: Distribution | None = None
    quality: Distribution | None = None
    tool_calls: float = 0.0
    tool_errors_by_type: dict[str, float] = field(default_factory=dict)
    call_duration: Distribution | None = None
    calls: float | None = None
    call_errors_by_type: dict[str, float] | None = None

    @property
    def runs(self) -> float:
        return sum(self.runs_by_status.values())

    @property
    def tool_errors(self) -> float:
        return sum(self.tool_errors_by_type.values())


@dataclass(frozen=True, slots=True)
class Row:
    key: str  # what --fail-on names: success_rate, cost_per_run, p95_run_seconds, ...
    title: str
    unit: str  # "rate" (a fraction, shown in %), "usd", "s", "tokens", "steps", "score"
    a: float | None
    b: float | None
    result: TestResult | None  # None: nothing to test (no data on a side)
    higher_is_worse: bool
    n_a: float
    n_b: float
    note: str | None = None

    @property
    def change(self) -> float | None:
        """b - a, in the row's unit (a rate's change is in fractions: 0.02 is 2 percentage points)."""
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def relative_change(self) -> float | None:
        if self.a is None or self.b is None or self.a == 0:
            return None
        return (self.b - self.a) / abs(self.a)

    def significant(self, alpha: float) -> bool:
        return self.result is not None and self.result.p_value is not None and self.result.p_value < alpha

    def verdict(self, alpha: float) -> str:
        if self.a is None or self.b is None:
            return "no data"
        if self.result is None or self.result.too_little_data:
            return "too little data"
        if not self.significant(alpha) or self.change == 0:
            return "no significant change"
        return "worse" if (self.change > 0) == self.higher_is_worse else "better"


def compare_sides(a: Side, b: Side) -> list[Row]:
    """Every row the two sides allow, in a fixed order."""
    rows = [
        _rate("success_rate", "run success rate", a, b, lambda s: s.runs_by_status.get(SUCCESS, 0.0), False)
    ]
    for status in sorted((set(a.runs_by_status) | set(b.runs_by_status)) - {SUCCESS}):
        rows.append(_rate(f"{status}_rate", f"runs ending {status}", a, b, _status_count(status), True))
    if a.calls is not None and b.calls is not None:
        rows.append(
            _proportion("call_error_rate", "call error rate", _errors(a), a.calls, _errors(b), b.calls)
        )
        rows += _by_type(
            "call_error_rate", "call errors", a.call_errors_by_type, a.calls, b.call_errors_by_type, b.calls
        )
    rows.append(
        _proportion(
            "tool_error_rate", "tool error rate", a.tool_errors, a.tool_calls, b.tool_errors, b.tool_calls
        )
    )
    rows += _by_type(
        "tool_error_rate",
        "tool errors",
        a.tool_errors_by_type,
        a.tool_calls,
        b.tool_errors_by_type,
        b.tool_calls,
    )
    calls_note = None if a.calls is not None and b.calls is not None else NOT_BY_VERSION
    for q in (50, 95):
        rows.append(
            _quantile(
                f"p{q}_call_seconds", "P{q} call latency", q, a.call_duration, b.call_duration, calls_note
            )
        )
    for q in (50, 95):
        rows.append(_quantile(f"p{q}_run_seconds", "P{q} run duration", q, a.run_duration, b.run_duration))
    rows.append(_mean("cost_per_run", "cost per run", "usd", a.run_cost, b.run_cost, True))
    rows.append(_mean("tokens_per_run", "tokens per run", "tokens", a.run_tokens, b.run_tokens, True))
    rows.append(_mean("steps_per_run", "steps per run", "steps", a.run_steps, b.run_steps, True))
    rows.append(_mean("quality_score", "quality score", "score", a.quality, b.quality, False))
    return rows


def _status_count(status: str) -> Callable[[Side], float]:
    return lambda side: side.runs_by_status.get(status, 0.0)


def _by_type(
    key: str, title: str, a: dict[str, float] | None, n_a: float, b: dict[str, float] | None, n_b: float
) -> list[Row]:
    """One rate per error type: ``key:type``, the share of calls (or tool executions) that failed so."""
    a, b = a or {}, b or {}
    return [
        _proportion(f"{key}:{kind}", f"{title}: {kind}", a.get(kind, 0.0), n_a, b.get(kind, 0.0), n_b)
        for kind in sorted(set(a) | set(b))
    ]


def _errors(side: Side) -> float:
    return sum((side.call_errors_by_type or {}).values())


def _rate(
    key: str, title: str, a: Side, b: Side, hits: Callable[[Side], float], higher_is_worse: bool
) -> Row:
    return _proportion(key, title, hits(a), a.runs, hits(b), b.runs, higher_is_worse)


def _proportion(
    key: str, title: str, hits_a: float, n_a: float, hits_b: float, n_b: float, higher_is_worse: bool = True
) -> Row:
    rate_a = hits_a / n_a if n_a else None
    rate_b = hits_b / n_b if n_b else None
    result = two_proportions(hits_a, n_a, hits_b, n_b) if n_a and n_b else None
    return Row(key, title, "rate", rate_a, rate_b, result, higher_is_worse, n_a, n_b)


def _quantile(
    key: str, title: str, q: int, a: Distribution | None, b: Distribution | None, note: str | None = None
) -> Row:
    title = title.format(q=q)
    if a is None or b is None:
        return Row(key, title, "s", None, None, None, True, 0, 0, note)
    result = mann_whitney(a, b) if a.count and b.count else None
    return Row(key, title, "s", a.quantile(q / 100), b.quantile(q / 100), result, True, a.count, b.count)


def _mean(
    key: str, title: str, unit: str, a: Distribution | None, b: Distribution | None, higher_is_worse: bool
) -> Row:
    n_a, n_b = (a.count if a else 0.0), (b.count if b else 0.0)
    result = difference_of_means(a, b) if a is not None and b is not None and n_a and n_b else None
    return Row(
        key, title, unit, a.mean if a else None, b.mean if b else None, result, higher_is_worse, n_a, n_b
    )
