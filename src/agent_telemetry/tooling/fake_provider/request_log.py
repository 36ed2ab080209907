"""What the server saw: each request (credentials redacted) and running counters for ``/_admin/stats``."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REDACTED = "<redacted>"
# Never keep credentials in memory where a test failure could print them.
_SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "proxy-authorization", "cookie"})


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names; credentials replaced by "<redacted>"
    body: Any  # parsed JSON, or None when there was no (valid JSON) body
    endpoint: str | None  # e.g. "openai.chat", "anthropic.messages"; None for unknown paths

    @property
    def provider(self) -> str | None:
        return self.endpoint.split(".", 1)[0] if self.endpoint else None


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name.lower(): REDACTED if name.lower() in _SECRET_HEADERS else value
        for name, value in headers.items()
    }


class RequestLog:
    """Thread-safe request log and counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._by_endpoint: Counter[str] = Counter()
        self._by_status: Counter[int] = Counter()
        self._injected_errors = 0
        self._scripted = 0

    def request(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            self._by_endpoint[request.endpoint or "unknown"] += 1

    def outcome(self, status: int | None, *, scripted: bool, injected: bool) -> None:
        """``status`` None: no response was sent (hang or dropped connection)."""
        with self._lock:
            self._by_status[status or 0] += 1
            self._scripted += scripted
            self._injected_errors += injected

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._by_endpoint.clear()
            self._by_status.clear()
            self._injected_errors = 0
            self._scripted = 0

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": sum(self._by_endpoint.values()),
                "by_endpoint": dict(sorted(self._by_endpoint.items())),
                # 0 counts requests that got no response at all (hang, dropped connection).
                "by_status": {str(status): count for status, count in sorted(self._by_status.items())},
                "scripted": self._scripted,
                "injected_errors": self._injected_errors,
            }
