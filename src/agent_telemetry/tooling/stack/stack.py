"""Run the collector, Prometheus and Alertmanager natively with the committed config files.

    with Stack.start(tmp_path, Ports.free(), webhook_url=...) as stack:
        stack.urls["prometheus"], stack.urls["otlp_http"], ...

The collector runs otel-collector/config.yaml as committed (addresses come from its env vars);
Prometheus and Alertmanager run copies rendered into the state dir (see ``render``).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from agent_telemetry.tooling.stack import process, render
from agent_telemetry.tooling.stack.binaries import Binaries, find_binaries
from agent_telemetry.tooling.stack.paths import ProjectFiles, find_project_root
from agent_telemetry.tooling.stack.ports import HOST, Ports
from agent_telemetry.tooling.stack.readiness import NotReadyError, wait_ready
from agent_telemetry.tooling.stack.state import ServiceState, StackState

DEFAULT_STATE_DIR = Path(".stack")
ALERT_LOG_FILE = "alerts.log"


class StackError(RuntimeError):
    pass


@dataclass(frozen=True)
class _Launch:
    name: str
    argv: list[str]
    ready_url: str
    env: Mapping[str, str] = field(default_factory=dict)


def stack_urls(ports: Ports) -> dict[str, str]:
    base = f"http://{HOST}"
    return {
        "prometheus": f"{base}:{ports.prometheus}",
        "alertmanager": f"{base}:{ports.alertmanager}",
        "otlp_http": f"{base}:{ports.otlp_http}",
        "otlp_grpc": f"{base}:{ports.otlp_grpc}",
        "collector_metrics": f"{base}:{ports.collector_metrics}/metrics",
        "collector_health": f"{base}:{ports.health_check}/",
        "remote_write": f"{base}:{ports.prometheus}/api/v1/write",
    }


def _collector_env(ports: Ports, traces_endpoint: str | None) -> dict[str, str]:
    """The variables otel-collector/config.yaml reads its addresses from."""
    env = {
        "OTLP_GRPC_ENDPOINT": f"{HOST}:{ports.otlp_grpc}",
        "OTLP_HTTP_ENDPOINT": f"{HOST}:{ports.otlp_http}",
        "PROMETHEUS_REMOTE_WRITE_URL": stack_urls(ports)["remote_write"],
        "HEALTH_CHECK_ENDPOINT": f"{HOST}:{ports.health_check}",
        "COLLECTOR_METRICS_HOST": HOST,
        "COLLECTOR_METRICS_PORT": str(ports.collector_metrics),
    }
    if traces_endpoint:
        env["TRACES_OTLP_HTTP_ENDPOINT"] = traces_endpoint
    return env


def _alert_log_launch(state_dir: Path, ports: Ports) -> _Launch:
    """The receiver that writes Alertmanager's notifications to <state dir>/alerts.log."""
    return _Launch(
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
) -> list[_Launch]:
    rule_files = [rules_dir.resolve() / "*.yml"] if rules_dir is not None else None
    prometheus_yml = render.write_yaml(
        render.prometheus_config(
            files.prometheus_config, ports, evaluation_interval, scrape_interval, rule_files
        ),
        state_dir / "prometheus.yml",
        files.prometheus_config,
    )
    alertmanager_yml = render.write_yaml(
        render.alertmanager_config(files.alertmanager_config, webhook_url, alertmanager_route_timings),
        state_dir / "alertmanager.yml",
        files.alertmanager_config if files.alertmanager_config.is_file() else None,
    )
    urls = stack_urls(ports)
    return [
        _Launch(
            "alertmanager",
            [
                str(binaries.alertmanager),
                f"--config.file={alertmanager_yml}",
                f"--storage.path={state_dir / 'alertmanager-data'}",
                f"--web.listen-address={HOST}:{ports.alertmanager}",
                "--cluster.listen-address=",  # no gossip port: a single native instance
            ],
            f"{urls['alertmanager']}/-/ready",
        ),
        _Launch(
            "prometheus",
            [
                str(binaries.prometheus),
                f"--config.file={prometheus_yml}",
                f"--storage.tsdb.path={state_dir / 'prometheus-data'}",
                f"--web.listen-address={HOST}:{ports.prometheus}",
                "--web.enable-remote-write-receiver",  # the collector pushes metrics here
                "--web.enable-lifecycle",  # POST /-/reload after editing rules
                "--enable-feature=exemplar-storage",  # as in compose: trace ids for exemplar links
            ],
            f"{urls['prometheus']}/-/ready",
        ),
        _Launch(
            "otel-collector",
            [str(binaries.collector), "--config", str(files.collector_config)],
            urls["collector_health"],
            _collector_env(ports, traces_endpoint),
        ),
    ]


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
    ) -> Stack:
        """Start all three and wait until each is ready; on any failure stop what was started.

        ``alert_log`` (without ``webhook_url``): also run a receiver that writes every notification to
        <state dir>/alerts.log, and point Alertmanager's webhook receivers at it.

        For tests: ``rules_dir`` makes Prometheus load ``<rules_dir>/*.yml`` instead of the committed
        prometheus/rules (e.g. rules generated with ``--profile test``); ``alertmanager_route_timings``
        overrides the root route's group_wait/group_interval/repeat_interval (e.g. ``{"group_wait": "1s"}``).
        """
        state_dir = Path(state_dir).resolve()
        files = files or find_project_root()
        binaries = find_binaries(files)  # raises MissingBinariesError naming what to install
        ports = ports or Ports()
        state_dir.mkdir(parents=True, exist_ok=True)
        if (running := cls.load(state_dir)) and any(running.status().values()):
            raise StackError(f"a stack is already running from {state_dir}; run `stack down` first")
        extra: list[_Launch] = []
        urls = stack_urls(ports)
        if alert_log and webhook_url is None:
            extra.append(_alert_log_launch(state_dir, ports))
            webhook_url = f"http://{HOST}:{ports.alert_log}{{path}}"  # keeps /alerts, /heartbeat
            urls["alert_log"] = str(state_dir / ALERT_LOG_FILE)
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

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
