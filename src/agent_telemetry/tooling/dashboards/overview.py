"""Agent overview: is each agent up, fast, correct and affordable right now?"""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from agent_telemetry import contract as c
from agent_telemetry.tooling.dashboards import links
from agent_telemetry.tooling.dashboards.layout import Grid
from agent_telemetry.tooling.dashboards.panels import (
    Query,
    heatmap_panel,
    levels,
    percentile_queries,
    stat_panel,
    table_panel,
    timeseries_panel,
)
from agent_telemetry.tooling.dashboards.selectors import agent_only, mean, not_ignored_errors, sel
from agent_telemetry.tooling.dashboards.skeleton import dashboard
from agent_telemetry.tooling.promql import increase_sum, quantile, rate_sum, ratio_or_zero
from agent_telemetry.tooling.rules.config import Thresholds

AGENT = (c.AGENT,)


def error_ratio(t: Thresholds, labels: tuple[str, ...], window: str) -> str:
    errors = rate_sum(sel(c.REQUEST_ERRORS, "", *not_ignored_errors(t.ignored_error_types)), labels, window)
    return ratio_or_zero(errors, rate_sum(sel(c.REQUESTS), labels, window))


def build(t: Thresholds) -> Dashboard:
    err, lat = t.error_rate, t.latency
    latency_steps = levels(None, lat.warning_seconds)
    grid = Grid()

    grid.row("Right now")
    grid.add(
        stat_panel(
            "Request rate", "Provider API calls per second.", Query(rate_sum(sel(c.REQUESTS))), "reqps"
        ),
        4,
        5,
    )
    grid.add(
        stat_panel(
            f"Error rate ({err.window})",
            f"Failed calls / all calls over {err.window}, as AgentHighErrorRate computes it "
            f"({', '.join(t.ignored_error_types) or 'no'} error types excluded). "
            "Yellow: warning, red: critical.",
            Query(error_ratio(t, (), err.window)),
            "percentunit",
            steps=levels(err.warning, err.critical),
        ),
        4,
        5,
    )
    grid.add(
        stat_panel(
            f"P{lat.quantile * 100:g} latency ({lat.window})",
            f"As AgentHighLatencyP95 computes it; red from {lat.warning_seconds:g} s.",
            Query(quantile(lat.quantile, sel(c.REQUEST_DURATION, "_bucket"), (), lat.window)),
            "s",
            steps=latency_steps,
        ),
        4,
        5,
    )
    grid.add(
        stat_panel(
            "Cost, last hour",
            "US dollars spent on provider calls in the last hour.",
            Query(increase_sum(sel(c.COST), (), "1h")),
            "currencyUSD",
        ),
        4,
        5,
    )
    grid.add(
        stat_panel(
            "Tokens per second",
            "Billed tokens of all types (input, output, cache reads and writes).",
            Query(rate_sum(sel(c.TOKENS))),
            "short",
        ),
        4,
        5,
    )
    grid.add(
        stat_panel(
            "Task success rate",
            "Runs finished with status=success / all runs finished, over the time range.",
            Query(
                ratio_or_zero(
                    increase_sum(agent_only(c.RUNS, "", f'{c.STATUS}="success"')),
                    increase_sum(agent_only(c.RUNS)),
                )
            ),
            "percentunit",
        ),
        4,
        5,
    )

    grid.row("Calls")
    grid.add(
        timeseries_panel(
            "Requests per second",
            "Provider calls by agent and model.",
            [
                Query(
                    rate_sum(sel(c.REQUESTS), (c.AGENT, c.MODEL)),
                    "{{gen_ai_agent_name}} {{gen_ai_request_model}}",
                )
            ],
            "reqps",
            links=[links.to_dashboard(links.RUNS_UID, "Runs and tools of this agent")],
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Error rate by agent",
            f"Failed / all calls per agent. The dashed lines are AgentHighErrorRate's warning and critical "
            f"thresholds (evaluated over {err.window}, with at least {err.min_requests} calls).",
            [Query(error_ratio(t, AGENT, "$__rate_interval"), "{{gen_ai_agent_name}}")],
            "percentunit",
            steps=levels(err.warning, err.critical),
            threshold_lines=True,
            links=[links.traces_of_agent(errors_only=True)],
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Latency P50 / P95 / P99",
            f"Call latency quantiles, with exemplars (click one to open its trace). The dashed line is "
            f"AgentHighLatencyP95's threshold, {lat.warning_seconds:g} s.",
            percentile_queries(
                sel(c.REQUEST_DURATION, "_bucket"), (0.5, lat.quantile, 0.99), AGENT, exemplar=True
            ),
            "s",
            steps=latency_steps,
            threshold_lines=True,
            links=[links.traces_of_agent(slower_than_seconds=lat.warning_seconds)],
        ),
        8,
    )
    grid.add(
        heatmap_panel(
            "Latency distribution",
            "How many calls fell in each latency bucket, per interval.",
            Query(rate_sum(sel(c.REQUEST_DURATION, "_bucket"), ("le",)), "{{le}}"),
            "s",
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Errors by category",
            "Failed calls per second by error_type (see docs/metrics.md for each type).",
            [Query(rate_sum(sel(c.REQUEST_ERRORS), (c.ERROR_TYPE,)), "{{error_type}}")],
            "reqps",
            stacked=True,
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Time to first token P50 / P95",
            "Streaming calls: from the request to the first content chunk.",
            percentile_queries(sel(c.TIME_TO_FIRST_TOKEN, "_bucket"), (0.5, 0.95), AGENT),
            "s",
        ),
        8,
    )

    grid.row("Tools, cost and quality")
    grid.add(
        timeseries_panel(
            "Tool calls",
            "Tool executions per second by tool.",
            [Query(rate_sum(agent_only(c.TOOL_CALLS), (c.TOOL,)), "{{gen_ai_tool_name}}")],
            "ops",
            stacked=True,
        ),
        6,
    )
    grid.add(
        timeseries_panel(
            "Tool error rate",
            f"Failed / all executions per tool; the dashed line is AgentToolErrorRate's threshold "
            f"({t.tool_errors.ratio:.0%} over {t.tool_errors.window}).",
            [
                Query(
                    ratio_or_zero(
                        rate_sum(agent_only(c.TOOL_ERRORS), (c.TOOL,)),
                        rate_sum(agent_only(c.TOOL_CALLS), (c.TOOL,)),
                    ),
                    "{{gen_ai_tool_name}}",
                )
            ],
            "percentunit",
            steps=levels(None, t.tool_errors.ratio),
            threshold_lines=True,
        ),
        6,
    )
    grid.add(
        timeseries_panel(
            "Cost per hour by model",
            "US dollars per hour at the current rate, by model.",
            [Query(f"{rate_sum(sel(c.COST), (c.MODEL,))} * 3600", "{{gen_ai_request_model}}")],
            "currencyUSD",
            stacked=True,
            links=[links.to_dashboard(links.COST_UID, "Cost dashboard")],
        ),
        6,
    )
    grid.add(
        timeseries_panel(
            "Cost per task",
            "Mean US dollars per finished run, by agent.",
            [Query(mean(c.RUN_COST, agent_only, AGENT), "{{gen_ai_agent_name}}")],
            "currencyUSD",
        ),
        6,
    )
    grid.add(
        timeseries_panel(
            "Task success rate",
            "Runs finished with status=success / all runs finished, by agent.",
            [
                Query(
                    ratio_or_zero(
                        rate_sum(agent_only(c.RUNS, "", f'{c.STATUS}="success"'), AGENT),
                        rate_sum(agent_only(c.RUNS), AGENT),
                    ),
                    "{{gen_ai_agent_name}}",
                )
            ],
            "percentunit",
        ),
        8,
    )
    drift = t.quality_drift
    grid.add(
        timeseries_panel(
            f"Quality score (mean over {drift.window})",
            f"Mean evaluator score per agent and evaluator over {drift.window}, as AgentQualityDrift "
            f"compares it: the alert fires when it is more than {drift.max_drop:g} below the mean of the "
            f"previous {drift.baseline}, i.e. under the 'alert line' series "
            f"(baseline minus {drift.max_drop:g}).",
            [
                Query(
                    mean(c.QUALITY, agent_only, (c.AGENT, c.EVALUATOR), drift.window),
                    "{{gen_ai_agent_name}} {{gen_ai_evaluation_name}}",
                ),
                Query(
                    mean(c.QUALITY, agent_only, (c.AGENT, c.EVALUATOR), drift.baseline, offset=drift.window)
                    + f" - {drift.max_drop:g}",
                    "alert line {{gen_ai_agent_name}} {{gen_ai_evaluation_name}}",
                ),
            ],
            "none",
            minimum=None,
        ),
        8,
    )
    grid.add(
        table_panel(
            "Firing alerts",
            "Alerts Prometheus is firing now (the ALERTS series), for all agents and the pipeline. Watchdog "
            "always fires: its absence means alerting itself is broken.",
            [
                Query(
                    'sum by (alertname, severity, gen_ai_agent_name) (ALERTS{alertstate="firing"})',
                    instant=True,
                    table=True,
                )
            ],
            "short",
            hide=("Time", "Value"),
        ),
        8,
    )
    return dashboard(
        links.OVERVIEW_UID,
        "Agent overview",
        "Request rate, errors, latency, cost, tools, task success and quality of the LLM agents.",
        grid,
    )
