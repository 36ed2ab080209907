"""Run the collector, Prometheus, Alertmanager, VictoriaLogs and Jaeger natively with the committed configs.

    with Stack.start(tmp_path, Ports.free(), webhook_url=...) as stack:
        stack.urls["prometheus"], stack.urls["otlp_http"], stack.urls["jaeger"], ...

The collector and Jaeger run otel-collector/config.yaml and jaeger/config.yaml as committed
(addresses come from their env vars); Prometheus and Alertmanager run copies rendered into the state
dir (see ``native_configs``). The collector sends its traces to Jaeger, unless ``traces_endpoint``
names another OTLP/HTTP receiver (then Jaeger does not run).

``Stack.start(..., ha=True)`` (``stack up --ha``): two Prometheus replicas from prometheus/prometheus-ha.yml,
a gossip cluster of three Alertmanagers on loopback, and the collector with otel-collector/ha.yaml merged
over its config so that it writes to both replicas (docs/runbooks/ha/README.md).

``Stack.start(..., scale_out=True)`` (``stack up --scale-out``): Thanos in the place of Prometheus, with
three replicated ingestors (see ``scale_out`` and docs/scaling.md); ``urls["prometheus"]`` is then the
Thanos querier's Prometheus-compatible API.

``Stack.start(..., gateways=True)`` (``stack up --gateways``): the collector tiers of
docker-compose.gateways.yml, an agent collector in the single collector's place in front of two gateways
(see ``gateways``); combines with ``scale_out`` (the gateways then write to Thanos).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from agent_telemetry.tooling.stack import native_configs, process
from agent_telemetry.tooling.stack.binaries import Binaries, find_binaries, find_thanos
from agent_telemetry.tooling.stack.gateways import GatewayPorts
from agent_telemetry.tooling.stack.gateways import launches as gateway_launches
from agent_telemetry.tooling.stack.gateways import urls as gateway_urls
from agent_telemetry.tooling.stack.paths import ProjectFiles, find_project_root
from agent_telemetry.tooling.stack.ports import HOST, Ports
from agent_telemetry.tooling.stack.private import private_dir
from agent_telemetry.tooling.stack.process import Launch
from agent_telemetry.tooling.stack.readiness import NotReadyError, wait_ready
from agent_telemetry.tooling.stack.scale_out import ScaleOutPorts
from agent_telemetry.tooling.stack.scale_out import launches as thanos_launches
from agent_telemetry.tooling.stack.scale_out import urls as scale_out_urls
from agent_telemetry.tooling.stack.state import ServiceState, StackState

DEFAULT_STATE_DIR = Path(".stack")
ALERT_LOG_FILE = "alerts.log"


class StackError(RuntimeError):
    pass


# stack up --ha: (service, external label `replica`, Ports field) of each Prometheus replica, and
# (service, web Ports field, gossip Ports field) of each Alertmanager of the cluster.
PROMETHEUS_REPLICAS: tuple[tuple[str, str, str], ...] = (
    ("prometheus", "a", "prometheus"),
    ("prometheus-b", "b", "prometheus_b"),
)
ALERTMANAGER_CLUSTER: tuple[tuple[str, str, str], ...] = (
    ("alertmanager", "alertmanager", "alertmanager_cluster"),
    ("alertmanager-b", "alertmanager_b", "alertmanager_b_cluster"),
    ("alertmanager-c", "alertmanager_c", "alertmanager_c_cluster"),
)
REPLICA_ENV = "PROMETHEUS_REPLICA"  # what `replica` in prometheus-ha.yml's external_labels reads
VICTORIALOGS_OTLP_PATH = "/insert/opentelemetry/v1/logs"  # where VictoriaLogs takes OTLP/HTTP logs


def _victorialogs_launch(binaries: Binaries, state_dir: Path, ports: Ports) -> Launch:
    """The events' log store, as compose runs it: its data in the state dir, its API on loopback."""
    return Launch(
        "victorialogs",
        [
            str(binaries.victorialogs),
            f"-storageDataPath={state_dir / 'victorialogs-data'}",
            f"-httpListenAddr={HOST}:{ports.victorialogs}",
        ],
        f"http://{HOST}:{ports.victorialogs}/health",
    )


