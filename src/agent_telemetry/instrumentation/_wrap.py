"""The ``wrapt`` wrappers shared by every instrumented SDK method, sync and async.

A method is described by an ``Operation``: how to read the request, and what to do with the result.
The wrapper guarantees the host's contract: the application gets exactly the value or exception it
would have got without us, and any failure of ours is logged once, counted, and otherwise ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import wrapt
from opentelemetry.util.types import AttributeValue

from agent_telemetry.agents.runs import current_run
from agent_telemetry.contract import SpanAttr
from agent_telemetry.core.telemetry import Telemetry
from agent_telemetry.instrumentation._call import BILLED, Call
from agent_telemetry.instrumentation._content import OUTPUT_MESSAGES, to_json_attribute
from agent_telemetry.instrumentation._exclusion import is_excluded
from agent_telemetry.instrumentation._streams import AsyncObservedStream, ObservedStream, Observer
from agent_telemetry.instrumentation._trajectory import CallContent

# Reads the request: (model, extra span attributes given at the span's start, where a sampler sees
# them: server address and port). Must not raise on odd input.
RequestReader = Callable[[Any, Mapping[str, Any]], tuple[str, dict[str, AttributeValue]]]
# Reads the request's parameters into span attributes, only for a span that records.
ParamsReader = Callable[[Mapping[str, Any]], dict[str, AttributeValue]]
# Reads a complete (non-streamed) response into the call.
ResponseReader = Callable[[Call, Any], None]
# Rewrites the keyword arguments before the call: (kwargs, hide_injected_items).
RequestPreparer = Callable[[Telemetry, Mapping[str, Any]], tuple[dict[str, Any], bool]]
# Picks the message content out of a request or a complete response, for opt-in content capture.
ContentReader = Callable[[Any], Any]

RAW_RESPONSE_HEADER = "X-Stainless-Raw-Response"
REQUEST_STREAM = SpanAttr.REQUEST_STREAM


@dataclass(frozen=True, slots=True)
class Operation:
    provider: str
    name: str  # gen_ai.operation.name
    read_request: RequestReader
    read_response: ResponseReader
    # Builds the stream observer; its argument says whether to hide items we injected.
    stream_observer: Callable[[bool], Observer] | None = None
    prepare: RequestPreparer | None = None
    billing: str = BILLED
    always_streams: bool = False
    # (keyword argument, span attribute) pairs of request content, and the response's output content.
    input_content: tuple[tuple[str, str], ...] = ()
    output_content: ContentReader | None = None
    # Reads agent-level facts from the request (screenshots sent back to the model).
    observe_request: Callable[[Call, Mapping[str, Any]], None] | None = None
    read_params: ParamsReader | None = None


def start_call(telemetry: Telemetry, op: Operation, instance: object, kwargs: Mapping[str, Any]) -> Call:
    model, attributes = op.read_request(instance, kwargs)
    if is_streaming(op, kwargs):
        attributes[REQUEST_STREAM] = True
    with_span = not (op.provider == "anthropic" and telemetry.settings.anthropic_native_spans)
    call = Call(telemetry, op.provider, op.name, model, attributes, billing=op.billing, with_span=with_span)
    # The rest of the request's attributes only for a span that records (a sampler that drops 99 % of
    # the spans saves reading them); they go on the span with its response attributes, in one batch.
    if call.span.is_recording():
        request = op.read_params(kwargs) if op.read_params is not None else {}
        if call.capture_content:
            for name, attribute in op.input_content:
                if name in kwargs and isinstance(kwargs[name], (str, list, tuple, Mapping)):
                    request[attribute] = to_json_attribute(kwargs[name])
        call.request_attributes = request
    if op.input_content and telemetry.settings.capture_content:
        run = current_run()
        if run is not None and run.has_listeners:  # a recorded run: its trajectory holds the conversation
            call.content = CallContent.of_request(op.input_content, kwargs)
    if op.observe_request is not None:
        try:
            op.observe_request(call, kwargs)
        except Exception as exc:
            telemetry.internal_error(f"{op.provider}.{op.name}.observe_request", exc)
    return call


def check_budget(op: Operation) -> None:
    """A run over its budget gets ``BudgetExceededError`` instead of another billed call: on purpose."""
    if op.billing == BILLED:
        run = current_run()
        if run is not None:
            run.check_budget()


def read_complete_response(op: Operation, call: Call, response: Any) -> None:
    op.read_response(call, response)
    if call.content is not None and op.output_content is not None:
        call.content.output = op.output_content(response)
    if call.capture_content and op.output_content is not None:
        output = to_json_attribute(op.output_content(response))
        if call.request_attributes is not None:  # set on the span with the rest, and in its events
            call.request_attributes[OUTPUT_MESSAGES] = output
        else:
            call.span.set_attribute(OUTPUT_MESSAGES, output)


def raw_mode(kwargs: Mapping[str, Any]) -> str | None:
    """``"true"`` under ``with_raw_response``, ``"stream"`` under ``with_streaming_response``."""
    headers = kwargs.get("extra_headers")
    if headers is None:  # the usual call: no isinstance against an ABC
        return None
    if isinstance(headers, Mapping):
        value = headers.get(RAW_RESPONSE_HEADER)
        return value if isinstance(value, str) else None
    return None


def is_streaming(op: Operation, kwargs: Mapping[str, Any]) -> bool:
    return op.always_streams or kwargs.get("stream") is True


def finish(
    op: Operation, call: Call, kwargs: Mapping[str, Any], result: Any, hide: bool, is_async: bool
) -> Any:
    """Hand the result back, watching it if it is a stream; end the call when it is complete."""
    streaming = is_streaming(op, kwargs)
    mode = raw_mode(kwargs)
    if mode == "stream":
        response_type = AsyncObservedAPIResponse if is_async else ObservedAPIResponse
        return response_type(result, call, op, streaming, hide)
    if mode is not None:
        # with_raw_response: the body is read already, except for streams, which we leave alone.
        if not streaming:
            # The legacy raw response's parse() is synchronous, in async clients too.
            read_complete_response(op, call, result.parse())
        call.end()
        return result
    if streaming and op.stream_observer is not None:
        stream_type = AsyncObservedStream if is_async else ObservedStream
        return stream_type(result, call, op.stream_observer(hide))
    read_complete_response(op, call, result)
    call.end()
    return result


def _begin(
    telemetry: Telemetry, op: Operation, instance: object, kwargs: dict[str, Any]
) -> tuple[Call | None, dict[str, Any], bool]:
    """(the call, the keyword arguments to send, whether to hide injected stream items).

    A run over its budget raises here, on purpose; any other failure is ours and leaves the call alone.
    A call of an excluded client (``agent_telemetry.exclude``) is left alone, budget included.
    """
    if is_excluded(instance):
        return None, kwargs, False
    check_budget(op)
    try:
        prepared, hide = op.prepare(telemetry, kwargs) if op.prepare is not None else (kwargs, False)
        return start_call(telemetry, op, instance, prepared), prepared, hide
    except Exception as exc:
        telemetry.internal_error(f"{op.provider}.{op.name}.start", exc)
        return None, kwargs, False


def _failed(call: Call, error: BaseException) -> None:
    call.deactivate()
    call.fail(error)
    call.end()


def _finish_safely(
    telemetry: Telemetry,
    op: Operation,
    call: Call,
    kwargs: dict[str, Any],
    result: Any,
    hide: bool,
    is_async: bool,
) -> Any:
    call.deactivate()
    try:
        return finish(op, call, kwargs, result, hide, is_async)
    except Exception as exc:
        telemetry.internal_error(f"{op.provider}.{op.name}.finish", exc)
        call.end()
        return result


def sync_wrapper(telemetry: Telemetry, op: Operation) -> Callable[..., Any]:
    def wrapper(
        wrapped: Callable[..., Any], instance: object, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        call, kwargs, hide = _begin(telemetry, op, instance, kwargs)
        if call is None:
            return wrapped(*args, **kwargs)
        call.activate()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as error:
            _failed(call, error)
            raise
        return _finish_safely(telemetry, op, call, kwargs, result, hide, is_async=False)

    return wrapper


def async_wrapper(telemetry: Telemetry, op: Operation) -> Callable[..., Any]:
    async def wrapper(
        wrapped: Callable[..., Any], instance: object, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        call, kwargs, hide = _begin(telemetry, op, instance, kwargs)
        if call is None:
            return await wrapped(*args, **kwargs)
        call.activate()
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as error:
            _failed(call, error)
            raise
        return _finish_safely(telemetry, op, call, kwargs, result, hide, is_async=True)

    return wrapper


class ObservedAPIResponse(wrapt.ObjectProxy):
    """Stands in for the response of ``with_streaming_response``: its body is read only when parsed."""

    def __init__(self, wrapped: Any, call: Call, op: Operation, streaming: bool, hide: bool) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_op = op
        self._self_streaming = streaming
        self._self_hide = hide

    def _self_observe(self, parsed: Any, stream_type: type) -> Any:
        call, op = self._self_call, self._self_op
        try:
            if self._self_streaming and op.stream_observer is not None:
                return stream_type(parsed, call, op.stream_observer(self._self_hide))
            read_complete_response(op, call, parsed)
            call.end()
        except Exception as exc:
            call.internal_error(f"{op.provider}.{op.name}.parse", exc)
        return parsed

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_observe(self.__wrapped__.parse(*args, **kwargs), ObservedStream)

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_call.end()


class AsyncObservedAPIResponse(ObservedAPIResponse):
    async def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_observe(await self.__wrapped__.parse(*args, **kwargs), AsyncObservedStream)

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            self._self_call.end()
