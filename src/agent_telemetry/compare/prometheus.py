"""One side of a comparison read from Prometheus's HTTP API (standard library only).

Counts are exact, not ``increase()``'s extrapolation: for every series the raw samples of the window
are read, a counter reset (a restarted process) adds the value after it, and a series born inside the
window counts from zero. ``increase()`` would miss the first export of every new series, which is
most of the data of a short-lived version.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from agent_telemetry import contract
from agent_telemetry.compare.model import Side
from agent_telemetry.compare.stats import Distribution

# How far before the window a sample still tells a series's value at its start (Prometheus's lookback).
LOOKBACK_S = 300.0


class PrometheusError(RuntimeError):
    """Prometheus could not answer; the message is one line that says what to do."""


@dataclass(frozen=True, slots=True)
class Window:
    end: float  # Unix seconds
    seconds: float

    @property
    def start(self) -> float:
        return self.end - self.seconds


class Prometheus:
    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    def query(self, promql: str, at: float) -> list[dict]:
        params = urllib.parse.urlencode({"query": promql, "time": f"{at:.3f}"})
        try:
            with urllib.request.urlopen(
                f"{self.url}/api/v1/query?{params}", timeout=self.timeout_s
            ) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:
            detail = _error_of(error)
            raise PrometheusError(f"Prometheus at {self.url} refused a query ({detail}): {promql}") from None
        except (OSError, ValueError) as error:
            raise PrometheusError(
                f"cannot reach Prometheus at {self.url} ({error}); start it (agent-telemetry stack up) "
                "or pass --prometheus URL"
            ) from None
        return body["data"]["result"]

    def increases(self, selector: str, window: Window, by: str | None = None) -> dict[str, float]:
        """The exact increase over ``window`` of the counters ``selector`` selects, summed by label ``by``
        (key "" without one)."""
        span = f"{math.ceil(window.seconds + LOOKBACK_S)}s"
        totals: dict[str, float] = defaultdict(float)
        for series in self.query(f"{selector}[{span}]", window.end):
            key = series["metric"].get(by, "") if by else ""
            totals[key] += exact_increase(series["values"], window.start)
        return dict(totals)

    def histogram(self, name: str, matchers: str, window: Window) -> Distribution | None:
        """The observations of histogram ``name`` in ``window``, by bucket; None when there are none."""
        buckets = self.increases(f"{name}_bucket{{{matchers}}}", window, by="le")
        if not buckets or not any(buckets.values()):
            return None
        total = self.increases(f"{name}_sum{{{matchers}}}", window).get("", 0.0)
        return Distribution.of_cumulative({float(le): value for le, value in buckets.items()}, total)


def exact_increase(values: list[list], start: float) -> float:
    """Exact counter increase after ``start`` from raw samples ``[[ts, "value"], ...]``."""
    previous = 0.0  # a series with no sample at the window's start is born inside it
    increase = 0.0
    for ts, raw in values:
        value = float(raw)
        if float(ts) <= start:
            previous = value
            continue
        increase += value - previous if value >= previous else value  # a reset starts again from 0
        previous = value
    return increase


def _error_of(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.load(error).get("error") or error)
    except (OSError, ValueError):
        return str(error)


def matchers(labels: Mapping[str, str]) -> str:
    return ",".join(f"{key}={json.dumps(value)}" for key, value in labels.items())


def read_side(
    prometheus: Prometheus, label: str, labels: Mapping[str, str], window: Window, *, with_calls: bool
) -> Side:
    """Everything a comparison needs about the runs (and, ``with_calls``, the calls) ``labels`` select."""
    m = matchers(labels)
    run = {
        "run_duration": contract.RUN_DURATION,
        "run_cost": contract.RUN_COST,
        "run_tokens": contract.RUN_TOKENS,
        "run_steps": contract.RUN_STEPS,
        "quality": contract.QUALITY,
    }
    side = Side(
        label,
        runs_by_status=prometheus.increases(
            f"{contract.RUNS.prometheus_name}{{{m}}}", window, by=contract.STATUS
        ),
        tool_calls=prometheus.increases(f"{contract.TOOL_CALLS.prometheus_name}{{{m}}}", window).get("", 0.0),
        tool_errors_by_type=prometheus.increases(
            f"{contract.TOOL_ERRORS.prometheus_name}{{{m}}}", window, by=contract.ERROR_TYPE
        ),
        **{key: prometheus.histogram(metric.prometheus_name, m, window) for key, metric in run.items()},
    )
    if with_calls:
        side.calls = prometheus.increases(f"{contract.REQUESTS.prometheus_name}{{{m}}}", window).get("", 0.0)
        side.call_errors_by_type = prometheus.increases(
            f"{contract.REQUEST_ERRORS.prometheus_name}{{{m}}}", window, by=contract.ERROR_TYPE
        )
        side.call_duration = prometheus.histogram(contract.REQUEST_DURATION.prometheus_name, m, window)
    return side