def stack_urls(ports: Ports, ha: bool = False) -> dict[str, str]:
    base = f"http://{HOST}"
    urls = {
        "prometheus": f"{base}:{ports.prometheus}",
        "alertmanager": f"{base}:{ports.alertmanager}",
        "otlp_http": f"{base}:{ports.otlp_http}",
        "otlp_grpc": f"{base}:{ports.otlp_grpc}",
        "collector_metrics": f"{base}:{ports.collector_metrics}/metrics",
        "collector_health": f"{base}:{ports.health_check}/",
        "remote_write": f"{base}:{ports.prometheus}/api/v1/write",
        "victorialogs": f"{base}:{ports.victorialogs}",
    }
    if ha:
        urls["prometheus_b"] = f"{base}:{ports.prometheus_b}"
        urls["alertmanager_b"] = f"{base}:{ports.alertmanager_b}"
        urls["alertmanager_c"] = f"{base}:{ports.alertmanager_c}"
        urls["remote_write_b"] = f"{base}:{ports.prometheus_b}/api/v1/write"
    return urls


def jaeger_urls(ports: Ports) -> dict[str, str]:
    """Jaeger's query API (what Grafana's Jaeger data source reads) and its OTLP/HTTP receiver."""
    return {
        "jaeger": f"http://{HOST}:{ports.jaeger_query}",
        "jaeger_otlp_http": f"http://{HOST}:{ports.jaeger_otlp_http}",
    }


def jaeger_env(ports: Ports) -> dict[str, str]:
    """The variables jaeger/config.yaml reads its addresses from."""
    return {
        "JAEGER_OTLP_HTTP_ENDPOINT": f"{HOST}:{ports.jaeger_otlp_http}",
        "JAEGER_QUERY_HTTP_ENDPOINT": f"{HOST}:{ports.jaeger_query}",
        "JAEGER_QUERY_GRPC_ENDPOINT": f"{HOST}:{ports.jaeger_query_grpc}",
        "JAEGER_HEALTH_CHECK_ENDPOINT": f"{HOST}:{ports.jaeger_health}",
    }


def _jaeger_launch(jaeger: Path, files: ProjectFiles, ports: Ports) -> Launch:
    """Jaeger v2 with jaeger/config.yaml: in-memory storage, OTLP/HTTP in, the query API out."""
    # healthcheckv2's /status answers 200 once every component (receiver, storage, query) has started.
    ready = f"http://{HOST}:{ports.jaeger_health}/status"
    return Launch("jaeger", [str(jaeger), "--config", str(files.jaeger_config)], ready, jaeger_env(ports))


def _collector_env(ports: Ports, traces_endpoint: str | None, ha: bool = False) -> dict[str, str]:
    """The variables otel-collector/config.yaml (and ha.yaml) read their addresses from."""
    env = {
        "OTLP_GRPC_ENDPOINT": f"{HOST}:{ports.otlp_grpc}",
        "OTLP_HTTP_ENDPOINT": f"{HOST}:{ports.otlp_http}",
        "PROMETHEUS_REMOTE_WRITE_URL": stack_urls(ports)["remote_write"],
        "HEALTH_CHECK_ENDPOINT": f"{HOST}:{ports.health_check}",
        "COLLECTOR_METRICS_HOST": HOST,
        "COLLECTOR_METRICS_PORT": str(ports.collector_metrics),
        "LOGS_OTLP_HTTP_ENDPOINT": f"{stack_urls(ports)['victorialogs']}{VICTORIALOGS_OTLP_PATH}",
    }
    if traces_endpoint:
        env["TRACES_OTLP_HTTP_ENDPOINT"] = traces_endpoint
    if ha:
        env["PROMETHEUS_B_REMOTE_WRITE_URL"] = stack_urls(ports, ha)["remote_write_b"]
    return env


