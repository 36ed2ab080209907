"""OpenAI payloads: chat completions, responses and embeddings, JSON and SSE, field for field like the API."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agent_telemetry.tooling.fake_provider.ids import IdSource
from agent_telemetry.tooling.fake_provider.script import ComputerAction, Reply, ResolvedUsage, ToolCall
from agent_telemetry.tooling.fake_provider.sse import DONE, SseEvent, json_event

DEFAULT_EMBEDDING_DIMENSIONS = 8
_SYSTEM_FINGERPRINT = "fp_fake"
# Responses finish states other than a clean completion end as ``incomplete`` with this reason.
_RESPONSES_COMPLETE = {None, "completed", "stop"}


@dataclass(frozen=True)
class _Calls:
    """Tool calls with their ids fixed once, so a stream and its final object agree."""

    functions: list[tuple[str, ToolCall]]
    computer: list[tuple[str, ComputerAction]]


def _fix_ids(reply: Reply, ids: IdSource) -> _Calls:
    return _Calls(
        functions=[(call.id or ids.next("call_"), call) for call in reply.tool_calls],
        computer=[(action.id or ids.next("call_"), action) for action in reply.computer_actions],
    )


def _halves(text: str) -> list[str]:
    """Tool arguments arrive in pieces on the real API; two non-empty pieces exercise accumulation."""
    middle = len(text) // 2
    return [piece for piece in (text[:middle], text[middle:]) if piece]


# --- chat completions -------------------------------------------------------------------------------------


def chat_usage(usage: ResolvedUsage) -> dict[str, Any]:
    prompt_details: dict[str, Any] = {"cached_tokens": usage.cached_tokens, "audio_tokens": 0}
    if usage.cache_write_tokens:
        prompt_details["cache_write_tokens"] = usage.cache_write_tokens
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _chat_finish_reason(reply: Reply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def chat_completion(
    body: dict[str, Any], reply: Reply, usage: ResolvedUsage, ids: IdSource, created: int
) -> dict[str, Any]:
    calls = _fix_ids(reply, ids)
    text = reply.full_text()
    message: dict[str, Any] = {
        "role": "assistant",
        "content": text if text or not calls.functions else None,
        "refusal": None,
        "annotations": [],
    }
    if calls.functions:
        message["tool_calls"] = [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json()},
            }
            for call_id, call in calls.functions
        ]
    return {
        "id": ids.next("chatcmpl-"),
        "object": "chat.completion",
        "created": created,
        "model": body.get("model", ""),
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": _chat_finish_reason(reply)}
        ],
        "usage": chat_usage(usage),
        "service_tier": "default",
        "system_fingerprint": _SYSTEM_FINGERPRINT,
    }


def chat_stream(
    body: dict[str, Any], reply: Reply, usage: ResolvedUsage, ids: IdSource, created: int
) -> list[SseEvent]:
    """Role chunk, content chunks, tool-call chunks, a finish chunk, then, only with
    ``stream_options.include_usage``, a usage chunk with no choices (and ``usage: null`` on the others)."""
    calls = _fix_ids(reply, ids)
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    base: dict[str, Any] = {
        "id": ids.next("chatcmpl-"),
        "object": "chat.completion.chunk",
        "created": created,
        "model": body.get("model", ""),
        "service_tier": "default",
        "system_fingerprint": _SYSTEM_FINGERPRINT,
    }

    def chunk(delta: dict[str, Any], finish_reason: str | None = None, *, content: bool = False) -> SseEvent:
        payload = {
            **base,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        if include_usage:
            payload["usage"] = None
        return json_event(payload, content=content)

    pieces = reply.text_chunks()
    # The API opens a tool-call-only answer with ``content: null``, and a text answer with "".
    events = [chunk({"role": "assistant", "content": "" if pieces else None, "refusal": None})]
    events += [chunk({"content": piece}, content=True) for piece in pieces]
    for index, (call_id, call) in enumerate(calls.functions):
        opening = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        events.append(chunk({"tool_calls": [opening]}))
        events += [
            chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}, content=True)
            for piece in _halves(call.arguments_json())
        ]
    events.append(chunk({}, _chat_finish_reason(reply)))
    if include_usage:
        events.append(json_event({**base, "choices": [], "usage": chat_usage(usage)}))
    events.append(DONE)
    return events


# --- responses --------------------------------------------------------------------------------------------


def responses_usage(usage: ResolvedUsage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cached_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


def _output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _message_item(item_id: str, text: str, status: str) -> dict[str, Any]:
    content = [_output_text(text)] if status == "completed" else []
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": content}


def _function_item(item_id: str, call_id: str, call: ToolCall, status: str) -> dict[str, Any]:
    arguments = call.arguments_json() if status == "completed" else ""
    return {
        "id": item_id,
        "type": "function_call",
        "status": status,
        "call_id": call_id,
        "name": call.name,
        "arguments": arguments,
    }


def _computer_item(item_id: str, call_id: str, action: ComputerAction, status: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "computer_call",
        "status": status,
        "call_id": call_id,
        "action": action.openai_action(),
        "pending_safety_checks": [
            {"id": check.id, "code": check.code, "message": check.message} for check in action.safety_checks
        ],
    }


class ResponseBuilder:
    """One response: its item ids are fixed up front so the stream events and the final object agree."""

    def __init__(self, body: dict[str, Any], reply: Reply, usage: ResolvedUsage, ids: IdSource, created: int):
        self.body = body
        self.reply = reply
        self.usage = usage
        self.created = created
        self.id = ids.next("resp_")
        calls = _fix_ids(reply, ids)
        self.text = reply.full_text()
        self.message_id = ids.next("msg_") if self.text else None
        self.functions = [(ids.next("fc_"), call_id, call) for call_id, call in calls.functions]
        self.computer = [(ids.next("cu_"), call_id, action) for call_id, action in calls.computer]
        finish = reply.finish_reason
        self.status = "completed" if finish in _RESPONSES_COMPLETE else "incomplete"
        self.incomplete_reason = None if self.status == "completed" else finish

    def items(self, status: str) -> list[dict[str, Any]]:
        items = []
        if self.message_id is not None:
            items.append(_message_item(self.message_id, self.text, status))
        items += [_function_item(item_id, call_id, call, status) for item_id, call_id, call in self.functions]
        items += [
            _computer_item(item_id, call_id, action, status) for item_id, call_id, action in self.computer
        ]
        return items

    def response(self, *, final: bool = True) -> dict[str, Any]:
        body = self.body
        status = self.status if final else "in_progress"
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": status,
            "background": False,
            "completed_at": self.created if status == "completed" else None,
            "error": None,
            "incomplete_details": {"reason": self.incomplete_reason}
            if final and self.incomplete_reason
            else None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "metadata": body.get("metadata") or {},
            "model": body.get("model", ""),
            "output": self.items("completed") if final else [],
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "previous_response_id": body.get("previous_response_id"),
            "reasoning": {"effort": None, "summary": None},
            "service_tier": "default",
            "store": body.get("store", True),
            "temperature": body.get("temperature", 1.0),
            "text": {"format": {"type": "text"}},
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools") or [],
            "top_p": body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": responses_usage(self.usage) if final else None,
            "user": None,
        }

    def events(self) -> list[SseEvent]:
        """created, in_progress, per item added/deltas/done, then completed (or incomplete)."""
        events: list[SseEvent] = []

        def emit(kind: str, content: bool = False, **fields: Any) -> None:
            payload = {"type": kind, "sequence_number": len(events), **fields}
            events.append(json_event(payload, event=kind, content=content))

        emit("response.created", response=self.response(final=False))
        emit("response.in_progress", response=self.response(final=False))
        index = 0
        if self.message_id is not None:
            where = {"item_id": self.message_id, "output_index": index, "content_index": 0}
            emit(
                "response.output_item.added",
                output_index=index,
                item=_message_item(self.message_id, "", "in_progress"),
            )
            emit("response.content_part.added", **where, part=_output_text(""))
            for piece in self.reply.text_chunks():
                emit("response.output_text.delta", content=True, **where, delta=piece, logprobs=[])
            emit("response.output_text.done", **where, text=self.text, logprobs=[])
            emit("response.content_part.done", **where, part=_output_text(self.text))
            emit(
                "response.output_item.done",
                output_index=index,
                item=_message_item(self.message_id, self.text, "completed"),
            )
            index += 1
        for item_id, call_id, call in self.functions:
            where = {"item_id": item_id, "output_index": index}
            emit(
                "response.output_item.added",
                output_index=index,
                item=_function_item(item_id, call_id, call, "in_progress"),
            )
            for piece in _halves(call.arguments_json()):
                emit("response.function_call_arguments.delta", content=True, **where, delta=piece)
            emit("response.function_call_arguments.done", **where, arguments=call.arguments_json())
            emit(
                "response.output_item.done",
                output_index=index,
                item=_function_item(item_id, call_id, call, "completed"),
            )
            index += 1
        for item_id, call_id, action in self.computer:
            emit(
                "response.output_item.added",
                output_index=index,
                item=_computer_item(item_id, call_id, action, "in_progress"),
            )
            emit(
                "response.output_item.done",
                output_index=index,
                item=_computer_item(item_id, call_id, action, "completed"),
            )
            index += 1
        final_kind = "response.completed" if self.status == "completed" else "response.incomplete"
        emit(final_kind, response=self.response())
        return events


# --- embeddings -------------------------------------------------------------------------------------------


def _embedding_inputs(value: Any) -> list[str]:
    """One string key per input: a string, a list of strings, a token array or a list of token arrays."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, int) for item in value):
        return [json.dumps(value)]
    if isinstance(value, list):
        return [item if isinstance(item, str) else json.dumps(item) for item in value]
    return [json.dumps(value)]


def embedding_vector(text: str, dimensions: int) -> list[float]:
    """Deterministic, in [-1, 1), exact in float32 (multiples of 1/1024) so base64 round-trips exactly."""
    digest = hashlib.sha256(text.encode()).digest()
    return [((digest[i % 32] * 8 + i) % 2048 - 1024) / 1024 for i in range(dimensions)]


def _encode(vector: Sequence[float], encoding_format: Any) -> Any:
    if encoding_format == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return list(vector)


def embeddings(body: dict[str, Any], reply: Reply, input_tokens: int) -> dict[str, Any]:
    dimensions = body.get("dimensions") or DEFAULT_EMBEDDING_DIMENSIONS
    inputs = _embedding_inputs(body.get("input"))
    vectors = [
        list(reply.embedding) if reply.embedding is not None else embedding_vector(text, dimensions)
        for text in inputs
    ]
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": index, "embedding": _encode(vector, body.get("encoding_format"))}
            for index, vector in enumerate(vectors)
        ],
        "model": body.get("model", ""),
        "usage": {"prompt_tokens": input_tokens, "total_tokens": input_tokens},
    }
