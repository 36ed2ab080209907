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
from agent_telemetry.agents.runs import current_run
from agent_telemetry.instrumentation._telemetry import active_telemetry

F = TypeVar("F", bound=Callable[..., Any])


class tool_call:  # used like a function: ``with tool_call("search"):``
    """Measures one tool execution: a span, a call count, a duration, and an error count on failure."""

    def __init__(self, name: str) -> None:
        if not name or not isinstance(name, str):
            raise ValueError("a tool needs a name, a non-empty string")
        self.name = name
        self._span: trace.Span = trace.INVALID_SPAN
        self._token: object | None = None
        self._start = 0.0

    def __enter__(self) -> tool_call:
        telemetry = active_telemetry()
        self._span = telemetry.tracer.start_span(
            f"execute_tool {self.name}",
            kind=SpanKind.INTERNAL,
            attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": self.name},
        )
        self._token = otel_context.attach(trace.set_span_in_context(self._span))
        self._start = time.perf_counter()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        elapsed = time.perf_counter() - self._start
        if self._token is not None:
            otel_context.detach(self._token)
        telemetry = active_telemetry()
        try:
            attributes = {"gen_ai.agent.name": telemetry.agent_name(), "gen_ai.tool.name": self.name}
            made = telemetry.instruments
            made[contract.TOOL_CALLS].add(1, attributes)
            made[contract.TOOL_DURATION].record(elapsed, attributes)
            if exc is not None:
                error_type = type(exc).__name__
                made[contract.TOOL_ERRORS].add(1, {**attributes, "error.type": error_type})
                self._span.set_attribute("error.type", error_type)
                self._span.set_status(Status(StatusCode.ERROR, error_type))
            self._span.end()
            run = current_run()
            if run is not None:
                run.emit(
                    "tool",
                    {"tool": self.name, "duration_s": elapsed, "error": type(exc).__name__ if exc else None},
                )
        except Exception as error:
            telemetry.internal_error("tool.end", error)

    async def __aenter__(self) -> tool_call:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)


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


def _decorate(function: F, name: str) -> F:
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            with tool_call(name):
                return await function(*args, **kwargs)

        return run_async  # type: ignore[return-value]

    @functools.wraps(function)
    def run_sync(*args: Any, **kwargs: Any) -> Any:
        with tool_call(name):
            return function(*args, **kwargs)

    return run_sync  # type: ignore[return-value]
