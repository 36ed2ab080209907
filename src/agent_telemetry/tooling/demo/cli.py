"""``agent-telemetry demo``: the fake provider and a fleet of agents, with live progress.

Also runnable as ``python -m agent_telemetry.tooling.demo``
(or ``python -m agent_telemetry.tooling.demo.cli``).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import urlsplit

from agent_telemetry.tooling.demo.fleet import DEFAULT_RATE, Fleet, FleetConfig, drive
from agent_telemetry.tooling.demo.progress import Progress
from agent_telemetry.tooling.demo.scenarios import (
    Scenario,
    Schedule,
    format_duration,
    parse_duration,
    parse_schedule,
)
from agent_telemetry.tooling.extras import missing_extra
from agent_telemetry.tooling.signals import SignalStop

SERVICE_NAME = "agent-telemetry-demo"
DEFAULT_EXPORT_INTERVAL_MS = "5000"  # the SDK's default is 60 s: far too slow to watch a demo
DEFAULT_OTLP_ENDPOINT = "http://127.0.0.1:4318"
DEFAULT_EXPORT_TIMEOUT_S = "3"


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _schedule(text: str) -> Schedule:
    try:
        return Schedule(parse_schedule(text))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    scenarios = ", ".join(s.value for s in Scenario)
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--scenario",
        type=Scenario,
        choices=list(Scenario),
        metavar="NAME",
        help=f"run one scenario the whole time: {scenarios} (default: normal)",
    )
    which.add_argument(
        "--schedule",
        type=_schedule,
        metavar="SCENARIO:DURATION,...",
        help="scenarios in turn, e.g. normal:5m,rate-limit-storm:8m; the schedule repeats until --duration "
        "or Ctrl-C",
    )
    parser.add_argument(
        "--duration",
        type=_duration,
        metavar="DURATION",
        help="stop after this long, e.g. 30s, 10m, 1h (default: run until Ctrl-C)",
    )
    parser.add_argument(
        "--rate",
        type=_positive,
        default=DEFAULT_RATE,
        help="LLM calls per second, whole fleet (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of every random choice (default: %(default)s)"
    )
    parser.add_argument(
        "--time-scale",
        type=_positive,
        default=1.0,
        help="multiply deliberate waits (the latency spike's 11 s calls, backoff, tool time) by this; below "
        "0.91 the latency spike no longer crosses the 10 s alert threshold (default: %(default)s)",
    )
    parser.add_argument(
        "--provider-url",
        metavar="URL",
        help="use an external `agent-telemetry fake-provider` (e.g. http://127.0.0.1:8080) instead of "
        "in-process ones; replies are then unscripted and faults server-wide",
    )
    parser.add_argument(
        "--metrics-exporter",
        choices=("otlp", "prometheus", "none"),
        help="otlp: to the collector at OTEL_EXPORTER_OTLP_ENDPOINT (default http://127.0.0.1:4318); "
        "prometheus: serve /metrics here, no collector needed; none: export nothing "
        "(default: $AGENT_TELEMETRY_METRICS_EXPORTER or otlp)",
    )
    parser.add_argument(
        "--progress-interval",
        type=_positive,
        default=5.0,
        metavar="SECONDS",
        help="how often to show progress (default: %(default)s)",
    )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run a fleet of demo agents against a fake provider (no API key needed)",
        description="Run the fake OpenAI/Anthropic provider and three instrumented agents (support, "
        "research, computer use) through scenarios that trip the alerts: normal, rate-limit-storm, "
        "retry-storm, latency-spike, cost-spike, tool-failures, quality-drop, bad-deploy, run-failures, "
        "slow-runs, expensive-runs. `pydoc agent_telemetry.tooling.demo` tells which "
        "alert each scenario trips, and when.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agent-telemetry demo", description=__doc__)
    add_arguments(parser)
    return parser


def config_from(args: argparse.Namespace) -> FleetConfig:
    schedule = args.schedule or Schedule.constant(args.scenario or Scenario.NORMAL)
    return FleetConfig(
        schedule=schedule,
        rate=args.rate,
        seed=args.seed,
        time_scale=args.time_scale,
        provider_url=args.provider_url,
    )


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if problem := missing_extra("demo", "demo"):  # the agents use the real SDK clients
        print(problem, file=sys.stderr)
        return 2
    config = config_from(args)
    exporter = _start_telemetry(args.metrics_exporter)
    _banner(out, config, args.duration, exporter)

    stop = SignalStop()
    previous_term = signal.signal(signal.SIGTERM, stop.request)  # docker stop, CI teardown
    status = 0
    try:
        drive(
            Fleet(config),
            duration_s=args.duration,
            interval_s=args.progress_interval,
            stop=stop,
            progress=Progress(out),
        )
    except OSError as error:  # --provider-url that does not answer, a port in use
        print(f"demo: {error}", file=sys.stderr)
        status = 2
    finally:
        signal.signal(signal.SIGTERM, previous_term)
    # A second Ctrl-C while we flush means "now": leave without the final export.
    previous_int = signal.signal(signal.SIGINT, lambda *_: os._exit(130))
    try:
        import agent_telemetry

        agent_telemetry.shutdown()  # flushes the last metrics and spans
    finally:
        signal.signal(signal.SIGINT, previous_int)
    return status


def _start_telemetry(metrics_exporter: str | None) -> str:
    """``agent_telemetry.init`` with demo-friendly defaults; returns the metrics exporter in use."""
    import agent_telemetry
    from agent_telemetry.config import Settings

    exporter = metrics_exporter or Settings.from_env().metrics_exporter
    os.environ.setdefault("OTEL_METRIC_EXPORT_INTERVAL", DEFAULT_EXPORT_INTERVAL_MS)
    # Without a collector each export retries for this long, and stopping waits for it twice
    # (spans and metrics): the SDK's 10 s default makes Ctrl-C feel stuck.
    os.environ.setdefault("OTEL_EXPORTER_OTLP_TIMEOUT", DEFAULT_EXPORT_TIMEOUT_S)
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    if protocol.startswith("http") and not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        # 127.0.0.1 rather than the SDK's "localhost", which may resolve to ::1 where nothing listens.
        os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = DEFAULT_OTLP_ENDPOINT
    tracer_provider = None
    if exporter != "otlp":
        # Without a collector, spans have nowhere to go: keep them in process instead of failing exports.
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider

        tracer_provider = TracerProvider(resource=Resource.create({"service.name": _service_name()}))
    agent_telemetry.init(_service_name(), metrics_exporter=exporter, tracer_provider=tracer_provider)
    return exporter


def _service_name() -> str:
    return os.environ.get("OTEL_SERVICE_NAME") or SERVICE_NAME


def _banner(out: TextIO, config: FleetConfig, duration_s: float | None, exporter: str) -> None:
    from agent_telemetry.config import Settings

    if exporter == "otlp":
        endpoint = os.environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") or os.environ.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT", DEFAULT_OTLP_ENDPOINT
        )
        where = f"OTLP to {endpoint} every {int(os.environ['OTEL_METRIC_EXPORT_INTERVAL']) / 1000:g} s"
        if not _reachable(endpoint):
            where += " (nothing listens there: start the stack, or use --metrics-exporter prometheus)"
    elif exporter == "prometheus":
        settings = Settings.from_env()
        where = f"Prometheus /metrics at http://{settings.prometheus_host}:{settings.prometheus_port}/metrics"
    else:
        where = "nowhere (--metrics-exporter none)"
    provider = config.provider_url or "in-process fake provider, one per agent"
    until = f"for {format_duration(duration_s)}" if duration_s else "until Ctrl-C"
    print(
        f"agent-telemetry demo: scenario {config.schedule.describe()}, {config.rate:g} calls/s, {until}\n"
        f"  provider: {provider}\n  telemetry: {where}",
        file=out,
        flush=True,
    )


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 4318), timeout=0.5):
            return True
    except OSError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
