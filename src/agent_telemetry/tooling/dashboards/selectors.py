"""Selectors for panels: metrics built from the metric contract, filtered by the dashboard variables.

A selector only filters on the variables whose label the metric has: ``$provider`` narrows the call
metrics but not ``agent_runs_total``, which has no provider label.
"""

from __future__ import annotations

from collections.abc import Callable

from agent_telemetry import contract
from agent_telemetry.contract import Metric
from agent_telemetry.tooling.promql import RATE, not_in, rate_sum

# Dashboard variable name -> the label it filters.
VARIABLE_LABELS: dict[str, str] = {
    "agent": contract.AGENT,
    "provider": contract.PROVIDER,
    "model": contract.MODEL,
}


def sel(metric: Metric, suffix: str = "", *matchers: str, only: tuple[str, ...] | None = None) -> str:
    """``name{variable filters, matchers}``; ``only`` restricts which variables apply."""
    if suffix not in ("", "_bucket", "_sum", "_count"):
        raise ValueError(f"unknown series suffix {suffix!r}")
    if suffix and metric.kind is not contract.Kind.HISTOGRAM:
        raise ValueError(f"{metric.prometheus_name} is not a histogram")
    names = only if only is not None else tuple(VARIABLE_LABELS)
    filters = [f'{VARIABLE_LABELS[v]}=~"${v}"' for v in names if VARIABLE_LABELS[v] in metric.labels]
    return f"{metric.prometheus_name}{suffix}{{{', '.join([*filters, *matchers])}}}"


def agent_only(metric: Metric, suffix: str = "", *matchers: str) -> str:
    return sel(metric, suffix, *matchers, only=("agent",))


Selector = Callable[..., str]


def mean(
    metric: Metric,
    selector_fn: Selector = sel,
    labels: tuple[str, ...] = (),
    window: str = RATE,
    offset: str = "",
) -> str:
    """Mean observation of a histogram: rate of _sum / rate of _count."""
    return (
        f"(\n  {rate_sum(selector_fn(metric, '_sum'), labels, window, offset)}\n/\n"
        f"  {rate_sum(selector_fn(metric, '_count'), labels, window, offset)}\n)"
    )


def not_ignored_errors(ignored: tuple[str, ...]) -> tuple[str, ...]:
    """The matcher the error-rate alert uses: ignored error types are requests, not failures."""
    return (matcher,) if (matcher := not_in(contract.ERROR_TYPE, ignored)) else ()
