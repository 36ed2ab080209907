"""Runs and tools: do tasks finish, how long and how many steps do they take, which tools fail?"""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from agent_telemetry import contract as c
from agent_telemetry.tooling.dashboards import links
from agent_telemetry.tooling.dashboards.layout import Grid
from agent_telemetry.tooling.dashboards.panels import (
    Query,
    levels,
    percentile_queries,
    stat_panel,
    table_panel,
    timeseries_panel,
)
from agent_telemetry.tooling.dashboards.selectors import agent_only, sel
from agent_telemetry.tooling.dashboards.skeleton import dashboard
from agent_telemetry.tooling.promql import increase_sum, quantile, rate_sum, ratio_or_zero
from agent_telemetry.tooling.rules.config import Thresholds

AGENT = (c.AGENT,)
TOOL = (c.TOOL,)


def _quantiles(metric: c.Metric, qs: tuple[float, ...], labels: tuple[str, ...] = AGENT) -> list[Query]:
    return percentile_queries(agent_only(metric, "_bucket"), qs, labels)


def build(t: Thresholds) -> Dashboard:
    tools = t.tool_errors
    grid = Grid()

    grid.row("Tasks")
    grid.add(
        stat_panel(
            "Runs finished",
            "Runs (tasks) finished over the time range, any status.",
            Query(increase_sum(agent_only(c.RUNS))),
            "short",
            decimals=0,
        ),
        6,
        5,
    )
    grid.add(
        stat_panel(
            "Success rate",
            "Runs with status=success / all runs over the time range.",
            Query(
                ratio_or_zero(
                    increase_sum(agent_only(c.RUNS, "", f'{c.STATUS}="success"')),
                    increase_sum(agent_only(c.RUNS)),
                )
            ),
            "percentunit",
        ),
        6,
        5,
    )
    grid.add(
        stat_panel(
            "Budget stops",
            "Calls refused because their run was over its cost or step budget, over the time range.",
            Query(increase_sum(agent_only(c.BUDGET_STOPS))),
            "short",
            decimals=0,
        ),
        6,
        5,
    )
    grid.add(
        stat_panel(
            "Mean steps per task",
            "LLM turns per finished run over the time range.",
            Query(
                f"{increase_sum(agent_only(c.RUN_STEPS, '_sum'))}\n/\n"
                f"{increase_sum(agent_only(c.RUN_STEPS, '_count'))}"
            ),
            "short",
            decimals=1,
        ),
        6,
        5,
    )
    grid.add(
        timeseries_panel(
            "Runs by status",
            f"Runs finished per second by status ({', '.join(c.RUN_STATUSES)}).",
            [Query(rate_sum(agent_only(c.RUNS), (c.STATUS,)), "{{status}}")],
            "ops",
            stacked=True,
            links=[links.to_dashboard(links.OVERVIEW_UID, "Overview of this agent")],
        ),
        12,
    )
    grid.add(
        timeseries_panel(
            "Completion time P50 / P95",
            "Wall-clock time of a run, by agent.",
            _quantiles(c.RUN_DURATION, (0.5, 0.95)),
            "s",
        ),
        12,
    )
    grid.add(
        timeseries_panel(
            "Steps per task P50 / P95",
            "LLM turns (chat calls) per run, by agent.",
            _quantiles(c.RUN_STEPS, (0.5, 0.95)),
            "short",
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Tokens per task P50 / P95",
            "Tokens billed per run, all types, by agent.",
            _quantiles(c.RUN_TOKENS, (0.5, 0.95)),
            "short",
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Budget stops by limit",
            "Calls refused because the run hit its cost or step limit.",
            [
                Query(
                    rate_sum(agent_only(c.BUDGET_STOPS), (c.AGENT, "limit")),
                    "{{gen_ai_agent_name}} {{limit}}",
                )
            ],
            "ops",
        ),
        8,
    )

    grid.row("Tools")
    grid.add(
        timeseries_panel(
            "Tool latency P95",
            "Tool execution time by tool.",
            _quantiles(c.TOOL_DURATION, (0.95,), TOOL),
            "s",
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Tool error rate",
            f"Failed / all executions per tool. Dashed: AgentToolErrorRate's threshold, {tools.ratio:.0%} "
            f"over {tools.window} with at least {tools.min_calls} calls.",
            [
                Query(
                    ratio_or_zero(
                        rate_sum(agent_only(c.TOOL_ERRORS), TOOL), rate_sum(agent_only(c.TOOL_CALLS), TOOL)
                    ),
                    "{{gen_ai_tool_name}}",
                )
            ],
            "percentunit",
            steps=levels(None, tools.ratio),
            threshold_lines=True,
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Tool errors by type",
            "Failed executions per second by tool and exception class.",
            [
                Query(
                    rate_sum(agent_only(c.TOOL_ERRORS), (c.TOOL, c.ERROR_TYPE)),
                    "{{gen_ai_tool_name}} {{error_type}}",
                )
            ],
            "ops",
            stacked=True,
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Tool calls requested by the model",
            "Tool calls the model asked for, by tool (executed or not).",
            [Query(rate_sum(sel(c.TOOLS_REQUESTED), TOOL), "{{gen_ai_tool_name}}")],
            "ops",
            stacked=True,
        ),
        12,
    )
    grid.add(
        table_panel(
            "Tools over the time range",
            "Executions, failures and P95 latency per agent and tool.",
            [
                Query(increase_sum(agent_only(c.TOOL_CALLS), (c.AGENT, c.TOOL)), instant=True, table=True),
                Query(increase_sum(agent_only(c.TOOL_ERRORS), (c.AGENT, c.TOOL)), instant=True, table=True),
                Query(
                    quantile(0.95, agent_only(c.TOOL_DURATION, "_bucket"), (c.AGENT, c.TOOL), "$__range"),
                    instant=True,
                    table=True,
                ),
            ],
            "short",
            rename={"Value #A": "Calls", "Value #B": "Errors", "Value #C": "P95 latency (s)"},
        ),
        12,
    )
    return dashboard(
        links.RUNS_UID,
        "Agent runs and tools",
        "Task completion, duration, steps, tokens and budget stops; tool latency and errors.",
        grid,
    )
