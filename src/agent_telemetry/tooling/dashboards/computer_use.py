"""Computer use: what does the model ask the computer to do, what happens, and at what image cost?"""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from agent_telemetry import contract as c
from agent_telemetry.tooling.dashboards import links
from agent_telemetry.tooling.dashboards.layout import Grid
from agent_telemetry.tooling.dashboards.panels import Query, percentile_queries, stat_panel, timeseries_panel
from agent_telemetry.tooling.dashboards.selectors import agent_only, sel
from agent_telemetry.tooling.dashboards.skeleton import dashboard
from agent_telemetry.tooling.promql import rate_sum, ratio_or_zero
from agent_telemetry.tooling.rules.config import Thresholds

AGENT = (c.AGENT,)
CHAT = f'{c.OPERATION}="chat"'


def build(t: Thresholds) -> Dashboard:
    del t  # no alert watches computer use yet; the signature matches the other dashboards
    executed = agent_only(c.ACTION_DURATION, "_count")
    grid = Grid()

    grid.row("Actions")
    grid.add(
        timeseries_panel(
            "Actions requested by type",
            "Computer-use actions the model asked for, by action (click, type, ...).",
            [Query(rate_sum(sel(c.ACTIONS), (c.ACTION,)), "{{action}}")],
            "ops",
            stacked=True,
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Actions executed by outcome",
            "Actions the application executed and recorded, by action and outcome.",
            [Query(rate_sum(executed, (c.ACTION, c.OUTCOME)), "{{action}} {{outcome}}")],
            "ops",
            stacked=True,
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Action failure ratio",
            "Executed actions with outcome=failure / all executed (success, failure, blocked), by action.",
            [
                Query(
                    ratio_or_zero(
                        rate_sum(
                            agent_only(c.ACTION_DURATION, "_count", f'{c.OUTCOME}="failure"'), (c.ACTION,)
                        ),
                        rate_sum(executed, (c.ACTION,)),
                    ),
                    "{{action}}",
                )
            ],
            "percentunit",
        ),
        8,
    )
    grid.add(
        timeseries_panel(
            "Action latency P50 / P95",
            "Execution time of an action, by action.",
            percentile_queries(agent_only(c.ACTION_DURATION, "_bucket"), (0.5, 0.95), (c.ACTION,)),
            "s",
        ),
        12,
    )
    grid.add(
        timeseries_panel(
            "Blocked actions by reason",
            "Steps held back by a safety check or a refusal, by reason.",
            [
                Query(
                    rate_sum(sel(c.ACTIONS_BLOCKED), (c.AGENT, c.REASON)), "{{gen_ai_agent_name}} {{reason}}"
                )
            ],
            "ops",
            links=[links.traces_of_agent()],
        ),
        12,
    )

    grid.row("Screenshots and steps")
    grid.add(
        stat_panel(
            "Screenshots per step",
            "Screenshots sent / chat calls (model turns), at the current rate.",
            Query(f"{rate_sum(sel(c.SCREENSHOTS))}\n/\n{rate_sum(sel(c.REQUESTS, '', CHAT))}"),
            "short",
            decimals=2,
        ),
        6,
    )
    grid.add(
        timeseries_panel(
            "Screenshots per step by agent",
            "Screenshots sent per chat call, by agent.",
            [
                Query(
                    f"{rate_sum(sel(c.SCREENSHOTS), AGENT)}\n/ on ({c.AGENT})\n"
                    f"{rate_sum(sel(c.REQUESTS, '', CHAT), AGENT)}",
                    "{{gen_ai_agent_name}}",
                )
            ],
            "short",
        ),
        6,
    )
    grid.add(
        timeseries_panel(
            "Screenshot size P50 / P95",
            "Bytes per screenshot sent to the model (never its content).",
            percentile_queries(sel(c.SCREENSHOT_SIZE, "_bucket"), (0.5, 0.95), AGENT),
            "bytes",
        ),
        6,
    )
    grid.add(
        timeseries_panel(
            "Screenshot bytes per second",
            "Image bytes sent to the model, by agent.",
            [Query(rate_sum(sel(c.SCREENSHOT_SIZE, "_sum"), AGENT), "{{gen_ai_agent_name}}")],
            "Bps",
        ),
        6,
    )
    grid.add(
        timeseries_panel(
            "Steps per task P50 / P95",
            "Model turns per finished run, by agent.",
            percentile_queries(agent_only(c.RUN_STEPS, "_bucket"), (0.5, 0.95), AGENT),
            "short",
            links=[links.to_dashboard(links.RUNS_UID, "Runs of this agent")],
        ),
        24,
    )
    return dashboard(
        links.COMPUTER_USE_UID,
        "Agent computer use",
        "Computer-use actions by type and outcome, latency, blocked actions, screenshots and steps.",
        grid,
    )
