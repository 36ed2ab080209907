"""The telemetry contract: every metric we emit, with its unit, attributes and buckets.

This module is the single source for the instruments (``core/telemetry.py``), the code that records
into them (``agents/``, ``instrumentation/``), the alert rules and dashboards generators, the docs and
the tests. Names in Prometheus are derived here, never written by hand: ``prometheus_name`` and
``label_name`` apply the OpenTelemetry Collector's default name translation (which the in-process
Prometheus exporter shares): dots become underscores, the unit becomes a suffix (``s`` -> ``_seconds``,
``By`` -> ``_bytes``, annotations in braces are dropped) and monotonic counters get ``_total``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    COUNTER = "counter"
    HISTOGRAM = "histogram"


class Attr:
    """The OpenTelemetry attribute keys our metrics carry (spans share the ``gen_ai.*`` ones)."""

    AGENT_NAME = "gen_ai.agent.name"
    AGENT_VERSION = "gen_ai.agent.version"  # of a run: agent_run(version=...), else the process's
    FEATURE = "agent.feature"  # of a run: agent_run(attributes={"feature": ...})
    PROVIDER_NAME = "gen_ai.provider.name"
    OPERATION_NAME = "gen_ai.operation.name"
    REQUEST_MODEL = "gen_ai.request.model"
    TOKEN_TYPE = "gen_ai.token.type"
    ERROR_TYPE = "error.type"
    TOOL_NAME = "gen_ai.tool.name"
    # On the gen_ai.client.* metrics (semantic conventions) only.
    RESPONSE_MODEL = "gen_ai.response.model"
    SERVER_ADDRESS = "server.address"
    SERVER_PORT = "server.port"
    EVALUATION_NAME = "gen_ai.evaluation.name"
    STATUS = "status"  # of a run
    LIMIT = "limit"  # of a run's budget: cost, steps
    ACTION = "action"  # computer-use action type
    OUTCOME = "outcome"  # of an executed action
    REASON = "reason"  # why a computer-use step was held back
    LABEL = "label"  # the label whose values overflowed
    COMPONENT = "component"  # our own part that failed


class SpanAttr:
    """The keys of span attributes and events that no metric carries."""

    AGENT_ID = "gen_ai.agent.id"
    RESPONSE_MODEL = Attr.RESPONSE_MODEL
    RESPONSE_ID = "gen_ai.response.id"
    FINISH_REASONS = "gen_ai.response.finish_reasons"
    INPUT_TOKENS = "gen_ai.usage.input_tokens"
    OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
    CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens"
    CACHE_WRITE_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
    REASONING_TOKENS = "gen_ai.usage.reasoning.output_tokens"
    REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
    REQUEST_TEMPERATURE = "gen_ai.request.temperature"
    REQUEST_TOP_P = "gen_ai.request.top_p"
    REQUEST_TOP_K = "gen_ai.request.top_k"
    REQUEST_FREQUENCY_PENALTY = "gen_ai.request.frequency_penalty"
    REQUEST_PRESENCE_PENALTY = "gen_ai.request.presence_penalty"
    REQUEST_SEED = "gen_ai.request.seed"
    REQUEST_STREAM = "gen_ai.request.stream"  # set on streaming calls only, as the conventions ask
    SERVER_ADDRESS = Attr.SERVER_ADDRESS
    SERVER_PORT = Attr.SERVER_PORT
    # Content, only with content capture on.
    INPUT_MESSAGES = "gen_ai.input.messages"
    OUTPUT_MESSAGES = "gen_ai.output.messages"
    SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
    # Quality scores: a span event and its attributes.
    EVALUATION_RESULT = "gen_ai.evaluation.result"
    EVALUATION_SCORE = "gen_ai.evaluation.score.value"
    EVALUATION_EXPLANATION = "gen_ai.evaluation.explanation"
    # Ours.
    COST_USD = "agent_telemetry.cost.usd"
    TIME_TO_FIRST_TOKEN = "agent_telemetry.time_to_first_token"
    # Semantic conventions: a stream's first chunk of any kind (ours above: its first content).
    TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
    RUN_STATUS = "agent_telemetry.run.status"
    RUN_STEPS = "agent_telemetry.run.steps"
    # The number of times the SDK resent the request (semantic conventions, HTTP).
    RESEND_COUNT = "http.request.resend_count"
    # A failed call's structured facts (never its message): HTTP status, the provider's error code/type.
    HTTP_STATUS = "http.response.status_code"
    PROVIDER_ERROR_CODE = "agent_telemetry.error.code"
    PROVIDER_ERROR_TYPE = "agent_telemetry.error.provider_type"
    # The span event of a failed call (semantic conventions, exceptions); message and stack trace only
    # with content capture on.
    EXCEPTION_EVENT = "exception"
    EXCEPTION_TYPE = "exception.type"
    EXCEPTION_MESSAGE = "exception.message"
    EXCEPTION_STACKTRACE = "exception.stacktrace"


class Event:
    """The names of the events we emit: OpenTelemetry log records with an event name (docs/metrics.md).

    They carry no message content, except the GenAI conventions' inference-details event, which is
    emitted only with content capture on (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true).
    """

    SESSION_START = "agent.session.start"  # once per process, when init() starts telemetry
    RUN_START = "agent.run.start"
    RUN_END = "agent.run.end"
    STEP = "agent.step"  # an LLM turn (a billed chat call) of a run, with its tokens and cost
    USAGE = "agent.usage"  # the tokens and cost of a run's other billed calls (embeddings, say)
    TOOL_CALL = "agent.tool.call"
    COMPUTER_USE_ACTION = "agent.computer_use.action"  # requested by the model, or executed
    BUDGET_STOP = "agent.budget.stop"
    INFERENCE_DETAILS = "gen_ai.client.inference.operation.details"  # content capture only


EVENTS: tuple[str, ...] = (
    Event.SESSION_START,
    Event.RUN_START,
    Event.RUN_END,
    Event.STEP,
    Event.USAGE,
    Event.TOOL_CALL,
    Event.COMPUTER_USE_ACTION,
    Event.BUDGET_STOP,
    Event.INFERENCE_DETAILS,
)


class EventAttr:
    """Event attribute keys that neither metrics nor spans carry (events share their other keys)."""

    # Where the event name travels on SDKs older than the Logs API's event name (opentelemetry < 1.35).
    EVENT_NAME = "event.name"
    SESSION_ID = "session.id"  # the process's service.instance.id
    LIBRARY_VERSION = "agent_telemetry.version"
    RUN_ID = "agent_telemetry.run.id"
    RUN_TOKENS = "agent_telemetry.run.tokens"
    MAX_COST_USD = "agent_telemetry.run.max_cost_usd"
    MAX_STEPS = "agent_telemetry.run.max_steps"
    STEP = "agent_telemetry.run.step"  # the step's number in its run, from 1
    DURATION = "agent_telemetry.duration"  # seconds
    ACTION_TYPE = "agent_telemetry.action.type"
    ACTION_PHASE = "agent_telemetry.action.phase"  # "requested" by the model or "executed"
    ACTION_OUTCOME = "agent_telemetry.action.outcome"
    BUDGET_LIMIT = "agent_telemetry.budget.limit"  # cost or steps
    BUDGET_SPENT = "agent_telemetry.budget.spent"
    BUDGET_MAX = "agent_telemetry.budget.max"


class ResourceAttr:
    """The resource attributes we read or set (semantic conventions, service)."""

    SERVICE_NAME = "service.name"
    SERVICE_INSTANCE_ID = "service.instance.id"
    SERVICE_VERSION = "service.version"


def label_name(key: str) -> str:
    """The Prometheus label of an OpenTelemetry attribute key."""
    return key.replace(".", "_")


# The Prometheus label names, used by rules, dashboards, docs and tests.
AGENT = label_name(Attr.AGENT_NAME)
AGENT_VERSION = label_name(Attr.AGENT_VERSION)
FEATURE = label_name(Attr.FEATURE)
PROVIDER = label_name(Attr.PROVIDER_NAME)
OPERATION = label_name(Attr.OPERATION_NAME)
MODEL = label_name(Attr.REQUEST_MODEL)
TOKEN_TYPE = label_name(Attr.TOKEN_TYPE)
ERROR_TYPE = label_name(Attr.ERROR_TYPE)
TOOL = label_name(Attr.TOOL_NAME)
EVALUATOR = label_name(Attr.EVALUATION_NAME)
STATUS = label_name(Attr.STATUS)
LIMIT = label_name(Attr.LIMIT)
ACTION = label_name(Attr.ACTION)
OUTCOME = label_name(Attr.OUTCOME)
REASON = label_name(Attr.REASON)
LABEL = label_name(Attr.LABEL)
RESPONSE_MODEL = label_name(Attr.RESPONSE_MODEL)
SERVER_ADDRESS = label_name(Attr.SERVER_ADDRESS)
SERVER_PORT = label_name(Attr.SERVER_PORT)
COMPONENT = label_name(Attr.COMPONENT)

# The unit suffixes the translation appends; other units (annotations like "{request}") add none.
_UNIT_SUFFIXES = {"s": "seconds", "By": "bytes"}


def prometheus_name(otel_name: str, unit: str, kind: Kind) -> str:
    """What the collector's name translation makes of an instrument's name, unit and kind."""
    name = otel_name.replace(".", "_")
    suffix = _UNIT_SUFFIXES.get(unit)
    if suffix and not name.endswith(f"_{suffix}"):
        name = f"{name}_{suffix}"
    return f"{name}_total" if kind is Kind.COUNTER else name


@dataclass(frozen=True, slots=True)
class Metric:
    otel_name: str
    unit: str
    kind: Kind
    attributes: tuple[str, ...]  # OpenTelemetry attribute keys (Attr)
    description: str
    buckets: tuple[float, ...] = ()  # histogram boundaries
    # Attributes that only some data points carry (semantic conventions: conditionally required or
    # recommended, e.g. error.type on failed calls only); not in ``labels``.
    optional_attributes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.kind is Kind.HISTOGRAM) != bool(self.buckets):
            raise ValueError(f"{self.otel_name}: a histogram needs buckets, a counter has none")

    @property
    def prometheus_name(self) -> str:
        """The name in Prometheus; histograms add ``_bucket``, ``_sum`` and ``_count`` to it."""
        return prometheus_name(self.otel_name, self.unit, self.kind)

    @property
    def labels(self) -> tuple[str, ...]:
        """The Prometheus labels of the attributes every data point carries, in the same order."""
        return tuple(label_name(key) for key in self.attributes)

    @property
    def optional_labels(self) -> tuple[str, ...]:
        """The Prometheus labels that only some data points carry."""
        return tuple(label_name(key) for key in self.optional_attributes)


# -- Buckets ----------------------------------------------------------------------------------------
# Request latency, seconds: 10 ms to 10 min, with a boundary at every alert threshold (10 s is the P95
# warning) so that histogram_quantile is exact on either side of it.
DURATION_BUCKETS: tuple[float, ...] = (
    *(0.01, 0.025, 0.05, 0.1, 0.25, 0.5),
    *(1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0),
    *(120.0, 300.0, 600.0),
)
# A run: the request latencies up to 10 min, then up to an hour.
RUN_DURATION_BUCKETS: tuple[float, ...] = (*DURATION_BUCKETS, 900.0, 1200.0, 1800.0, 2700.0, 3600.0)
RUN_STEP_BUCKETS: tuple[float, ...] = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200)
RUN_COST_BUCKETS: tuple[float, ...] = (
    *(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05),
    *(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0),
)
RUN_TOKEN_BUCKETS: tuple[float, ...] = (
    *(100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000),
    *(100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000),
)
QUALITY_BUCKETS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
SCREENSHOT_BYTES_BUCKETS: tuple[float, ...] = (
    *(10_000, 25_000, 50_000, 100_000, 250_000, 500_000),
    *(1_000_000, 2_500_000, 5_000_000, 10_000_000),
)

# -- Provider API calls -----------------------------------------------------------------------------
CALL_ATTRIBUTES: tuple[str, ...] = (
    Attr.AGENT_NAME,
    Attr.PROVIDER_NAME,
    Attr.OPERATION_NAME,
    Attr.REQUEST_MODEL,
)
CALL_LABELS: tuple[str, ...] = tuple(label_name(key) for key in CALL_ATTRIBUTES)

REQUESTS = Metric(
    "agent.requests",
    "{request}",
    Kind.COUNTER,
    CALL_ATTRIBUTES,
    "Provider API calls made by the agent.",
)
REQUEST_ERRORS = Metric(
    "agent.requests.errors",
    "{request}",
    Kind.COUNTER,
    (*CALL_ATTRIBUTES, Attr.ERROR_TYPE),
    "Provider API calls that failed, by error type.",
)
REQUEST_RETRIES = Metric(
    "agent.requests.retries",
    "{request}",
    Kind.COUNTER,
    (*CALL_ATTRIBUTES, Attr.ERROR_TYPE),
    "Failed attempts of provider API calls that the SDK retried, by the error type of the attempt "
    "(a call that succeeds after retries counts once in agent_requests_total and never as an error).",
)
REQUEST_DURATION = Metric(
    "agent.request.duration",
    "s",
    Kind.HISTOGRAM,
    CALL_ATTRIBUTES,
    "Latency of provider API calls, including reading a stream to its end.",
    DURATION_BUCKETS,
)
TIME_TO_FIRST_TOKEN = Metric(
    "agent.request.time_to_first_token",
    "s",
    Kind.HISTOGRAM,
    CALL_ATTRIBUTES,
    "Time from the start of a streaming call to its first content chunk.",
    DURATION_BUCKETS,
)
TOKENS = Metric(
    "agent.tokens",
    "{token}",
    Kind.COUNTER,
    (*CALL_ATTRIBUTES, Attr.TOKEN_TYPE),
    "Tokens billed, by disjoint type (input, output, cache_read, cache_write).",
)
COST = Metric(
    "agent.cost.usd",
    "{USD}",
    Kind.COUNTER,
    CALL_ATTRIBUTES,
    "Cost of provider API calls in US dollars.",
)
UNPRICED_REQUESTS = Metric(
    "agent.cost.unpriced_requests",
    "{request}",
    Kind.COUNTER,
    CALL_ATTRIBUTES,
    "Calls whose model has no known price: their cost is not in agent_cost_usd_total.",
)
UNREPORTED_USAGE_REQUESTS = Metric(
    "agent.tokens.unreported_requests",
    "{request}",
    Kind.COUNTER,
    CALL_ATTRIBUTES,
    "Calls whose token usage the provider did not report to us (see docs/metrics.md): their tokens and "
    "cost are missing from agent_tokens_total and agent_cost_usd_total.",
)

# -- agent-telemetry itself -------------------------------------------------------------------------
LABEL_OVERFLOW = Metric(
    "agent.telemetry.label_overflow",
    "{value}",
    Kind.COUNTER,
    (Attr.LABEL,),
    "Label values folded into _other because a label passed its distinct-value limit.",
)
INTERNAL_ERRORS = Metric(
    "agent.telemetry.internal_errors",
    "{error}",
    Kind.COUNTER,
    (Attr.COMPONENT,),
    "Failures inside agent-telemetry itself; the application's call was not affected.",
)

# -- Agent level: runs, tools, quality, computer use ------------------------------------------------
RUN_STATUSES: tuple[str, ...] = ("success", "failure", "timeout", "budget_exceeded", "cancelled")
# Run-level metrics carry the agent's version (few runs, so the extra series are cheap; the per-call
# metrics do not); runs and their histograms also carry the application's feature dimension.
_RUN = (Attr.AGENT_NAME, Attr.AGENT_VERSION, Attr.FEATURE, Attr.STATUS)

RUNS = Metric(
    "agent.runs",
    "{run}",
    Kind.COUNTER,
    _RUN,
    "Agent runs (tasks) finished, by status.",
)
RUN_DURATION = Metric(
    "agent.run.duration",
    "s",
    Kind.HISTOGRAM,
    _RUN,
    "Completion time of a task.",
    RUN_DURATION_BUCKETS,
)
RUN_STEPS = Metric(
    "agent.run.steps",
    "{step}",
    Kind.HISTOGRAM,
    _RUN,
    "LLM turns (chat calls) per task.",
    RUN_STEP_BUCKETS,
)
RUN_COST = Metric(
    "agent.run.cost.usd",
    "{USD}",
    Kind.HISTOGRAM,
    _RUN,
    "Cost of one task in US dollars.",
    RUN_COST_BUCKETS,
)
RUN_TOKENS = Metric(
    "agent.run.tokens",
    "{token}",
    Kind.HISTOGRAM,
    _RUN,
    "Tokens billed for one task, all types.",
    RUN_TOKEN_BUCKETS,
)
BUDGET_STOPS = Metric(
    "agent.run.budget_stops",
    "{stop}",
    Kind.COUNTER,
    (Attr.AGENT_NAME, Attr.LIMIT),
    "Calls refused by agent-telemetry because their run was over its budget, by limit (cost, steps).",
)
TOOL_CALLS = Metric(
    "agent.tools.calls",
    "{call}",
    Kind.COUNTER,
    (Attr.AGENT_NAME, Attr.AGENT_VERSION, Attr.TOOL_NAME),
    "Tool executions.",
)
TOOL_ERRORS = Metric(
    "agent.tools.errors",
    "{call}",
    Kind.COUNTER,
    (Attr.AGENT_NAME, Attr.AGENT_VERSION, Attr.TOOL_NAME, Attr.ERROR_TYPE),
    "Tool executions that failed, by error type (the exception's class name, or the SDK tool "
    "runner's reason: tool_error, driver_failed, cancelled).",
)
TOOL_DURATION = Metric(
    "agent.tool.duration",
    "s",
    Kind.HISTOGRAM,
    (Attr.AGENT_NAME, Attr.AGENT_VERSION, Attr.TOOL_NAME),
    "Tool execution latency.",
    DURATION_BUCKETS,
)
TOOLS_REQUESTED = Metric(
    "agent.tools.requested",
    "{call}",
    Kind.COUNTER,
    (Attr.AGENT_NAME, Attr.PROVIDER_NAME, Attr.TOOL_NAME),
    "Tool calls the model asked for in its responses.",
)
QUALITY = Metric(
    "agent.quality.score",
    "{score}",
    Kind.HISTOGRAM,
    (Attr.AGENT_NAME, Attr.AGENT_VERSION, Attr.EVALUATION_NAME),
    "Quality scores in [0, 1] from evaluators (LLM judges, user feedback, tests).",
    QUALITY_BUCKETS,
)
ACTIONS = Metric(
    "agent.actions",
    "{action}",
    Kind.COUNTER,
    (Attr.AGENT_NAME, Attr.PROVIDER_NAME, Attr.ACTION),
    "Computer-use actions the model asked for, by action type.",
)
ACTIONS_BLOCKED = Metric(
    "agent.actions.blocked",
    "{action}",
    Kind.COUNTER,
    (Attr.AGENT_NAME, Attr.PROVIDER_NAME, Attr.REASON),
    "Computer-use steps held back by a safety check or a refusal, by reason.",
)
ACTION_DURATION = Metric(
    "agent.action.duration",
    "s",
    Kind.HISTOGRAM,
    (Attr.AGENT_NAME, Attr.ACTION, Attr.OUTCOME),
    "Actions executed on the screen, by the application (agent_telemetry.record_action) or an "
    "SDK computer toolset, with their outcome.",
    DURATION_BUCKETS,
)
SCREENSHOTS = Metric(
    "agent.screenshots",
    "{screenshot}",
    Kind.COUNTER,
    (Attr.AGENT_NAME, Attr.PROVIDER_NAME),
    "Screenshots sent to the model.",
)
SCREENSHOT_SIZE = Metric(
    "agent.screenshot",
    "By",
    Kind.HISTOGRAM,
    (Attr.AGENT_NAME, Attr.PROVIDER_NAME),
    "Size of each screenshot sent to the model (never its content).",
    SCREENSHOT_BYTES_BUCKETS,
)

CALL_METRICS: tuple[Metric, ...] = (
    REQUESTS,
    REQUEST_ERRORS,
    REQUEST_RETRIES,
    REQUEST_DURATION,
    TIME_TO_FIRST_TOKEN,
    TOKENS,
    COST,
    UNPRICED_REQUESTS,
    UNREPORTED_USAGE_REQUESTS,
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
SELF_METRICS: tuple[Metric, ...] = (LABEL_OVERFLOW, INTERNAL_ERRORS)

# -- GenAI semantic conventions: gen_ai.client.* beside agent.* ---------------------------------------
# Names, units, attributes and advisory buckets as the OpenTelemetry GenAI semantic conventions define
# them (open-telemetry/semantic-conventions-genai, docs/gen-ai/gen-ai-metrics.md; the version is in
# GEN_AI_SEMCONV and docs/metrics.md). tests/semconv checks these against an extract of the registry.
# No gen_ai.agent.name here: the conventions do not list it on these metrics, and tools built on them
# aggregate by the listed attributes only; the per-agent view is agent.*.
GEN_AI_SEMCONV = "open-telemetry/semantic-conventions-genai@004902b8 (semantic-conventions v1.42.0)"
GEN_AI_DURATION_BUCKETS: tuple[float, ...] = (
    *(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64),
    *(1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92),
)
GEN_AI_TOKEN_BUCKETS: tuple[float, ...] = (
    *(1, 4, 16, 64, 256, 1024, 4096, 16384, 65536),
    *(262144, 1048576, 4194304, 16777216, 67108864),
)
# Every data point: operation and provider (required); the model asked for, where the request names
# one (conditionally required). Where known: the response's model and the server (recommended; the
# port is conditionally required with the address).
GEN_AI_ATTRIBUTES: tuple[str, ...] = (Attr.OPERATION_NAME, Attr.PROVIDER_NAME)
GEN_AI_OPTIONAL_ATTRIBUTES: tuple[str, ...] = (
    Attr.REQUEST_MODEL,
    Attr.RESPONSE_MODEL,
    Attr.SERVER_ADDRESS,
    Attr.SERVER_PORT,
)
GEN_AI_TOKEN_TYPES: tuple[str, ...] = ("input", "output")

GEN_AI_OPERATION_DURATION = Metric(
    "gen_ai.client.operation.duration",
    "s",
    Kind.HISTOGRAM,
    GEN_AI_ATTRIBUTES,
    "GenAI operation duration.",
    GEN_AI_DURATION_BUCKETS,
    (*GEN_AI_OPTIONAL_ATTRIBUTES, Attr.ERROR_TYPE),
)
GEN_AI_TOKEN_USAGE = Metric(
    "gen_ai.client.token.usage",
    "{token}",
    Kind.HISTOGRAM,
    (*GEN_AI_ATTRIBUTES, Attr.TOKEN_TYPE),
    "Number of input and output tokens used.",
    GEN_AI_TOKEN_BUCKETS,
    GEN_AI_OPTIONAL_ATTRIBUTES,
)
GEN_AI_TIME_TO_FIRST_CHUNK = Metric(
    "gen_ai.client.operation.time_to_first_chunk",
    "s",
    Kind.HISTOGRAM,
    GEN_AI_ATTRIBUTES,
    "Time to receive the first chunk of a response stream, from the start of the request.",
    GEN_AI_DURATION_BUCKETS,
    GEN_AI_OPTIONAL_ATTRIBUTES,
)
GEN_AI_TIME_PER_OUTPUT_CHUNK = Metric(
    "gen_ai.client.operation.time_per_output_chunk",
    "s",
    Kind.HISTOGRAM,
    GEN_AI_ATTRIBUTES,
    "Time per output chunk, for each chunk of a response stream after the first one.",
    GEN_AI_DURATION_BUCKETS,
    GEN_AI_OPTIONAL_ATTRIBUTES,
)
GEN_AI_METRICS: tuple[Metric, ...] = (
    GEN_AI_OPERATION_DURATION,
    GEN_AI_TOKEN_USAGE,
    GEN_AI_TIME_TO_FIRST_CHUNK,
    GEN_AI_TIME_PER_OUTPUT_CHUNK,
)

ALL_METRICS: tuple[Metric, ...] = CALL_METRICS + AGENT_METRICS + SELF_METRICS + GEN_AI_METRICS

# Histogram boundaries by instrument name.
BUCKETS: dict[str, tuple[float, ...]] = {m.otel_name: m.buckets for m in ALL_METRICS if m.buckets}

TOKEN_TYPES: tuple[str, ...] = ("input", "output", "cache_read", "cache_write")

# The version label of a process that names none (no agent_run version, AGENT_TELEMETRY_AGENT_VERSION,
# or service.version), and the feature label of a run that sets none.
UNKNOWN_VERSION = "_unknown"
NO_FEATURE = "_none"
# The agent_run(attributes=...) key that becomes the FEATURE label; the others go to the run span only.
FEATURE_KEY = "feature"

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
