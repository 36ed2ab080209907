"""Canned provider responses, built once, and the in-memory HTTP transports that serve them.

Every contender sees byte-identical responses, so any difference in time is the instrumentation's.
Streams carry a usage event, as OpenAI does when asked for ``include_usage`` (every contender asks).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2

OPENAI_MODEL = "gpt-4o-mini"
OPENAI_RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"
ANTHROPIC_MODEL = "claude-haiku-4-5"
ANTHROPIC_RESPONSE_MODEL = "claude-haiku-4-5-20251001"

INPUT_TOKENS = 1000
CACHED_TOKENS = 400
OUTPUT_TOKENS = 50

_JSON = {"content-type": "application/json"}
_SSE = {"content-type": "text/event-stream"}


@dataclass(frozen=True, slots=True)
class Bodies:
    """The response bodies of one provider: a complete response and streams of a given length."""

    complete: bytes
    streams: dict[int, bytes]  # number of streamed items -> SSE body
    # openai only: the Responses API's, served for requests to ``.../responses``
    responses: Bodies | None = None


# -- OpenAI Chat Completions ----------------------------------------------------------------------
def _openai_usage() -> dict[str, Any]:
    return {
        "prompt_tokens": INPUT_TOKENS,
        "completion_tokens": OUTPUT_TOKENS,
        "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS,
        "prompt_tokens_details": {"cached_tokens": CACHED_TOKENS, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


def _openai_completion() -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": OPENAI_RESPONSE_MODEL,
            "system_fingerprint": "fp_bench",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Refunds within 30 days.", "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": _openai_usage(),
        }
    ).encode()


def _openai_chunk(delta: dict[str, Any], finish: str | None, usage: dict[str, Any] | None) -> dict[str, Any]:
    choices = [] if usage else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": OPENAI_RESPONSE_MODEL,
        "system_fingerprint": "fp_bench",
        "choices": choices,
        "usage": usage,
    }


def openai_stream(items: int) -> bytes:
    """``items`` chunks: text deltas, then one with the finish reason, then the usage chunk."""
    chunks = [_openai_chunk({"role": "assistant", "content": "tok "}, None, None)]
    chunks += [_openai_chunk({"content": "tok "}, None, None) for _ in range(items - 3)]
    chunks += [_openai_chunk({}, "stop", None), _openai_chunk({}, None, _openai_usage())]
    lines = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks] + ["data: [DONE]\n\n"]
    return "".join(lines).encode()


# -- OpenAI Responses -----------------------------------------------------------------------------
def _responses_usage() -> dict[str, Any]:
    return {
        "input_tokens": INPUT_TOKENS,
        "input_tokens_details": {"cached_tokens": CACHED_TOKENS},
        "output_tokens": OUTPUT_TOKENS,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS,
    }


def _output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _message_item(text: str, status: str) -> dict[str, Any]:
    content = [_output_text(text)] if status == "completed" else []
    return {"id": "msg_bench", "type": "message", "status": status, "role": "assistant", "content": content}


RESPONSE_ID = "resp_bench"
# One count for every client of the process: no two responses share an id (see handler).
_RESPONSE_NUMBERS = itertools.count()


def _response(final: bool, text: str = "Refunds within 30 days.") -> dict[str, Any]:
    return {
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": 1_700_000_000,
        "status": "completed" if final else "in_progress",
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "metadata": {},
        "model": OPENAI_RESPONSE_MODEL,
        "output": [_message_item(text, "completed")] if final else [],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": True,
        "temperature": 0.2,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": _responses_usage() if final else None,
        "user": None,
    }


def responses_stream(items: int) -> bytes:
    """``items`` events: created, in_progress, item and part added, ``items - 8`` text deltas, three
    dones, completed."""
    where = {"item_id": "msg_bench", "output_index": 0, "content_index": 0}
    text = "tok " * (items - 8)
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": _response(False)},
        {"type": "response.in_progress", "response": _response(False)},
        {"type": "response.output_item.added", "output_index": 0, "item": _message_item("", "in_progress")},
        {"type": "response.content_part.added", **where, "part": _output_text("")},
    ]
    events += [
        {"type": "response.output_text.delta", **where, "delta": "tok ", "logprobs": []}
        for _ in range(items - 8)
    ]
    events += [
        {"type": "response.output_text.done", **where, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **where, "part": _output_text(text)},
        {"type": "response.output_item.done", "output_index": 0, "item": _message_item(text, "completed")},
        {"type": "response.completed", "response": _response(True, text)},
    ]
    lines = [
        f"event: {e['type']}\ndata: {json.dumps({**e, 'sequence_number': i})}\n\n"
        for i, e in enumerate(events)
    ]
    return "".join(lines).encode()


# -- Anthropic Messages ---------------------------------------------------------------------------
def _anthropic_message(content: list[dict[str, Any]], stop: str | None, output_tokens: int) -> dict[str, Any]:
    return {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": ANTHROPIC_RESPONSE_MODEL,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": INPUT_TOKENS,
            "output_tokens": output_tokens,
            "cache_read_input_tokens": 0,
            "cache_creation_input_tokens": 0,
        },
    }


def _anthropic_complete() -> bytes:
    content = [{"type": "text", "text": "Refunds within 30 days."}]
    return json.dumps(_anthropic_message(content, "end_turn", OUTPUT_TOKENS)).encode()


def anthropic_stream(items: int) -> bytes:
    """``items`` events: message_start, a text block of ``items - 5`` deltas, message_delta, message_stop."""
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": _anthropic_message([], None, 1)},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ]
    delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "tok "}}
    events += [delta] * (items - 5)
    events += [
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": OUTPUT_TOKENS},
        },
        {"type": "message_stop"},
    ]
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def anthropic_tool_use(tool: str) -> bytes:
    """A complete message that asks for one tool."""
    content = [{"type": "tool_use", "id": "toolu_bench", "name": tool, "input": {"q": "refunds"}}]
    return json.dumps(_anthropic_message(content, "tool_use", OUTPUT_TOKENS)).encode()


def build_bodies(stream_lengths: tuple[int, ...]) -> dict[str, Bodies]:
    return {
        "openai": Bodies(
            _openai_completion(),
            {n: openai_stream(n) for n in stream_lengths},
            Bodies(json.dumps(_response(True)).encode(), {n: responses_stream(n) for n in stream_lengths}),
        ),
        "anthropic": Bodies(_anthropic_complete(), {n: anthropic_stream(n) for n in stream_lengths}),
    }


# -- Transport ------------------------------------------------------------------------------------
STREAM_ITEMS_HEADER = "x-bench-stream-items"


def handler(bodies: Bodies) -> Callable[[httpx2.Request], httpx2.Response]:
    """Answers with the complete body, or with the stream the request names in a header.

    The header (not the request body) picks the stream, so that the handler parses nothing: its cost
    is the same for every contender and tiny next to the SDK's.
    """

    canned_id = json.dumps(RESPONSE_ID).encode()

    def handle(request: httpx2.Request) -> httpx2.Response:
        served = bodies
        if bodies.responses is not None and request.url.path.endswith("/responses"):
            served = bodies.responses
        items = request.headers.get(STREAM_ITEMS_HEADER)
        if items is None:
            content = served.complete
            if served is bodies.responses:
                # A new id per response, as the API gives: OpenLLMetry keeps every response by its id
                # and takes a repeated one for a continuation of the first (which, on openai 3's
                # types, it then fails to trace).
                content = content.replace(canned_id, b'"resp_%012d"' % next(_RESPONSE_NUMBERS))
            return httpx2.Response(200, headers=_JSON, content=content)
        return httpx2.Response(200, headers=_SSE, content=served.streams[int(items)])

    return handle


def tool_use_handler() -> Callable[[httpx2.Request], httpx2.Response]:
    """Answers every request with a message asking for the tool its ``x-bench-tool`` header names."""

    def handle(request: httpx2.Request) -> httpx2.Response:
        tool = request.headers.get("x-bench-tool", "search")
        return httpx2.Response(200, headers=_JSON, content=anthropic_tool_use(tool))

    return handle
