"""Scripted replies: what a test tells the fake provider to answer, independent of the provider's wire format.

A :class:`Reply` is provider-neutral; ``openai_api`` and ``anthropic_api`` translate it into each provider's
payloads. Any field left at ``None`` is filled in deterministically (see ``tokens``), so a test only states
what it asserts on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agent_telemetry.tooling.fake_provider.tokens import default_output_tokens

DEFAULT_TEXT = "Hello from the fake provider."

Provider = Literal["openai", "anthropic"]

# Anthropic names each mouse button's click as its own action.
_ANTHROPIC_CLICKS = {"left": "left_click", "right": "right_click", "wheel": "middle_click"}


@dataclass(frozen=True)
class TokenUsage:
    """Token counts, reported verbatim in each provider's own fields (no arithmetic between them).

    OpenAI: ``input_tokens`` -> ``prompt_tokens``/``input_tokens`` (which, as on the real API, *include*
    ``cached_tokens``); ``reasoning_tokens`` -> ``*_tokens_details.reasoning_tokens``;
    ``cache_write_tokens`` -> ``*_tokens_details.cache_write_tokens``.
    Anthropic: ``input_tokens`` is the uncached input, ``cached_tokens`` -> ``cache_read_input_tokens``,
    ``cache_write_tokens`` -> ``cache_creation_input_tokens``, ``reasoning_tokens`` ->
    ``output_tokens_details.thinking_tokens`` (only when non-zero).
    ``None`` for input/output means "use the default formula".
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class ResolvedUsage:
    """:class:`TokenUsage` with every count known."""

    input_tokens: int
    output_tokens: int
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class ToolCall:
    """A function call: chat ``tool_calls``, a responses ``function_call`` item, an Anthropic ``tool_use``."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None  # None: a deterministic id from the server's counter
    # Anthropic only: the toolset the call is for (``computer``); ``name`` is then the member.
    toolset: str | None = None

    def arguments_json(self) -> str:
        return json.dumps(dict(self.arguments), separators=(",", ":"))


@dataclass(frozen=True)
class SafetyCheck:
    """An OpenAI ``pending_safety_checks`` entry on a ``computer_call``."""

    id: str
    code: str = "malicious_instructions"
    message: str = "Pending safety check."


@dataclass(frozen=True)
class ComputerAction:
    """One computer-use action in OpenAI's vocabulary, translated to Anthropic's ``computer`` tool input.

    ``kind`` is one of: click, double_click, move, drag, scroll, type, keypress, screenshot, wait.
    OpenAI chat completions have no computer use, so chat replies leave these out.
    """

    kind: str
    x: int | None = None
    y: int | None = None
    button: str = "left"
    text: str | None = None
    keys: tuple[str, ...] = ()
    scroll_x: int = 0
    scroll_y: int = 0
    path: tuple[tuple[int, int], ...] = ()
    safety_checks: tuple[SafetyCheck, ...] = ()
    id: str | None = None

    @classmethod
    def click(cls, x: int, y: int, button: str = "left") -> ComputerAction:
        return cls("click", x=x, y=y, button=button)

    @classmethod
    def double_click(cls, x: int, y: int) -> ComputerAction:
        return cls("double_click", x=x, y=y)

    @classmethod
    def type_text(cls, text: str) -> ComputerAction:
        return cls("type", text=text)

    @classmethod
    def keypress(cls, *keys: str) -> ComputerAction:
        return cls("keypress", keys=keys)

    @classmethod
    def scroll(cls, x: int, y: int, scroll_x: int = 0, scroll_y: int = 0) -> ComputerAction:
        return cls("scroll", x=x, y=y, scroll_x=scroll_x, scroll_y=scroll_y)

    @classmethod
    def screenshot(cls) -> ComputerAction:
        return cls("screenshot")

    def openai_action(self) -> dict[str, Any]:
        """The ``action`` of a responses ``computer_call`` item."""
        if self.kind == "click":
            return {"type": "click", "button": self.button, "x": self.x, "y": self.y}
        if self.kind in ("double_click", "move"):
            return {"type": self.kind, "x": self.x, "y": self.y}
        if self.kind == "drag":
            return {"type": "drag", "path": [{"x": x, "y": y} for x, y in self.path]}
        if self.kind == "scroll":
            return {
                "type": "scroll",
                "x": self.x,
                "y": self.y,
                "scroll_x": self.scroll_x,
                "scroll_y": self.scroll_y,
            }
        if self.kind == "type":
            return {"type": "type", "text": self.text or ""}
        if self.kind == "keypress":
            return {"type": "keypress", "keys": list(self.keys)}
        return {"type": self.kind}  # screenshot, wait

    def anthropic_input(self) -> dict[str, Any]:
        """The ``input`` of an Anthropic ``tool_use`` block named ``computer``."""
        coordinate = [self.x, self.y]
        if self.kind == "click":
            return {"action": _ANTHROPIC_CLICKS.get(self.button, "left_click"), "coordinate": coordinate}
        if self.kind == "double_click":
            return {"action": "double_click", "coordinate": coordinate}
        if self.kind == "move":
            return {"action": "mouse_move", "coordinate": coordinate}
        if self.kind == "drag":
            (start, *_), end = self.path, self.path[-1]
            return {"action": "left_click_drag", "start_coordinate": list(start), "coordinate": list(end)}
        if self.kind == "scroll":
            vertical = self.scroll_y != 0
            amount = abs(self.scroll_y if vertical else self.scroll_x)
            direction = (
                ("down" if self.scroll_y > 0 else "up")
                if vertical
                else ("right" if self.scroll_x > 0 else "left")
            )
            return {
                "action": "scroll",
                "coordinate": coordinate,
                "scroll_direction": direction,
                "scroll_amount": amount,
            }
        if self.kind == "type":
            return {"action": "type", "text": self.text or ""}
        if self.kind == "keypress":
            return {"action": "key", "text": "+".join(self.keys)}
        if self.kind == "wait":
            return {"action": "wait", "duration": 1}
        return {"action": self.kind}  # screenshot


@dataclass(frozen=True)
class ErrorSpec:
    """An HTTP error in the provider's own body shape; ``None`` fields take the provider's usual values."""

    status: int
    type: str | None = None
    code: str | None = None
    message: str | None = None
    param: str | None = None
    retry_after: float | None = None  # seconds, sent as the ``retry-after`` header


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Consumed by the next API request of its provider (or any provider if global).

    - ``text``: ``None`` -> :data:`DEFAULT_TEXT` unless the reply carries tool calls or computer actions
      (then no text); ``""`` -> no text.
    - ``chunks``: number of text deltas in a stream. ``None`` -> one delta per word. With ``text=None`` the
      default sentence's words are cycled to ``chunks`` words (e.g. 50 for a benchmark); with an explicit
      ``text`` it is cut into ``chunks`` near-equal slices.
    - ``finish_reason``: provider-native (chat ``stop``/``length``/``tool_calls``/``content_filter``;
      responses ``completed``/``max_output_tokens``/``content_filter``; Anthropic ``end_turn``/``tool_use``/
      ``max_tokens``/``refusal``...). ``None`` -> derived from whether there are tool calls. It applies to
      whichever API consumes the reply, so script such values with ``enqueue(..., provider=...)``.
    - ``delay_s``: before the response headers. ``chunk_delay_s``: between stream events.
    - ``drop_after_chunks``: close the socket after that many content deltas (text or tool arguments) of a
      stream; on a non-stream request, close without answering.
    - ``hang``: never answer (until the client goes away or the server stops).
    """

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    computer_actions: tuple[ComputerAction, ...] = ()
    usage: TokenUsage = TokenUsage()
    finish_reason: str | None = None
    error: ErrorSpec | None = None
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    chunks: int | None = None
    drop_after_chunks: int | None = None
    hang: bool = False
    embedding: Sequence[float] | None = None  # every returned vector; None -> derived from the input text

    def __post_init__(self) -> None:
        # Accept lists for convenience; frozen dataclasses need object.__setattr__ to normalise.
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))
        object.__setattr__(self, "computer_actions", tuple(self.computer_actions))
        if self.chunks is not None and self.chunks < 1:
            raise ValueError("chunks must be >= 1")
        if self.chunks is not None and self.text and len(self.text) < self.chunks:
            raise ValueError(f"text of {len(self.text)} characters cannot make {self.chunks} chunks")

    @classmethod
    def fail(
        cls,
        status: int,
        *,
        type: str | None = None,
        code: str | None = None,
        message: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
        delay_s: float = 0.0,
    ) -> Reply:
        return cls(error=ErrorSpec(status, type, code, message, param, retry_after), delay_s=delay_s)

    @classmethod
    def context_length_exceeded(cls) -> Reply:
        """OpenAI's 400 for a prompt over the context window."""
        return cls.fail(
            400,
            code="context_length_exceeded",
            param="messages",
            message=(
                "This model's maximum context length is 128000 tokens. "
                "Please reduce the length of the messages."
            ),
        )

    @classmethod
    def hanging(cls) -> Reply:
        return cls(hang=True)

    @property
    def has_calls(self) -> bool:
        return bool(self.tool_calls or self.computer_actions)

    def text_chunks(self) -> list[str]:
        """The text deltas a stream sends; their concatenation is the full text."""
        if self.text is None and self.has_calls:
            return []
        if self.text is None:
            words = DEFAULT_TEXT.split(" ")
            count = self.chunks or len(words)
            cycled = [words[i % len(words)] for i in range(count)]
            return [word + ("" if i == count - 1 else " ") for i, word in enumerate(cycled)]
        if not self.text:
            return []
        if self.chunks is None:
            pieces = self.text.split(" ")
            return [piece + ("" if i == len(pieces) - 1 else " ") for i, piece in enumerate(pieces)]
        size, extra = divmod(len(self.text), self.chunks)
        bounds = [i * size + min(i, extra) for i in range(self.chunks + 1)]
        return [self.text[bounds[i] : bounds[i + 1]] for i in range(self.chunks)]

    def full_text(self) -> str:
        return "".join(self.text_chunks())

    def resolved_usage(self, input_tokens: int) -> ResolvedUsage:
        """Fill unset counts: ``input_tokens`` comes from the request (see ``tokens``)."""
        usage = self.usage
        output = usage.output_tokens
        if output is None:
            output = default_output_tokens(
                self.full_text(), len(self.tool_calls) + len(self.computer_actions)
            )
        return ResolvedUsage(
            input_tokens=input_tokens if usage.input_tokens is None else usage.input_tokens,
            output_tokens=output,
            cached_tokens=usage.cached_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            reasoning_tokens=usage.reasoning_tokens,
        )