def _collector_launches(
    files: ProjectFiles,
    binaries: Binaries,
    ports: Ports,
    env: Mapping[str, str],
    ha: bool = False,
    gateway_ports: GatewayPorts | None = None,
) -> list[Launch]:
    """The single collector with ``env``, or (``gateway_ports``) two gateways with ``env`` behind an agent
    collector on the single collector's ports."""
    if gateway_ports is not None:
        return gateway_launches(files, binaries.collector, ports, gateway_ports, env)
    argv = [str(binaries.collector), "--config", str(files.collector_config)]
    if ha:
        argv += ["--config", str(files.collector_ha_config)]  # merged over config.yaml
    return [Launch("otel-collector", argv, stack_urls(ports)["collector_health"], env)]


def _alert_log_launch(state_dir: Path, ports: Ports) -> Launch:
    """The receiver that writes Alertmanager's notifications to <state dir>/alerts.log."""
    return Launch(
        "alert-log",
        [
            sys.executable,
            "-m",
            "agent_telemetry.tooling.stack.alert_log",
            f"--port={ports.alert_log}",
            f"--file={state_dir / ALERT_LOG_FILE}",
        ],
        f"http://{HOST}:{ports.alert_log}/-/ready",
    )


def _alertmanager_argv(
    binaries: Binaries,
    config: Path,
    state_dir: Path,
    ports: Ports,
    name: str,
    web: str,
    gossip: str | None,
    peer_timeout: str | None = None,
) -> list[str]:
    """One Alertmanager; with ``gossip`` (a Ports field) a member of the loopback cluster of three."""
    argv = [
        str(binaries.alertmanager),
        f"--config.file={config}",
        f"--storage.path={state_dir / f'{name}-data'}",
        f"--web.listen-address={HOST}:{getattr(ports, web)}",
    ]
    if gossip is None:
        return [*argv, "--cluster.listen-address="]  # no gossip port: a single native instance
    own = f"{HOST}:{getattr(ports, gossip)}"
    peers = [f"--cluster.peer={HOST}:{getattr(ports, g)}" for _, _, g in ALERTMANAGER_CLUSTER if g != gossip]
    # Alertmanager will not advertise a loopback address it picked itself: name it.
    argv += [
        f"--cluster.listen-address={own}",
        f"--cluster.advertise-address={own}",
        *peers,
    ]
    return [*argv, f"--cluster.peer-timeout={peer_timeout}"] if peer_timeout else argv


def _alertmanager_yml(
    files: ProjectFiles,
    state_dir: Path,
    webhook_url: str | None,
    route_timings: Mapping[str, str] | None,
) -> Path:
    return native_configs.write_yaml(
        native_configs.alertmanager_config(files.alertmanager_config, webhook_url, route_timings),
        state_dir / "alertmanager.yml",
        files.alertmanager_config if files.alertmanager_config.is_file() else None,
    )


