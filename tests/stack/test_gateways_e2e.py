"""Collector tiers, natively with the real collector: two agent processes -> one agent collector
(otel-collector/agent.yaml) -> two gateways (otel-collector/config.yaml + short-lived.yaml) -> Prometheus,
as docker-compose.gateways.yml runs them.

The agent collector finds the gateways by DNS, as in compose (a service with replicas) or Kubernetes (a
headless Service): it runs in a mount namespace of its own whose /etc/hosts is a file of the test, and the
test edits that file as compose's DNS or the endpoints controller would when a gateway stops or starts.
The DNS resolver gives one port for every gateway, so each gateway has its own loopback address
(127.0.0.2, 127.0.0.3); nothing listens beyond this machine. Needs root (mount namespaces), as CI has.
"""

from __future__ import annotations

import os
import socket
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

from agent_telemetry.tooling.fake_provider import FakeProviderServer
from agent_telemetry.tooling.stack import ProjectFiles, Stack, process
from agent_telemetry.tooling.stack.ports import HOST
from agent_telemetry.tooling.stack.readiness import wait_ready
from tests.stack import prom
from tests.stack.agent_process import AgentProcess
from tests.stack.sdk_processes import DELTA, PROCESSES, run_processes
from tests.support.sinks import OtlpSink
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

GATEWAY_NAME = "otel-gateways.agent-telemetry.test"
GATEWAY_ADDRESSES = ("127.0.0.2", "127.0.0.3")
WAIT_S = 120.0  # generous: a busy machine; the ring follows DNS within seconds


def _free_port(*hosts: str) -> int:
    """A port free on every one of ``hosts``."""
    while True:
        with socket.socket() as sock:
            sock.bind((hosts[0], 0))
            port = sock.getsockname()[1]
            try:
                for host in hosts[1:]:
                    with socket.socket() as other:
                        other.bind((host, port))
            except OSError:
                continue
            return port


@dataclass
class Gateway:
    address: str
    otlp_grpc: int
    ports: dict[str, int]
    traces: OtlpSink  # this gateway's trace store
    pid: int | None = None

    @property
    def health_url(self) -> str:
        return f"http://{self.address}:{self.ports['health']}/"

    def accepted_points(self) -> float:
        """The gateway's own count of metric points its OTLP receiver accepted."""
        url = f"http://{self.address}:{self.ports['metrics']}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("otelcol_receiver_accepted_metric_points")
        )


