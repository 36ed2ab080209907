"""A stop that a signal handler can request (SIGTERM: ``docker stop``, CI teardown) without a lock."""

from __future__ import annotations

import time

_POLL_S = 0.05  # how often ``wait`` looks at the flag: bounds how late a requested stop is seen


class SignalStop:
    """Requested from a signal handler, waited for like a ``threading.Event``.

    A Python signal handler runs in the main thread between any two of its bytecodes, also while that
    thread is inside ``Event.wait()`` holding the event's lock: ``Event.set()`` in the handler then
    waits for that lock forever. ``request`` only sets a flag, and ``wait`` polls it.
    """

    def __init__(self) -> None:
        self._requested = False

    def request(self, *_signal: object) -> None:
        """The signal handler (``signal.signal(signal.SIGTERM, stop.request)``); also callable directly."""
        self._requested = True

    def is_set(self) -> bool:
        return self._requested

    def wait(self, timeout: float) -> bool:
        """Whether a stop was requested, waiting at most ``timeout`` seconds for one."""
        deadline = time.monotonic() + timeout
        while not self._requested:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(left, _POLL_S))
        return True