def _launches(
    files: ProjectFiles,
    binaries: Binaries,
    state_dir: Path,
    ports: Ports,
    webhook_url: str | None,
    traces_endpoint: str | None,
    evaluation_interval: str | None,
    scrape_interval: str | None,
    rules_dir: Path | None = None,
    alertmanager_route_timings: Mapping[str, str] | None = None,
    ha: bool = False,
    alertmanager_peer_timeout: str | None = None,
    gateway_ports: GatewayPorts | None = None,
    prometheus_args: Sequence[str] = (),
    alertmanager_args: Sequence[str] = (),
) -> list[Launch]:
    rule_files = [rules_dir.resolve() / "*.yml"] if rules_dir is not None else None
    alertmanager_yml = _alertmanager_yml(files, state_dir, webhook_url, alertmanager_route_timings)
    launches = [
        Launch(
            name,
            _alertmanager_argv(
                binaries,
                alertmanager_yml,
                state_dir,
                ports,
                name,
                web,
                gossip if ha else None,
                alertmanager_peer_timeout,
            )
            + list(alertmanager_args),
            f"http://{HOST}:{getattr(ports, web)}/-/ready",
        )
        for name, web, gossip in (ALERTMANAGER_CLUSTER if ha else ALERTMANAGER_CLUSTER[:1])
    ]
    source = files.prometheus_ha_config if ha else files.prometheus_config
    for name, replica, port in PROMETHEUS_REPLICAS if ha else PROMETHEUS_REPLICAS[:1]:
        config = native_configs.prometheus_config(
            source, ports, evaluation_interval, scrape_interval, rule_files, {REPLICA_ENV: replica}
        )
        prometheus_yml = native_configs.write_yaml(config, state_dir / f"{name}.yml", source)
        launches.append(
            Launch(
                name,
                [
                    str(binaries.prometheus),
                    f"--config.file={prometheus_yml}",
                    f"--storage.tsdb.path={state_dir / f'{name}-data'}",
                    f"--web.listen-address={HOST}:{getattr(ports, port)}",
                    "--web.enable-remote-write-receiver",  # the collector pushes metrics here
                    "--web.enable-lifecycle",  # POST /-/reload after editing rules
                    "--enable-feature=exemplar-storage",  # as in compose: trace ids for exemplar links
                    *prometheus_args,
                ],
                f"http://{HOST}:{getattr(ports, port)}/-/ready",
            )
        )
    launches.append(_victorialogs_launch(binaries, state_dir, ports))
    if traces_endpoint is None and binaries.jaeger is not None:  # the stack's own Jaeger stores them
        launches.append(_jaeger_launch(binaries.jaeger, files, ports))
        traces_endpoint = jaeger_urls(ports)["jaeger_otlp_http"]
    env = _collector_env(ports, traces_endpoint, ha)
    return launches + _collector_launches(files, binaries, ports, env, ha, gateway_ports)


def _scale_out_launches(
    files: ProjectFiles,
    binaries: Binaries,
    state_dir: Path,
    ports: Ports,
    scale_ports: ScaleOutPorts,
    webhook_url: str | None,
    traces_endpoint: str | None,
    evaluation_interval: str | None,
    scrape_interval: str | None,
    rules_dir: Path | None,
    alertmanager_route_timings: Mapping[str, str] | None,
    gateway_ports: GatewayPorts | None = None,
) -> list[Launch]:
    """Alertmanager as in the default stack, Thanos for storage and rules, the collector writing to it."""
    alertmanager_yml = _alertmanager_yml(files, state_dir, webhook_url, alertmanager_route_timings)
    name, web, _ = ALERTMANAGER_CLUSTER[0]
    launches = [
        Launch(
            name,
            _alertmanager_argv(binaries, alertmanager_yml, state_dir, ports, name, web, None),
            f"http://{HOST}:{ports.alertmanager}/-/ready",
        )
    ]
    rules = rules_dir.resolve() if rules_dir is not None else files.prometheus_config.parent / "rules"
    launches += thanos_launches(
        files,
        find_thanos(files),
        binaries.prometheus,
        state_dir,
        ports,
        scale_ports,
        [str(rules / "*.yml")],
        evaluation_interval,
        scrape_interval,
    )
    # Events and traces have their stores as in the default stack: only the metric store scales out here.
    launches.append(_victorialogs_launch(binaries, state_dir, ports))
    if traces_endpoint is None and binaries.jaeger is not None:
        launches.append(_jaeger_launch(binaries.jaeger, files, ports))
        traces_endpoint = jaeger_urls(ports)["jaeger_otlp_http"]
    env = _collector_env(ports, traces_endpoint)
    env["PROMETHEUS_REMOTE_WRITE_URL"] = scale_out_urls(ports, scale_ports)["remote_write"]
    return launches + _collector_launches(files, binaries, ports, env, gateway_ports=gateway_ports)


