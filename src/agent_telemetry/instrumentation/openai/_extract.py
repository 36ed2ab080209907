"""What we read from openai requests, responses and stream items."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from agent_telemetry.contract import SpanAttr
from agent_telemetry.core.telemetry import Telemetry
from agent_telemetry.instrumentation._call import BILLED, Call
from agent_telemetry.instrumentation._content import image_bytes
from agent_telemetry.instrumentation._request import NumericParams, model_param, server_attributes
from agent_telemetry.instrumentation._streams import Observer
from agent_telemetry.instrumentation._wrap import raw_mode
from agent_telemetry.usage import Usage

# Read only for a recording span (see _wrap.start_call).
REQUEST_PARAMS = NumericParams(
    {
        SpanAttr.REQUEST_MAX_TOKENS: ("max_completion_tokens", "max_tokens", "max_output_tokens"),
        SpanAttr.REQUEST_TEMPERATURE: ("temperature",),
        SpanAttr.REQUEST_TOP_P: ("top_p",),
        SpanAttr.REQUEST_FREQUENCY_PENALTY: ("frequency_penalty",),
        SpanAttr.REQUEST_PRESENCE_PENALTY: ("presence_penalty",),
        SpanAttr.REQUEST_SEED: ("seed",),
    }
)


def read_request(resource: object, kwargs: Mapping[str, Any]) -> tuple[str, dict[str, AttributeValue]]:
    return model_param(kwargs), server_attributes(resource)


def read_retrieve_request(
    resource: object, kwargs: Mapping[str, Any]
) -> tuple[str, dict[str, AttributeValue]]:
    # responses.retrieve names no model: the span is "retrieve", the label "_unknown".
    return "", server_attributes(resource)


# -- Chat Completions -----------------------------------------------------------------------------
def _cache_split(details: Any) -> tuple[int, int]:
    """(cache reads, cache writes) of an input-tokens breakdown; writes exist from openai 3 on."""
    if details is None:
        return 0, 0
    return details.cached_tokens or 0, getattr(details, "cache_write_tokens", None) or 0


def chat_usage(usage: Any) -> Usage:
    """OpenAI's ``prompt_tokens`` includes cache reads and writes: split them so the types are disjoint."""
    cached, written = _cache_split(usage.prompt_tokens_details)
    completion_details = usage.completion_tokens_details
    reasoning = (completion_details.reasoning_tokens or 0) if completion_details is not None else 0
    return Usage(
        input_tokens=(usage.prompt_tokens or 0) - cached - written,
        output_tokens=usage.completion_tokens or 0,
        cache_read_tokens=cached,
        cache_write_tokens=written,
        reasoning_tokens=reasoning,
    )


def read_chat_completion(call: Call, completion: Any) -> None:
    for choice in completion.choices:
        for tool_call in choice.message.tool_calls or ():
            call.tool_requested(_tool_call_name(tool_call))
    usage = completion.usage
    call.response(
        model=completion.model,
        response_id=completion.id,
        finish_reasons=[choice.finish_reason for choice in completion.choices if choice.finish_reason],
        usage=chat_usage(usage) if usage is not None else None,
    )


