"""A call's conversation for its run's session recording: the full trajectory, opt-in.

Gathered only when content capture is on (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT) and the
call runs inside a run that someone records; otherwise no call pays for it. What the recording gets is
plain JSON, images replaced by their type and size, every string redacted (``redaction.redact_content``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from agent_telemetry.contract import SpanAttr
from agent_telemetry.redaction import plain, redact_content

# Span attribute of a request's content -> the field of the recorded llm_call event.
_FIELDS = {SpanAttr.INPUT_MESSAGES: "input", SpanAttr.SYSTEM_INSTRUCTIONS: "system"}


class CallContent:
    """What went in (messages, system instructions) and what came out (messages, tool calls)."""

    __slots__ = ("_blocks", "_choices", "_json", "output", "request")

    def __init__(self, request: dict[str, Any]) -> None:
        self.request = request
        self.output: Any = None  # a complete response's output, as the SDK gave it
        self._choices: dict[int, dict[str, Any]] = {}  # openai chat stream: choice index -> message
        self._blocks: list[dict[str, Any]] = []  # anthropic stream: the content blocks so far
        self._json: dict[int, list[str]] = {}  # anthropic stream: block index -> input JSON fragments

    @classmethod
    def of_request(cls, input_content: tuple[tuple[str, str], ...], kwargs: Mapping[str, Any]) -> CallContent:
        request: dict[str, Any] = {}
        for name, attribute in input_content:
            value = kwargs.get(name)
            if isinstance(value, str) and attribute == SpanAttr.INPUT_MESSAGES:
                value = [{"role": "user", "content": value}]  # responses' input may be one string
            if isinstance(value, (str, list, tuple, Mapping)):
                request[_FIELDS[attribute]] = value
        return cls(request)

    # -- streams: the output assembled from its pieces ------------------------------------------
    def chat_delta(self, index: int, delta: Any) -> None:
        """One openai chat completion chunk's delta of choice ``index``."""
        # Never raises into the stream's observer: an odd chunk must not cost the call's metrics.
        with contextlib.suppress(Exception):
            self._chat_delta(index, delta)

    def anthropic_event(self, event: Any) -> None:
        """One anthropic message stream event."""
        with contextlib.suppress(Exception):
            self._anthropic_event(event)

    def _chat_delta(self, index: int, delta: Any) -> None:
        message = self._choices.setdefault(index, {"role": "assistant"})
        if delta.content:
            message["content"] = message.get("content", "") + delta.content
        if delta.refusal:
            message["refusal"] = message.get("refusal", "") + delta.refusal
        for fragment in delta.tool_calls or ():
            calls = message.setdefault("tool_calls", {})
            call = calls.setdefault(fragment.index, {"type": "function", "function": {"arguments": ""}})
            if fragment.id:
                call["id"] = fragment.id
            function = fragment.function
            if function is not None:
                if function.name:
                    call["function"]["name"] = function.name
                if function.arguments:
                    call["function"]["arguments"] += function.arguments

    def _anthropic_event(self, event: Any) -> None:
        kind = event.type
        if kind == "content_block_start":
            block = plain(event.content_block)
            if block.get("type") in ("tool_use", "server_tool_use"):
                self._json[event.index] = []
            self._blocks.append(block)
        elif kind == "content_block_delta" and self._blocks:
            delta, block = event.delta, self._blocks[-1]
            if delta.type == "text_delta":
                block["text"] = block.get("text", "") + delta.text
            elif delta.type == "thinking_delta":
                block["thinking"] = block.get("thinking", "") + delta.thinking
            elif delta.type == "input_json_delta" and event.index in self._json:
                self._json[event.index].append(delta.partial_json)
        elif kind == "content_block_stop" and event.index in self._json and self._blocks:
            text = "".join(self._json.pop(event.index))
            try:
                self._blocks[-1]["input"] = json.loads(text) if text else {}
            except ValueError:
                self._blocks[-1]["input"] = text  # cut off mid-stream: keep what came

    # -- the recorded fields ----------------------------------------------------------------------
    def fields(self) -> dict[str, Any]:
        output = self.output
        if output is None and self._choices:
            output = [
                {**message, "tool_calls": list(message["tool_calls"].values())}
                if "tool_calls" in message
                else message
                for _, message in sorted(self._choices.items())
            ]
        elif output is None and self._blocks:
            output = [{"role": "assistant", "content": self._blocks}]
        fields = {key: redact_content(value) for key, value in self.request.items()}
        if output is not None:
            fields["output"] = redact_content(output)
        return fields
