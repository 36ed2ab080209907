"""Computer use: actions the model asks for, screenshots sent back, steps held back, actions executed.

Requested actions, screenshots and blocks are read by the SDK instrumentation from the requests and
responses it already sees; ``record_action`` / ``computer_action`` are for the application to report
the actions it executes, with their real duration and outcome.
"""

from __future__ import annotations

import time
from types import TracebackType

from agent_telemetry import contract
from agent_telemetry.agents.runs import current_run
from agent_telemetry.agents.tools import records_content
from agent_telemetry.contract import Attr, Event, EventAttr
from agent_telemetry.core.telemetry import active_telemetry
from agent_telemetry.redaction import redact_content

# Provider action names (OpenAI computer_call actions, Anthropic computer tool actions) -> our types.
_ACTION_TYPES: dict[str, str] = {
    "click": "click",
    "left_click": "click",
    "middle_click": "click",
    "left_mouse_down": "click",
    "left_mouse_up": "click",
    "right_click": "right_click",
    "double_click": "double_click",
    "triple_click": "double_click",
    "type": "type",
    "key": "key",
    "keypress": "key",
    "hold_key": "key",
    "scroll": "scroll",
    "screenshot": "screenshot",
    "drag": "drag",
    "left_click_drag": "drag",
    "move": "move",
    "mouse_move": "move",
    "wait": "wait",
    "zoom": "zoom",
    "cursor_position": "cursor_position",
}
ACTION_TYPES: tuple[str, ...] = (*sorted(set(_ACTION_TYPES.values())), "other")
OUTCOMES: tuple[str, ...] = ("success", "failure", "blocked")


def action_type(provider_action: object) -> str:
    """The bounded action type for a provider's action name; ``other`` for names we do not know."""
    return _ACTION_TYPES.get(provider_action, "other") if isinstance(provider_action, str) else "other"


def record_action(
    action: str, *, duration_s: float, outcome: str = "success", parameters: object = None
) -> None:
    """Report an action the application executed (a click it performed, a key it pressed).

    ``parameters`` (coordinates, the text typed) go to a recorded run's trajectory with content
    capture on, redacted; never to metrics or spans.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"record_action: outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
    if isinstance(duration_s, bool) or not isinstance(duration_s, (int, float)) or duration_s < 0:
        raise ValueError(f"record_action: duration_s must be a non-negative number, got {duration_s!r}")
    telemetry = active_telemetry()
    kind = action_type(action)
    telemetry.instruments[contract.ACTION_DURATION].record(
        float(duration_s),
        telemetry.labels.bound(
            {Attr.AGENT_NAME: telemetry.agent_name(), Attr.ACTION: kind, Attr.OUTCOME: outcome}
        ),
    )
    run = current_run()
    if telemetry.events.enabled:
        event = {
            Attr.AGENT_NAME: telemetry.agent_name(),
            EventAttr.ACTION_TYPE: kind,
            EventAttr.ACTION_PHASE: "executed",
            EventAttr.ACTION_OUTCOME: outcome,
            EventAttr.DURATION: float(duration_s),
        }
        if run is not None:
            event[EventAttr.RUN_ID] = run.run_id
        telemetry.emit_event(Event.COMPUTER_USE_ACTION, event)
    if run is not None:
        fields = {"action": kind, "duration_s": float(duration_s), "outcome": outcome}
        if parameters is not None and records_content(run, telemetry):
            fields["parameters"] = redact_content(parameters)
        run.emit("action", fields)


class computer_action:  # used like a function: ``with computer_action("left_click"):``
    """Times an action the application executes; an exception makes its outcome ``failure``.

    Set ``.outcome = "blocked"`` inside the block when the application decided not to act.
    """

    def __init__(self, action: str, *, parameters: object = None) -> None:
        self.action = action
        self.parameters = parameters
        self.outcome: str | None = None
        self._start = 0.0

    def __enter__(self) -> computer_action:
        self._start = time.perf_counter()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        outcome = self.outcome or ("failure" if exc is not None else "success")
        try:
            record_action(
                self.action,
                duration_s=time.perf_counter() - self._start,
                outcome=outcome,
                parameters=self.parameters,
            )
        except Exception as error:
            active_telemetry().internal_error("computer_action", error)
