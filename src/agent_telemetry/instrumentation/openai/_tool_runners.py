"""The openai SDK's tool runners: the Responses tool runner's functions and the computer toolset's actions.

openai 3.x reports every step of its tool helpers as a content-free ``ToolDiagnostic`` through one
function, ``emit_tool_diagnostic(observer, api, stage, reason, started, *, call_id, member, usage)``,
which each helper module calls, whether or not the application passed an ``on_diagnostic`` observer.
Wrapping it in those modules measures, with no code of the application's:

- ``api="responses", stage="action"``: a registered function the runner executed (``member`` is its
  name): an ``execute_tool {name}`` span with its real start and end, and the agent_tools_* metrics;
  any reason but ``completed`` (``driver_failed``, ``cancelled``) is its error type.
- ``api="computer", stage="action"``: an action the computer toolset executed on the driver
  (``member`` is the action type): agent_action_duration_seconds with outcome success or failure;
  ``stage="approval", reason="refused"`` for one action: outcome blocked.

The browser and decisions helpers report through the same function; they are not measured yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from agent_telemetry.agents.computer_use import record_action
from agent_telemetry.agents.tools import record_tool_execution, start_tool_span
from agent_telemetry.core.telemetry import Telemetry
from agent_telemetry.instrumentation._instrumentor import MethodPatch

COMPLETED = "completed"


def _observe(
    telemetry: Telemetry,
    observer: object,
    api: str,
    stage: str,
    reason: str,
    started: float,
    *,
    member: str | None = None,
    **_: object,
) -> None:
    duration_s = max(0.0, time.monotonic() - started)
    if api == "responses" and stage == "action" and member:
        start_ns = time.time_ns() - int(duration_s * 1e9)
        span = start_tool_span(telemetry, member, start_time=start_ns)
        record_tool_execution(member, duration_s, None if reason == COMPLETED else reason, span)
    elif api == "computer" and member:
        if stage == "action":
            record_action(
                member, duration_s=duration_s, outcome="success" if reason == COMPLETED else "failure"
            )
        elif stage == "approval" and reason == "refused":
            record_action(member, duration_s=duration_s, outcome="blocked")


def diagnostic_wrapper(telemetry: Telemetry, _operation: object) -> Callable[..., Any]:
    def wrapper(
        wrapped: Callable[..., Any], instance: object, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        try:
            _observe(telemetry, *args, **kwargs)
        except Exception as exc:
            telemetry.internal_error("openai.tool_diagnostic", exc)
        return wrapped(*args, **kwargs)

    return wrapper


PATCHES: tuple[MethodPatch, ...] = tuple(
    MethodPatch(module, None, "emit_tool_diagnostic", None, wrapper_factory=diagnostic_wrapper)
    for module in ("openai.lib.responses_tool_runner", "openai.lib.computer")
)
