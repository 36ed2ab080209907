"""Recording rule names, ``level:metric:operations`` (monitoring-mixin convention).

Alerts refer to recorded series only through these functions, so a rename cannot leave an alert
reading a series nobody records.
"""

from __future__ import annotations

from agent_telemetry import contract

AGENT = contract.AGENT
TOOL = contract.TOOL
EVALUATOR = contract.EVALUATOR
VERSION = contract.AGENT_VERSION
FEATURE = contract.FEATURE
AGENT_TOOL = f"{AGENT}_{TOOL}"
AGENT_VERSION = f"{AGENT}_{VERSION}"
AGENT_FEATURE = f"{AGENT}_{FEATURE}"
AGENT_EVALUATOR = f"{AGENT}_{EVALUATOR}"


def _stem(metric: contract.Metric) -> str:
    """The metric part of a rule name: the Prometheus name, without a counter's ``_total``."""
    return metric.prometheus_name.removesuffix("_total")


REQUESTS = _stem(contract.REQUESTS)
ERRORS = _stem(contract.REQUEST_ERRORS)
DURATION = _stem(contract.REQUEST_DURATION)
COST = _stem(contract.COST)
TOOL_CALLS = _stem(contract.TOOL_CALLS)
TOOL_ERRORS = _stem(contract.TOOL_ERRORS)
QUALITY = _stem(contract.QUALITY)
TOKENS = _stem(contract.TOKENS)
RUNS = _stem(contract.RUNS)
RUN_DURATION = _stem(contract.RUN_DURATION)
RUN_COST = _stem(contract.RUN_COST)


def requests_rate(window: str) -> str:
    return f"{AGENT}:{REQUESTS}:rate{window}"


def errors_rate(window: str) -> str:
    return f"{AGENT}:{ERRORS}:rate{window}"


def errors_ratio(window: str) -> str:
    return f"{AGENT}:{ERRORS}:ratio_rate{window}"


def rate_limited_rate(window: str) -> str:
    return f"{AGENT}:{REQUESTS}_rate_limited:rate{window}"


def rate_limited_ratio(window: str) -> str:
    return f"{AGENT}:{REQUESTS}_rate_limited:ratio_rate{window}"


def attempts_rate(window: str) -> str:
    """Every attempt of a call: its first (agent_requests_total) and each one the SDK resent."""
    return f"{AGENT}:agent_requests_attempts:rate{window}"


def duration_bucket_rate(window: str) -> str:
    return f"{AGENT}_le:{DURATION}_bucket:rate{window}"


def _percentile(quantile: float) -> str:
    return "p" + f"{quantile * 100:g}".replace(".", "_")


def duration_quantile(quantile: float, window: str) -> str:
    return f"{AGENT}:{DURATION}:{_percentile(quantile)}_rate{window}"


def duration_count_rate(window: str) -> str:
    return f"{AGENT}:{DURATION}_count:rate{window}"


def duration_fast_rate(window: str) -> str:
    """Calls that finished within the latency SLO threshold (the bucket at the threshold)."""
    return f"{AGENT}:{DURATION}_fast:rate{window}"


def duration_slow_ratio(window: str) -> str:
    return f"{AGENT}:{DURATION}_slow:ratio_rate{window}"


def cost_increase_1d() -> str:
    return f"{AGENT}:{COST}:increase1d"


def daily_budget() -> str:
    return f"{AGENT}:{COST}:daily_budget"


def cost_rate(window: str) -> str:
    return f"{AGENT}:{COST}:rate{window}"


def cost_rate_full_window(window: str) -> str:
    return f"{AGENT}:{COST}:rate{window}_full_window"


def _over_time(function: str, series: str, baseline: str) -> str:
    """``level:metric:ops`` -> ``level:metric:<function>_over_time<baseline>_ops``."""
    level, metric, operations = series.split(":")
    return f"{level}:{metric}:{function}_over_time{baseline}_{operations}"


def baseline_avg(series: str, baseline: str) -> str:
    """The mean of a recorded series over ``baseline`` (ending where its current window starts)."""
    return _over_time("avg", series, baseline)


