"""`stack up --gateways`: the collector tiers of docker-compose.gateways.yml, natively (docs/scaling.md).

    apps --OTLP (the usual ports)--> otel-collector (agent.yaml + gateways-static.yaml)
        --OTLP gRPC, load-balanced--> otel-gateway-1, otel-gateway-2 (config.yaml + short-lived.yaml)
        --> Prometheus (or the Thanos router with --scale-out), Jaeger, VictoriaLogs

The agent collector takes the single collector's place and ports, so apps and Prometheus's scrape of
`otel-collector` stay as they are. Without root there is no DNS name to list the gateways under, so the
agent collector gets them from gateways-static.yaml (the load_balancing exporter's static resolver): a
stopped gateway keeps its share of the ring, its data waits in the agent collector's retry queue until it
is back. Failover needs the DNS resolver (compose, Kubernetes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from agent_telemetry.tooling.stack.paths import ProjectFiles
from agent_telemetry.tooling.stack.ports import HOST, Ports, free_ports
from agent_telemetry.tooling.stack.process import Launch

AGENT_COLLECTOR = "otel-collector"  # as in compose: apps keep sending to it
GATEWAYS: tuple[str, ...] = ("otel-gateway-1", "otel-gateway-2")
ENDPOINTS_ENV = "GATEWAY_ENDPOINTS"  # what gateways-static.yaml reads the gateway list from


@dataclass(frozen=True)
class GatewayPorts:
    """Each gateway's own ports (the agent collector has the single collector's, in ``Ports``)."""

    gateway_1_otlp_grpc: int = 14317
    gateway_1_otlp_http: int = 14318
    gateway_1_health: int = 13135
    gateway_1_metrics: int = 8889
    gateway_2_otlp_grpc: int = 24317
    gateway_2_otlp_http: int = 24318
    gateway_2_health: int = 13136
    gateway_2_metrics: int = 8890

    @classmethod
    def free(cls) -> GatewayPorts:
        return free_ports(cls)

    def of(self, gateway: str, kind: str) -> int:
        """``of("otel-gateway-2", "health")`` -> gateway_2_health."""
        return int(getattr(self, f"gateway_{gateway.rsplit('-', 1)[1]}_{kind}"))


def _key(gateway: str) -> str:
    return gateway.replace("-", "_")


def urls(gateway_ports: GatewayPorts) -> dict[str, str]:
    """Each gateway's OTLP gRPC address, health check and own metrics (accepted points, spans, ...)."""
    found: dict[str, str] = {}
    for gateway in GATEWAYS:
        found[f"{_key(gateway)}_otlp_grpc"] = f"{HOST}:{gateway_ports.of(gateway, 'otlp_grpc')}"
        found[f"{_key(gateway)}_health"] = f"http://{HOST}:{gateway_ports.of(gateway, 'health')}/"
        found[f"{_key(gateway)}_metrics"] = f"http://{HOST}:{gateway_ports.of(gateway, 'metrics')}/metrics"
    return found


def launches(
    files: ProjectFiles,
    collector: Path,
    ports: Ports,
    gateway_ports: GatewayPorts,
    gateway_env: Mapping[str, str],
) -> list[Launch]:
    """The gateways (``gateway_env``: the single collector's, i.e. where its stores are), then the agent
    collector on ``ports``' collector ports; `stack down` stops in reverse: the agent collector flushes
    to the gateways, then they flush to the stores."""
    gateway_urls = urls(gateway_ports)
    found = [
        Launch(
            gateway,
            [  # as compose runs them: with the short-lived overlay
                str(collector),
                "--config",
                str(files.collector_config),
                "--config",
                str(files.collector_short_lived_config),
            ],
            gateway_urls[f"{_key(gateway)}_health"],
            {
                **gateway_env,
                "OTLP_GRPC_ENDPOINT": gateway_urls[f"{_key(gateway)}_otlp_grpc"],
                "OTLP_HTTP_ENDPOINT": f"{HOST}:{gateway_ports.of(gateway, 'otlp_http')}",
                "HEALTH_CHECK_ENDPOINT": f"{HOST}:{gateway_ports.of(gateway, 'health')}",
                "COLLECTOR_METRICS_HOST": HOST,
                "COLLECTOR_METRICS_PORT": str(gateway_ports.of(gateway, "metrics")),
            },
        )
        for gateway in GATEWAYS
    ]
    endpoints = ", ".join(gateway_urls[f"{_key(gateway)}_otlp_grpc"] for gateway in GATEWAYS)
    found.append(
        Launch(
            AGENT_COLLECTOR,
            [
                str(collector),
                "--config",
                str(files.collector_agent_config),
                "--config",
                str(files.collector_gateways_static_config),
            ],
            f"http://{HOST}:{ports.health_check}/",
            {
                "OTLP_GRPC_ENDPOINT": f"{HOST}:{ports.otlp_grpc}",
                "OTLP_HTTP_ENDPOINT": f"{HOST}:{ports.otlp_http}",
                ENDPOINTS_ENV: f"[{endpoints}]",  # a YAML list: the collector reads it as one
                "HEALTH_CHECK_ENDPOINT": f"{HOST}:{ports.health_check}",
                "COLLECTOR_METRICS_HOST": HOST,
                "COLLECTOR_METRICS_PORT": str(ports.collector_metrics),
            },
        )
    )
    return found
