"""Cost: how much are the agents spending, against which budget, and on what?"""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from agent_telemetry import contract as c
from agent_telemetry.tooling.dashboards import links
from agent_telemetry.tooling.dashboards.layout import Grid
from agent_telemetry.tooling.dashboards.panels import (
    Query,
    bargauge_panel,
    levels,
    percentile_queries,
    stat_panel,
    table_panel,
    timeseries_panel,
)
from agent_telemetry.tooling.dashboards.selectors import agent_only, sel
from agent_telemetry.tooling.dashboards.skeleton import dashboard
from agent_telemetry.tooling.promql import increase_sum, quantile, rate_sum
from agent_telemetry.tooling.rules import names
from agent_telemetry.tooling.rules.config import DailyBudget, Thresholds

AGENT = (c.AGENT,)
DAY = "1d"  # the budget alerts' rolling day: increase(agent_cost_usd_total[1d])
FEATURE = names.FEATURE
INPUT_TYPES = ("input", "cache_read", "cache_write")  # disjoint: together, every token of the prompt


def spend_24h_by_agent() -> str:
    # Budgets are per agent and count every provider and model: only the agent filter applies.
    return increase_sum(agent_only(c.COST), AGENT, DAY)


def daily_budget_usd(budget: DailyBudget, spend_by_agent: str) -> str:
    """Each agent's budget as a series, from the thresholds file (per-agent overrides first)."""
    default = f"(0 * {spend_by_agent} + {budget.usd:g})"
    if not budget.agents:
        return default
    overrides = " or ".join(
        f'label_replace(vector({usd:g}), "{c.AGENT}", "{agent}", "", "")'
        for agent, usd in sorted(budget.agents.items())
    )
    return f"(\n  {overrides}\nor on ({c.AGENT})\n  {default}\n)"


def _tokens(*token_types: str) -> str:
    # One selector for all the types: a sum of per-type sums would be empty while one type (cache
    # writes, which OpenAI-only fleets never have) has no series.
    return increase_sum(sel(c.TOKENS, "", f'{c.TOKEN_TYPE}=~"{"|".join(token_types)}"'))


def _tokens_by_agent(*token_types: str) -> str:
    return rate_sum(sel(c.TOKENS, "", f'{c.TOKEN_TYPE}=~"{"|".join(token_types)}"'), AGENT)


