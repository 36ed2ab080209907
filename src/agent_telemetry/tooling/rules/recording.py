"""Recording rules: numerators and denominators summed per agent, then divided.

Ratios are recorded from separately summed rates (never an average of per-series ratios), and a ratio
whose numerator has no series yet (an agent that never failed) reads 0 rather than nothing.
"""

from __future__ import annotations

from agent_telemetry import contract
from agent_telemetry.tooling.promql import le_regex, matchers, not_in, num, rate_sum, ratio_or_zero
from agent_telemetry.tooling.rules import names
from agent_telemetry.tooling.rules.config import Thresholds
from agent_telemetry.tooling.rules.durations import seconds
from agent_telemetry.tooling.rules.groups import RecordingRule, RuleGroup

A = names.AGENT

# Collector self-metrics that mean metric points were lost, by the `reason` label we give them.
# Each is read with and without `_total`: v0.162's Prometheus reader exposes the bare name (the live
# stack shows it); other releases and scrape formats add `_total`. `processor_*` are the deprecated
# processorhelper counters (memory_limiter still reports `refused` in v0.16x).
COLLECTOR_LOSS_METRICS: tuple[tuple[str, str], ...] = (
    ("receiver_refused", "otelcol_receiver_refused_metric_points"),
    ("receiver_failed", "otelcol_receiver_failed_metric_points"),
    ("processor_refused", "otelcol_processor_refused_metric_points"),
    ("processor_dropped", "otelcol_processor_dropped_metric_points"),
    ("exporter_enqueue_failed", "otelcol_exporter_enqueue_failed_metric_points"),
    ("exporter_send_failed", "otelcol_exporter_send_failed_metric_points"),
)


def call_windows(t: Thresholds) -> tuple[str, ...]:
    """Every window an alert reads request, error or latency-SLI rates over, shortest first."""
    windows = {t.error_rate.window, t.latency.window, t.rate_limit_storm.window}
    windows.update((t.request_rate_anomaly.window, t.latency_anomaly.window, t.tokens_anomaly.window))
    for burn in t.slo.burn_rates:
        windows.update((burn.long, burn.short))
    return tuple(sorted(windows, key=lambda w: (seconds(w), w)))


def _sum_rate(metric: str, selector: str, window: str, by: str = A) -> str:
    """Rules sum by agent unless told otherwise."""
    return rate_sum(f"{metric}{selector}", tuple(by.split(", ")), window)


def calls_group(t: Thresholds) -> RuleGroup:
    errors = matchers(not_in(contract.ERROR_TYPE, t.ignored_error_types))
    rules: list[RecordingRule] = []
    for w in call_windows(t):
        rules += [
            RecordingRule(names.requests_rate(w), _sum_rate(contract.REQUESTS.prometheus_name, "", w)),
            RecordingRule(
                names.errors_rate(w), _sum_rate(contract.REQUEST_ERRORS.prometheus_name, errors, w)
            ),
            RecordingRule(names.errors_ratio(w), ratio_or_zero(names.errors_rate(w), names.requests_rate(w))),
        ]
    # Rate limits count per attempt: a 429 the SDK retried is a 429 all the same, so a storm that
    # retries hide still shows (and the denominator counts the resent attempts too).
    w = t.rate_limit_storm.window
    limited = matchers(f'{contract.ERROR_TYPE}="rate_limit"')
    retries = contract.REQUEST_RETRIES.prometheus_name
    rules += [
        RecordingRule(
            names.rate_limited_rate(w),
            _sum_rates_of_both(
                (contract.REQUEST_ERRORS.prometheus_name, "failed"), (retries, "retried"), limited, w
            ),
        ),
        RecordingRule(
            names.attempts_rate(w),
            _sum_rates_of_both((contract.REQUESTS.prometheus_name, "first"), (retries, "retried"), "", w),
        ),
        RecordingRule(
            names.rate_limited_ratio(w), ratio_or_zero(names.rate_limited_rate(w), names.attempts_rate(w))
        ),
    ]
    return RuleGroup("agent-telemetry.calls.rules", tuple(rules))


def _sum_rates_of_both(first: tuple[str, str], second: tuple[str, str], selector: str, window: str) -> str:
    """The per-agent sum of two counters' rates, either of which may have no series yet.

    ``rate`` drops the metric name, so two series of different counters can end up with the same labels;
    an ``attempt`` label keeps them apart for the ``or``, which then keeps both, and the sum adds them.
    """
    parts = [
        f'  label_replace(rate({metric}{selector}[{window}]), "attempt", "{attempt}", "", "")'
        for metric, attempt in (first, second)
    ]
    return f"sum by ({A}) (\n" + "\n  or\n".join(parts) + "\n)\n"


