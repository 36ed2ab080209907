"""The anthropic SDK's tool runner (``client.beta.messages.tool_runner``): every tool it runs, measured.

anthropic 2.x runs each tool, toolset member and MCP tool inside
``BaseToolRunner._tool_use_span(client, tool, tool_use)``, a context manager that yields the run whose
``result`` the runner sends back. Wrapping that one method measures every tool the runner executes,
sync, async and eager alike. The runner turns a tool's exception into an error result (``is_error``),
so that is what marks a failed execution here (error type ``tool_error``, as the SDK's own span says).

- A member of the computer toolset (``toolset_name="computer"``) is an action the SDK executed on the
  application's desktop: agent_action_duration_seconds by action type, outcome success or failure.
- Any other tool: an ``execute_tool {name}`` span and the agent_tools_* metrics. The SDK makes its own
  tool span when its native spans are on; we then record metrics only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from agent_telemetry.agents.computer_use import computer_action
from agent_telemetry.agents.tools import tool_call
from agent_telemetry.core.telemetry import Telemetry
from agent_telemetry.instrumentation._instrumentor import MethodPatch

TOOL_ERROR = "tool_error"
COMPUTER_TOOLSET = "computer"


def _tool_measurement(tool_use: Any, own_span: bool) -> tuple[Any, Callable[[], None]]:
    """The context manager measuring one execution, and what marks it failed on an error result."""
    name = getattr(tool_use, "name", None)
    name = name if isinstance(name, str) and name else "_unknown"
    tool_input = getattr(tool_use, "input", None)  # kept only for a recorded run with capture on
    if getattr(tool_use, "toolset_name", None) == COMPUTER_TOOLSET:
        action = computer_action(name, parameters=tool_input)

        def action_failed() -> None:
            action.outcome = "failure"

        return action, action_failed
    tool = tool_call(name, span=own_span, arguments=tool_input)
    return tool, lambda: tool.failed(TOOL_ERROR)


class MeasuredToolRun:
    """The runner's own context manager, inside one that measures the execution."""

    def __init__(self, inner: Any, tool_use: Any, own_span: bool, telemetry: Telemetry) -> None:
        self._inner = inner
        self._tool_use = tool_use
        self._own_span = own_span
        self._telemetry = telemetry
        self._measurement: Any = None
        self._mark_failed: Callable[[], None] = lambda: None
        self._run: Any = None

    def __enter__(self) -> Any:
        try:
            measurement, self._mark_failed = _tool_measurement(self._tool_use, self._own_span)
            measurement.__enter__()
            self._measurement = measurement
        except Exception as exc:
            self._telemetry.internal_error("anthropic.tool_runner.start", exc)
        try:
            self._run = self._inner.__enter__()
        except BaseException as error:
            self._end_measurement(type(error), error, error.__traceback__)
            raise
        return self._run

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        try:
            return self._inner.__exit__(exc_type, exc, tb)
        finally:
            self._end_measurement(exc_type, exc, tb)

    def _end_measurement(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        measurement, self._measurement = self._measurement, None
        if measurement is None:
            return
        try:
            result = getattr(self._run, "result", None)
            if isinstance(result, Mapping) and result.get("is_error") is True:
                self._mark_failed()
            if isinstance(measurement, tool_call) and isinstance(result, Mapping):
                measurement.result = result.get("content")
            measurement.__exit__(exc_type, exc, tb)
        except Exception as error:
            self._telemetry.internal_error("anthropic.tool_runner.end", error)


def tool_use_span_wrapper(telemetry: Telemetry, _operation: object) -> Callable[..., Any]:
    own_span = not telemetry.settings.anthropic_native_spans

    def wrapper(
        wrapped: Callable[..., Any], instance: object, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        tool_use = kwargs.get("tool_use", args[2] if len(args) > 2 else None)
        return MeasuredToolRun(wrapped(*args, **kwargs), tool_use, own_span, telemetry)

    return wrapper


PATCHES: tuple[MethodPatch, ...] = (
    MethodPatch(
        "anthropic.lib.tools._beta_runner",
        "BaseToolRunner",
        "_tool_use_span",
        None,
        wrapper_factory=tool_use_span_wrapper,
    ),
)