def build(t: Thresholds) -> Dashboard:
    budget = t.daily_budget
    default_steps = levels(budget.usd * budget.warning_ratio, budget.usd * budget.critical_ratio)
    overrides_note = (
        " Agents with their own budget: "
        + ", ".join(f"{agent} ${usd:g}" for agent, usd in sorted(budget.agents.items()))
        + "."
        if budget.agents
        else ""
    )
    grid = Grid()

    grid.row("Budget (rolling 24 hours, as the budget alerts count it)")
    spend = spend_24h_by_agent()
    grid.add(
        bargauge_panel(
            "Spend vs daily budget",
            f"Each agent's spend over the last 24 hours / its daily budget. AgentDailyBudgetWarning fires "
            f"at {budget.warning_ratio:.0%} (yellow), AgentDailyBudgetExceeded at "
            f"{budget.critical_ratio:.0%} (red)." + overrides_note,
            Query(
                f"{spend}\n/ on ({c.AGENT})\n{daily_budget_usd(budget, spend)}",
                "{{gen_ai_agent_name}}",
                instant=True,
            ),
            "percentunit",
            steps=levels(budget.warning_ratio, budget.critical_ratio),
            maximum=budget.critical_ratio,
        ),
        8,
        7,
    )
    grid.add(
        stat_panel(
            "Spend, rolling 24 h",
            f"US dollars over the last 24 hours (all selected agents). Colours: the default budget of "
            f"${budget.usd:g} per agent, warning at {budget.warning_ratio:.0%}.",
            Query(increase_sum(sel(c.COST), (), DAY)),
            "currencyUSD",
            steps=default_steps,
        ),
        4,
        7,
    )
    grid.add(
        stat_panel(
            "Next 24 h at the last hour's rate",
            "Where the rolling 24-hour spend is heading: the last hour's spend rate times 24. Above the "
            "budget, the budget alerts will fire if the rate holds.",
            Query(f"{rate_sum(sel(c.COST), (), '1h')} * 86400"),
            "currencyUSD",
            steps=default_steps,
        ),
        4,
        7,
    )
    grid.add(
        stat_panel(
            "Rest of today (UTC) at the last hour's rate",
            "US dollars still to be spent before midnight UTC if the last hour's rate holds.",
            Query(f"{rate_sum(sel(c.COST), (), '1h')} * (86400 - time() % 86400)"),
            "currencyUSD",
        ),
        4,
        7,
    )
    grid.add(
        stat_panel(
            "This month at the last 24 h's rate",
            "The last 24 hours' spend rate over every day of the current month.",
            Query(f"{rate_sum(sel(c.COST), (), DAY)} * 86400 * days_in_month()"),
            "currencyUSD",
        ),
        4,
        7,
    )
    grid.add(
        timeseries_panel(
            "Rolling 24 h spend by agent",
            f"The series the budget alerts watch. Dashed lines: the default budget's warning "
            f"(${budget.usd * budget.warning_ratio:g}) and limit (${budget.usd * budget.critical_ratio:g})."
            + overrides_note,
            [Query(spend, "{{gen_ai_agent_name}}")],
            "currencyUSD",
            steps=default_steps,
            threshold_lines=True,
        ),
        24,
    )

    grid.row("Where the money goes")
    for label, title in ((c.AGENT, "agent"), (c.MODEL, "model"), (c.PROVIDER, "provider")):
        grid.add(
            timeseries_panel(
                f"Cost per hour by {title}",
                f"US dollars per hour at the current rate, by {title}.",
                [Query(f"{rate_sum(sel(c.COST), (label,))} * 3600", f"{{{{{label}}}}}")],
                "currencyUSD",
                stacked=True,
            ),
            8,
        )
    grid.add(
        timeseries_panel(
            "Tokens per second by type",
            "Billed tokens by type. Cache reads are billed at a fraction of the input price: the more of the "
            "input they carry, the more caching saves.",
            [Query(rate_sum(sel(c.TOKENS), (c.TOKEN_TYPE,)), "{{gen_ai_token_type}}")],
            "short",
            stacked=True,
        ),
        8,
    )
    grid.add(
        stat_panel(
            "Cache hit ratio",
            "Cache-read tokens / all input tokens (uncached, cache reads, cache writes) over the time range.",
            Query(f"{_tokens('cache_read')}\n/\n{_tokens(*INPUT_TYPES)}"),
            "percentunit",
        ),
        4,
    )
    grid.add(
        table_panel(
            "Cost by model",
            "US dollars and calls per provider and model over the time range.",
            [
                Query(increase_sum(sel(c.COST), (c.PROVIDER, c.MODEL)), instant=True, table=True),
                Query(increase_sum(sel(c.REQUESTS), (c.PROVIDER, c.MODEL)), instant=True, table=True),
            ],
            "currencyUSD",
            rename={"Value #A": "Cost (USD)", "Value #B": "Calls"},
        ),
        12,
    )

    grid.row("Tasks")
    grid.add(
        timeseries_panel(
            "Cost per task P50 / P99",
            "Cost of one finished run, by agent.",
            percentile_queries(agent_only(c.RUN_COST, "_bucket"), (0.5, 0.99), AGENT),
            "currencyUSD",
        ),
        12,
    )
    grid.add(
        table_panel(
            "Most expensive tasks",
            "Per agent over the time range: P99 task cost and the upper bound of the costliest task's bucket "
            "(histogram_quantile(1, ...)).",
            [
                Query(
                    quantile(q, agent_only(c.RUN_COST, "_bucket"), AGENT, "$__range"),
                    instant=True,
                    table=True,
                )
                for q in (0.99, 1)
            ],
            "currencyUSD",
            rename={"Value #A": "P99 task", "Value #B": "Costliest task (bucket bound)"},
            links=[links.to_dashboard(links.RUNS_UID, "Runs of this agent")],
        ),
        12,
    )

    grid.row('By feature (set per run: agent_run(..., attributes={"feature": ...}))')
    feature = (FEATURE,)
    spent_by_feature = increase_sum(agent_only(c.RUN_COST, "_sum"), (c.AGENT, FEATURE))
    runs_by_feature = increase_sum(agent_only(c.RUN_COST, "_count"), (c.AGENT, FEATURE))
    grid.add(
        timeseries_panel(
            "Cost per hour by feature",
            f"US dollars per hour spent by runs, by the {FEATURE} label the application sets per run "
            "(runs without one have no value here). Capped: values past the cap read _other.",
            [Query(f"{rate_sum(agent_only(c.RUN_COST, '_sum'), feature)} * 3600", f"{{{{{FEATURE}}}}}")],
            "currencyUSD",
            stacked=True,
        ),
        12,
    )
    grid.add(
        table_panel(
            "Cost per run by feature",
            "Mean US dollars per run and runs, by feature and agent, over the time range.",
            [
                Query(f"{spent_by_feature}\n/\n{runs_by_feature}", instant=True, table=True),
                Query(runs_by_feature, instant=True, table=True),
            ],
            "currencyUSD",
            rename={"Value #A": "Cost per run (USD)", "Value #B": "Runs"},
        ),
        12,
    )

    grid.row("Token efficiency")
    grid.add(
        timeseries_panel(
            "Output per input token by agent",
            "Output tokens / all input tokens (uncached, cache reads, cache writes): how much answer each "
            "token of prompt buys. A falling line with steady output: the prompts grew.",
            [
                Query(
                    f"{_tokens_by_agent('output')}\n/\n{_tokens_by_agent(*INPUT_TYPES)}",
                    "{{gen_ai_agent_name}}",
                )
            ],
            "percentunit",
        ),
        12,
    )
    grid.add(
        timeseries_panel(
            "Cache hit ratio by agent",
            "Cache-read tokens / all input tokens, by agent: the share of the prompt served from the "
            "provider's cache, billed at a fraction of the input price.",
            [
                Query(
                    f"{_tokens_by_agent('cache_read')}\n/\n{_tokens_by_agent(*INPUT_TYPES)}",
                    "{{gen_ai_agent_name}}",
                )
            ],
            "percentunit",
        ),
        12,
    )

    grid.row("Gaps in the cost data")
    grid.add(
        timeseries_panel(
            "Unpriced calls",
            "Calls whose model has no known price: their cost is missing from every panel above. Add the "
            "model's price (see docs) to close the gap.",
            [
                Query(
                    rate_sum(sel(c.UNPRICED_REQUESTS), (c.PROVIDER, c.MODEL)),
                    "{{gen_ai_provider_name}} {{gen_ai_request_model}}",
                )
            ],
            "reqps",
        ),
        12,
    )
    grid.add(
        timeseries_panel(
            "Calls without reported usage",
            "Calls whose provider reported no token usage: their tokens and cost are missing above.",
            [
                Query(
                    rate_sum(sel(c.UNREPORTED_USAGE_REQUESTS), (c.PROVIDER, c.MODEL)),
                    "{{gen_ai_provider_name}} {{gen_ai_request_model}}",
                )
            ],
            "reqps",
        ),
        12,
    )
    return dashboard(
        links.COST_UID,
        "Agent cost",
        "Spend against the daily budgets, projections, and cost by agent, model, provider and token type.",
        grid,
        time_from="now-24h",
    )
