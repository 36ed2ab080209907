"""Server-sent events, as the providers frame them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SseEvent:
    """One event. ``content`` marks a text or tool-argument delta, which ``drop_after_chunks`` counts."""

    data: str
    event: str | None = None
    content: bool = False

    def encode(self) -> bytes:
        head = f"event: {self.event}\n" if self.event else ""
        return f"{head}data: {self.data}\n\n".encode()


def json_event(payload: dict[str, Any], *, event: str | None = None, content: bool = False) -> SseEvent:
    # Compact separators like the real APIs; payloads are single-line JSON so one ``data:`` line suffices.
    return SseEvent(json.dumps(payload, separators=(",", ":")), event=event, content=content)


DONE = SseEvent("[DONE]")  # OpenAI chat's end-of-stream sentinel
