"""The conversation a recording holds (content capture on), as lines of text for the terminal.

Messages come in three shapes (openai chat, openai Responses items, anthropic messages); each is
shown as ``role: text``, tool calls as ``name(arguments)``, images as their type and size. Anything
we do not know is shown as its JSON, never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
_IMAGE_PARTS = frozenset({"image", "image_url", "input_image", "computer_screenshot", "output_image"})
SENT = ">"  # to the model
RECEIVED = "<"  # from the model


def content_lines(event: Mapping[str, Any]) -> list[str]:
    """The content an event carries, one line per message or field; none without content capture."""
    kind = event.get("kind")
    if kind == "llm_call":
        return _call_lines(event)
    if kind == "tool":
        return [f"{key}: {_json(event[key])}" for key in ("arguments", "result") if key in event]
    return []


def _call_lines(event: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    if "system" in event:
        lines.append(f"{SENT} system: {_text(event['system'])}")
    earlier = event.get("input_from")
    if isinstance(earlier, int) and earlier > 0:
        lines.append(f"{SENT} ({earlier} earlier message{'' if earlier == 1 else 's'}, as sent before)")
    for message in _messages(event.get("input")):
        lines.extend(f"{SENT} {line}" for line in message_lines(message))
    for message in _messages(event.get("output")):
        lines.extend(f"{RECEIVED} {line}" for line in message_lines(message))
    return lines


def _messages(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def message_lines(message: object) -> list[str]:
    """``role: text`` for each piece of one message (or Responses item)."""
    if not isinstance(message, Mapping):
        return [f"user: {_text(message)}"]
    kind = message.get("type")
    role = str(message.get("role") or "")
    if kind in _ITEMS:
        return [_ITEMS[kind](message)]
    if not role:
        return [_json(message)]
    lines = []
    if role == "tool":  # openai chat: a tool's result
        return [f"tool result {message.get('tool_call_id', '?')}: {_parts_text(message.get('content'))}"]
    content = message.get("content")
    if isinstance(content, list):
        lines.extend(_part_line(role, part) for part in content)
    elif content:
        lines.append(f"{role}: {_text(content)}")
    if message.get("refusal"):
        lines.append(f"{role} refused: {_text(message['refusal'])}")
    for call in message.get("tool_calls") or ():
        function = (call.get("function") or {}) if isinstance(call, Mapping) else {}
        lines.append(f"{role}: {function.get('name', '?')}({function.get('arguments', '')})")
    return lines or [f"{role}: (empty)"]


def _part_line(role: str, part: object) -> str:
    if not isinstance(part, Mapping):
        return f"{role}: {_text(part)}"
    kind = part.get("type")
    if kind in _TEXT_PARTS:
        return f"{role}: {_text(part.get('text', ''))}"
    if kind in _IMAGE_PARTS:
        return f"{role}: {image(part)}"
    if kind in ("tool_use", "server_tool_use"):
        return f"{role}: {part.get('name', '?')}({_json(part.get('input', {}))})"
    if kind == "tool_result":
        error = " (error)" if part.get("is_error") else ""
        return f"tool result {part.get('tool_use_id', '?')}{error}: {_parts_text(part.get('content'))}"
    if kind == "thinking":
        return f"{role} thinking: {_text(part.get('thinking', ''))}"
    if kind == "refusal":
        return f"{role} refused: {_text(part.get('refusal', ''))}"
    return f"{role}: {_json(part)}"


def _parts_text(content: object) -> str:
    """A tool result's content: a string, or parts (text and images) joined on one line."""
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, Mapping) and part.get("type") in _TEXT_PARTS:
                pieces.append(_text(part.get("text", "")))
            elif isinstance(part, Mapping) and part.get("type") in _IMAGE_PARTS:
                pieces.append(image(part))
            else:
                pieces.append(_json(part))
        return " ".join(pieces)
    return _text(content) if content is not None else ""


def image(part: Mapping[str, Any]) -> str:
    """``[image 86221 B]``: what a recording keeps of an image in a message (never its pixels)."""
    size = part.get("bytes")
    return (
        f"[{part.get('type', 'image')} {size} B]"
        if isinstance(size, int)
        else f"[{part.get('type', 'image')}]"
    )


# -- openai Responses items that are not messages ---------------------------------------------------
def _function_call(item: Mapping[str, Any]) -> str:
    return f"assistant: {item.get('name', '?')}({item.get('arguments', '')})"


def _function_output(item: Mapping[str, Any]) -> str:
    return f"tool result {item.get('call_id', '?')}: {_parts_text(item.get('output'))}"


def _computer_call(item: Mapping[str, Any]) -> str:
    actions = item.get("actions") or ([item["action"]] if item.get("action") else [])
    return f"assistant: computer {' '.join(_json(action) for action in actions)}".rstrip()


def _computer_output(item: Mapping[str, Any]) -> str:
    output = item.get("output")
    shown = image(output) if isinstance(output, Mapping) else _json(output)
    return f"tool result {item.get('call_id', '?')}: {shown}"


def _reasoning(item: Mapping[str, Any]) -> str:
    summary = [_text(part.get("text", "")) for part in item.get("summary") or () if isinstance(part, Mapping)]
    return f"assistant reasoning: {' '.join(summary) or '(not shown)'}"


_ITEMS = {
    "function_call": _function_call,
    "custom_tool_call": _function_call,
    "function_call_output": _function_output,
    "custom_tool_call_output": _function_output,
    "computer_call": _computer_call,
    "computer_call_output": _computer_output,
    "reasoning": _reasoning,
}


def _text(value: object) -> str:
    return value if isinstance(value, str) else _json(value)


def _json(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