def prepare_chat_stream(telemetry: Telemetry, kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """Ask for the final usage chunk when the application did not, and hide that chunk from it.

    Without it OpenAI reports no usage for a stream at all. The application still sees exactly the
    chunks it asked for. Off with AGENT_TELEMETRY_OPENAI_STREAM_USAGE=off (then such streams are
    counted in agent_tokens_unreported_requests_total). Raw responses are left alone: their bytes
    are the application's to read.
    """
    kwargs = dict(kwargs)
    if (
        kwargs.get("stream") is not True
        or telemetry.settings.openai_stream_usage == "off"
        or raw_mode(kwargs)
    ):
        return kwargs, False
    options = kwargs.get("stream_options")
    if isinstance(options, Mapping):
        if options.get("include_usage") is True:
            return kwargs, False
        kwargs["stream_options"] = {**options, "include_usage": True}
    else:
        kwargs["stream_options"] = {"include_usage": True}
    return kwargs, True


def chat_stream_observer(hide_usage_chunk: bool) -> Observer:
    def observe(call: Call, chunk: Any) -> bool:
        choices = chunk.choices
        for choice in choices:
            delta = choice.delta
            if (
                not call.has_first_token
                and delta is not None
                and (delta.content or delta.tool_calls or delta.refusal)
            ):
                call.first_token()
            if delta is not None:
                if call.content is not None:
                    call.content.chat_delta(choice.index, delta)
                if call.capture_content and delta.content:
                    call.add_output_text(delta.content)
                for tool_call in delta.tool_calls or ():
                    # A tool call's name comes once, in its first fragment.
                    if tool_call.function is not None and tool_call.function.name:
                        call.tool_requested(tool_call.function.name)
            if choice.finish_reason:
                call.add_finish_reason(choice.finish_reason)
                call.response(model=chunk.model, response_id=chunk.id)
        usage = chunk.usage
        if usage is not None:
            call.response(model=chunk.model, response_id=chunk.id, usage=chat_usage(usage))
            return hide_usage_chunk and not choices
        return False

    return observe


# -- Responses ------------------------------------------------------------------------------------
def responses_usage(usage: Any) -> Usage:
    cached, written = _cache_split(usage.input_tokens_details)
    output_details = usage.output_tokens_details
    reasoning = (output_details.reasoning_tokens or 0) if output_details is not None else 0
    return Usage(
        input_tokens=(usage.input_tokens or 0) - cached - written,
        output_tokens=usage.output_tokens or 0,
        cache_read_tokens=cached,
        cache_write_tokens=written,
        reasoning_tokens=reasoning,
    )


def _tool_call_name(tool_call: Any) -> str:
    for kind in ("function", "custom"):
        named = getattr(tool_call, kind, None)
        if named is not None and getattr(named, "name", None):
            return named.name
    return "_unknown"


def read_response(call: Call, response: Any) -> None:
    if call.billing == BILLED:
        _read_output_items(call, response.output or ())
    usage = response.usage
    status = response.status
    incomplete = response.incomplete_details
    reason = incomplete.reason if incomplete is not None and incomplete.reason else status
    call.response(
        model=response.model,
        response_id=response.id,
        finish_reasons=[reason] if reason else None,
        usage=responses_usage(usage) if usage is not None else None,
    )


def _read_output_items(call: Call, items: Any) -> None:
    for item in items:
        kind = item.type
        if kind == "computer_call":
            call.tool_requested("computer")
            actions = getattr(item, "actions", None) or (
                [item.action] if getattr(item, "action", None) else []
            )
            for action in actions:
                call.action_requested(getattr(action, "type", None), action)
            for check in getattr(item, "pending_safety_checks", None) or ():
                call.action_blocked(getattr(check, "code", None) or "safety_check")
        elif kind in ("function_call", "custom_tool_call", "mcp_call"):
            call.tool_requested(getattr(item, "name", None) or "_unknown")
        elif kind.endswith("_call"):
            call.tool_requested(kind[: -len("_call")])  # built-in tools: web_search, file_search, ...
        elif kind == "message":
            for part in item.content or ():
                if part.type == "refusal":
                    call.action_blocked("refusal")


def observe_responses_request(call: Call, kwargs: Mapping[str, Any]) -> None:
    """Screenshots sent back to the model: the computer_call_output items since its last output.

    Items before the model's last output were sent (and counted) with an earlier request.
    """
    items = kwargs.get("input")
    if not isinstance(items, list):
        return
    for item in reversed(items):
        if (
            not isinstance(item, Mapping)
            or item.get("type") in _MODEL_OUTPUT_ITEMS
            or item.get("role") == "assistant"
        ):
            break
        if item.get("type") == "computer_call_output":
            output = item.get("output")
            if isinstance(output, Mapping) and output.get("type") in ("computer_screenshot", "input_image"):
                call.screenshot_sent(image_bytes(output), output)


_MODEL_OUTPUT_ITEMS = frozenset(
    {"computer_call", "function_call", "reasoning", "custom_tool_call", "message"}
)
_FINAL_RESPONSE_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


def responses_stream_observer(hide: bool) -> Observer:
    def observe(call: Call, event: Any) -> bool:
        kind = event.type
        if kind in _FINAL_RESPONSE_EVENTS:
            read_response(call, event.response)
            if call.content is not None:
                call.content.output = event.response.output
        elif kind.endswith(".delta"):
            if not call.has_first_token:
                call.first_token()
            if call.capture_content and kind == "response.output_text.delta":
                call.add_output_text(event.delta)
        return False

    return observe


# -- Embeddings -----------------------------------------------------------------------------------
def read_embeddings(call: Call, result: Any) -> None:
    usage = result.usage
    call.response(
        model=result.model,
        usage=Usage(input_tokens=usage.prompt_tokens or 0) if usage is not None else None,
    )


# -- Content (opt-in) -----------------------------------------------------------------------------
CHAT_INPUT = (("messages", SpanAttr.INPUT_MESSAGES),)
RESPONSES_INPUT = (("input", SpanAttr.INPUT_MESSAGES), ("instructions", SpanAttr.SYSTEM_INSTRUCTIONS))


def chat_output(completion: Any) -> Any:
    return [choice.message for choice in completion.choices]


def responses_output(response: Any) -> Any:
    return response.output
