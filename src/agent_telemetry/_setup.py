"""``init()`` and ``shutdown()``: OpenTelemetry providers and exporters, and the SDK instrumentations.

Providers the application already installed are used as they are and never replaced. Providers we
create honour the standard OTEL_* variables (service name, resource attributes, OTLP endpoint,
protocol and headers, metric export interval) through the OpenTelemetry SDK itself.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import wrapt
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from agent_telemetry.config import ConfigError, Settings

logger = logging.getLogger("agent_telemetry")

# (name, instrumentor import path) of each SDK we instrument, patched when the application imports it.
_INSTRUMENTED_SDKS: tuple[tuple[str, str], ...] = (
    ("openai", "agent_telemetry.instrumentation.openai:OpenAIInstrumentor"),
    ("anthropic", "agent_telemetry.instrumentation.anthropic:AnthropicInstrumentor"),
)


@dataclass
class _State:
    tracer_provider: TracerProvider | None = None  # only the ones we created, ours to shut down
    meter_provider: MeterProvider | None = None
    instrumentors: list[Any] = field(default_factory=list)
    initialised: bool = False


_state = _State()
_lock = threading.Lock()


def init(
    service_name: str | None = None,
    *,
    metrics_exporter: str | None = None,
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
    settings: Settings | None = None,
) -> None:
    """Start sending spans and ``agent.*`` metrics for every openai and anthropic call.

    ``service_name`` overrides OTEL_SERVICE_NAME. ``metrics_exporter`` is ``"otlp"`` (default: to a
    collector), ``"prometheus"`` (this process serves ``/metrics`` itself, on
    AGENT_TELEMETRY_PROMETHEUS_PORT) or ``"none"``. Providers passed in, or already installed
    globally by the application, are used and not replaced. Calling ``init()`` again does nothing.
    """
    with _lock:
        if _state.initialised:
            return
        settings = settings or Settings.from_env()
        if metrics_exporter is not None:
            if metrics_exporter not in ("otlp", "prometheus", "none"):
                raise ConfigError(
                    f"metrics_exporter={metrics_exporter!r}: use 'otlp', 'prometheus' or 'none'"
                )
            settings = _replace(settings, metrics_exporter=metrics_exporter)
        if _env_true("OTEL_SDK_DISABLED"):
            logger.info("agent-telemetry: OTEL_SDK_DISABLED is set; not instrumenting")
            _state.initialised = True
            return
        resource = _resource(service_name)
        if service_name and settings.agent_name is None:
            settings = _replace(settings, agent_name=service_name)
        tracer_provider = tracer_provider or _existing_tracer_provider() or _new_tracer_provider(resource)
        meter_provider = (
            meter_provider or _existing_meter_provider() or _new_meter_provider(resource, settings)
        )
        for module_name, target in _INSTRUMENTED_SDKS:
            _instrument_on_import(module_name, target, tracer_provider, meter_provider, settings)
        _state.initialised = True


def shutdown() -> None:
    """Flush everything recorded so far and stop the providers ``init()`` created."""
    with _lock:
        for instrumentor in _state.instrumentors:
            if instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.uninstrument()
        if _state.tracer_provider is not None:
            _state.tracer_provider.shutdown()
        if _state.meter_provider is not None:
            _state.meter_provider.shutdown()
        _state.instrumentors.clear()
        _state.tracer_provider = None
        _state.meter_provider = None
        _state.initialised = False


def _instrument_on_import(
    module_name: str,
    target: str,
    tracer_provider: trace.TracerProvider,
    meter_provider: metrics.MeterProvider,
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
                    tracer_provider=tracer_provider, meter_provider=meter_provider, settings=settings
                )
                _state.instrumentors.append(instrumentor)
        except Exception:
            logger.warning("agent-telemetry: could not instrument %s", module_name, exc_info=True)

    wrapt.register_post_import_hook(hook, module_name)


def _resource(service_name: str | None) -> Resource:
    attributes = {"service.name": service_name} if service_name else {}
    return Resource.create(attributes)


def _existing_tracer_provider() -> trace.TracerProvider | None:
    provider = trace.get_tracer_provider()
    return None if isinstance(provider, trace.ProxyTracerProvider) else provider


def _existing_meter_provider() -> metrics.MeterProvider | None:
    provider = metrics.get_meter_provider()
    # Before anyone sets one, the API hands out a proxy that forwards to whatever is set later.
    return None if type(provider).__name__ == "_ProxyMeterProvider" else provider


def _new_tracer_provider(resource: Resource) -> TracerProvider:
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(_otlp_exporter("trace")))
    trace.set_tracer_provider(provider)
    _state.tracer_provider = provider
    return provider


def _new_meter_provider(resource: Resource, settings: Settings) -> MeterProvider:
    readers: list[MetricReader] = []
    if settings.metrics_exporter == "otlp":
        readers.append(PeriodicExportingMetricReader(_otlp_exporter("metric")))
    elif settings.metrics_exporter == "prometheus":
        readers.append(_prometheus_reader(settings))
    provider = MeterProvider(resource=resource, metric_readers=readers)
    metrics.set_meter_provider(provider)
    _state.meter_provider = provider
    return provider


def _otlp_exporter(signal: str) -> Any:
    """The OTLP exporter for OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf by default, or grpc)."""
    protocol = (
        os.environ.get(f"OTEL_EXPORTER_OTLP_{'TRACES' if signal == 'trace' else 'METRICS'}_PROTOCOL")
        or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    ).strip()
    if protocol == "grpc":
        try:
            if signal == "trace":
                from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

                return OTLPSpanExporter()
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

            return OTLPMetricExporter()
        except ImportError:
            raise ConfigError(
                "OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs the gRPC exporter: "
                "pip install 'agent-telemetry[grpc]'"
            ) from None
    if protocol not in ("http/protobuf", "http"):
        raise ConfigError(f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r}: use 'http/protobuf' or 'grpc'")
    if signal == "trace":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter()


def _prometheus_reader(settings: Settings) -> MetricReader:
    """No-collector mode: this process serves /metrics, with the names the collector would give."""
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import start_http_server

    reader = PrometheusMetricReader()
    start_http_server(settings.prometheus_port, addr=settings.prometheus_host)
    return reader


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _replace(settings: Settings, **changes: Any) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)
