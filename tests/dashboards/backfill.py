"""Real-looking history for every metric the dashboards read, as an OpenMetrics file for promtool.

Every contract metric with every label it has, plus the collector's, Prometheus's and Alertmanager's
own metrics and a firing Watchdog. Counters grow linearly, so ratios are exact: 4% of calls fail,
75% of runs succeed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

from agent_telemetry import contract as c
from agent_telemetry.tooling.rules.names import FEATURE, VERSION

STEP_SECONDS = 30
HISTORY_SECONDS = 2 * 3600

AGENTS = ("support-bot", "computer-agent")
PROVIDER_MODELS = (("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4-5"))
ERROR_RATIO = 0.04
RUN_SUCCESS_RATIO = 0.75

# One value list per label (provider and model go together, see PROVIDER_MODELS).
LABEL_VALUES: dict[str, tuple[str, ...]] = {
    c.AGENT: AGENTS,
    c.OPERATION: ("chat",),
    c.TOKEN_TYPE: c.TOKEN_TYPES,
    c.ERROR_TYPE: ("rate_limit", "timeout"),
    c.TOOL: ("search", "browser"),
    c.STATUS: ("success", "failure"),
    c.EVALUATOR: ("llm_judge",),
    c.ACTION: ("click", "type"),
    c.OUTCOME: ("success", "failure", "blocked"),
    c.REASON: ("safety_check",),
    "limit": ("cost",),
    "label": (c.MODEL,),
    "component": ("exporter",),
    VERSION: ("v1", "v2"),
    FEATURE: ("refunds", "orders"),
}
# The run-level labels the Compare and Cost dashboards split by, where the contract does not list them
# yet: the version on runs and their histograms, and the feature the application sets per run.
RUN_LEVEL = (c.RUNS, c.RUN_DURATION, c.RUN_STEPS, c.RUN_COST, c.RUN_TOKENS)
# Version v2's runs cost this much more than v1's: the Compare dashboard's known answer.
V2_COST_FACTOR = 1.4


def _label_sets(metric: c.Metric) -> Iterator[dict[str, str]]:
    keys = [k for k in metric.labels if k not in (c.PROVIDER, c.MODEL)]
    if metric in RUN_LEVEL:
        keys += [label for label in (VERSION, FEATURE) if label not in keys]
    pairs: tuple[tuple[str, str] | None, ...] = PROVIDER_MODELS if c.PROVIDER in metric.labels else (None,)
    for values in itertools.product(*(LABEL_VALUES[k] for k in keys)):
        for pair in pairs:
            labels = dict(zip(keys, values, strict=True))
            if pair is not None:
                labels[c.PROVIDER] = pair[0]
                if c.MODEL in metric.labels:
                    labels[c.MODEL] = pair[1]
            yield labels


def _per_step(metric: c.Metric, labels: dict[str, str]) -> float:
    if metric is c.RUNS:
        return 3 * RUN_SUCCESS_RATIO if labels[c.STATUS] == "success" else 3 * (1 - RUN_SUCCESS_RATIO)
    if metric is c.REQUEST_ERRORS:
        return 10 * ERROR_RATIO / len(LABEL_VALUES[c.ERROR_TYPE])
    if metric is c.COST:
        return 0.01
    return 10.0


def _cdf(bound: float, median: float) -> float:
    return bound / (bound + median)


def _series(metric: c.Metric) -> Iterator[tuple[str, dict[str, str], float, float]]:
    """(name, labels, value per step, value at step 0) for every series of the metric."""
    buckets = c.BUCKETS.get(metric.otel_name, c.DURATION_BUCKETS)
    median = buckets[len(buckets) // 2]
    for labels in _label_sets(metric):
        per_step = _per_step(metric, labels)
        if metric.kind is c.Kind.COUNTER:
            yield metric.prometheus_name, labels, per_step, 0.0
            continue
        name = metric.prometheus_name
        for bound in buckets:
            yield f"{name}_bucket", {**labels, "le": f"{bound:g}"}, per_step * _cdf(bound, median), 0.0
        yield f"{name}_bucket", {**labels, "le": "+Inf"}, per_step, 0.0
        yield f"{name}_count", labels, per_step, 0.0
        dearer = V2_COST_FACTOR if metric is c.RUN_COST and labels.get(VERSION) == "v2" else 1.0
        yield f"{name}_sum", labels, per_step * median * dearer, 0.0


COLLECTOR = {"job": "otel-collector", "instance": "otel-collector:8888"}
PROMETHEUS = {"job": "prometheus", "instance": "localhost:9090"}
ALERTMANAGER = {"job": "alertmanager", "instance": "alertmanager:9093"}


def _pipeline_series() -> Iterator[tuple[str, dict[str, str], float, float]]:
    """(name, labels, growth per step, constant part): gauges have growth 0."""
    otlp = {**COLLECTOR, "receiver": "otlp", "transport": "grpc"}
    prw = {**COLLECTOR, "exporter": "prometheusremotewrite"}
    yield "up", COLLECTOR, 0, 1
    for name in ("accepted", "refused", "failed"):
        yield f"otelcol_receiver_{name}_metric_points", otlp, 100 if name == "accepted" else 0, 0
    for name in ("sent", "send_failed", "enqueue_failed"):
        yield f"otelcol_exporter_{name}_metric_points", prw, 100 if name == "sent" else 1, 0
    yield "otelcol_exporter_queue_size", prw, 0, 2
    yield "otelcol_exporter_queue_capacity", prw, 0, 1000
    for processor in ("memory_limiter", "batch"):
        labels = {**COLLECTOR, "processor": processor, "otel_signal": "metrics"}
        yield "otelcol_processor_incoming_items", labels, 100, 0
        yield "otelcol_processor_outgoing_items", labels, 100, 0
    yield "prometheus_tsdb_head_samples_appended_total", PROMETHEUS, 5000, 0
    yield "prometheus_tsdb_head_series", PROMETHEUS, 0, 3000
    yield "prometheus_http_requests_total", {**PROMETHEUS, "handler": "/api/v1/write", "code": "204"}, 6, 0
    group = {
        **PROMETHEUS,
        "rule_group": "/etc/prometheus/rules/agent-telemetry.alerts.yml;agent-telemetry.calls",
    }
    yield "prometheus_rule_evaluation_failures_total", group, 0, 0
    yield "prometheus_rule_group_last_duration_seconds", group, 0, 0.004
    yield "prometheus_rule_group_interval_seconds", group, 0, 15
    for integration in ("webhook", "slack"):
        yield "alertmanager_notifications_total", {**ALERTMANAGER, "integration": integration}, 1, 0
        yield "alertmanager_notifications_failed_total", {**ALERTMANAGER, "integration": integration}, 0.1, 0
    yield "alertmanager_alerts", {**ALERTMANAGER, "state": "active"}, 0, 3
    yield "ALERTS", {"alertname": "Watchdog", "alertstate": "firing", "severity": "none"}, 0, 1


def _format(labels: dict[str, str]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))


def write_openmetrics(path: Path, end: int) -> int:
    """Write the file ending at `end` (unix seconds); return the number of samples."""
    steps = range(HISTORY_SECONDS // STEP_SECONDS + 1)
    start = end - HISTORY_SECONDS
    samples = 0
    with path.open("w", encoding="utf-8") as out:
        series = itertools.chain(*(_series(m) for m in c.ALL_METRICS), _pipeline_series())
        for name, labels, per_step, constant in series:
            text = _format(labels)
            out.writelines(
                f"{name}{{{text}}} {constant + per_step * i:g} {start + i * STEP_SECONDS}\n" for i in steps
            )
            samples += len(steps)
        out.write("# EOF\n")
    return samples
