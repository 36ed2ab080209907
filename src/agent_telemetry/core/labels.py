"""Bounded label values: user-controlled values (model names) must not blow up Prometheus."""

from __future__ import annotations

import threading
from collections.abc import Callable

OTHER = "_other"


class BoundedLabel:
    """Passes the first ``limit`` distinct values through; folds every later new value into ``_other``.

    ``on_overflow`` is called once for each folded call so that a counter can say how often it happened.
    The seen-set is only ever added to under a lock; reads need none (a set lookup is atomic in CPython).
    """

    __slots__ = ("_limit", "_lock", "_on_overflow", "_seen")

    def __init__(self, limit: int, on_overflow: Callable[[], None]) -> None:
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._on_overflow = on_overflow

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        with self._lock:
            if value in self._seen:
                return value
            if len(self._seen) < self._limit:
                self._seen.add(value)
                return value
        self._on_overflow()
        return OTHER
