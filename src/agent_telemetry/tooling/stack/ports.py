"""The ports a native stack listens on: the standard ones, or free ones picked for tests."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
from dataclasses import dataclass
from typing import TypeVar

HOST = "127.0.0.1"  # native runs never listen beyond this machine
P = TypeVar("P")

# Every port this process has handed out. A stack picks its ports in several sets (Ports, ScaleOutPorts,
# GatewayPorts), each after the sockets of the one before are closed, and the system may hand a port
# just closed out again: two servers of one stack then got the same port.
_handed_out: set[int] = set()
_lock = threading.Lock()


def _bound_to_a_free_port() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    return sock


def free_ports(cls: type[P]) -> P:
    """A ``cls`` (a dataclass of int port fields) with one free port per field, none of them handed out
    before by this process. All sockets stay open until every port is chosen, so none repeats."""
    wanted = len(dataclasses.fields(cls))
    with _lock, contextlib.ExitStack() as stack:
        ports: list[int] = []
        while len(ports) < wanted:
            port = stack.enter_context(_bound_to_a_free_port()).getsockname()[1]
            if port not in _handed_out:
                _handed_out.add(port)
                ports.append(port)
    return cls(*ports)


@dataclass(frozen=True)
class Ports:
    otlp_grpc: int = 4317
    otlp_http: int = 4318
    prometheus: int = 9090
    alertmanager: int = 9093
    collector_metrics: int = 8888
    health_check: int = 13133
    alert_log: int = 9099  # the native stand-in webhook receiver (stack up without --webhook-url)
    # Jaeger (jaeger/config.yaml): 4320 is where the collector sends traces by default; the others are
    # Jaeger's own (compose's health port 13133 is the collector's here).
    jaeger_otlp_http: int = 4320
    jaeger_query: int = 16686
    jaeger_query_grpc: int = 16685
    jaeger_health: int = 13134
    # Used only by `stack up --ha`: the second Prometheus replica, two more Alertmanagers, and the
    # gossip port of each Alertmanager in the cluster.
    prometheus_b: int = 9091
    alertmanager_b: int = 9095
    alertmanager_c: int = 9097
    alertmanager_cluster: int = 9094
    alertmanager_b_cluster: int = 9096
    alertmanager_c_cluster: int = 9098
    victorialogs: int = 9428  # the events' log store (OTLP logs in, LogsQL out)

    @classmethod
    def free(cls) -> Ports:
        return free_ports(cls)

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)
