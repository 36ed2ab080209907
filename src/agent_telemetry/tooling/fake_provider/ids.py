"""Deterministic ids: a per-server counter, so a test run always sees the same ids in the same order."""

from __future__ import annotations

import itertools
import threading


class IdSource:
    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def next(self, prefix: str) -> str:
        """E.g. ``next("chatcmpl-")`` -> ``"chatcmpl-fake000001"``."""
        with self._lock:
            number = next(self._counter)
        return f"{prefix}fake{number:06d}"
