"""Compare: did a change make the agent worse? Version B against version A, and now against before.

Every figure is over the dashboard's time range, from the run-level metrics (which carry
``gen_ai_agent_version``): run success rate, cost, completion time, tokens and steps per run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models.dashboard import Dashboard, VariableOption, VariableRefresh, VariableSort

from agent_telemetry import contract as c
from agent_telemetry.tooling.dashboards import links
from agent_telemetry.tooling.dashboards.datasources import prometheus_ref
from agent_telemetry.tooling.dashboards.layout import Grid
from agent_telemetry.tooling.dashboards.panels import (
    GREEN,
    RED,
    YELLOW,
    Query,
    Steps,
    stat_panel,
    timeseries_panel,
)
from agent_telemetry.tooling.dashboards.selectors import agent_only
from agent_telemetry.tooling.dashboards.skeleton import dashboard
from agent_telemetry.tooling.promql import RANGE, RATE, rate_sum
from agent_telemetry.tooling.rules import names
from agent_telemetry.tooling.rules.config import Thresholds

VERSION_A, VERSION_B, OFFSET = "version_a", "version_b", "compare_offset"
PERIODS = ("1d", "1w")  # "the previous day", "the previous week": the same hours, a day or a week earlier


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a comparison: the runs of one version, or of the same range some time earlier."""

    matchers: tuple[str, ...] = ()
    offset: str = ""


def _version(variable: str) -> Side:
    return Side((f'{names.VERSION}=~"${{{variable}}}"',))


def success_rate(side: Side, window: str = RANGE) -> str:
    runs = c.RUNS

    def share(status: str) -> str:
        return rate_sum(agent_only(runs, "", status, *side.matchers), (), window, side.offset)

    # Cancelled runs (the application stopped them) count neither way, as in AgentRunSuccessRateLow.
    succeeded, finished = share(f'{c.STATUS}="success"'), share(f'{c.STATUS}!="cancelled"')
    return f"(\n  {succeeded}\n/\n  {finished}\n)"


def _mean(metric: c.Metric) -> Callable[[Side, str], str]:
    def per_run(side: Side, window: str = RANGE) -> str:
        total = rate_sum(agent_only(metric, "_sum", *side.matchers), (), window, side.offset)
        count = rate_sum(agent_only(metric, "_count", *side.matchers), (), window, side.offset)
        return f"(\n  {total}\n/\n  {count}\n)"

    return per_run


def p95_run_seconds(side: Side, window: str = RANGE) -> str:
    buckets = rate_sum(agent_only(c.RUN_DURATION, "_bucket", *side.matchers), ("le",), window, side.offset)
    return f"histogram_quantile(0.95, {buckets})"


# Lower is better for all but the success rate; "worse" is where the colours turn.
HIGHER_IS_WORSE: Steps = ((None, GREEN), (0.1, YELLOW), (0.2, RED))
LOWER_IS_WORSE: Steps = ((None, RED), (-0.05, YELLOW), (-0.02, GREEN))


@dataclass(frozen=True, slots=True)
class Figure:
    title: str
    expr: Callable[[Side, str], str]
    unit: str
    difference: bool = False  # show B - A (percentage points) rather than B / A - 1
    steps: Steps = HIGHER_IS_WORSE


FIGURES: tuple[Figure, ...] = (
    Figure("Run success rate", success_rate, "percentunit", difference=True, steps=LOWER_IS_WORSE),
    Figure("Cost per run", _mean(c.RUN_COST), "currencyUSD"),
    Figure("P95 run completion time", p95_run_seconds, "s"),
    Figure("Tokens per run", _mean(c.RUN_TOKENS), "short"),
    Figure("Steps per run", _mean(c.RUN_STEPS), "short"),
)


def change(figure: Figure, before: Side, after: Side) -> str:
    """The change from ``before`` to ``after``: a relative change, or a difference of two ratios."""
    a, b = figure.expr(before, RANGE), figure.expr(after, RANGE)
    return f"{b}\n-\n{a}" if figure.difference else f"{b}\n/\n{a}\n- 1"


def _change_description(figure: Figure, versus: str) -> str:
    how = (
        "percentage points (B minus A)"
        if figure.difference
        else "relative change (+15% = 15% more than A; for the cost, 15% dearer)"
    )
    return f"{figure.title} of {versus}, over the time range: the {how}. Red where it got worse."


def _version_variable(name: str, label: str) -> db.QueryVariable:
    return (
        db.QueryVariable(name)
        .label(label)
        .datasource(prometheus_ref())
        .query(f'label_values({c.RUNS.prometheus_name}{{{c.AGENT}=~"$agent"}}, {names.VERSION})')
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_CASE_INSENSITIVE_ASC)
    )


def _offset_variable() -> db.CustomVariable:
    return (
        db.CustomVariable(OFFSET)
        .label("Compare with")
        .values(",".join(PERIODS))
        .current(VariableOption(selected=True, text=PERIODS[-1], value=PERIODS[-1]))
    )


def build(t: Thresholds) -> Dashboard:
    del t  # the comparisons read raw series: no threshold applies
    grid = Grid()
    a, b = _version(VERSION_A), _version(VERSION_B)

    grid.row("Version B against version A (runs of the selected agents)")
    for figure in FIGURES:
        grid.add(
            stat_panel(
                f"{figure.title}: B vs A",
                _change_description(figure, "version B against version A"),
                Query(change(figure, a, b), instant=True),
                "percentunit",
                steps=figure.steps,
                decimals=1,
            ),
            24 // len(FIGURES),
            5,
        )
    for figure in FIGURES:
        grid.add(
            timeseries_panel(
                f"{figure.title}, A and B",
                f"{figure.title} of each version over time.",
                [
                    Query(figure.expr(a, RATE), f"A ${VERSION_A}"),
                    Query(figure.expr(b, RATE), f"B ${VERSION_B}"),
                ],
                figure.unit,
            ),
            8,
        )

    grid.row("This period against the same hours before (all versions)")
    now, before = Side(), Side(offset=f"${OFFSET}")
    for figure in FIGURES:
        grid.add(
            stat_panel(
                f"{figure.title} vs ${OFFSET} before",
                _change_description(figure, f"the time range against the same range ${OFFSET} earlier"),
                Query(change(figure, before, now), instant=True),
                "percentunit",
                steps=figure.steps,
                decimals=1,
            ),
            24 // len(FIGURES),
            5,
        )
    return dashboard(
        links.COMPARE_UID,
        "Agent compare",
        "Did a change make the agent worse? Version B against version A and this period against the one "
        "before: run success rate, cost, completion time, tokens and steps per run, and how much each "
        "changed.",
        grid,
        time_from="now-24h",
        variables=(
            _version_variable(VERSION_A, "Version A"),
            _version_variable(VERSION_B, "Version B"),
            _offset_variable(),
        ),
    )
