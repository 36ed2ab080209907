"""PromQL as text, shared by the rule and dashboard generators: literals, matchers and aggregations.

What is particular to one of them stays there: the rule file dataclasses in ``rules/groups.py``, the
selectors filtered by Grafana's dashboard variables in ``dashboards/selectors.py``.
"""

from __future__ import annotations

import re

# Default windows, Grafana's (rules always name their windows). The rate window: at least 4 samples
# of the data source's sample interval; the range: the dashboard's whole time range.
RATE = "$__rate_interval"
RANGE = "$__range"


def num(value: float) -> str:
    """A PromQL number literal without float noise: 0.05, 14.4, 10, 0.072."""
    return format(round(value, 12), ".12g")


def le_regex(bound: float) -> str:
    """A regex for the ``le`` label of a bucket: ``10(\\.0)?`` matches both ``10`` and ``10.0``.

    Remote write from the collector gives ``10`` in Prometheus 2 and Prometheus 3 may store ``10.0``;
    a bucket selected by ``le`` must match both spellings exactly.
    """
    if float(bound).is_integer():
        return f"{int(bound)}(\\\\.0)?"
    return re.escape(repr(float(bound))).replace("\\", "\\\\")


def matchers(*items: str) -> str:
    """``{a, b}`` of the non-empty matchers, or nothing."""
    present = [item for item in items if item]
    return "{" + ", ".join(present) + "}" if present else ""


def not_in(label: str, values: tuple[str, ...]) -> str:
    return f'{label}!~"{"|".join(values)}"' if values else ""


def by(labels: tuple[str, ...]) -> str:
    return f" by ({', '.join(labels)}) " if labels else ""


def rate_sum(selector: str, labels: tuple[str, ...] = (), window: str = RATE, offset: str = "") -> str:
    """``sum by (labels) (rate(selector[window]))``."""
    shifted = f" offset {offset}" if offset else ""
    return f"sum{by(labels)}(rate({selector}[{window}]{shifted}))"


def increase_sum(selector: str, labels: tuple[str, ...] = (), window: str = RANGE) -> str:
    return f"sum{by(labels)}(increase({selector}[{window}]))"


def ratio_or_zero(part: str, whole: str) -> str:
    """part / whole, reading a missing part as 0 where there is a whole (no errors yet is 0%, not empty)."""
    return f"(\n  {part}\nor\n  0 * {whole}\n)\n/\n  {whole}"


def quantile(q: float, bucket_selector: str, labels: tuple[str, ...] = (), window: str = RATE) -> str:
    return f"histogram_quantile({q:g}, {rate_sum(bucket_selector, (*labels, 'le'), window)})"
