"""`stack up --scale-out`: horizontally scalable storage on Thanos, natively (docs/scaling.md).

    collector --remote write--> thanos receive router --replication factor 3, quorum 2--> receive-0/1/2
    prometheus (agent mode: scrapes only) --remote write--^         (ingestors, each with its own TSDB)
    thanos query (Prometheus HTTP API; deduplicates the copies by `receive_replica`) <--gRPC-- ingestors
    thanos rule (prometheus/rules/*.yml, queries thanos query) --alerts--> alertmanager
        its recorded series: in its own TSDB, read by thanos query over gRPC like an ingestor's

The committed files are the ones docker-compose.yml's `scale-out` profile mounts: prometheus/thanos/
hashring.json and prometheus/prometheus-scale-out.yml. Native runs render copies in which each compose
``service:port`` becomes ``127.0.0.1:<this run's port>``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agent_telemetry.tooling.stack.native_configs import RenderError, write_yaml
from agent_telemetry.tooling.stack.paths import ProjectFiles
from agent_telemetry.tooling.stack.ports import HOST, Ports, free_ports
from agent_telemetry.tooling.stack.private import write_private_text
from agent_telemetry.tooling.stack.process import Launch

INGESTORS: tuple[str, ...] = ("thanos-receive-0", "thanos-receive-1", "thanos-receive-2")
ROUTER = "thanos-receive-router"
QUERY = "thanos-query"
RULE = "thanos-rule"
PROMETHEUS_AGENT = "prometheus-agent"
# Every sample is written to all three ingestors and acknowledged once two have it (Thanos's write quorum
# is floor(RF/2)+1), so one ingestor may die without losing an acknowledged sample, and reads go on.
REPLICATION_FACTOR = 3
# External label that tells the ingestors' copies apart; the querier deduplicates on it.
REPLICA_LABEL = "receive_replica"
# Receive announces each tenant's series with this label; rules that keep raw series (CollectorDown's
# `up == 0`) would pass it into alerts, which then differ from single Prometheus's: the ruler drops it.
TENANT_LABEL = "tenant_id"


@dataclass(frozen=True)
class ScaleOutPorts:
    """The Thanos components' ports (the collector, the Prometheus agent and Alertmanager use ``Ports``)."""

    query_http: int = 10902
    query_grpc: int = 10901
    rule_http: int = 10904
    rule_grpc: int = 10903
    router_http: int = 10906
    router_grpc: int = 10905
    router_remote_write: int = 19291
    router_capnproto: int = 19391
    receive_0_http: int = 10910
    receive_0_grpc: int = 10911
    receive_0_remote_write: int = 19292
    receive_0_capnproto: int = 19392
    receive_1_http: int = 10920
    receive_1_grpc: int = 10921
    receive_1_remote_write: int = 19293
    receive_1_capnproto: int = 19393
    receive_2_http: int = 10930
    receive_2_grpc: int = 10931
    receive_2_remote_write: int = 19294
    receive_2_capnproto: int = 19394

    @classmethod
    def free(cls) -> ScaleOutPorts:
        return free_ports(cls)

    def of(self, component: str, kind: str) -> int:
        """``of("thanos-receive-1", "grpc")`` -> receive_1_grpc."""
        prefix = {QUERY: "query", RULE: "rule", ROUTER: "router"}.get(component)
        if prefix is None:
            prefix = "receive_" + component.rsplit("-", 1)[1]
        return int(getattr(self, f"{prefix}_{kind}"))


def _http(port: int, path: str = "") -> str:
    return f"http://{HOST}:{port}{path}"


def urls(ports: Ports, scale: ScaleOutPorts) -> dict[str, str]:
    """``prometheus`` is the querier: what Grafana, the tests and users query (Prometheus's HTTP API)."""
    found = {
        "prometheus": _http(scale.query_http),
        "thanos_rule": _http(scale.rule_http),
        "prometheus_agent": _http(ports.prometheus),
        "remote_write": _http(scale.router_remote_write, "/api/v1/receive"),
    }
    found.update({name.replace("-", "_"): _http(scale.of(name, "http")) for name in INGESTORS})
    return found


def _compose_targets(ports: Ports, scale: ScaleOutPorts) -> dict[str, int]:
    """Compose ``service:port`` in the committed scale-out files -> this run's port on 127.0.0.1."""
    targets = {
        "localhost:9090": ports.prometheus,
        "prometheus-agent:9090": ports.prometheus,
        "otel-collector-scale-out:8888": ports.collector_metrics,
        "alertmanager:9093": ports.alertmanager,
    }
    for name in (*INGESTORS, ROUTER, QUERY, RULE):
        targets[f"{name}:10902"] = scale.of(name, "http")
        targets[f"{name}:10901"] = scale.of(name, "grpc")
    targets[f"{ROUTER}:19291"] = scale.router_remote_write
    return targets


_ADDRESS = re.compile(r"(?<![\w.-])([a-z][\w-]*:\d+)")


def _native(text: str, targets: dict[str, int]) -> str:
    """Every compose ``service:port`` in ``text`` as 127.0.0.1:<port>; an unknown one is an error."""

    def replace(match: re.Match[str]) -> str:
        port = targets.get(match[1])
        if port is None:
            raise RenderError(f"{match[1]!r} has no native port; known: {sorted(targets)}")
        return f"{HOST}:{port}"

    return _ADDRESS.sub(replace, text)


