"""Pipeline health: is telemetry getting from the agents through the collector to Prometheus and alerts?"""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from agent_telemetry import contract as c
from agent_telemetry.tooling.dashboards import links
from agent_telemetry.tooling.dashboards.layout import Grid
from agent_telemetry.tooling.dashboards.panels import (
    Query,
    bargauge_panel,
    levels,
    stat_panel,
    timeseries_panel,
)
from agent_telemetry.tooling.dashboards.selectors import agent_only
from agent_telemetry.tooling.dashboards.skeleton import dashboard
from agent_telemetry.tooling.promql import RATE, rate_sum
from agent_telemetry.tooling.rules.config import Thresholds
from agent_telemetry.tooling.rules.durations import seconds

# Collector internal telemetry. v0.162's Prometheus reader exposes counters without `_total`
# (otelcol_receiver_accepted_metric_points), as the live stack shows; other releases and scrape
# formats add it. Counters are therefore selected by name with an optional `_total`.
ACCEPTED = "otelcol_receiver_accepted_metric_points"
REFUSED = "otelcol_receiver_refused_metric_points"
RECEIVER_FAILED = "otelcol_receiver_failed_metric_points"
SENT = "otelcol_exporter_sent_metric_points"
SEND_FAILED = "otelcol_exporter_send_failed_metric_points"
ENQUEUE_FAILED = "otelcol_exporter_enqueue_failed_metric_points"
QUEUE_SIZE = "otelcol_exporter_queue_size"
QUEUE_CAPACITY = "otelcol_exporter_queue_capacity"
PROCESSOR_IN = "otelcol_processor_incoming_items"
PROCESSOR_OUT = "otelcol_processor_outgoing_items"

# Prometheus and Alertmanager's own metrics (identical in Prometheus 2.42 and 3.x).
SAMPLES_APPENDED = "prometheus_tsdb_head_samples_appended_total"
HEAD_SERIES = "prometheus_tsdb_head_series"
HTTP_REQUESTS = "prometheus_http_requests_total"
RULE_FAILURES = "prometheus_rule_evaluation_failures_total"
RULE_GROUP_DURATION = "prometheus_rule_group_last_duration_seconds"
RULE_GROUP_INTERVAL = "prometheus_rule_group_interval_seconds"
NOTIFICATIONS = "alertmanager_notifications_total"
NOTIFICATIONS_FAILED = "alertmanager_notifications_failed_total"
AM_ALERTS = "alertmanager_alerts"


def collector_counter(name: str, matchers: str) -> str:
    """A selector for a collector counter under either of its names, ``name`` or ``name_total``."""
    return f'{{__name__=~"{name}(_total)?", {matchers}}}'


# Prometheus drops a series from instant queries 5 minutes after its last sample (lookback delta).
STALENESS_SECONDS = 300