class Tiers:
    """The agent collector and two gateways, started and stopped by the test."""

    def __init__(
        self,
        files: ProjectFiles,
        collector: Path,
        remote_write: str,
        state_dir: Path,
        trace_sinks: list[OtlpSink],
    ) -> None:
        self.files, self.collector, self.remote_write = files, collector, remote_write
        self.state_dir = state_dir
        self.hosts_file = state_dir / "hosts"
        otlp_grpc = _free_port(*GATEWAY_ADDRESSES)
        self.gateways = [
            Gateway(address, otlp_grpc, {n: _free_port(address) for n in ("http", "health", "metrics")}, sink)
            for address, sink in zip(GATEWAY_ADDRESSES, trace_sinks, strict=True)
        ]
        self.agent_ports = {n: _free_port(HOST) for n in ("grpc", "http", "health", "metrics")}
        self.agent_pid: int | None = None

    @property
    def agent_otlp_http(self) -> str:
        return f"http://{HOST}:{self.agent_ports['http']}"

    def publish(self) -> None:
        """/etc/hosts of the agent collector: the gateways that run (written in place: bind-mounted)."""
        running = [g.address for g in self.gateways if g.pid is not None]
        self.hosts_file.write_text("".join(f"{address} {GATEWAY_NAME}\n" for address in running))

    def start_gateway(self, gateway: Gateway) -> None:
        env = {
            "OTLP_GRPC_ENDPOINT": f"{gateway.address}:{gateway.otlp_grpc}",
            "OTLP_HTTP_ENDPOINT": f"{gateway.address}:{gateway.ports['http']}",
            "PROMETHEUS_REMOTE_WRITE_URL": self.remote_write,
            "TRACES_OTLP_HTTP_ENDPOINT": gateway.traces.url,
            "HEALTH_CHECK_ENDPOINT": f"{gateway.address}:{gateway.ports['health']}",
            "COLLECTOR_METRICS_HOST": gateway.address,
            "COLLECTOR_METRICS_PORT": str(gateway.ports["metrics"]),
            "SHORT_LIVED_INTERVAL": "1s",
        }
        argv = [  # as compose runs them: with the short-lived overlay
            str(self.collector),
            "--config",
            str(self.files.collector_config),
            "--config",
            str(self.files.collector_short_lived_config),
        ]
        gateway.pid = process.start(argv, self.state_dir / f"gateway-{gateway.address}.log", env)
        wait_ready(gateway.health_url, lambda: process.is_running(gateway.pid), WAIT_S, "gateway")
        self.publish()

    def kill_gateway(self, gateway: Gateway) -> None:
        assert gateway.pid is not None
        process.kill(gateway.pid)
        gateway.pid = None
        self.publish()

    def start_agent_collector(self) -> None:
        self.publish()
        env = {
            "OTLP_GRPC_ENDPOINT": f"{HOST}:{self.agent_ports['grpc']}",
            "OTLP_HTTP_ENDPOINT": f"{HOST}:{self.agent_ports['http']}",
            "GATEWAY_HOSTNAME": GATEWAY_NAME,
            "GATEWAY_OTLP_PORT": str(self.gateways[0].otlp_grpc),
            "GATEWAY_RESOLVE_INTERVAL": "1s",
            "HEALTH_CHECK_ENDPOINT": f"{HOST}:{self.agent_ports['health']}",
            "COLLECTOR_METRICS_HOST": HOST,
            "COLLECTOR_METRICS_PORT": str(self.agent_ports["metrics"]),
        }
        # A private mount namespace: the hosts file is this collector's /etc/hosts only.
        argv = [
            "unshare",
            "--mount",
            "sh",
            "-c",
            'mount --bind "$0" /etc/hosts && exec "$@"',
            str(self.hosts_file),
            str(self.collector),
            "--config",
            str(self.files.collector_agent_config),
        ]
        self.agent_pid = process.start(argv, self.state_dir / "agent-collector.log", env)
        health = f"http://{HOST}:{self.agent_ports['health']}/"
        wait_ready(health, lambda: process.is_running(self.agent_pid), WAIT_S, "agent collector")

    def stop(self) -> None:
        for pid in [self.agent_pid, *(g.pid for g in self.gateways)]:
            if pid is not None:
                process.stop(pid)


@pytest.fixture
def tiers(
    tmp_path: Path, project_files: ProjectFiles, collector_binary: Path, running_stack: Stack
) -> Iterator[Tiers]:
    assert os.geteuid() == 0, (
        "the agent collector's /etc/hosts needs a mount namespace: run as root, as CI does"
    )
    with OtlpSink() as traces_a, OtlpSink() as traces_b:
        tiers = Tiers(
            project_files,
            collector_binary,
            running_stack.urls["remote_write"],
            tmp_path,
            [traces_a, traces_b],
        )
        try:
            for gateway in tiers.gateways:
                tiers.start_gateway(gateway)
            tiers.start_agent_collector()
            yield tiers
        finally:
            tiers.stop()


def _wait_for_totals(url: str, service: str, want: list[float]) -> None:
    """Until each instance's agent_requests_total equals ``want`` (sorted) exactly."""
    promql = f'sum by (instance) (agent_requests_total{{job="{service}"}})'
    deadline = time.monotonic() + WAIT_S
    while True:
        got = sorted(float(v) for v in prom.query(url, promql).values())
        if got == want:
            return
        assert time.monotonic() < deadline, f"{promql}: {got}, wanted {want}"
        time.sleep(0.5)


