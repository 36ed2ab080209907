"""Waiting until a started server answers its readiness URL, failing fast if it exits."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable


class NotReadyError(RuntimeError):
    pass


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def wait_ready(url: str, alive: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if http_ok(url):
            return
        if not alive():
            raise NotReadyError(f"{what} exited before it was ready ({url})")
        time.sleep(0.1)
    raise NotReadyError(f"{what} not ready at {url} after {timeout:.0f}s")
