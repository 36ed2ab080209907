"""Opt-in message content on spans (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true).

Even then, images never enter telemetry: every image part (a screenshot, a data URL, a base64 source,
a URL) is replaced by its type and, where it is inline, its size in bytes. Every string passes through
the redaction of ``agent_telemetry.redaction`` (API keys, the application's patterns and function).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from agent_telemetry.contract import SpanAttr
from agent_telemetry.redaction import (
    image_bytes,
    image_media_type,
    inline_image_data,
    redact_content,
    redact_images,
)

INPUT_MESSAGES = SpanAttr.INPUT_MESSAGES
OUTPUT_MESSAGES = SpanAttr.OUTPUT_MESSAGES
SYSTEM_INSTRUCTIONS = SpanAttr.SYSTEM_INSTRUCTIONS

__all__ = ["image_bytes", "redact_images", "to_json_attribute"]


def to_json_attribute(value: Any) -> str:
    return json.dumps(redact_content(value), ensure_ascii=False, separators=(",", ":"), default=str)


def screenshot_facts(part: Mapping[str, Any]) -> dict[str, Any]:
    """What a session recording may say of an image without its pixels: media type and, for inline
    PNG, JPEG, GIF and WebP images, width and height (read from the image's header)."""
    facts: dict[str, Any] = {}
    media_type = image_media_type(part)
    if media_type:
        facts["media_type"] = media_type
    data = inline_image_data(part)
    if data:
        # Headers of PNG, GIF and WebP are in the first 30 bytes; a JPEG's size may come after its EXIF.
        head = data if media_type == "image/jpeg" or data.startswith("/9j/") else data[:64]
        try:
            size = image_size(base64.b64decode(head[: len(head) - len(head) % 4]))
        except (binascii.Error, ValueError):
            size = None
        if size is not None:
            facts["width"], facts["height"] = size
    return facts


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, GIF, WebP or JPEG header; None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8 " and len(data) >= 30:
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # start-of-frame markers


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker in _JPEG_FRAMES:
            return int.from_bytes(data[at + 7 : at + 9], "big"), int.from_bytes(data[at + 5 : at + 7], "big")
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return None
