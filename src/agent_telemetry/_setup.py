"""``init()`` and ``shutdown()``: OpenTelemetry providers and exporters, and the SDK instrumentations.

Providers the application already installed are used as they are and never replaced. Providers we
create honour the standard OTEL_* variables (service name, resource attributes, OTLP endpoint,
protocol and headers, metric export interval) through the OpenTelemetry SDK itself.
"""

from __future__ import annotations

import atexit
import functools
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, get_args

import wrapt
from opentelemetry import _logs, metrics, trace
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from agent_telemetry.config import (
    DEFAULT_SHUTDOWN_TIMEOUT_S,
    MetricsExporter,
    OtlpProtocol,
    Settings,
    env_flag,
)
from agent_telemetry.contract import Attr, Event, EventAttr, ResourceAttr
from agent_telemetry.core.events import Events, is_noop_logger_provider
from agent_telemetry.core.sdk_internals import is_proxy_meter_provider
from agent_telemetry.version import __version__

logger = logging.getLogger("agent_telemetry")

# (name, instrumentor import path) of each SDK we instrument, patched when the application imports it.
_INSTRUMENTED_SDKS: tuple[tuple[str, str], ...] = (
    ("openai", "agent_telemetry.instrumentation.openai:OpenAIInstrumentor"),
    ("anthropic", "agent_telemetry.instrumentation.anthropic:AnthropicInstrumentor"),
)
SERVICE_NAME = ResourceAttr.SERVICE_NAME
SERVICE_INSTANCE_ID = ResourceAttr.SERVICE_INSTANCE_ID


@dataclass
class _State:
    tracer_provider: TracerProvider | None = None  # only the ones we created, ours to shut down
    meter_provider: MeterProvider | None = None
    logger_provider: LoggerProvider | None = None
    prometheus_server: Any = None  # the /metrics server of the no-collector mode, ours to close
    instrumentors: list[Any] = field(default_factory=list)
    shutdown_timeout_s: float = DEFAULT_SHUTDOWN_TIMEOUT_S
    initialised: bool = False
    exit_hook: bool = False
    # Providers we made and shut down. They stay global (the API sets one only once per process),
    # so a later init() must not mistake them for the application's: it makes new ones.
    retired: list[object] = field(default_factory=list)


_state = _State()
_lock = threading.Lock()


def init(
    service_name: str | None = None,
    *,
    metrics_exporter: str | None = None,
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
    logger_provider: _logs.LoggerProvider | None = None,
    settings: Settings | None = None,
) -> None:
    """Start sending spans, ``agent.*`` metrics and events for every openai and anthropic call.

    ``service_name`` overrides OTEL_SERVICE_NAME. ``metrics_exporter`` is ``"otlp"`` (default: to a
    collector), ``"prometheus"`` (this process serves ``/metrics`` itself, on
    AGENT_TELEMETRY_PROMETHEUS_PORT), ``"console"`` or ``"none"``; OTEL_TRACES_EXPORTER chooses
    ``"otlp"``, ``"console"`` or ``"none"`` for spans, OTEL_LOGS_EXPORTER for events (log records;
    AGENT_TELEMETRY_EVENTS=off switches them off). Providers passed in, or already installed
    globally by the application, are used and not replaced. Calling ``init()`` again does nothing.
    Never raises for a setting: an unusable one logs one warning line and its default is used.
    """
    with _lock:
        if _state.initialised:
            return
        given_in_code = settings is not None
        settings = settings or Settings.from_env()
        if metrics_exporter is not None:
            settings = _with_metrics_exporter(settings, metrics_exporter)
        # OTEL_SDK_DISABLED wins, also over settings given in code (read from the environment, it is
        # in settings already).
        if settings.sdk_disabled or (given_in_code and env_flag("OTEL_SDK_DISABLED")):
            logger.info("agent-telemetry: OTEL_SDK_DISABLED is set; not instrumenting")
            _state.initialised = True
            return
        _state.shutdown_timeout_s = settings.shutdown_timeout_s
        resource = _resource(service_name)
        if service_name and settings.agent_name is None:
            settings = replace(settings, agent_name=service_name)
        tracer_provider = (
            tracer_provider or _existing_tracer_provider() or _new_tracer_provider(resource, settings)
        )
        meter_provider = (
            meter_provider or _existing_meter_provider() or _new_meter_provider(resource, settings)
        )
        logger_provider = (
            logger_provider or _existing_logger_provider() or _new_logger_provider(resource, settings)
        )
        if not settings.events_enabled:
            logger_provider = None
        if (
            _state.tracer_provider or _state.meter_provider or _state.logger_provider
        ) and not _state.exit_hook:
            # Our own bounded shutdown, not the SDK's unbounded one (shutdown_on_exit=False below).
            atexit.register(shutdown)
            _state.exit_hook = True
        for module_name, target in _INSTRUMENTED_SDKS:
            _instrument_on_import(
                module_name, target, tracer_provider, meter_provider, logger_provider, settings
            )
        if logger_provider is not None:
            _emit_session_start(logger_provider, resource, settings)
        _state.initialised = True


