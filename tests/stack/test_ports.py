"""Free ports for native stacks: a port handed out once is never handed out again by the same process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from agent_telemetry.tooling.stack import ports
from agent_telemetry.tooling.stack.ports import free_ports


@dataclass(frozen=True)
class TwoPorts:
    first: int
    second: int


class _BoundSocket:
    """Stands in for a socket bound to port 0: the system's choice comes from a script."""

    def __init__(self, port: int) -> None:
        self.port = port

    def __enter__(self) -> _BoundSocket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def getsockname(self) -> tuple[str, int]:
        return (ports.HOST, self.port)


def _system_choosing(monkeypatch: pytest.MonkeyPatch, choices: list[int]) -> None:
    """The system hands out ``choices`` in turn, as it may hand a port out again once its socket is
    closed."""
    script: Iterator[int] = iter(choices)
    monkeypatch.setattr(ports, "_handed_out", set())
    monkeypatch.setattr(ports, "_bound_to_a_free_port", lambda: _BoundSocket(next(script)))


def test_a_port_the_system_hands_out_again_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    _system_choosing(monkeypatch, [41001, 41002, 41002, 41001, 41003, 41004])
    assert free_ports(TwoPorts) == TwoPorts(41001, 41002)
    assert free_ports(TwoPorts) == TwoPorts(41003, 41004)


def test_real_sets_of_ports_never_share_a_port() -> None:
    picked = [port for _ in range(20) for port in vars(free_ports(TwoPorts)).values()]
    assert len(set(picked)) == 40
