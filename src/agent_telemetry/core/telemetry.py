"""The instruments and the tracer an instrumentor records into, and how our own failures are handled."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import _logs, metrics, trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.context import Context
from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import TracerProvider

from agent_telemetry import contract
from agent_telemetry.config import Settings
from agent_telemetry.context import current_agent_name, current_agent_version
from agent_telemetry.contract import ResourceAttr
from agent_telemetry.core.aggregation import SeriesKeys, deferred_histogram, summed_counter
from agent_telemetry.core.call_metrics import CallMetrics
from agent_telemetry.core.events import INFO, Events
from agent_telemetry.core.labels import LabelLimits
from agent_telemetry.redaction import redact, use_patterns
from agent_telemetry.version import __version__

if TYPE_CHECKING:
    from opentelemetry.util.types import AttributeValue

    from agent_telemetry.pricing import PriceBook

logger = logging.getLogger("agent_telemetry")

_SCHEMA_URL = "https://opentelemetry.io/schemas/1.37.0"


class Telemetry:
    """Everything a wrapped call needs, created once per ``instrument()``."""

    def __init__(
        self,
        settings: Settings,
        price_book: PriceBook | None,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        logger_provider: _logs.LoggerProvider | None = None,
    ) -> None:
        self.settings = settings
        self.price_book = price_book
        # Process-wide, like set_redactor: all content is redacted alike.
        use_patterns(settings.redact_patterns)
        self.providers = (tracer_provider, meter_provider, logger_provider)
        self.tracer = trace.get_tracer(
            "agent_telemetry", __version__, tracer_provider=tracer_provider, schema_url=_SCHEMA_URL
        )
        meter = metrics.get_meter(
            "agent_telemetry", __version__, meter_provider=meter_provider, schema_url=_SCHEMA_URL
        )
        provider = meter_provider or metrics.get_meter_provider()
        # A family switched off (AGENT_TELEMETRY_METRICS) records into instruments nobody exports: the
        # code that records stays the same, and a no-op instrument costs next to nothing.
        off = metrics.NoOpMeter("agent_telemetry")
        agent_meter = meter if settings.agent_metrics else off
        made = {
            metric: _instrument(provider, agent_meter, metric)
            for metric in (*contract.CALL_METRICS, *contract.AGENT_METRICS)
        }
        made.update({metric: _instrument(provider, meter, metric) for metric in contract.SELF_METRICS})
        if settings.gen_ai_metrics:
            made.update(
                {
                    metric: _instrument(provider, meter, metric)
                    for metric in contract.GEN_AI_METRICS
                    if metric is not contract.GEN_AI_TIME_PER_OUTPUT_CHUNK or settings.gen_ai_chunk_metrics
                }
            )
        self.instruments: dict[contract.Metric, Any] = made
        self.request_errors = made[contract.REQUEST_ERRORS]
        self._label_overflow = made[contract.LABEL_OVERFLOW]
        self._internal_errors = made[contract.INTERNAL_ERRORS]
        # A call's metric attributes, hashed once per distinct set rather than once per counter per call.
        self.series_keys = SeriesKeys()
        resource = (
            Resource.create().attributes
        )  # what the SDK would give: OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
        self.default_agent_name = (
            settings.agent_name or _text(resource, ResourceAttr.SERVICE_NAME) or "unknown_service"
        )
        self.default_agent_version = (
            settings.agent_version
            or _text(resource, ResourceAttr.SERVICE_VERSION)
            or contract.UNKNOWN_VERSION
        )
        self.labels = self._label_limits(made, settings)
        # What a finished call records into (its requests, duration, tokens, cost, gen_ai.client.*).
        self.calls = CallMetrics(made, self.labels, settings.gen_ai_metrics)
        self._reported_failures: set[str] = set()
        self._lock = threading.Lock()
        self.events = Events(logger_provider, settings.events_enabled)

    def emit_event(
        self,
        name: str,
        attributes: Mapping[str, AttributeValue],
        *,
        span: trace.Span | None = None,
        context: Context | None = None,
        severity: SeverityNumber = INFO,
    ) -> None:
        """One event (contract.Event) with the ids of its span; when events are off, nothing. Never raises."""
        if not self.events.enabled:
            return
        try:
            self.events.emit(name, attributes, span=span, context=context, severity=severity)
        except Exception as exc:
            self.internal_error("events", exc)

    def agent_name(self) -> str:
        return current_agent_name() or self.default_agent_name

    def agent_version(self) -> str:
        """The version of the current run, else the process's (settings, service.version, or _unknown)."""
        return current_agent_version() or self.default_agent_version

    def internal_error(self, component: str, error: BaseException) -> None:
        """Our own failure: counted every time, logged once per component, never raised."""
        try:
            self._internal_errors.add(1, {contract.Attr.COMPONENT: component})
            with self._lock:
                first = component not in self._reported_failures
                self._reported_failures.add(component)
            if first:
                # Our own traceback only (chain=False): ours may have happened while handling the
                # provider's exception, whose message (an echoed prompt or key) must not reach the log.
                trace_text = "".join(
                    traceback.format_exception(type(error), error, error.__traceback__, chain=False)
                )
                logger.warning(
                    "agent-telemetry: internal error in %s; the application's call was not affected "
                    "(further errors here are only counted in agent_telemetry_internal_errors_total)\n%s",
                    component,
                    redact(trace_text.rstrip()),
                )
        except Exception:
            pass

    def _label_limits(self, made: dict[contract.Metric, Any], settings: Settings) -> LabelLimits:
        """The label caps of these instruments: shared by every Telemetry on the same meter, like the
        series themselves (the first one's settings apply), so a value kept once stays kept."""
        limits = next((i.limits for i in made.values() if i.limits is not None), None) or LabelLimits(
            self._label_folded,
            {contract.MODEL: settings.max_model_labels, **dict(settings.max_label_values)},
            # The process's own agent name is never folded, whatever the application names its runs.
            (*settings.agent_names_allowlist, self.default_agent_name),
            self.default_agent_version,
        )
        for instrument in made.values():
            if instrument.limits is None:  # new here (through the API's proxy meter, histograms are)
                instrument.limits = limits
        return limits

    def _label_folded(self, label: str) -> None:
        self._label_overflow.add(1, {contract.Attr.LABEL: label})


def _instrument(provider: MeterProvider, meter: metrics.Meter, metric: contract.Metric) -> Any:
    if metric.kind is contract.Kind.COUNTER:
        return summed_counter(meter, metric.otel_name, metric.unit, metric.description, provider=provider)
    return deferred_histogram(meter, metric.otel_name, metric.unit, metric.description, list(metric.buckets))


def _text(attributes: Mapping[str, object], key: str) -> str | None:
    value = attributes.get(key)
    return str(value) if value else None


# The Telemetry that agent-level helpers (runs, tools, quality) record into: the one the instrumentors
# use, or, before any instrumentor ran, one on the global providers (which forward once set).
_active: Telemetry | None = None
_active_lock = threading.Lock()


def current() -> Telemetry | None:
    return _active


def set_active(telemetry: Telemetry | None) -> None:
    global _active
    _active = telemetry


def active_telemetry() -> Telemetry:
    global _active
    telemetry = _active
    if telemetry is None:
        with _active_lock:
            if _active is None:
                _active = Telemetry(Settings.from_env(), None)
            telemetry = _active
    return telemetry