def shutdown(timeout: float | None = None) -> None:
    """Flush everything recorded so far and stop the providers ``init()`` created.

    Waits at most ``timeout`` seconds (default: AGENT_TELEMETRY_SHUTDOWN_TIMEOUT, 3), whatever the
    collector does: what it has not taken by then is dropped, with one warning line. Also runs at
    interpreter exit, so a script never hangs on a collector that is down or does not answer.
    """
    with _lock:
        for instrumentor in _state.instrumentors:
            if instrumentor.is_instrumented_by_opentelemetry:
                _quietly("instrumentation", instrumentor.uninstrument)
        budget_s = _budget(timeout)
        stops: list[_Stop] = []
        if _state.tracer_provider is not None:
            tracer = _state.tracer_provider
            flush = functools.partial(tracer.force_flush, int(budget_s * 1000))
            stops.append(_Stop("spans", tracer.shutdown, flush))
        if _state.meter_provider is not None:
            meter = _state.meter_provider
            stop = functools.partial(meter.shutdown, timeout_millis=budget_s * 1000)
            stops.append(_Stop("metrics", stop, stop))
        if _state.logger_provider is not None:
            logs = _state.logger_provider
            flush = functools.partial(logs.force_flush, int(budget_s * 1000))
            stops.append(_Stop("events", logs.shutdown, flush))
        made = (_state.tracer_provider, _state.meter_provider, _state.logger_provider)
        _state.retired.extend(p for p in made if p)
        late = _run_within(stops, budget_s)
        if late:
            logger.warning(
                "agent-telemetry: the last %s were not exported within %g s "
                "(AGENT_TELEMETRY_SHUTDOWN_TIMEOUT); is the collector up and answering?",
                _listed(late),
                budget_s,
            )
        _quietly("/metrics server", _close_prometheus_server)
        _state.instrumentors.clear()
        _state.tracer_provider = None
        _state.meter_provider = None
        _state.logger_provider = None
        _state.initialised = False


