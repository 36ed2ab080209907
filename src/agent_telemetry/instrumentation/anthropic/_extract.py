"""What we read from anthropic requests, responses and stream events."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.util.types import AttributeValue

from agent_telemetry.contract import SpanAttr
from agent_telemetry.instrumentation._call import Call
from agent_telemetry.instrumentation._content import image_bytes
from agent_telemetry.instrumentation._request import NumericParams, model_param, server_attributes
from agent_telemetry.instrumentation._streams import Observer
from agent_telemetry.usage import Usage

# Read only for a recording span (see _wrap.start_call).
REQUEST_PARAMS = NumericParams(
    {
        SpanAttr.REQUEST_MAX_TOKENS: ("max_tokens",),
        SpanAttr.REQUEST_TEMPERATURE: ("temperature",),
        SpanAttr.REQUEST_TOP_P: ("top_p",),
        SpanAttr.REQUEST_TOP_K: ("top_k",),
    }
)


def read_request(resource: object, kwargs: Mapping[str, Any]) -> tuple[str, dict[str, AttributeValue]]:
    return model_param(kwargs), server_attributes(resource)


def message_usage(usage: Any) -> Usage:
    """Anthropic's ``input_tokens`` already excludes cache reads and writes: the types are disjoint."""
    return Usage(
        input_tokens=usage.input_tokens or 0,
        output_tokens=usage.output_tokens or 0,
        cache_read_tokens=getattr(usage, "cache_read_input_tokens", None) or 0,
        cache_write_tokens=getattr(usage, "cache_creation_input_tokens", None) or 0,
    )


def read_message(call: Call, message: Any) -> None:
    for block in message.content or ():
        _read_content_block(call, block)
    if message.stop_reason == "refusal":
        call.action_blocked("refusal")
    usage = message.usage
    call.response(
        model=message.model,
        response_id=message.id,
        finish_reasons=[message.stop_reason] if message.stop_reason else None,
        usage=message_usage(usage) if usage is not None else None,
    )


def _read_content_block(call: Call, block: Any) -> None:
    if block.type in ("tool_use", "server_tool_use"):
        call.tool_requested(block.name)
        if block.name == COMPUTER_TOOL:
            # Only here: a missing attribute costs a pydantic model ~10 µs (it builds an AttributeError).
            tool_input = getattr(block, "input", None)
            if isinstance(tool_input, Mapping):
                call.action_requested(tool_input.get("action"), tool_input)


COMPUTER_TOOL = "computer"


def observe_messages_request(call: Call, kwargs: Mapping[str, Any]) -> None:
    """Screenshots sent back to the model: images in the tool results of the newest user message.

    Earlier messages were sent (and counted) with earlier requests.
    """
    messages = kwargs.get("messages")
    if not isinstance(messages, list) or not messages:
        return
    last = messages[-1]
    if (
        not isinstance(last, Mapping)
        or last.get("role") != "user"
        or not isinstance(last.get("content"), list)
    ):
        return
    for block in last["content"]:
        if (
            isinstance(block, Mapping)
            and block.get("type") == "tool_result"
            and isinstance(block.get("content"), list)
        ):
            for part in block["content"]:
                if isinstance(part, Mapping) and part.get("type") == "image":
                    call.screenshot_sent(image_bytes(part), part)


def read_nothing(call: Call, result: Any) -> None:
    """count_tokens: counting tokens is not spending them."""


@dataclass(slots=True)
class MessageStreamState:
    """What one message stream keeps between its events."""

    # The computer tool's input streams as JSON fragments until content_block_stop: block index -> them.
    computer_inputs: dict[int, list[str]] = field(default_factory=dict)


def message_stream_observer(hide: bool) -> Observer:
    state = MessageStreamState()  # the observer is built for each stream, so its state is too

    def observe(call: Call, event: Any) -> bool:
        kind = event.type
        if call.content is not None:
            call.content.anthropic_event(event)
        if kind == "content_block_delta":
            if not call.has_first_token:
                call.first_token()
            if call.capture_content and event.delta.type == "text_delta":
                call.add_output_text(event.delta.text)
            inputs = state.computer_inputs
            if inputs and event.index in inputs and event.delta.type == "input_json_delta":
                inputs[event.index].append(event.delta.partial_json)
        elif kind == "content_block_start":
            _start_content_block(call, event, state)
        elif kind == "content_block_stop":
            fragments = state.computer_inputs.pop(event.index, None)
            if fragments is not None:
                _finish_computer_block(call, fragments)
        elif kind == "message_start":
            read_message(call, event.message)
        elif kind == "message_delta":
            _read_message_delta(call, event)
        return False

    return observe


def _start_content_block(call: Call, event: Any, state: MessageStreamState) -> None:
    block = event.content_block
    if block.type not in ("tool_use", "server_tool_use"):
        return
    call.tool_requested(block.name)
    if block.name == COMPUTER_TOOL:
        # The action is in the tool input, which streams as JSON fragments until content_block_stop.
        state.computer_inputs[event.index] = []


def _finish_computer_block(call: Call, fragments: list[str]) -> None:
    try:
        tool_input = json.loads("".join(fragments) or "{}")
    except ValueError:
        tool_input = {}
    if isinstance(tool_input, dict):
        call.action_requested(tool_input.get("action"), tool_input)
    else:
        call.action_requested(None)


def _read_message_delta(call: Call, event: Any) -> None:
    # message_delta's usage is cumulative; fields it leaves out keep their message_start values.
    delta_usage = event.usage
    start = call.usage or Usage()
    if delta_usage is not None:
        input_tokens = getattr(delta_usage, "input_tokens", None)
        cache_read = getattr(delta_usage, "cache_read_input_tokens", None)
        cache_write = getattr(delta_usage, "cache_creation_input_tokens", None)
        call.response(
            usage=Usage(
                input_tokens=start.input_tokens if input_tokens is None else input_tokens,
                output_tokens=delta_usage.output_tokens or 0,
                cache_read_tokens=start.cache_read_tokens if cache_read is None else cache_read,
                cache_write_tokens=start.cache_write_tokens if cache_write is None else cache_write,
            )
        )
    stop_reason = getattr(event.delta, "stop_reason", None)
    if stop_reason:
        call.add_finish_reason(stop_reason)
        if stop_reason == "refusal":
            call.action_blocked("refusal")


# -- Content (opt-in) -----------------------------------------------------------------------------
MESSAGES_INPUT = (("messages", SpanAttr.INPUT_MESSAGES), ("system", SpanAttr.SYSTEM_INSTRUCTIONS))


def message_output(message: Any) -> Any:
    return [{"role": message.role, "content": message.content}]
