"""One provider API call: its span and its metrics, from start to the end of its response or stream."""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextvars import ContextVar, Token
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from agent_telemetry import contract, errors
from agent_telemetry.agents.computer_use import action_type
from agent_telemetry.agents.runs import current_run
from agent_telemetry.agents.tools import records_content
from agent_telemetry.contract import Attr, Event, EventAttr, SpanAttr
from agent_telemetry.core.aggregation import SeriesKey
from agent_telemetry.core.call_metrics import EMBEDDINGS
from agent_telemetry.core.sdk_internals import set_span_attributes, start_span_deferred
from agent_telemetry.core.telemetry import Telemetry
from agent_telemetry.instrumentation._content import OUTPUT_MESSAGES, screenshot_facts, to_json_attribute
from agent_telemetry.instrumentation._trajectory import CallContent
from agent_telemetry.redaction import exception_attributes, redact_content
from agent_telemetry.usage import Usage

# The contract's attribute keys as module globals: the hot path reads them without attribute lookups.
OPERATION = Attr.OPERATION_NAME
PROVIDER = Attr.PROVIDER_NAME
REQUEST_MODEL = Attr.REQUEST_MODEL
AGENT_NAME = Attr.AGENT_NAME
ERROR_TYPE = Attr.ERROR_TYPE
RESPONSE_MODEL = SpanAttr.RESPONSE_MODEL
RESPONSE_ID = SpanAttr.RESPONSE_ID
FINISH_REASONS = SpanAttr.FINISH_REASONS
INPUT_TOKENS = SpanAttr.INPUT_TOKENS
OUTPUT_TOKENS = SpanAttr.OUTPUT_TOKENS
CACHE_READ_TOKENS = SpanAttr.CACHE_READ_TOKENS
CACHE_WRITE_TOKENS = SpanAttr.CACHE_WRITE_TOKENS
REASONING_TOKENS = SpanAttr.REASONING_TOKENS
COST_USD = SpanAttr.COST_USD
TIME_TO_FIRST_TOKEN = SpanAttr.TIME_TO_FIRST_TOKEN
RESEND_COUNT = SpanAttr.RESEND_COUNT
TIME_TO_FIRST_CHUNK = SpanAttr.TIME_TO_FIRST_CHUNK
SERVER_ADDRESS = Attr.SERVER_ADDRESS
SERVER_PORT = Attr.SERVER_PORT
EXCEPTION_EVENT = SpanAttr.EXCEPTION_EVENT
RUN_ID = EventAttr.RUN_ID
STEP = EventAttr.STEP
DURATION = EventAttr.DURATION
USAGE_EVENT = Event.USAGE
STEP_EVENT = Event.STEP
INFERENCE_DETAILS_EVENT = Event.INFERENCE_DETAILS

# What a call does with the usage its response reports.
BILLED = "billed"  # a billed call: tokens and cost are recorded
NOT_BILLED = "not_billed"  # e.g. responses.retrieve, count_tokens: reading usage is not spending it

# The call whose SDK method is running: the SDK's retries inside it are attributed to it.
_current_call: ContextVar[Call | None] = ContextVar("agent_telemetry_current_call", default=None)


def current_call() -> Call | None:
    return _current_call.get()


def _series(telemetry: Telemetry, agent: str, provider: str, operation: str, model: str) -> SeriesKey:
    """The metric attributes of a call, every value from the application or the provider capped
    (core/labels.py; spans keep the values). Found by the values themselves when none of them was
    folded: a value once kept stays kept. A set with a folded value is not found by its own values
    (it is remembered under its bounded ones), so it is bounded again on every call: each fold counts.
    """
    keys = telemetry.series_keys
    series = keys.get((agent, provider, operation, model))
    if series is None:
        series = keys.put(
            telemetry.labels.bound(
                {AGENT_NAME: agent, PROVIDER: provider, OPERATION: operation, REQUEST_MODEL: model}
            )
        )
    return series


