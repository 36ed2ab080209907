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


class _ScriptedSocket:
    """A socket whose bind(port 0) gets the next port of a script, as the system may hand one out again
    once its socket is closed."""

    script: Iterator[int]

    def __init__(self, *args: object) -> None:
        self.port = 0

    def __enter__(self) -> _ScriptedSocket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def bind(self, address: tuple[str, int]) -> None:
        self.port = next(self.script)

    def getsockname(self) -> tuple[str, int]:
        return (ports.HOST, self.port)


@pytest.fixture
def system_ports(monkeypatch: pytest.MonkeyPatch) -> type[_ScriptedSocket]:
    monkeypatch.setattr(ports, "_handed_out", set())
    monkeypatch.setattr(ports.socket, "socket", _ScriptedSocket)
    return _ScriptedSocket


def test_a_port_the_system_hands_out_again_is_skipped(system_ports: type[_ScriptedSocket]) -> None:
    system_ports.script = iter([41001, 41002, 41002, 41001, 41003, 41004])
    assert free_ports(TwoPorts) == TwoPorts(41001, 41002)
    assert free_ports(TwoPorts) == TwoPorts(41003, 41004)


def test_real_sets_of_ports_never_share_a_port() -> None:
    picked = [port for _ in range(20) for port in vars(free_ports(TwoPorts)).values()]
    assert len(set(picked)) == 40
    assert all(isinstance(port, int) and port > 0 for port in picked)
