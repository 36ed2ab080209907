"""PromQL for panels: selectors built from the metric contract, filtered by the dashboard variables.

A selector only filters on the variables whose label the metric has: ``$provider`` narrows the call
metrics but not ``agent_runs_total``, which has no provider label.
"""

from __future__ import annotations

from collections.abc import Callable

from agent_telemetry import contract
from agent_telemetry.contract import Metric

# Grafana's rate window: at least 4 samples of the data source's sample interval.
RATE = "$__rate_interval"
# The dashboard's whole time range, for "over the selected period" stats and tables.
RANGE = "$__range"

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


def by(labels: tuple[str, ...]) -> str:
    return f" by ({', '.join(labels)}) " if labels else ""


def rate_sum(selector: str, labels: tuple[str, ...] = (), window: str = RATE, offset: str = "") -> str:
    shifted = f" offset {offset}" if offset else ""
    return f"sum{by(labels)}(rate({selector}[{window}]{shifted}))"


def increase_sum(selector: str, labels: tuple[str, ...] = (), window: str = RANGE) -> str:
    return f"sum{by(labels)}(increase({selector}[{window}]))"


def ratio_or_zero(part: str, whole: str) -> str:
    """part / whole, reading a missing part as 0 where there is a whole (no errors yet is 0%, not empty)."""
    return f"(\n  {part}\nor\n  0 * {whole}\n)\n/\n  {whole}"


def quantile(q: float, bucket_selector: str, labels: tuple[str, ...] = (), window: str = RATE) -> str:
    return f"histogram_quantile({q:g}, {rate_sum(bucket_selector, (*labels, 'le'), window)})"


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
    return (f'{contract.ERROR_TYPE}!~"{"|".join(ignored)}"',) if ignored else ()
