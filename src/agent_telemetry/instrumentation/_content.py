"""Opt-in message content on spans (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true).

Even then, images never enter telemetry: every image part (a screenshot, a data URL, a base64 source,
a URL) is replaced by its type and, where it is inline, its size in bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from agent_telemetry.contract import SpanAttr

INPUT_MESSAGES = SpanAttr.INPUT_MESSAGES
OUTPUT_MESSAGES = SpanAttr.OUTPUT_MESSAGES
SYSTEM_INSTRUCTIONS = SpanAttr.SYSTEM_INSTRUCTIONS

# Part types that carry an image, in the openai (chat, responses) and anthropic request/response shapes.
_IMAGE_TYPES = frozenset({"image", "image_url", "input_image", "computer_screenshot", "output_image"})


def to_json_attribute(value: Any) -> str:
    return json.dumps(redact_images(_plain(value)), ensure_ascii=False, separators=(",", ":"), default=str)


def redact_images(value: Any) -> Any:
    """A copy of ``value`` with each image part replaced by ``{"type": ..., "bytes": n}``."""
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind in _IMAGE_TYPES:
            return _image_placeholder(value)
        return {key: redact_images(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_images(item) for item in value]
    return value


def image_bytes(part: Mapping[str, Any]) -> int | None:
    """The decoded size of an inline (base64 or data URL) image, or None for an image by URL."""
    data = _inline_data(part)
    if data is None:
        return None
    padding = len(data) - len(data.rstrip("="))
    return len(data) * 3 // 4 - padding


def _image_placeholder(part: Mapping[str, Any]) -> dict[str, Any]:
    placeholder: dict[str, Any] = {"type": part.get("type")}
    size = image_bytes(part)
    if size is not None:
        placeholder["bytes"] = size
    return placeholder


def _inline_data(part: Mapping[str, Any]) -> str | None:
    source = part.get("source")
    if isinstance(source, Mapping) and source.get("type") == "base64":
        data = source.get("data")
        return data if isinstance(data, str) else None
    for key in ("image_url", "url"):
        url = part.get(key)
        if isinstance(url, Mapping):
            url = url.get("url")
        if isinstance(url, str) and url.startswith("data:") and "," in url:
            return url.split(",", 1)[1]
    return None


def _plain(value: Any) -> Any:
    """SDK models (pydantic) as plain JSON-able data."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
