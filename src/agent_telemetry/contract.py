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
ALL_METRICS: tuple[Metric, ...] = CALL_METRICS + SELF_METRICS

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