def latency_group(t: Thresholds) -> RuleGroup:
    histogram = contract.REQUEST_DURATION.prometheus_name
    rules: list[RecordingRule] = []
    buckets_recorded: set[str] = set()
    # The quantile AgentHighLatencyP95 reads, and the one AgentLatencyAnomaly compares with its past.
    for q, w in dict.fromkeys(
        ((t.latency.quantile, t.latency.window), (t.latency_anomaly.quantile, t.latency_anomaly.window))
    ):
        if w not in buckets_recorded:
            buckets_recorded.add(w)
            rules.append(
                RecordingRule(
                    names.duration_bucket_rate(w), _sum_rate(f"{histogram}_bucket", "", w, by=f"{A}, le")
                )
            )
        # Only where there were calls: an idle window's NaN would poison a baseline's mean for its length.
        buckets = names.duration_bucket_rate(w)
        rules.append(
            RecordingRule(
                names.duration_quantile(q, w),
                f'histogram_quantile({num(q)}, {buckets})\nand on ({A})\n{buckets}{{le="+Inf"}} > 0\n',
            )
        )
    fast = matchers(f'le=~"{le_regex(t.slo.latency.threshold_seconds)}"')
    for w in call_windows(t):
        count, within = names.duration_count_rate(w), names.duration_fast_rate(w)
        rules += [
            RecordingRule(count, _sum_rate(f"{histogram}_count", "", w)),
            RecordingRule(within, _sum_rate(f"{histogram}_bucket", fast, w)),
            RecordingRule(names.duration_slow_ratio(w), f"(\n  {count}\n-\n  {within}\n)\n/\n  {count}\n"),
        ]
    return RuleGroup("agent-telemetry.latency.rules", tuple(rules))


def _daily_budget_expr(t: Thresholds) -> str:
    # Per-agent overrides as constant series, then the default for every other agent that spends.
    overrides = [
        f'label_replace(vector({num(usd)}), "{A}", "{agent}", "", "")'
        for agent, usd in sorted(t.daily_budget.agents.items())
    ]
    default = f"0 * {names.cost_increase_1d()} + {num(t.daily_budget.usd)}"
    return "\nor\n".join([*overrides, default]) + "\n"


def cost_group(t: Thresholds) -> RuleGroup:
    cost = contract.COST.prometheus_name
    w, baseline = t.cost_spike.window, t.cost_spike.baseline
    spend = names.cost_rate(w)
    full = names.cost_rate_full_window(w)
    rules = (
        RecordingRule(names.cost_increase_1d(), f"sum by ({A}) (increase({cost}[1d]))"),
        RecordingRule(names.daily_budget(), _daily_budget_expr(t)),
        RecordingRule(spend, _sum_rate(cost, "", w)),
        # The rate only once the agent has spent for a whole window: over an agent's first window the
        # rate ramps up from 0, and a baseline made of those values would sit far below its normal
        # spend (a steady new agent would "spike" as soon as its baseline began).
        RecordingRule(full, f"{spend}\nand on ({A})\nsum by ({A}) ({cost} offset {w})\n"),
        *_baseline(full, w, baseline, named_after=spend),
    )
    return RuleGroup("agent-telemetry.cost.rules", rules)


def _baseline(
    series: str, window: str, baseline: str, named_after: str = ""
) -> tuple[RecordingRule, RecordingRule]:
    """Mean and standard deviation of ``series`` over ``baseline`` (named after ``named_after``).

    The baseline ends where the current window starts, so an anomaly does not raise its own bar.
    """
    name = named_after or series
    return (
        RecordingRule(
            names.baseline_avg(name, baseline), f"avg_over_time({series}[{baseline}] offset {window})"
        ),
        RecordingRule(
            names.baseline_stddev(name, baseline), f"stddev_over_time({series}[{baseline}] offset {window})"
        ),
    )


def anomaly_group(t: Thresholds) -> RuleGroup:
    """Each agent's calls, latency and tokens per call, and what they were in the past."""
    r, lat, tok = t.request_rate_anomaly, t.latency_anomaly, t.tokens_anomaly
    p95 = names.duration_quantile(lat.quantile, lat.window)
    per_request = names.tokens_per_request(tok.window)
    rules = (
        RecordingRule(
            names.requests_rate_offset(r.window, r.offset),
            rate_sum(contract.REQUESTS.prometheus_name, (A,), r.window, offset=r.offset),
        ),
        *_baseline(p95, lat.window, lat.baseline),
        RecordingRule(
            per_request,
            # Only where there were calls (no NaN in the baseline, as above).
            f"{_sum_rate(contract.TOKENS.prometheus_name, '', tok.window)}\n/\n"
            f"({names.requests_rate(tok.window)} > 0)\n",
        ),
        *_baseline(per_request, tok.window, tok.baseline),
    )
    return RuleGroup("agent-telemetry.anomaly.rules", rules)