def _add_usage_attributes(attributes: dict[str, AttributeValue], usage: Usage, output: bool = True) -> None:
    """A call's usage as the GenAI conventions' attributes (its span's and its events').

    The conventions' input_tokens includes cached input; metrics keep the token types disjoint.
    """
    attributes[INPUT_TOKENS] = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    if output:  # the conventions list no output tokens for embeddings
        attributes[OUTPUT_TOKENS] = usage.output_tokens
    if usage.cache_read_tokens:
        attributes[CACHE_READ_TOKENS] = usage.cache_read_tokens
    if usage.cache_write_tokens:
        attributes[CACHE_WRITE_TOKENS] = usage.cache_write_tokens
    if usage.reasoning_tokens:
        attributes[REASONING_TOKENS] = usage.reasoning_tokens


class Call:
    """The span and metrics of one call. ``end()`` records everything exactly once."""

    __slots__ = (
        "_call_token",
        "_chunk_gaps",
        "_context_token",
        "_ended",
        "_error",
        "_finish_reasons",
        "_first_chunk_at",
        "_first_token_at",
        "_last_chunk_at",
        "_metric_attributes",
        "_output_text",
        "_request_model",
        "_resends",
        "_response_id",
        "_response_model",
        "_run",
        "_series",
        "_server",
        "_span_context",
        "_start",
        "_start_attributes",
        "_telemetry",
        "_usage",
        "billing",
        "capture_content",
        "content",
        "provider",
        "request_attributes",
        "span",
    )

    def __init__(
        self,
        telemetry: Telemetry,
        provider: str,
        operation: str,
        model: str,
        span_attributes: Mapping[str, AttributeValue],
        *,
        billing: str = BILLED,
        with_span: bool = True,
    ) -> None:
        self._telemetry = telemetry
        self.provider = provider
        self.billing = billing
        agent = telemetry.agent_name()
        self._series = _series(telemetry, agent, provider, operation, model or "_unknown")
        self._metric_attributes: Mapping[str, str] = self._series.attributes  # shared: never mutated
        self._request_model = model
        self._run = current_run()
        self._usage: Usage | None = None
        self._response_model: str | None = None
        self._response_id: str | None = None
        self._finish_reasons: list[str] | None = None
        self._first_token_at: float | None = None
        self._first_chunk_at: float | None = None
        self._last_chunk_at: float | None = None
        # The gaps between a stream's chunks, for gen_ai.client.operation.time_per_output_chunk.
        gen_ai = telemetry.calls.gen_ai
        self._chunk_gaps: list[float] | None = (
            [] if gen_ai is not None and gen_ai.time_per_output_chunk is not None else None
        )
        self._server = (span_attributes.get(SERVER_ADDRESS), span_attributes.get(SERVER_PORT))
        self._error: BaseException | None = None
        self._ended = False
        self._context_token: object | None = None
        self._call_token: Token[Call | None] | None = None
        self._resends = 0
        self._span_context: otel_context.Context | None = None  # the span in a context, made once
        self._output_text: list[str] | None = None
        self.capture_content = with_span and telemetry.settings.capture_content
        # The conversation, for a recorded run's trajectory (set by _wrap.start_call; opt-in).
        self.content: CallContent | None = None
        # Span attributes read from the request after the span's start (parameters, opt-in content):
        # set with the response's, at the end.
        self.request_attributes: dict[str, AttributeValue] | None = None
        if with_span:
            attributes = {OPERATION: operation, PROVIDER: provider, REQUEST_MODEL: model, AGENT_NAME: agent}
            attributes.update(span_attributes)
            # Where no sampler or processor reads them at the start, the span gets its start
            # attributes at its end, with the rest: one batch instead of two.
            self.span, self._start_attributes = start_span_deferred(
                telemetry.tracer, f"{operation} {model}" if model else operation, SpanKind.CLIENT, attributes
            )
        else:
            self.span, self._start_attributes = trace.INVALID_SPAN, None
        self._start = time.perf_counter()

    # -- while the call runs -------------------------------------------------------------------
    def activate(self) -> None:
        """Make the span current, so that work done inside the SDK call (HTTP spans) nests under it."""
        self._context_token = otel_context.attach(self._context_of_span())
        self._call_token = _current_call.set(self)

    def _context_of_span(self) -> otel_context.Context:
        if self._span_context is None:
            self._span_context = trace.set_span_in_context(self.span)
        return self._span_context

    def deactivate(self) -> None:
        if self._call_token is not None:
            try:
                _current_call.reset(self._call_token)
            except ValueError:  # deactivated in another context than it was activated in
                _current_call.set(None)
            self._call_token = None
        if self._context_token is not None:
            otel_context.detach(self._context_token)
            self._context_token = None

    def retried(self, error_type: str) -> None:
        """The SDK is about to resend this call's request after a failed attempt of ``error_type``."""
        self._resends += 1
        self._telemetry.instruments[contract.REQUEST_RETRIES].add(
            1, {**self._metric_attributes, **self._telemetry.labels.bound({ERROR_TYPE: error_type})}
        )

    def chunk_received(self) -> None:
        """A stream's chunk arrived (any chunk, also one the application does not see)."""
        now = time.perf_counter()
        last = self._last_chunk_at
        if last is None:
            self._first_chunk_at = now
        elif self._chunk_gaps is not None:
            self._chunk_gaps.append(now - last)
        self._last_chunk_at = now

    def first_token(self) -> None:
        if self._first_token_at is None:
            self._first_token_at = time.perf_counter()

    @property
    def has_first_token(self) -> bool:
        return self._first_token_at is not None

    def response(
        self,
        *,
        model: str | None = None,
        response_id: str | None = None,
        finish_reasons: list[str] | None = None,
        usage: Usage | None = None,
    ) -> None:
        """What the response told us; later calls add to or replace earlier ones (streams come piecewise)."""
        if model:
            self._response_model = model
        if response_id:
            self._response_id = response_id
        if finish_reasons:
            self._finish_reasons = finish_reasons
        if usage is not None:
            self._usage = usage

    def add_output_text(self, text: str) -> None:
        """A streamed text delta, kept only when content capture is on."""
        if self._output_text is None:
            self._output_text = [text]
        else:
            self._output_text.append(text)

    # -- agent-level facts read from the request and response -----------------------------------
    def tool_requested(self, name: str) -> None:
        """The model asked for a tool call."""
        self._agent_counter(contract.TOOLS_REQUESTED, {Attr.TOOL_NAME: name or "_unknown"})
        self._emit("tool_request", {"tool": name})

    def action_requested(self, provider_action: object, parameters: object = None) -> None:
        """The model asked for a computer-use action; its ``parameters`` (coordinates, text to type)
        go to a recorded run's trajectory with content capture on."""
        kind = action_type(provider_action)
        self._agent_counter(contract.ACTIONS, {Attr.ACTION: kind})
        if self._telemetry.events.enabled:
            event = {
                **self._agent_attributes(),
                EventAttr.ACTION_TYPE: kind,
                EventAttr.ACTION_PHASE: "requested",
            }
            if self._run is not None:
                event[RUN_ID] = self._run.run_id
            self._telemetry.emit_event(Event.COMPUTER_USE_ACTION, event, context=self._context_of_span())
        fields: dict[str, object] = {"action": kind}
        if parameters is not None and records_content(self._run, self._telemetry):
            fields["parameters"] = redact_content(parameters)
        self._emit("action_request", fields)

    def action_blocked(self, reason: str) -> None:
        """A computer-use step held back: a pending safety check, or the model's refusal."""
        self._agent_counter(contract.ACTIONS_BLOCKED, {Attr.REASON: reason or "_unknown"})
        self._emit("action_blocked", {"reason": reason})

    def screenshot_sent(self, size: int | None, image: Mapping[str, Any] | None = None) -> None:
        """The request carries a screenshot back to the model. Metrics keep only its size; with content
        capture on, a session recording gets its media type and dimensions, and its pixels only with
        AGENT_TELEMETRY_RECORD_SCREENSHOTS=true as well."""
        attributes = self._agent_attributes()
        self._telemetry.instruments[contract.SCREENSHOTS].add(1, attributes)
        if size is not None:
            self._telemetry.instruments[contract.SCREENSHOT_SIZE].record(size, attributes)
        fields: dict[str, object] = {"bytes": size}
        if image is not None and records_content(self._run, self._telemetry):
            fields.update(screenshot_facts(image))
            if self._telemetry.settings.record_screenshots:
                fields["image"] = image
        self._emit("screenshot", fields)

    def _agent_attributes(self) -> dict[str, str]:
        return {AGENT_NAME: self._metric_attributes[AGENT_NAME], PROVIDER: self.provider}

    def _agent_counter(self, metric: contract.Metric, extra: dict[str, str]) -> None:
        telemetry = self._telemetry
        telemetry.instruments[metric].add(1, {**self._agent_attributes(), **telemetry.labels.bound(extra)})

    def _emit(self, kind: str, fields: dict[str, object]) -> None:
        if self._run is not None:
            self._run.emit(kind, fields)

    def add_finish_reason(self, reason: str) -> None:
        if self._finish_reasons is None:
            self._finish_reasons = [reason]
        else:
            self._finish_reasons.append(reason)

    @property
    def usage(self) -> Usage | None:
        return self._usage

    def fail(self, error: BaseException) -> None:
        self._error = error

    def internal_error(self, component: str, error: BaseException) -> None:
        """Our own failure while watching this call: counted, logged once, never raised."""
        self._telemetry.internal_error(component, error)

    # -- the end -------------------------------------------------------------------------------
    def end(self) -> None:
        """Record the metrics and end the span. Idempotent; never raises."""
        if self._ended:
            return
        self._ended = True
        try:
            self._record()
        except Exception as exc:
            self._telemetry.internal_error("call.end", exc)

    def _record(self) -> None:
        elapsed = time.perf_counter() - self._start
        telemetry = self._telemetry
        attributes = self._metric_attributes
        span = self.span
        recording = span.is_recording()
        # Gathered into one set_attributes: the SDK validates and locks once instead of per attribute.
        span_attributes: dict[str, AttributeValue] = self.request_attributes or {}
        # The call's own span as the values' exemplar: their exemplars link latency to this trace.
        # Only its ids: a held-back value must not keep the finished span alive until the next collection.
        span_context = span.get_span_context() if recording else None
        ttft = None
        if self._first_token_at is not None:
            ttft = self._first_token_at - self._start
            span_attributes[TIME_TO_FIRST_TOKEN] = ttft
        first_chunk = None
        if self._first_chunk_at is not None:
            first_chunk = self._first_chunk_at - self._start
            span_attributes[TIME_TO_FIRST_CHUNK] = first_chunk
        if self._resends:
            span_attributes[RESEND_COUNT] = self._resends
        error_type = None
        error = self._error
        if error is not None:
            error_type = errors.classify(error)
            error_label = telemetry.labels.bound({ERROR_TYPE: error_type})
            telemetry.request_errors.add(1, {**attributes, **error_label})
            span_attributes[ERROR_TYPE] = error_type
            if recording:
                # Facts only: the message and stack trace carry the provider's error body (prompts,
                # keys), and leave the process only with content capture on, redacted.
                span_attributes.update(errors.facts(error))
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                span.add_event(
                    EXCEPTION_EVENT, exception_attributes(error, capture_content=self.capture_content)
                )
        billed = self.billing == BILLED
        cost = self._cost() if billed else None
        gen_ai = None
        if telemetry.calls.gen_ai is not None:
            address, port = self._server
            gen_ai = (
                attributes[OPERATION],
                self.provider,
                # The model as agent.* has it, already bounded: a folded model is one fold per call.
                attributes[REQUEST_MODEL] if self._request_model else "",
                self._response_model,
                address,
                port,
            )
        telemetry.calls.add(
            (
                self._series,
                elapsed,
                span_context,
                ttft,
                billed,
                self._usage,
                error is not None,
                cost,
                gen_ai,
                error_type,
                first_chunk,
                self._chunk_gaps,
            )
        )
        if recording:
            if cost is not None:
                span_attributes[COST_USD] = cost
            self._add_response_attributes(span_attributes)
            if self._output_text is not None:
                span_attributes[OUTPUT_MESSAGES] = to_json_attribute(
                    [{"role": "assistant", "content": "".join(self._output_text)}]
                )
            start = self._start_attributes
            set_span_attributes(span, {**start, **span_attributes} if start else span_attributes)
        span.end()
        if self._run is not None:
            details = {
                "provider": self.provider,
                "operation": attributes[OPERATION],
                "model": self._response_model or self._request_model,
                "duration_s": elapsed,
                "error_type": error_type,
            }
            if self.content is not None:
                try:
                    details.update(self.content.fields())
                except Exception as exc:  # the run's steps, tokens and cost must be counted all the same
                    telemetry.internal_error("call.content", exc)
            self._run.add_call(
                is_step=self._operation_is_step(),
                usage=self._usage,
                cost_usd=cost,
                details=details,
                request_model=self._request_model,
            )
        if telemetry.events.enabled:
            self._emit_events(elapsed, cost, error_type, span_attributes if recording else None)

    def _emit_events(
        self,
        elapsed: float,
        cost: float | None,
        error_type: str | None,
        span_attributes: dict[str, AttributeValue] | None,
    ) -> None:
        """The call's events, with its span's ids. In a run, one per call: a chat call is a step, with
        its usage; another billed call is its usage alone. Outside a run none (its span and metrics
        tell it all; a plain call pays no event). With content capture on, also the GenAI conventions'
        inference details: the span's attributes, messages included."""
        telemetry = self._telemetry
        run = self._run
        if self.capture_content and span_attributes is not None:
            details = {**self._metric_attributes, **span_attributes}
            telemetry.emit_event(INFERENCE_DETAILS_EVENT, details, context=self._context_of_span())
        if run is None:
            return
        is_step = self._operation_is_step()
        usage = self._usage if self.billing == BILLED else None
        if not is_step and usage is None:
            return
        event: dict[str, AttributeValue] = {**self._metric_attributes, RUN_ID: run.run_id, DURATION: elapsed}
        if self._response_model:
            event[RESPONSE_MODEL] = self._response_model
        if error_type is not None:
            event[ERROR_TYPE] = error_type
        if is_step:
            event[STEP] = run.steps
        if usage is not None:
            _add_usage_attributes(event, usage)
            if cost is not None:
                event[COST_USD] = cost
        telemetry.emit_event(STEP_EVENT if is_step else USAGE_EVENT, event, context=self._context_of_span())

    def _operation_is_step(self) -> bool:
        return self._metric_attributes[OPERATION] == "chat" and self.billing == BILLED

    def _add_response_attributes(self, span_attributes: dict[str, AttributeValue]) -> None:
        if self._response_model:
            span_attributes[RESPONSE_MODEL] = self._response_model
        if self._response_id:
            span_attributes[RESPONSE_ID] = self._response_id
        if self._finish_reasons:
            span_attributes[FINISH_REASONS] = tuple(self._finish_reasons)
        if self._usage is not None:
            # The span follows semconv: input_tokens includes cached input. Metrics keep types disjoint.
            output = self._metric_attributes[OPERATION] != EMBEDDINGS
            _add_usage_attributes(span_attributes, self._usage, output=output)

    def _cost(self) -> float | None:
        """The call's cost in USD, from the prices of its model; None when unknown (warned once)."""
        usage = self._usage
        if usage is None:
            return None
        # The response names the exact snapshot (gpt-4o-2024-08-06) where the request used an alias.
        model = self._response_model or self._request_model
        price_book = self._telemetry.price_book
        if price_book is None:
            return None
        cost = price_book.cost(self.provider, model, usage)
        if cost is None and model != self._request_model:
            cost = price_book.cost(self.provider, self._request_model, usage)
        if cost is None:
            price_book.warn_unpriced_once(self.provider, model)
        return cost