class Stack:
    """A running native stack; also the handle that `stack down`/`status` rebuild from the state file."""

    def __init__(self, state_dir: Path, state: StackState) -> None:
        self.state_dir = state_dir
        self._state = state

    @property
    def ports(self) -> Ports:
        return self._state.ports

    @property
    def urls(self) -> dict[str, str]:
        return dict(self._state.urls)

    @property
    def services(self) -> Sequence[ServiceState]:
        return tuple(self._state.services)

    def log_path(self, name: str) -> Path:
        return self.state_dir / f"{name}.log"

    @classmethod
    def start(
        cls,
        state_dir: Path | str = DEFAULT_STATE_DIR,
        ports: Ports | None = None,
        *,
        webhook_url: str | None = None,
        traces_endpoint: str | None = None,
        evaluation_interval: str | None = None,
        scrape_interval: str | None = None,
        files: ProjectFiles | None = None,
        ready_timeout: float = 60.0,
        rules_dir: Path | None = None,
        alertmanager_route_timings: Mapping[str, str] | None = None,
        alert_log: bool = False,
        ha: bool = False,
        alertmanager_peer_timeout: str | None = None,
        scale_out: bool = False,
        scale_out_ports: ScaleOutPorts | None = None,
        gateways: bool = False,
        gateway_ports: GatewayPorts | None = None,
        prometheus_args: Sequence[str] = (),
        alertmanager_args: Sequence[str] = (),
    ) -> Stack:
        """Start every server and wait until each is ready; on any failure stop what was started.

        ``traces_endpoint``: an OTLP/HTTP base URL the collector sends traces to instead of the stack's
        Jaeger, which then does not run. With Jaeger, ``urls`` gains jaeger (its query API) and
        jaeger_otlp_http.

        ``alert_log`` (without ``webhook_url``): also run a receiver that writes every notification to
        <state dir>/alerts.log, and point Alertmanager's webhook receivers at it.

        For tests: ``rules_dir`` makes Prometheus load ``<rules_dir>/*.yml`` instead of the committed
        prometheus/rules (e.g. rules generated with ``--profile test``); ``alertmanager_route_timings``
        overrides the root route's group_wait/group_interval/repeat_interval (e.g. ``{"group_wait": "1s"}``).

        ``ha``: two Prometheus replicas (prometheus/prometheus-ha.yml, ``replica`` a and b) that both get
        every sample from the collector (otel-collector/ha.yaml) and alert to a gossip cluster of three
        Alertmanagers; ``urls`` gains prometheus_b, alertmanager_b and alertmanager_c.
        ``alertmanager_peer_timeout`` (tests): how long each cluster member waits per position before it
        sends, for the one before it to gossip that it did (Alertmanager's default: 15s).

        ``scale_out``: Thanos in the place of Prometheus (``scale_out.launches``), on ``scale_out_ports``
        (default: ``ScaleOutPorts()``); ``urls["prometheus"]`` is the Thanos querier.

        ``gateways``: an agent collector (otel-collector/agent.yaml with gateways-static.yaml) on the
        collector's ports in ``ports``, load-balancing to two gateways (config.yaml + short-lived.yaml) on
        ``gateway_ports`` (default: ``GatewayPorts()``); ``urls`` gains each gateway's addresses.
        ``prometheus_args`` (benchmarks): extra flags for each Prometheus (not the scale-out profile's),
        e.g. ``--web.enable-admin-api`` for the TSDB snapshot that benchmarks/pipeline measures.
        ``alertmanager_args`` (tests): extra flags for each Alertmanager (not the scale-out profile's), e.g.
        the cluster's ``--cluster.probe-interval``.
        """
        if ha and scale_out:
            raise StackError("--ha and --scale-out are two topologies: pick one")
        if ha and gateways:
            raise StackError("--gateways and --ha do not combine yet: pick one")
        state_dir = Path(state_dir).resolve()
        files = files or find_project_root()
        # Raises MissingBinariesError naming what to install.
        binaries = find_binaries(files, jaeger=traces_endpoint is None)
        ports = ports or Ports()
        private_dir(state_dir)
        if (running := cls.load(state_dir)) and any(running.status().values()):
            raise StackError(f"a stack is already running from {state_dir}; run `stack down` first")
        extra: list[Launch] = []
        urls = stack_urls(ports, ha)
        if traces_endpoint is None:
            urls |= jaeger_urls(ports)
        if alert_log and webhook_url is None:
            extra.append(_alert_log_launch(state_dir, ports))
            webhook_url = f"http://{HOST}:{ports.alert_log}{{path}}"  # keeps /alerts, /heartbeat
            urls["alert_log"] = str(state_dir / ALERT_LOG_FILE)
        if gateways:
            gateway_ports = gateway_ports or GatewayPorts()
            urls.update(gateway_urls(gateway_ports))
        else:
            gateway_ports = None
        if scale_out:
            scale_out_ports = scale_out_ports or ScaleOutPorts()
            urls.update(scale_out_urls(ports, scale_out_ports))
            launches = extra + _scale_out_launches(
                files,
                binaries,
                state_dir,
                ports,
                scale_out_ports,
                webhook_url,
                traces_endpoint,
                evaluation_interval,
                scrape_interval,
                rules_dir,
                alertmanager_route_timings,
                gateway_ports,
            )
        else:
            launches = extra + _launches(
                files,
                binaries,
                state_dir,
                ports,
                webhook_url,
                traces_endpoint,
                evaluation_interval,
                scrape_interval,
                rules_dir,
                alertmanager_route_timings,
                ha,
                alertmanager_peer_timeout,
                gateway_ports,
                prometheus_args,
                alertmanager_args,
            )
        services: list[ServiceState] = []
        stack = cls(state_dir, StackState(ports, urls, services))
        try:
            for launch in launches:
                log = state_dir / f"{launch.name}.log"
                pid = process.start(launch.argv, log, launch.env)
                services.append(ServiceState(launch.name, pid, launch.argv[0], str(log), launch.ready_url))
                stack._state.write(state_dir)  # written early so `down` can clean up a failed start
            for service in services:
                wait_ready(
                    service.ready_url,
                    lambda s=service: process.is_running(s.pid),
                    ready_timeout,
                    service.name,
                )
        except (NotReadyError, OSError) as exc:
            details = "\n".join(f"--- {s.name} ({s.log}):\n{process.log_tail(Path(s.log))}" for s in services)
            stack.stop()
            raise StackError(f"{exc}\n{details}") from exc
        except BaseException:  # Ctrl-C or a bug: never leave servers behind
            stack.stop()
            raise
        return stack

    @classmethod
    def load(cls, state_dir: Path | str = DEFAULT_STATE_DIR) -> Stack | None:
        state_dir = Path(state_dir).resolve()
        state = StackState.read(state_dir)
        return cls(state_dir, state) if state else None

    def status(self) -> dict[str, bool]:
        return {s.name: process.is_running(s.pid, s.executable) for s in self._state.services}

    def stop(self, timeout: float = 10.0) -> list[str]:
        """Stop every service (collector first, so it can flush); names of those that needed SIGKILL."""
        killed = [
            s.name for s in reversed(self._state.services) if process.stop(s.pid, s.executable, timeout)
        ]
        StackState.remove(self.state_dir)
        return killed

    def kill(self, name: str) -> None:
        """SIGKILL one service, as a crash would end it (fault tests); the others keep running."""
        service = next(s for s in self._state.services if s.name == name)
        process.kill(service.pid, service.executable)

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
