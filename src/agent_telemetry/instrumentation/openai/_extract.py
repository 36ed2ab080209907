"""What we read from openai requests, responses and stream items."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

from agent_telemetry.instrumentation._call import Call
from agent_telemetry.instrumentation._request import model_param, numeric_params, server_attributes
from agent_telemetry.instrumentation._streams import Observer
from agent_telemetry.instrumentation._telemetry import Telemetry
from agent_telemetry.instrumentation._wrap import raw_mode
from agent_telemetry.usage import Usage

_REQUEST_PARAMS: dict[str, tuple[str, ...]] = {
    "gen_ai.request.max_tokens": ("max_completion_tokens", "max_tokens", "max_output_tokens"),
    "gen_ai.request.temperature": ("temperature",),
    "gen_ai.request.top_p": ("top_p",),
    "gen_ai.request.frequency_penalty": ("frequency_penalty",),
    "gen_ai.request.presence_penalty": ("presence_penalty",),
    "gen_ai.request.seed": ("seed",),
}


def read_request(resource: object, kwargs: Mapping[str, Any]) -> tuple[str, dict[str, AttributeValue]]:
    attributes = server_attributes(resource)
    attributes.update(numeric_params(kwargs, _REQUEST_PARAMS))
    return model_param(kwargs), attributes


def read_retrieve_request(
    resource: object, kwargs: Mapping[str, Any]
) -> tuple[str, dict[str, AttributeValue]]:
    # responses.retrieve names no model: the span is "retrieve", the label "_unknown".
    return "", server_attributes(resource)


# -- Chat Completions -----------------------------------------------------------------------------
def chat_usage(usage: Any) -> Usage:
    """OpenAI's ``prompt_tokens`` includes ``cached_tokens``: split them so the types are disjoint."""
    prompt = usage.prompt_tokens or 0
    details = usage.prompt_tokens_details
    cached = (details.cached_tokens or 0) if details is not None else 0
    completion_details = usage.completion_tokens_details
    reasoning = (completion_details.reasoning_tokens or 0) if completion_details is not None else 0
    return Usage(
        input_tokens=prompt - cached,
        output_tokens=usage.completion_tokens or 0,
        cache_read_tokens=cached,
        reasoning_tokens=reasoning,
    )


def read_chat_completion(call: Call, completion: Any) -> None:
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
            if call.capture_content and delta is not None and delta.content:
                call.add_output_text(delta.content)
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
    details = usage.input_tokens_details
    cached = (details.cached_tokens or 0) if details is not None else 0
    output_details = usage.output_tokens_details
    reasoning = (output_details.reasoning_tokens or 0) if output_details is not None else 0
    return Usage(
        input_tokens=(usage.input_tokens or 0) - cached,
        output_tokens=usage.output_tokens or 0,
        cache_read_tokens=cached,
        reasoning_tokens=reasoning,
    )


def read_response(call: Call, response: Any) -> None:
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


_FINAL_RESPONSE_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


def responses_stream_observer(hide: bool) -> Observer:
    def observe(call: Call, event: Any) -> bool:
        kind = event.type
        if kind in _FINAL_RESPONSE_EVENTS:
            read_response(call, event.response)
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
CHAT_INPUT = (("messages", "gen_ai.input.messages"),)
RESPONSES_INPUT = (("input", "gen_ai.input.messages"), ("instructions", "gen_ai.system_instructions"))


def chat_output(completion: Any) -> Any:
    return [choice.message for choice in completion.choices]


def responses_output(response: Any) -> Any:
    return response.output