def build(t: Thresholds) -> Dashboard:
    job = f'job="{t.collector.job}"'
    metric_items = f'{job}, otel_signal="metrics"'
    absent_after = STALENESS_SECONDS + seconds(t.telemetry_absent.for_)
    grid = Grid()

    grid.row("Agents → collector")
    grid.add(
        stat_panel(
            "Collector up",
            "1 when Prometheus scrapes the collector's own metrics; CollectorDown fires on 0 or absence.",
            Query(f"min(up{{{job}}})"),
            "none",
            steps=((None, "red"), (1, "green")),
        ),
        4,
    )
    grid.add(
        bargauge_panel(
            "Telemetry freshness by agent",
            f"Seconds since each agent's last pushed sample (over the last {t.telemetry_absent.lookback}). "
            f"Yellow: Prometheus no longer sees the series (after {STALENESS_SECONDS} s); red: about when "
            f"AgentTelemetryAbsent fires ({t.telemetry_absent.for_} later).",
            Query(
                f"time() - max by ({c.AGENT}) (max_over_time(timestamp({agent_only(c.REQUESTS)})"
                # 15 s steps (the default scrape interval): a coarser step misses an agent whose
                # samples all fall between two steps, e.g. one that started less than a step ago.
                f"[{t.telemetry_absent.lookback}:15s]))",
                "{{gen_ai_agent_name}}",
                instant=True,
            ),
            "s",
            steps=levels(STALENESS_SECONDS, absent_after),
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Points accepted by the collector",
            "Metric points the collector's receivers accepted, per second.",
            [
                Query(
                    f"sum by (receiver, transport) (rate({collector_counter(ACCEPTED, job)}[{RATE}]))",
                    "{{receiver}} {{transport}}",
                )
            ],
            "short",
        ),
        12,
    )
    grid.add(
        timeseries_panel(
            "Points refused, failed and dropped",
            "Metric points lost before export: refused by a receiver (memory limiter back-pressure), "
            "failed in a receiver, or dropped inside a processor (in - out). CollectorDroppingData fires "
            "when any is above 0.",
            [
                Query(
                    f"sum by (receiver) (rate({collector_counter(REFUSED, job)}[{RATE}]))",
                    "refused {{receiver}}",
                ),
                Query(
                    f"sum by (receiver) (rate({collector_counter(RECEIVER_FAILED, job)}[{RATE}]))",
                    "failed {{receiver}}",
                ),
                Query(
                    f"sum by (processor) (rate({collector_counter(PROCESSOR_IN, metric_items)}[{RATE}]))\n-\n"
                    f"sum by (processor) (rate({collector_counter(PROCESSOR_OUT, metric_items)}[{RATE}]))",
                    "dropped {{processor}}",
                ),
            ],
            "short",
            steps=levels(None, 0.0001),
            threshold_lines=True,
        ),
        12,
    )
    grid.add(
        timeseries_panel(
            "Points exported to Prometheus",
            "Sent, failed to send, and failed to enqueue, per exporter.",
            [
                Query(
                    f"sum by (exporter) (rate({collector_counter(SENT, job)}[{RATE}]))", "sent {{exporter}}"
                ),
                Query(
                    f"sum by (exporter) (rate({collector_counter(SEND_FAILED, job)}[{RATE}]))",
                    "send failed {{exporter}}",
                ),
                Query(
                    f"sum by (exporter) (rate({collector_counter(ENQUEUE_FAILED, job)}[{RATE}]))",
                    "enqueue failed {{exporter}}",
                ),
            ],
            "short",
        ),
        12,
    )
    grid.add(
        timeseries_panel(
            "Export queue",
            "Batches waiting in each exporter's sending queue, against its capacity.",
            [
                Query(f"max by (exporter) ({QUEUE_SIZE}{{{job}}})", "size {{exporter}}"),
                Query(f"max by (exporter) ({QUEUE_CAPACITY}{{{job}}})", "capacity {{exporter}}"),
            ],
            "short",
        ),
        12,
    )

    grid.row("Prometheus")
    grid.add(
        timeseries_panel(
            "Samples ingested",
            "Samples appended to Prometheus's head block per second (remote write and scrapes).",
            [Query(f"sum by (instance) (rate({SAMPLES_APPENDED}[{RATE}]))", "{{instance}}")],
            "short",
        ),
        6,
    )
    grid.add(
        timeseries_panel(
            "Remote-write requests by status",
            "The collector's pushes to /api/v1/write, by HTTP status code.",
            [Query(f'sum by (code) (rate({HTTP_REQUESTS}{{handler="/api/v1/write"}}[{RATE}]))', "{{code}}")],
            "reqps",
        ),
        6,
    )
    grid.add(
        timeseries_panel(
            "Rule evaluation failures",
            "Failed rule evaluations per second by group: alerts may be missing.",
            [Query(f"sum by (rule_group) (rate({RULE_FAILURES}[{RATE}]))", "{{rule_group}}")],
            "ops",
            steps=levels(None, 0.0001),
            threshold_lines=True,
        ),
        6,
    )
    grid.add(
        timeseries_panel(
            "Rule group evaluation time",
            "Last evaluation time of each rule group; above its interval, evaluations are skipped.",
            [
                Query(f"max by (rule_group) ({RULE_GROUP_DURATION})", "{{rule_group}}"),
                Query(f"max({RULE_GROUP_INTERVAL})", "interval"),
            ],
            "s",
        ),
        6,
    )
    grid.add(
        stat_panel(
            "Head series",
            "Series in Prometheus's head block: label cardinality at a glance.",
            Query(f"sum({HEAD_SERIES})"),
            "short",
        ),
        6,
    )
    grid.add(
        timeseries_panel(
            "agent-telemetry label overflow",
            "Label values folded into _other because a label hit its cap of distinct values (label=_series: "
            "a metric hit its cap of label combinations). TelemetryLabelsFolded fires when any is above 0.",
            [Query(rate_sum(c.LABEL_OVERFLOW.prometheus_name, ("label",)), "{{label}}")],
            "ops",
        ),
        9,
    )
    grid.add(
        timeseries_panel(
            "agent-telemetry internal errors",
            "Failures inside agent-telemetry (the application's calls were "
            "not affected; their telemetry may be).",
            [Query(rate_sum(c.INTERNAL_ERRORS.prometheus_name, ("component",)), "{{component}}")],
            "ops",
        ),
        9,
    )

    grid.row("Alertmanager")
    grid.add(
        timeseries_panel(
            "Notifications sent",
            "Notification attempts per second by integration (slack, pagerduty, webhook...).",
            [Query(f"sum by (integration) (rate({NOTIFICATIONS}[{RATE}]))", "{{integration}}")],
            "ops",
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Notifications failed",
            "Failed notification attempts: alerts are firing but nobody is told.",
            [Query(f"sum by (integration) (rate({NOTIFICATIONS_FAILED}[{RATE}]))", "{{integration}}")],
            "ops",
            steps=levels(None, 0.0001),
            threshold_lines=True,
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Alerts in Alertmanager",
            "Alerts Alertmanager holds, by state (active, suppressed, unprocessed).",
            [Query(f"sum by (state) ({AM_ALERTS})", "{{state}}")],
            "short",
            links=[links.to_dashboard(links.OVERVIEW_UID, "Agent overview")],
        ),
        8,
    )
    return dashboard(
        links.PIPELINE_UID,
        "Agent telemetry pipeline",
        "Collector intake and export, Prometheus ingestion and rules, Alertmanager notifications, and how "
        "fresh each agent's telemetry is.",
        grid,
        time_from="now-3h",
    )