def baseline_stddev(series: str, baseline: str) -> str:
    return _over_time("stddev", series, baseline)


def cost_rate_baseline_avg(window: str, baseline: str) -> str:
    return baseline_avg(cost_rate(window), baseline)


def cost_rate_baseline_stddev(window: str, baseline: str) -> str:
    return baseline_stddev(cost_rate(window), baseline)


def requests_rate_offset(window: str, offset: str) -> str:
    """The call rate over ``window``, ``offset`` ago (the same hour last week)."""
    return f"{AGENT}:{REQUESTS}:rate{window}_offset{offset}"


def tokens_per_request(window: str) -> str:
    """Tokens of every type (what is billed) per provider call."""
    return f"{AGENT}:{TOKENS}_per_request:ratio_rate{window}"


def tool_calls_rate(window: str) -> str:
    return f"{AGENT_TOOL}:{TOOL_CALLS}:rate{window}"


def tool_errors_rate(window: str) -> str:
    return f"{AGENT_TOOL}:{TOOL_ERRORS}:rate{window}"


def tool_errors_ratio(window: str) -> str:
    return f"{AGENT_TOOL}:{TOOL_ERRORS}:ratio_rate{window}"


def quality_count_rate(window: str) -> str:
    return f"{AGENT_EVALUATOR}:{QUALITY}_count:rate{window}"


def quality_mean(window: str) -> str:
    return f"{AGENT_EVALUATOR}:{QUALITY}:mean{window}"


def quality_baseline_count(baseline: str) -> str:
    """Scores in the baseline window, which ends where the current window starts."""
    return f"{AGENT_EVALUATOR}:{QUALITY}_count:baseline_increase{baseline}"


def quality_baseline_mean(baseline: str) -> str:
    return f"{AGENT_EVALUATOR}:{QUALITY}:baseline_mean{baseline}"


def runs_finished_rate(window: str) -> str:
    """Runs that ended, but for the cancelled ones, per agent and version."""
    return f"{AGENT_VERSION}:{RUNS}_finished:rate{window}"


def runs_success_rate(window: str) -> str:
    return f"{AGENT_VERSION}:{RUNS}_success:rate{window}"


def runs_success_ratio(window: str) -> str:
    return f"{AGENT_VERSION}:{RUNS}_success:ratio_rate{window}"


def run_duration_bucket_rate(window: str) -> str:
    return f"{AGENT_VERSION}_le:{RUN_DURATION}_bucket:rate{window}"


def run_duration_count_rate(window: str) -> str:
    return f"{AGENT_VERSION}:{RUN_DURATION}_count:rate{window}"


def run_duration_quantile(quantile: float, window: str) -> str:
    return f"{AGENT_VERSION}:{RUN_DURATION}:{_percentile(quantile)}_rate{window}"


def run_cost_count_rate(window: str) -> str:
    return f"{AGENT_VERSION}:{RUN_COST}_count:rate{window}"


def run_cost_mean(window: str) -> str:
    return f"{AGENT_VERSION}:{RUN_COST}:mean{window}"


def run_cost_by_feature_rate(window: str) -> str:
    """USD per second spent by runs, per agent and application-set feature (agent_run attributes)."""
    return f"{AGENT_FEATURE}:{RUN_COST}_sum:rate{window}"


def run_cost_by_feature_mean(window: str) -> str:
    return f"{AGENT_FEATURE}:{RUN_COST}:mean{window}"


def reporting_series() -> str:
    return f"{AGENT}:{REQUESTS}_series:count"


def labels_folded(window: str) -> str:
    """Per service and label, values folded into _other within ``window`` (only where there are some)."""
    overflow = contract.LABEL_OVERFLOW.prometheus_name
    by = "job, label"
    return (
        f"sum by ({by}) (increase({overflow}[{window}])) > 0\n"
        # A process that folded before its first export starts its counter above 0: increase() cannot
        # see that, the counter's appearance can.
        f"or\nsum by ({by}) ({overflow} unless {overflow} offset {window}) > 0\n"
    )


def collector_lost_points(window: str) -> str:
    return f"instance:otelcol_metric_points_lost:rate{window}"
