"""``agent-telemetry stack up|down|status``: the collector, Prometheus, Alertmanager and Jaeger, natively.

``agent-telemetry stack check``: the receiver files (Slack URL, PagerDuty key) a compose user must create.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from agent_telemetry.tooling.stack.binaries import MissingBinariesError
from agent_telemetry.tooling.stack.gateways import GatewayPorts
from agent_telemetry.tooling.stack.native_configs import RenderError
from agent_telemetry.tooling.stack.paths import ProjectRootNotFoundError, find_project_root
from agent_telemetry.tooling.stack.ports import Ports
from agent_telemetry.tooling.stack.receiver_files import ComposeFileError, ReceiverFile, receiver_files
from agent_telemetry.tooling.stack.scale_out import ScaleOutPorts
from agent_telemetry.tooling.stack.stack import DEFAULT_STATE_DIR, Stack, StackError

# (option, Ports field) for each port `stack up` can move.
_PORT_OPTIONS: tuple[tuple[str, str], ...] = (
    ("--otlp-grpc-port", "otlp_grpc"),
    ("--otlp-http-port", "otlp_http"),
    ("--prometheus-port", "prometheus"),
    ("--alertmanager-port", "alertmanager"),
    ("--collector-metrics-port", "collector_metrics"),
    ("--health-check-port", "health_check"),
    ("--alert-log-port", "alert_log"),
    ("--jaeger-otlp-http-port", "jaeger_otlp_http"),
    ("--jaeger-query-port", "jaeger_query"),
    ("--jaeger-query-grpc-port", "jaeger_query_grpc"),
    ("--jaeger-health-port", "jaeger_health"),
    ("--prometheus-b-port", "prometheus_b"),
    ("--alertmanager-b-port", "alertmanager_b"),
    ("--alertmanager-c-port", "alertmanager_c"),
    ("--alertmanager-cluster-port", "alertmanager_cluster"),
    ("--alertmanager-b-cluster-port", "alertmanager_b_cluster"),
    ("--alertmanager-c-cluster-port", "alertmanager_c_cluster"),
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "stack",
        help="run the collector, Prometheus, Alertmanager and Jaeger natively (no Docker)",
        description="Run the OpenTelemetry Collector, Prometheus, Alertmanager and Jaeger (the trace "
        "store) as local background processes with the repository's config files, listening on 127.0.0.1.",
    )
    commands = parser.add_subparsers(dest="stack_command", metavar="COMMAND", required=True)

    up = commands.add_parser("up", help="start the stack and wait until it is ready")
    _add_state_dir(up)
    defaults = Ports()
    for option, field in _PORT_OPTIONS:
        up.add_argument(
            option, dest=field, type=int, default=getattr(defaults, field), help="(default: %(default)s)"
        )
    up.add_argument("--free-ports", action="store_true", help="pick free ports instead of the options above")
    up.add_argument(
        "--webhook-url",
        help="URL Alertmanager's webhook receivers post to ({path} is replaced by the committed path); "
        "default: a receiver of the stack's own that writes <state dir>/alerts.log",
    )
    up.add_argument(
        "--traces-endpoint",
        help="OTLP/HTTP base URL the collector sends traces to instead of the stack's Jaeger "
        "(which then does not run)",
    )
    up.add_argument("--evaluation-interval", help="override Prometheus's global evaluation_interval, e.g. 1s")
    up.add_argument("--scrape-interval", help="override Prometheus's global scrape_interval, e.g. 1s")
    up.add_argument(
        "--rules-dir",
        type=Path,
        help="load <DIR>/*.yml instead of prometheus/rules, e.g. rules generated with "
        "`agent-telemetry rules generate --profile test --output-dir DIR` (alerts within a minute or two)",
    )
    up.add_argument(
        "--ha",
        action="store_true",
        help="high availability: two Prometheus replicas (both get every sample) alerting to a gossip "
        "cluster of three Alertmanagers (prometheus/prometheus-ha.yml, otel-collector/ha.yaml)",
    )
    up.add_argument(
        "--scale-out",
        action="store_true",
        help="horizontally scalable storage on Thanos: a receive router replicating every sample to three "
        "ingestors (replication factor 3), the querier (Prometheus API, printed as `prometheus`), the ruler "
        "(prometheus/rules) and Prometheus in agent mode for scrapes (docs/scaling.md); Thanos is built by "
        "scripts/build-engines.sh thanos",
    )
    gateway_defaults = GatewayPorts()
    up.add_argument(
        "--gateways",
        action="store_true",
        help="collector tiers (docker-compose.gateways.yml natively): an agent collector on the OTLP ports "
        "above (otel-collector/agent.yaml) load-balancing to two gateways (config.yaml + short-lived.yaml) "
        f"on ports of their own (OTLP gRPC {gateway_defaults.gateway_1_otlp_grpc} and "
        f"{gateway_defaults.gateway_2_otlp_grpc}, the others in docs/scaling.md; free ones with "
        "--free-ports). The gateways are listed statically "
        "(otel-collector/gateways-static.yaml): a stopped gateway keeps its share of the ring and its data "
        "is retried from the agent collector's queue until it is back, not moved to the other; automatic "
        "failover needs the DNS resolver (compose, Kubernetes). Combines with --scale-out (docs/scaling.md)",
    )
    up.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for readiness (default: 60)")
    up.set_defaults(handler=run_up)

    down = commands.add_parser("down", help="stop the stack (SIGTERM, then SIGKILL after --timeout)")
    _add_state_dir(down)
    down.add_argument("--timeout", type=float, default=10.0, help="seconds before SIGKILL (default: 10)")
    down.set_defaults(handler=run_down)

    status = commands.add_parser("status", help="show whether each server runs; non-zero if any does not")
    _add_state_dir(status)
    status.set_defaults(handler=run_status)

    check = commands.add_parser(
        "check",
        help="for docker compose: list the receiver files Alertmanager needs that are missing",
        description="Read the *_file settings (api_url_file, routing_key_file, url_file, ...) of each "
        "Alertmanager service's config, find them on the host through the compose file's bind mounts "
        "(secrets/ -> /etc/alertmanager/secrets/), and print one line per missing or empty file with "
        "what to put in it. Exit status 1 if any is missing, 0 otherwise.",
    )
    check.add_argument(
        "-f",
        "--compose-file",
        type=Path,
        action="append",
        dest="compose_files",
        metavar="FILE",
        help="a compose file, as for `docker compose -f` (repeat for override files; "
        "default: docker-compose.yml of the agent-telemetry checkout)",
    )
    check.set_defaults(handler=run_check)


def _add_state_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="logs, data, rendered configs and the state file (default: %(default)s)",
    )


def _ports(args: argparse.Namespace) -> Ports:
    if args.free_ports:
        return Ports.free()
    return Ports(**{field: getattr(args, field) for _, field in _PORT_OPTIONS})


def run_up(args: argparse.Namespace) -> int:
    try:
        stack = Stack.start(
            args.state_dir,
            _ports(args),
            webhook_url=args.webhook_url,
            traces_endpoint=args.traces_endpoint,
            evaluation_interval=args.evaluation_interval,
            scrape_interval=args.scrape_interval,
            ready_timeout=args.timeout,
            rules_dir=args.rules_dir,
            alert_log=True,  # used only without --webhook-url
            ha=args.ha,
            scale_out=args.scale_out,
            scale_out_ports=ScaleOutPorts.free() if args.scale_out and args.free_ports else None,
            gateways=args.gateways,
            gateway_ports=GatewayPorts.free() if args.gateways and args.free_ports else None,
        )
    except MissingBinariesError as exc:
        print(f"stack up: cannot start, binaries are missing:\n{exc}", file=sys.stderr)
        return 3
    except (StackError, ProjectRootNotFoundError, RenderError) as exc:
        print(f"stack up: {exc}", file=sys.stderr)
        return 1
    for name, url in stack.urls.items():
        print(f"{name}: {url}")
    print(f"state: {stack.state_dir} (logs there; stop with `agent-telemetry stack down --state-dir ...`)")
    return 0


def run_down(args: argparse.Namespace) -> int:
    stack = Stack.load(args.state_dir)
    if stack is None:
        print(f"stack down: no stack in {args.state_dir}")
        return 0
    killed = stack.stop(args.timeout)
    for name in killed:
        print(f"{name}: did not stop within {args.timeout:g}s, killed")
    print("stack stopped")
    return 0


def run_status(args: argparse.Namespace) -> int:
    stack = Stack.load(args.state_dir)
    if stack is None:
        print(f"no stack in {args.state_dir}")
        return 1
    status = stack.status()
    for service in stack.services:
        print(f"{service.name}: {'running' if status[service.name] else 'stopped'} (pid {service.pid})")
    for name, url in stack.urls.items():
        print(f"{name}: {url}")
    return 0 if all(status.values()) else 1


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the cwd when below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _problem(file: ReceiverFile) -> str | None:
    if file.host_path is None:
        return (
            f"not mounted: {file.container_path}: no bind mount of the compose file provides it "
            f"({file.key} in {file.where})"
        )
    origin = f"{file.key} in {file.where}, read as {file.container_path}"
    if not file.host_path.is_file():
        return f"missing: {_shown(file.host_path)}: put {file.content} in it ({origin})"
    if not file.host_path.read_text().strip():
        return f"empty: {_shown(file.host_path)}: put {file.content} in it ({origin})"
    return None


def run_check(args: argparse.Namespace) -> int:
    try:
        compose_files = args.compose_files or [find_project_root().root / "docker-compose.yml"]
        files = receiver_files(compose_files)
    except (ProjectRootNotFoundError, ComposeFileError, OSError, yaml.YAMLError) as exc:
        print(f"stack check: {exc}", file=sys.stderr)
        return 2
    problems = [p for p in map(_problem, files) if p]
    for problem in problems:
        print(problem)
    if problems:
        return 1
    names = ", ".join(_shown(f.host_path) for f in files if f.host_path) or "none"
    print(f"stack check: OK, every receiver file Alertmanager reads exists ({names})")
    return 0
