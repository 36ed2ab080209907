"""``SignalStop``: the stop that the demo's and the fake provider's SIGTERM handlers request."""

from __future__ import annotations

import signal
import threading

from agent_telemetry.tooling.signals import SignalStop


def test_a_signal_handled_while_waiting_ends_the_wait():
    stop = SignalStop()
    previous = signal.signal(signal.SIGUSR1, stop.request)
    main = threading.main_thread().ident
    assert main is not None
    sender = threading.Timer(0.1, signal.pthread_kill, (main, signal.SIGUSR1))
    try:
        sender.start()
        assert stop.wait(60) is True  # the bound is only reached when the handler is not
    finally:
        sender.cancel()
        signal.signal(signal.SIGUSR1, previous)
    assert stop.is_set()


def test_a_stop_requested_before_the_wait_ends_it_at_once():
    stop = SignalStop()
    stop.request()
    assert stop.wait(3600) is True


def test_without_a_request_the_wait_returns_false_after_its_timeout():
    stop = SignalStop()
    assert stop.wait(0.01) is False
    assert not stop.is_set()