def _render_json(source: Path, dest: Path, targets: dict[str, int]) -> Path:
    """A copy of a JSON file (no comments possible: no header) with this run's addresses."""
    write_private_text(dest, _native(source.read_text(), targets))
    return dest


def prometheus_agent_config(
    files: ProjectFiles, ports: Ports, scale: ScaleOutPorts, scrape_interval: str | None
) -> dict[str, Any]:
    """prometheus-scale-out.yml with this run's addresses (and ``scrape_interval``, for fast tests)."""
    targets = _compose_targets(ports, scale)
    config = yaml.safe_load(files.prometheus_scale_out_config.read_text())
    if scrape_interval:
        config.setdefault("global", {})["scrape_interval"] = scrape_interval
    for job in config.get("scrape_configs") or []:
        for static in job.get("static_configs", []):
            static["targets"] = [_native(t, targets) for t in static.get("targets", [])]
    for remote in config.get("remote_write") or []:
        remote["url"] = _native(remote["url"], targets)
    return config


def launches(
    files: ProjectFiles,
    thanos: Path,
    prometheus: Path,
    state_dir: Path,
    ports: Ports,
    scale: ScaleOutPorts,
    rule_files: Sequence[str],
    evaluation_interval: str | None,
    scrape_interval: str | None,
) -> list[Launch]:
    """Ingestors first, then the router that writes to them, the querier, the ruler and the scraper."""
    targets = _compose_targets(ports, scale)
    found: list[Launch] = []
    for index, name in enumerate(INGESTORS):
        grpc = scale.of(name, "grpc")
        found.append(
            Launch(
                name,
                [
                    str(thanos),
                    "receive",
                    *_addresses(scale, name),
                    f"--tsdb.path={state_dir / f'{name}-data'}",
                    f"--receive.local-endpoint={HOST}:{grpc}",  # ingestor only: it stores, routes nothing
                    f'--label={REPLICA_LABEL}="{index}"',
                    "--tsdb.retention=15d",
                    "--tsdb.max-exemplars=100000",  # as Prometheus's exemplar storage: trace ids of calls
                ],
                _http(scale.of(name, "http"), "/-/ready"),
            )
        )
    hashring = _render_json(files.thanos_hashring, state_dir / "hashring.json", targets)
    found.append(
        Launch(
            ROUTER,
            [
                str(thanos),
                "receive",
                *_addresses(scale, ROUTER),
                f"--receive.hashrings-file={hashring}",  # no local endpoint: it only routes
                f"--receive.replication-factor={REPLICATION_FACTOR}",
                f'--label={REPLICA_LABEL}="router"',
            ],
            _http(scale.router_http, "/-/ready"),
        )
    )
    found.append(
        Launch(
            QUERY,
            [
                str(thanos),
                "query",
                f"--http-address={HOST}:{scale.query_http}",
                f"--grpc-address={HOST}:{scale.query_grpc}",
                *(f"--endpoint={HOST}:{scale.of(name, 'grpc')}" for name in INGESTORS),
                f"--endpoint={HOST}:{scale.rule_grpc}",  # the ruler: /api/v1/rules and /api/v1/alerts
                f"--query.replica-label={REPLICA_LABEL}",
            ],
            _http(scale.query_http, "/-/ready"),
        )
    )
    found.append(
        Launch(
            RULE,
            [
                str(thanos),
                "rule",
                f"--http-address={HOST}:{scale.rule_http}",
                f"--grpc-address={HOST}:{scale.rule_grpc}",
                f"--data-dir={state_dir / f'{RULE}-data'}",
                *(f"--rule-file={pattern}" for pattern in rule_files),
                f"--eval-interval={evaluation_interval or '15s'}",  # prometheus.yml's evaluation_interval
                f"--query={HOST}:{scale.query_http}",
                f"--alertmanagers.url=http://{HOST}:{ports.alertmanager}",
                f"--alert.label-drop={TENANT_LABEL}",
                # Stateful: recorded series are in its TSDB at once, so an alert rule reading a recording
                # rule's output sees it as on single Prometheus (stateless, writing them through the
                # router, made detection ~10x slower here). They can be recomputed from the raw samples,
                # which are the replicated ones.
                "--tsdb.retention=15d",  # as the ingestors': dashboards read recorded series over 7 days
            ],
            _http(scale.rule_http, "/-/ready"),
        )
    )
    agent_yml = write_yaml(
        prometheus_agent_config(files, ports, scale, scrape_interval),
        state_dir / f"{PROMETHEUS_AGENT}.yml",
        files.prometheus_scale_out_config,
    )
    found.append(
        Launch(
            PROMETHEUS_AGENT,
            [
                str(prometheus),
                "--agent",
                f"--config.file={agent_yml}",
                f"--storage.agent.path={state_dir / f'{PROMETHEUS_AGENT}-data'}",
                f"--web.listen-address={HOST}:{ports.prometheus}",
            ],
            _http(ports.prometheus, "/-/ready"),
        )
    )
    return found


def _addresses(scale: ScaleOutPorts, name: str) -> list[str]:
    """A receive node's four listeners, all on 127.0.0.1 (Thanos defaults to 0.0.0.0 for each)."""
    return [
        f"--http-address={HOST}:{scale.of(name, 'http')}",
        f"--grpc-address={HOST}:{scale.of(name, 'grpc')}",
        f"--remote-write.address={HOST}:{scale.of(name, 'remote_write')}",
        f"--receive.capnproto-address={HOST}:{scale.of(name, 'capnproto')}",
    ]
