"""The metric contract: every metric we emit, with the name it has in Prometheus.

This table is the single source for the instruments (``metrics.py``), the alert rules and dashboards
generators, the docs and the tests. The Prometheus name is what the OpenTelemetry Collector's default
name translation (and the in-process Prometheus exporter) makes of the OpenTelemetry name and unit:
dots become underscores, the unit becomes a suffix (``s`` -> ``_seconds``, ``By`` -> ``_bytes``,
annotations in braces are dropped) and monotonic counters get ``_total``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    COUNTER = "counter"
    HISTOGRAM = "histogram"


# Label keys: the OpenTelemetry attribute keys as Prometheus sees them (dots -> underscores).
AGENT = "gen_ai_agent_name"
PROVIDER = "gen_ai_provider_name"
OPERATION = "gen_ai_operation_name"
MODEL = "gen_ai_request_model"
TOKEN_TYPE = "gen_ai_token_type"
ERROR_TYPE = "error_type"
TOOL = "gen_ai_tool_name"

CALL_LABELS: tuple[str, ...] = (AGENT, PROVIDER, OPERATION, MODEL)


@dataclass(frozen=True, slots=True)
class Metric:
    otel_name: str
    unit: str
    kind: Kind
    prometheus_name: str
    labels: tuple[str, ...]
    description: str

    @property
    def series_name(self) -> str:
        """The name of the series that carries the count: ``_bucket`` etc. come on top for histograms."""
        return self.prometheus_name


# Request latency buckets, seconds: 10 ms to 10 min, with a boundary at every alert threshold
# (10 s is the P95 warning) so that histogram_quantile is exact on either side of it.
DURATION_BUCKETS: tuple[float, ...] = (
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.0,
    3.0,
    5.0,
    7.5,
    10.0,
    15.0,
    20.0,
    30.0,
    45.0,
    60.0,
    120.0,
    300.0,
    600.0,
)

REQUESTS = Metric(
    "agent.requests",
    "{request}",
    Kind.COUNTER,
    "agent_requests_total",
    CALL_LABELS,
    "Provider API calls made by the agent.",
)
REQUEST_ERRORS = Metric(
    "agent.requests.errors",
    "{request}",
    Kind.COUNTER,
    "agent_requests_errors_total",
    (*CALL_LABELS, ERROR_TYPE),
    "Provider API calls that failed, by error type.",
)
REQUEST_DURATION = Metric(
    "agent.request.duration",
    "s",
    Kind.HISTOGRAM,
    "agent_request_duration_seconds",
    CALL_LABELS,
    "Latency of provider API calls, including reading a stream to its end.",
)
TIME_TO_FIRST_TOKEN = Metric(
    "agent.request.time_to_first_token",
    "s",
    Kind.HISTOGRAM,
    "agent_request_time_to_first_token_seconds",
    CALL_LABELS,
    "Time from the start of a streaming call to its first content chunk.",
)
TOKENS = Metric(
    "agent.tokens",
    "{token}",
    Kind.COUNTER,
    "agent_tokens_total",
    (*CALL_LABELS, TOKEN_TYPE),
    "Tokens billed, by disjoint type (input, output, cache_read, cache_write).",
)
COST = Metric(
    "agent.cost.usd",
    "{USD}",
    Kind.COUNTER,
    "agent_cost_usd_total",
    CALL_LABELS,
    "Cost of provider API calls in US dollars.",
)
UNPRICED_REQUESTS = Metric(
    "agent.cost.unpriced_requests",
    "{request}",
    Kind.COUNTER,
    "agent_cost_unpriced_requests_total",
    CALL_LABELS,
    "Calls whose model has no known price: their cost is not in agent_cost_usd_total.",
)
UNREPORTED_USAGE_REQUESTS = Metric(
    "agent.tokens.unreported_requests",
    "{request}",
    Kind.COUNTER,
    "agent_tokens_unreported_requests_total",
    CALL_LABELS,
    "Calls whose token usage the provider did not report to us (see docs/metrics.md): their tokens and "
    "cost are missing from agent_tokens_total and agent_cost_usd_total.",
)
LABEL_OVERFLOW = Metric(
    "agent.telemetry.label_overflow",
    "{value}",
    Kind.COUNTER,
    "agent_telemetry_label_overflow_total",
    ("label",),
    "Label values folded into _other because a label passed its distinct-value limit.",
)
INTERNAL_ERRORS = Metric(
    "agent.telemetry.internal_errors",
    "{error}",
    Kind.COUNTER,
    "agent_telemetry_internal_errors_total",
    ("component",),
    "Failures inside agent-telemetry itself; the application's call was not affected.",
)

# -- Agent level: runs, tools, quality, computer use ----------------------------------------------
STATUS = "status"
EVALUATOR = "gen_ai_evaluation_name"
ACTION = "action"
OUTCOME = "outcome"
REASON = "reason"
RUN_STATUSES: tuple[str, ...] = ("success", "failure", "timeout", "budget_exceeded", "cancelled")

RUN_DURATION_BUCKETS: tuple[float, ...] = (
    *DURATION_BUCKETS[:-1],
    600.0,
    900.0,
    1200.0,
    1800.0,
    2700.0,
    3600.0,
)
RUN_STEP_BUCKETS: tuple[float, ...] = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200)
RUN_COST_BUCKETS: tuple[float, ...] = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    25.0,
    50.0,
    100.0,
)
RUN_TOKEN_BUCKETS: tuple[float, ...] = (
    100,
    250,
    500,
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
)
QUALITY_BUCKETS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
SCREENSHOT_BYTES_BUCKETS: tuple[float, ...] = (
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
)

RUNS = Metric(
    "agent.runs",
    "{run}",
    Kind.COUNTER,
    "agent_runs_total",
    (AGENT, STATUS),
    "Agent runs (tasks) finished, by status.",
)
RUN_DURATION = Metric(
    "agent.run.duration",
    "s",
    Kind.HISTOGRAM,
    "agent_run_duration_seconds",
    (AGENT, STATUS),
    "Completion time of a task.",
)
RUN_STEPS = Metric(
    "agent.run.steps",
    "{step}",
    Kind.HISTOGRAM,
    "agent_run_steps",
    (AGENT, STATUS),
    "LLM turns (chat calls) per task.",
)
RUN_COST = Metric(
    "agent.run.cost.usd",
    "{USD}",
    Kind.HISTOGRAM,
    "agent_run_cost_usd",
    (AGENT, STATUS),
    "Cost of one task in US dollars.",
)
RUN_TOKENS = Metric(
    "agent.run.tokens",
    "{token}",
    Kind.HISTOGRAM,
    "agent_run_tokens",
    (AGENT, STATUS),
    "Tokens billed for one task, all types.",
)
BUDGET_STOPS = Metric(
    "agent.run.budget_stops",
    "{stop}",
    Kind.COUNTER,
    "agent_run_budget_stops_total",
    (AGENT, "limit"),
    "Calls refused by agent-telemetry because their run was over its budget, by limit (cost, steps).",
)
TOOL_CALLS = Metric(
    "agent.tools.calls",
    "{call}",
    Kind.COUNTER,
    "agent_tools_calls_total",
    (AGENT, TOOL),
    "Tool executions.",
)
TOOL_ERRORS = Metric(
    "agent.tools.errors",
    "{call}",
    Kind.COUNTER,
    "agent_tools_errors_total",
    (AGENT, TOOL, ERROR_TYPE),
    "Tool executions that failed, by error type (the exception's class name, or the SDK tool "
    "runner's reason: tool_error, driver_failed, cancelled).",
)
TOOL_DURATION = Metric(
    "agent.tool.duration",
    "s",
    Kind.HISTOGRAM,
    "agent_tool_duration_seconds",
    (AGENT, TOOL),
    "Tool execution latency.",
)
TOOLS_REQUESTED = Metric(
    "agent.tools.requested",
    "{call}",
    Kind.COUNTER,
    "agent_tools_requested_total",
    (AGENT, PROVIDER, TOOL),
    "Tool calls the model asked for in its responses.",
)
QUALITY = Metric(
    "agent.quality.score",
    "{score}",
    Kind.HISTOGRAM,
    "agent_quality_score",
    (AGENT, EVALUATOR),
    "Quality scores in [0, 1] from evaluators (LLM judges, user feedback, tests).",
)
ACTIONS = Metric(
    "agent.actions",
    "{action}",
    Kind.COUNTER,
    "agent_actions_total",
    (AGENT, PROVIDER, ACTION),
    "Computer-use actions the model asked for, by action type.",
)
ACTIONS_BLOCKED = Metric(
    "agent.actions.blocked",
    "{action}",
    Kind.COUNTER,
    "agent_actions_blocked_total",
    (AGENT, PROVIDER, REASON),
    "Computer-use steps held back by a safety check or a refusal, by reason.",
)
ACTION_DURATION = Metric(
    "agent.action.duration",
    "s",
    Kind.HISTOGRAM,
    "agent_action_duration_seconds",
    (AGENT, ACTION, OUTCOME),
    "Actions executed on the screen, by the application (agent_telemetry.record_action) or an "
    "SDK computer toolset, with their outcome.",
)
SCREENSHOTS = Metric(
    "agent.screenshots",
    "{screenshot}",
    Kind.COUNTER,
    "agent_screenshots_total",
    (AGENT, PROVIDER),
    "Screenshots sent to the model.",
)
SCREENSHOT_SIZE = Metric(
    "agent.screenshot",
    "By",
    Kind.HISTOGRAM,
    "agent_screenshot_bytes",
    (AGENT, PROVIDER),
    "Size of each screenshot sent to the model (never its content).",
)

AGENT_METRICS: tuple[Metric, ...] = (
    RUNS,
    RUN_DURATION,
    RUN_STEPS,
    RUN_COST,
    RUN_TOKENS,
    BUDGET_STOPS,
    TOOL_CALLS,
    TOOL_ERRORS,
    TOOL_DURATION,
    TOOLS_REQUESTED,
    QUALITY,
    ACTIONS,
    ACTIONS_BLOCKED,
    ACTION_DURATION,
    SCREENSHOTS,
    SCREENSHOT_SIZE,
)

# Histogram boundaries by instrument; everything else uses DURATION_BUCKETS.
BUCKETS: dict[str, tuple[float, ...]] = {
    RUN_DURATION.otel_name: RUN_DURATION_BUCKETS,
    RUN_STEPS.otel_name: RUN_STEP_BUCKETS,
    RUN_COST.otel_name: RUN_COST_BUCKETS,
    RUN_TOKENS.otel_name: RUN_TOKEN_BUCKETS,
    QUALITY.otel_name: QUALITY_BUCKETS,
    SCREENSHOT_SIZE.otel_name: SCREENSHOT_BYTES_BUCKETS,
}

CALL_METRICS: tuple[Metric, ...] = (
    REQUESTS,
    REQUEST_ERRORS,
    REQUEST_DURATION,
    TIME_TO_FIRST_TOKEN,
    TOKENS,
    COST,
    UNPRICED_REQUESTS,
    UNREPORTED_USAGE_REQUESTS,
)
SELF_METRICS: tuple[Metric, ...] = (LABEL_OVERFLOW, INTERNAL_ERRORS)
ALL_METRICS: tuple[Metric, ...] = CALL_METRICS + AGENT_METRICS + SELF_METRICS

TOKEN_TYPES: tuple[str, ...] = ("input", "output", "cache_read", "cache_write")

# The fixed, documented set of error types (docs/metrics.md explains each).
ERROR_TYPES: tuple[str, ...] = (
    "rate_limit",
    "timeout",
    "network_error",
    "auth_error",
    "permission_denied",
    "bad_request",
    "not_found",
    "conflict",
    "request_too_large",
    "unprocessable",
    "context_length_exceeded",
    "content_filter",
    "provider_error",
    "overloaded",
    "cancelled",
    "invalid_response",
    "unknown_error",
)

# -- Retries (issue 10): attempts the SDK resent, by the class of the failed attempt. ----------------
REQUEST_RETRIES = Metric(
    "agent.requests.retries",
    "{request}",
    Kind.COUNTER,
    "agent_requests_retries_total",
    (*CALL_LABELS, ERROR_TYPE),
    "Failed attempts of provider API calls that the SDK retried, by the error type of the attempt "
    "(a call that succeeds after retries counts once in agent_requests_total and never as an error).",
)
CALL_METRICS = (*CALL_METRICS, REQUEST_RETRIES)
ALL_METRICS = (*CALL_METRICS, *AGENT_METRICS, *SELF_METRICS)
