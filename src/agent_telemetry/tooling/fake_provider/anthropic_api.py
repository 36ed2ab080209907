"""Anthropic payloads: messages (JSON and SSE) and count_tokens, the same for the beta endpoints."""

from __future__ import annotations

import json
from typing import Any

from agent_telemetry.tooling.fake_provider.ids import IdSource
from agent_telemetry.tooling.fake_provider.script import Reply, ResolvedUsage
from agent_telemetry.tooling.fake_provider.sse import SseEvent, json_event

COMPUTER_TOOL_NAME = "computer"


def usage_payload(usage: ResolvedUsage, *, output_tokens: int | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "input_tokens": usage.input_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cached_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": usage.cache_write_tokens,
            "ephemeral_1h_input_tokens": 0,
        },
        "output_tokens": usage.output_tokens if output_tokens is None else output_tokens,
        "service_tier": "standard",
    }
    if usage.reasoning_tokens:
        payload["output_tokens_details"] = {"thinking_tokens": usage.reasoning_tokens}
    return payload


def _stop_reason(reply: Reply) -> str:
    return reply.finish_reason or ("tool_use" if reply.has_calls else "end_turn")


def _tool_blocks(reply: Reply, ids: IdSource) -> list[dict[str, Any]]:
    blocks = [
        {
            "type": "tool_use",
            "id": call.id or ids.next("toolu_"),
            "name": call.name,
            "input": dict(call.arguments),
            **({"toolset_name": call.toolset} if call.toolset else {}),
        }
        for call in reply.tool_calls
    ]
    blocks += [
        {
            "type": "tool_use",
            "id": action.id or ids.next("toolu_"),
            "name": COMPUTER_TOOL_NAME,
            "input": action.anthropic_input(),
        }
        for action in reply.computer_actions
    ]
    return blocks


def message(body: dict[str, Any], reply: Reply, usage: ResolvedUsage, ids: IdSource) -> dict[str, Any]:
    text = reply.full_text()
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content += _tool_blocks(reply, ids)
    return {
        "id": ids.next("msg_"),
        "type": "message",
        "role": "assistant",
        "model": body.get("model", ""),
        "content": content,
        "stop_reason": _stop_reason(reply),
        "stop_sequence": None,
        "usage": usage_payload(usage),
    }


def message_stream(body: dict[str, Any], reply: Reply, usage: ResolvedUsage, ids: IdSource) -> list[SseEvent]:
    """message_start, then per block start/deltas/stop (a ``ping`` after the first start, as the API does),
    message_delta with the stop reason and the final ``output_tokens``, message_stop."""
    events: list[SseEvent] = []

    def emit(kind: str, content: bool = False, **fields: Any) -> None:
        events.append(json_event({"type": kind, **fields}, event=kind, content=content))

    # As on the real API, message_start reports an output count of 1; message_delta carries the total.
    start = {
        "id": ids.next("msg_"),
        "type": "message",
        "role": "assistant",
        "model": body.get("model", ""),
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage_payload(usage, output_tokens=min(1, usage.output_tokens)),
    }
    emit("message_start", message=start)
    index = 0
    chunks = reply.text_chunks()
    if chunks:
        emit("content_block_start", index=index, content_block={"type": "text", "text": ""})
        emit("ping")
        for piece in chunks:
            emit(
                "content_block_delta", content=True, index=index, delta={"type": "text_delta", "text": piece}
            )
        emit("content_block_stop", index=index)
        index += 1
    for block in _tool_blocks(reply, ids):
        emit("content_block_start", index=index, content_block={**block, "input": {}})
        if index == 0:
            emit("ping")
        arguments = json.dumps(block["input"], separators=(",", ":"))
        middle = len(arguments) // 2
        for piece in ("", arguments[:middle], arguments[middle:]):
            emit(
                "content_block_delta",
                content=bool(piece),
                index=index,
                delta={"type": "input_json_delta", "partial_json": piece},
            )
        emit("content_block_stop", index=index)
        index += 1
    emit(
        "message_delta",
        delta={"stop_reason": _stop_reason(reply), "stop_sequence": None},
        usage={"output_tokens": usage.output_tokens},
    )
    emit("message_stop")
    return events


def count_tokens(input_tokens: int) -> dict[str, Any]:
    return {"input_tokens": input_tokens}
