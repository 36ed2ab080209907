"""Waiting for a condition in tests: a generous bound, never an assertion about speed."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest


def wait_until(condition: Callable[[], object], what: str, timeout_s: float, poll_s: float = 0.5) -> None:
    """Polls ``condition`` until it is true; fails with ``what`` if it is still false after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(what)
        time.sleep(poll_s)