def test_a_killed_gateway_hands_its_processes_to_the_other_and_takes_them_back_without_a_reset(
    tiers: Tiers, running_stack: Stack, tmp_path: Path
):
    service = f"gateway-test-{uuid.uuid4().hex[:8]}"
    url = running_stack.urls["prometheus"]
    app = Path(__file__).with_name("gateway_app.py")
    with FakeProviderServer() as fake, ExitStack() as processes:
        env = {
            "AGENT_TELEMETRY_ENABLED": "true",
            "FAKE_OPENAI_URL": fake.openai_base_url,
            "OTEL_SERVICE_NAME": service,
            "OTEL_EXPORTER_OTLP_ENDPOINT": tiers.agent_otlp_http,
            "OTEL_METRIC_EXPORT_INTERVAL": "1000",
        }
        agents = [AgentProcess(app, env) for _ in range(2)]
        for agent in agents:
            processes.callback(agent.stop)

        for agent in agents:
            agent.calls(5)
        _wait_for_totals(url, service, [5.0, 5.0])
        # A gateway that has at least one of the two processes (both may hash to one of them).
        victim, survivor = sorted(tiers.gateways, key=lambda g: g.accepted_points(), reverse=True)

        tiers.kill_gateway(victim)
        before = survivor.accepted_points()
        for agent in agents:
            agent.calls(7)
        _wait_for_totals(url, service, [12.0, 12.0])
        assert survivor.accepted_points() > before

        tiers.start_gateway(victim)
        wait_until(lambda: victim.accepted_points() > 0, "the restarted gateway got no points back", WAIT_S)
        for agent in agents:
            agent.calls(3)
        _wait_for_totals(url, service, [15.0, 15.0])

    resets = prom.query(url, f'resets(agent_requests_total{{job="{service}"}}[1h])')
    assert set(resets.values()) == {"0"}


def test_short_lived_processes_through_the_tiers_are_summed_into_one_series_exactly(
    tiers: Tiers, running_stack: Stack
):
    service = f"tiers-short-lived-{uuid.uuid4().hex[:8]}"
    url = running_stack.urls["prometheus"]
    run_processes(tiers.agent_otlp_http, service, DELTA)

    prom.wait_for(url, f'agent_requests_total{{job="{service}"}} == {2 * PROCESSES}', timeout=WAIT_S)
    routed = [gateway.accepted_points() > 0 for gateway in tiers.gateways]
    assert sorted(routed) == [False, True]  # one service's merged streams meet on one gateway
    assert len(prom.api(url, "series", **{"match[]": f'{{job="{service}", __name__=~"agent_.*"}}'})) == 19


TRACES = 40
SPANS_PER_TRACE = 3


class _NumberedTraces(RandomIdGenerator):
    """Trace ids 1, 2, 3...: the same traces every run."""

    def __init__(self) -> None:
        self._next = 0

    def generate_trace_id(self) -> int:
        self._next += 1
        return self._next


def test_all_spans_of_a_trace_reach_one_gateway(tiers: Tiers):
    service = f"tiers-traces-{uuid.uuid4().hex[:8]}"
    provider = TracerProvider(
        resource=Resource.create({"service.name": service}), id_generator=_NumberedTraces()
    )
    # One export per span: a trace's spans arrive at the agent collector in separate requests.
    exporter = OTLPSpanExporter(endpoint=f"{HOST}:{tiers.agent_ports['grpc']}", insecure=True)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("agent_telemetry")
    for _ in range(TRACES):
        with tracer.start_as_current_span("invoke_agent"):
            for step in ("chat gpt-4o-mini", "execute_tool lookup_order"):
                with tracer.start_as_current_span(step):
                    pass
    provider.shutdown()

    def ours(span: dict) -> bool:
        return span["resource"].get("service.name") == service

    deadline = time.monotonic() + WAIT_S
    while sum(len([s for s in g.traces.spans if ours(s)]) for g in tiers.gateways) < TRACES * SPANS_PER_TRACE:
        assert time.monotonic() < deadline, "not every span reached a gateway"
        time.sleep(0.5)
    traces_per_gateway = [{s["trace_id"] for s in g.traces.spans if ours(s)} for g in tiers.gateways]
    a, b = traces_per_gateway
    assert not a & b  # no trace split across gateways
    assert len(a | b) == TRACES
    assert a and b  # and the traces are spread over both
