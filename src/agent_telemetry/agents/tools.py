"""Tools: ``execute_tool {name}`` spans and the agent_tools_* metrics.

``@tool`` (or ``@tool("name")``) on a sync or async function, or ``with tool_call("name"):`` around
any block, measures one execution. The application's exception passes through untouched.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, overload

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from agent_telemetry import contract
from agent_telemetry.agents.runs import Run, current_run
from agent_telemetry.contract import Attr, Event, EventAttr
from agent_telemetry.core.telemetry import Telemetry, active_telemetry
from agent_telemetry.redaction import redact_content

F = TypeVar("F", bound=Callable[..., Any])


class tool_call:  # used like a function: ``with tool_call("search"):``
    """Measures one tool execution: a span, a call count, a duration, and an error count on failure.

    ``failed(error_type)`` marks an execution that failed without raising (a tool runner that turned
    the tool's exception into an error result, say). ``error_type`` is a short type name, like the
    exception class names recorded for a raised exception: it becomes a label, never pass a message.
    ``span=False`` records the metrics only, for tools whose span somebody else makes.

    With content capture on, a recorded run's trajectory gets the tool's ``arguments`` (given here)
    and its ``result`` (set on the object inside the block), redacted; ``@tool`` fills in both.
    """

    def __init__(self, name: str, *, span: bool = True, arguments: Any = None) -> None:
        if not name or not isinstance(name, str):
            raise ValueError("a tool needs a name, a non-empty string")
        self.name = name
        self._with_span = span
        self._span: trace.Span = trace.INVALID_SPAN
        self._token: object | None = None
        self._start = 0.0
        self._error_type: str | None = None
        self.arguments = arguments
        self.result: Any = None

    def failed(self, error_type: str) -> None:
        self._error_type = error_type

    def __enter__(self) -> tool_call:
        if self._with_span:
            self._span = start_tool_span(active_telemetry(), self.name)
            self._token = otel_context.attach(trace.set_span_in_context(self._span))
        self._start = time.perf_counter()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        elapsed = time.perf_counter() - self._start
        if self._token is not None:
            otel_context.detach(self._token)
        error_type = type(exc).__name__ if exc is not None else self._error_type
        record_tool_execution(
            self.name, elapsed, error_type, self._span, arguments=self.arguments, result=self.result
        )

    async def __aenter__(self) -> tool_call:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def start_tool_span(telemetry: Telemetry, name: str, start_time: int | None = None) -> trace.Span:
    """An ``execute_tool {name}`` span (GenAI semantic conventions), started now or at ``start_time`` (ns)."""
    return telemetry.tracer.start_span(
        f"execute_tool {name}",
        kind=SpanKind.INTERNAL,
        attributes={Attr.OPERATION_NAME: "execute_tool", Attr.TOOL_NAME: name},
        start_time=start_time,
    )


def record_tool_execution(
    name: str,
    duration_s: float,
    error_type: str | None,
    span: trace.Span = trace.INVALID_SPAN,
    *,
    arguments: Any = None,
    result: Any = None,
) -> None:
    """The metrics (and the run's recording) of one finished tool execution; ends ``span``. Never raises."""
    telemetry = active_telemetry()
    try:
        labels = telemetry.labels
        attributes = labels.bound(
            {
                Attr.AGENT_NAME: telemetry.agent_name(),
                Attr.AGENT_VERSION: telemetry.agent_version(),
                Attr.TOOL_NAME: name,
            }
        )
        made = telemetry.instruments
        made[contract.TOOL_CALLS].add(1, attributes)
        made[contract.TOOL_DURATION].record(duration_s, attributes)
        if error_type is not None:
            made[contract.TOOL_ERRORS].add(1, {**attributes, **labels.bound({Attr.ERROR_TYPE: error_type})})
            span.set_attribute(Attr.ERROR_TYPE, error_type)
            span.set_status(Status(StatusCode.ERROR, error_type))
        span.end()
        run = current_run()
        if telemetry.events.enabled:
            event = {
                Attr.AGENT_NAME: telemetry.agent_name(),
                Attr.TOOL_NAME: name,
                EventAttr.DURATION: duration_s,
            }
            if error_type is not None:
                event[Attr.ERROR_TYPE] = error_type
            if run is not None:
                event[EventAttr.RUN_ID] = run.run_id
            telemetry.emit_event(Event.TOOL_CALL, event, span=None if span is trace.INVALID_SPAN else span)
        if run is not None:
            fields = {"tool": name, "duration_s": duration_s, "error": error_type}
            if records_content(run, telemetry):
                for key, value in (("arguments", arguments), ("result", result)):
                    if value is not None:
                        fields[key] = redact_content(value)
            run.emit("tool", fields)
    except Exception as error:
        telemetry.internal_error("tool.end", error)


@overload
def tool(function: F, /) -> F: ...
@overload
def tool(name: str | None = None, /) -> Callable[[F], F]: ...


def tool(arg: Any = None, /) -> Any:
    """Decorate a tool function (sync or async); its name is the function's unless given."""
    if callable(arg):
        return _decorate(arg, arg.__name__)

    def decorator(function: F) -> F:
        return _decorate(function, arg or function.__name__)

    return decorator


def records_content(run: Run | None, telemetry: Telemetry) -> bool:
    """Content goes to ``run``'s trajectory: capture is on, and someone records the run."""
    return run is not None and run.has_listeners and telemetry.settings.capture_content


def _decorate(function: F, name: str) -> F:
    try:
        signature: inspect.Signature | None = inspect.signature(function)
    except (TypeError, ValueError):  # some builtins and C functions have none
        signature = None

    def arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """The call's arguments by parameter name, read only for a recorded run with capture on."""
        if not records_content(current_run(), active_telemetry()):
            return None
        if signature is not None:
            try:
                return dict(signature.bind(*args, **kwargs).arguments)
            except TypeError:
                pass  # the call itself will fail the same way; record what it was given
        return {"args": list(args), "kwargs": kwargs}

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            with tool_call(name, arguments=arguments(args, kwargs)) as measured:
                measured.result = await function(*args, **kwargs)
                return measured.result

        return run_async  # type: ignore[return-value]

    @functools.wraps(function)
    def run_sync(*args: Any, **kwargs: Any) -> Any:
        with tool_call(name, arguments=arguments(args, kwargs)) as measured:
            measured.result = function(*args, **kwargs)
            return measured.result

    return run_sync  # type: ignore[return-value]