def _listed(names: list[str]) -> str:
    """``spans``, ``spans and metrics``, ``spans, metrics and events``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _budget(timeout: object) -> float:
    """``shutdown(timeout=)`` in seconds; anything but a number of at least 0 is one warning line and
    the configured bound (shutdown runs at exit too: it must never raise into the application)."""
    if timeout is None:
        return _state.shutdown_timeout_s
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and 0 <= timeout < math.inf:
        return float(timeout)
    logger.warning(
        "agent-telemetry: shutdown(timeout=%r) is not a number of seconds of at least 0; using %g",
        timeout,
        _state.shutdown_timeout_s,
    )
    return _state.shutdown_timeout_s


@dataclass(frozen=True)
class _Stop:
    name: str
    run: Callable[[], object]  # in its own thread: may take as long as the collector makes it
    inline: Callable[[], object]  # where no thread can start: bounded by the SDK's own timeouts


def _run_within(stops: list[_Stop], budget_s: float) -> list[str]:
    """Run ``stops`` side by side in daemon threads; the names of those not done after ``budget_s``.

    Daemon threads: one stuck on a collector that never answers cannot keep the process alive, and
    the SDK's own retries and timeouts (which differ between its versions) no longer matter.
    """
    deadline = time.monotonic() + budget_s
    threads: list[tuple[str, threading.Thread]] = []
    for stop in stops:
        thread = threading.Thread(
            target=_quietly,
            args=(f"{stop.name} exporter", stop.run),
            name=f"agent-telemetry-shutdown-{stop.name}",
            daemon=True,
        )
        try:
            thread.start()
        except RuntimeError:
            # Python 3.12.0-3.12.2 start no thread in atexit handlers: flush with the SDK's timeouts.
            _quietly(f"{stop.name} exporter", stop.inline)
            continue
        threads.append((stop.name, thread))
    for _name, thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [name for name, thread in threads if thread.is_alive()]


def _quietly(name: str, task: Callable[[], object]) -> None:
    try:
        task()
    except Exception as exc:  # a failure while stopping, at exit too, is not the application's problem
        logger.warning("agent-telemetry: stopping the %s failed: %s", name, exc)


def _instrument_on_import(
    module_name: str,
    target: str,
    tracer_provider: trace.TracerProvider | None,
    meter_provider: metrics.MeterProvider,
    logger_provider: _logs.LoggerProvider | None,
    settings: Settings,
) -> None:
    """Instrument the SDK once the application imports it (at once if it already has): no import cost."""

    def hook(_module: object) -> None:
        try:
            module_path, cls_name = target.split(":")
            cls = getattr(__import__(module_path, fromlist=[cls_name]), cls_name)
            instrumentor = cls()
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument(
                    tracer_provider=tracer_provider,
                    meter_provider=meter_provider,
                    logger_provider=logger_provider,
                    settings=settings,
                )
                _state.instrumentors.append(instrumentor)
        except Exception as exc:
            logger.warning("agent-telemetry: could not instrument %s: %r", module_name, exc)
            logger.debug("agent-telemetry: could not instrument %s", module_name, exc_info=True)

    wrapt.register_post_import_hook(hook, module_name)


def _with_metrics_exporter(settings: Settings, exporter: str) -> Settings:
    if exporter not in get_args(MetricsExporter):
        logger.warning(
            "agent-telemetry: init(metrics_exporter=%r) is not one of: %s; using %s",
            exporter,
            ", ".join(get_args(MetricsExporter)),
            settings.metrics_exporter,
        )
        return settings
    return replace(settings, metrics_exporter=exporter)


def _resource(service_name: str | None) -> Resource:
    """OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES (via the SDK), and a service.instance.id.

    Without an instance id, two processes of one service send identical series and their counters
    collide in Prometheus; SDKs before 1.4x set none. One that is configured is never replaced.
    """
    resource = Resource.create({SERVICE_NAME: service_name} if service_name else {})
    if SERVICE_INSTANCE_ID not in resource.attributes:
        resource = resource.merge(Resource({SERVICE_INSTANCE_ID: str(uuid.uuid4())}))
    return resource


def _existing_tracer_provider() -> trace.TracerProvider | None:
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider) or _is_retired(provider):
        return None
    return provider


def _existing_meter_provider() -> metrics.MeterProvider | None:
    provider = metrics.get_meter_provider()
    # Before anyone sets one, the API hands out a proxy that forwards to whatever is set later.
    if is_proxy_meter_provider(provider) or _is_retired(provider):
        return None
    return provider


def _existing_logger_provider() -> _logs.LoggerProvider | None:
    provider = _logs.get_logger_provider()
    if is_noop_logger_provider(provider) or _is_retired(provider):
        return None
    return provider


def _is_retired(provider: object) -> bool:
    return any(provider is retired for retired in _state.retired)


def _new_tracer_provider(resource: Resource, settings: Settings) -> TracerProvider | None:
    if settings.spans_exporter == "none":
        return None  # the global proxy: spans cost next to nothing, and an app's later provider is used
    exporter = _exporter("trace", settings.spans_exporter, settings.otlp_traces_protocol)
    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    if not _is_retired(trace.get_tracer_provider()):
        trace.set_tracer_provider(provider)
    _state.tracer_provider = provider
    return provider


def _new_meter_provider(resource: Resource, settings: Settings) -> MeterProvider:
    readers: list[MetricReader] = []
    if settings.metrics_exporter in ("otlp", "console"):
        exporter = _exporter("metric", settings.metrics_exporter, settings.otlp_metrics_protocol)
        readers.append(PeriodicExportingMetricReader(exporter))
    elif settings.metrics_exporter == "prometheus":
        readers.append(_prometheus_reader(settings))
    provider = MeterProvider(resource=resource, metric_readers=readers, shutdown_on_exit=False)
    if not _is_retired(metrics.get_meter_provider()):
        metrics.set_meter_provider(provider)
    _state.meter_provider = provider
    return provider


def _new_logger_provider(resource: Resource, settings: Settings) -> LoggerProvider | None:
    """Events go through a batch processor: emitting one only queues it, the export runs in a thread."""
    if settings.events_exporter == "none":
        return None
    exporter = _exporter("log", settings.events_exporter, settings.otlp_logs_protocol)
    provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    if not _is_retired(_logs.get_logger_provider()):
        _logs.set_logger_provider(provider)
    _state.logger_provider = provider
    return provider


def _emit_session_start(
    logger_provider: _logs.LoggerProvider, resource: Resource, settings: Settings
) -> None:
    """The session (this process's telemetry, from init() to exit) starts: its id is the instance id."""
    try:
        attributes = {
            EventAttr.SESSION_ID: str(resource.attributes.get(SERVICE_INSTANCE_ID, "")),
            EventAttr.LIBRARY_VERSION: __version__,
        }
        if settings.agent_name:
            attributes[Attr.AGENT_NAME] = settings.agent_name
        Events(logger_provider, enabled=True).emit(Event.SESSION_START, attributes)
    except Exception as exc:  # never the application's problem
        logger.warning("agent-telemetry: could not emit the session start event: %s", exc)


def _exporter(signal: str, choice: str, protocol: OtlpProtocol) -> Any:
    """The exporter a signal's setting names: ``console`` (stdout), else OTLP."""
    if choice == "console":
        from opentelemetry.sdk._logs.export import ConsoleLogExporter
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        console = {"trace": ConsoleSpanExporter, "log": ConsoleLogExporter, "metric": ConsoleMetricExporter}
        return console[signal]()
    return _otlp_exporter(signal, protocol)


def _otlp_exporter(signal: str, protocol: OtlpProtocol) -> Any:
    """The OTLP exporter for the protocol (http/protobuf by default, or grpc)."""
    if protocol == "grpc":
        try:
            if signal == "trace":
                from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

                return OTLPSpanExporter()
            if signal == "log":
                from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter

                return OTLPLogExporter()
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

            return OTLPMetricExporter()
        except ImportError:
            logger.warning(
                "agent-telemetry: OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs the gRPC exporter "
                "(pip install 'agent-telemetry[grpc]'); using http/protobuf"
            )
    if signal == "trace":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if signal == "log":
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

        return OTLPLogExporter()
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter()


def _prometheus_reader(settings: Settings) -> MetricReader:
    """No-collector mode: this process serves /metrics, with the names the collector would give."""
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import start_http_server

    reader = PrometheusMetricReader()
    # prometheus-client >= 0.20 returns (server, thread): kept so that shutdown() frees the port.
    _state.prometheus_server = start_http_server(settings.prometheus_port, addr=settings.prometheus_host)
    return reader


def _close_prometheus_server() -> None:
    started = _state.prometheus_server
    _state.prometheus_server = None
    if not started:
        return
    server, thread = started
    server.shutdown()
    server.server_close()
    thread.join(timeout=_state.shutdown_timeout_s)