def agents_group(t: Thresholds) -> RuleGroup:
    tw = t.tool_errors.window
    by_tool = f"{A}, {names.TOOL}"
    calls, errors = names.tool_calls_rate(tw), names.tool_errors_rate(tw)
    qw, qb = t.quality_drift.window, t.quality_drift.baseline
    by_eval = f"{A}, {names.EVALUATOR}"
    score = contract.QUALITY.prometheus_name
    rules = (
        RecordingRule(calls, _sum_rate(contract.TOOL_CALLS.prometheus_name, "", tw, by=by_tool)),
        RecordingRule(errors, _sum_rate(contract.TOOL_ERRORS.prometheus_name, "", tw, by=by_tool)),
        RecordingRule(names.tool_errors_ratio(tw), ratio_or_zero(errors, calls)),
        RecordingRule(names.quality_count_rate(qw), _sum_rate(f"{score}_count", "", qw, by=by_eval)),
        RecordingRule(
            names.quality_mean(qw),
            _sum_rate(f"{score}_sum", "", qw, by=by_eval)
            + "\n/\n"
            + _sum_rate(f"{score}_count", "", qw, by=by_eval)
            + "\n",
        ),
        RecordingRule(
            names.quality_baseline_count(qb),
            f"sum by ({by_eval}) (increase({score}_count[{qb}] offset {qw}))",
        ),
        RecordingRule(
            names.quality_baseline_mean(qb),
            f"sum by ({by_eval}) (rate({score}_sum[{qb}] offset {qw}))\n/\n"
            f"sum by ({by_eval}) (rate({score}_count[{qb}] offset {qw}))\n",
        ),
    )
    return RuleGroup("agent-telemetry.agents.rules", rules)


def runs_group(t: Thresholds) -> RuleGroup:
    """Task-level series per agent and version: a new release is told apart from the one it replaces."""
    by_version = f"{A}, {names.VERSION}"
    runs = contract.RUNS.prometheus_name
    # A cancelled run was stopped by the application: neither a success nor a failure of the agent.
    finished = matchers(f'{contract.STATUS}!="cancelled"')
    succeeded = matchers(f'{contract.STATUS}="success"')
    sw = t.run_success.window
    rules = [
        RecordingRule(names.runs_finished_rate(sw), _sum_rate(runs, finished, sw, by=by_version)),
        RecordingRule(names.runs_success_rate(sw), _sum_rate(runs, succeeded, sw, by=by_version)),
        RecordingRule(
            names.runs_success_ratio(sw),
            ratio_or_zero(names.runs_success_rate(sw), names.runs_finished_rate(sw)),
        ),
    ]
    d = t.run_duration
    histogram = contract.RUN_DURATION.prometheus_name
    rules += [
        RecordingRule(
            names.run_duration_bucket_rate(d.window),
            _sum_rate(f"{histogram}_bucket", "", d.window, by=f"{by_version}, le"),
        ),
        RecordingRule(
            names.run_duration_count_rate(d.window),
            _sum_rate(f"{histogram}_count", "", d.window, by=by_version),
        ),
        RecordingRule(
            names.run_duration_quantile(d.quantile, d.window),
            f"histogram_quantile({num(d.quantile)}, {names.run_duration_bucket_rate(d.window)})",
        ),
    ]
    cw = t.run_cost.window
    cost = contract.RUN_COST.prometheus_name
    rules += [
        RecordingRule(names.run_cost_count_rate(cw), _sum_rate(f"{cost}_count", "", cw, by=by_version)),
        RecordingRule(
            names.run_cost_mean(cw),
            f"{_sum_rate(f'{cost}_sum', '', cw, by=by_version)}\n/\n{names.run_cost_count_rate(cw)}\n",
        ),
    ]
    # Cost by the feature the application names per run: which part of the product the money goes to.
    by_feature = f"{A}, {names.FEATURE}"
    spent = names.run_cost_by_feature_rate(cw)
    rules += [
        RecordingRule(spent, _sum_rate(f"{cost}_sum", "", cw, by=by_feature)),
        RecordingRule(
            names.run_cost_by_feature_mean(cw),
            f"{spent}\n/\n{_sum_rate(f'{cost}_count', '', cw, by=by_feature)}\n",
        ),
    ]
    return RuleGroup("agent-telemetry.runs.rules", tuple(rules))


def pipeline_group(t: Thresholds) -> RuleGroup:
    w, job = t.collector.dropping_window, t.collector.job
    parts = [
        f'label_replace(\n  sum by (job, instance) (rate({metric}_total{{job="{job}"}}[{w}]))\n'
        f'  or\n  sum by (job, instance) (rate({metric}{{job="{job}"}}[{w}])),\n'
        f'  "reason", "{reason}", "", ""\n)'
        for reason, metric in COLLECTOR_LOSS_METRICS
    ]
    rules = (
        # Present while the agent's SDK exports: cumulative counters are re-sent every interval even idle.
        RecordingRule(names.reporting_series(), f"count by ({A}) ({contract.REQUESTS.prometheus_name})"),
        RecordingRule(names.collector_lost_points(w), "\nor\n".join(parts) + "\n"),
    )
    return RuleGroup("agent-telemetry.pipeline.rules", rules)


def recording_groups(t: Thresholds) -> tuple[RuleGroup, ...]:
    return (
        calls_group(t),
        latency_group(t),
        cost_group(t),
        agents_group(t),
        runs_group(t),
        anomaly_group(t),
        pipeline_group(t),
    )
