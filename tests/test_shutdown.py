"""shutdown() in the application's own process: it never raises into the application."""

from __future__ import annotations

import logging

import pytest

import agent_telemetry


@pytest.mark.parametrize("timeout", ["soon", -1, float("nan")])
def test_an_unusable_timeout_is_one_warning_and_the_configured_bound(timeout, caplog):
    with caplog.at_level(logging.WARNING, logger="agent_telemetry"):
        agent_telemetry.shutdown(timeout=timeout)
    assert [r.getMessage() for r in caplog.records] == [
        f"agent-telemetry: shutdown(timeout={timeout!r}) is not a number of seconds of at least 0; using 3"
    ]
