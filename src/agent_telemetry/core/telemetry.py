"""The instruments and the tracer an instrumentor records into, and how our own failures are handled."""

from __future__ import annotations

import logging
import threading
import traceback
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics, trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import TracerProvider

from agent_telemetry import contract
from agent_telemetry.config import Settings
from agent_telemetry.context import current_agent_name
from agent_telemetry.core.aggregation import deferred_histogram, summed_counter
from agent_telemetry.core.labels import BoundedLabel
from agent_telemetry.redaction import redact
from agent_telemetry.version import __version__

if TYPE_CHECKING:
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
    ) -> None:
        self.settings = settings
        self.price_book = price_book
        self.providers = (tracer_provider, meter_provider)
        self.tracer = trace.get_tracer(
            "agent_telemetry", __version__, tracer_provider=tracer_provider, schema_url=_SCHEMA_URL
        )
        meter = metrics.get_meter(
            "agent_telemetry", __version__, meter_provider=meter_provider, schema_url=_SCHEMA_URL
        )
        provider = meter_provider or metrics.get_meter_provider()
        made = {metric: _instrument(provider, meter, metric) for metric in contract.ALL_METRICS}
        self.instruments: dict[contract.Metric, Any] = made
        # The instruments of the hot path, as attributes: one lookup less per call.
        self.requests = made[contract.REQUESTS]
        self.request_errors = made[contract.REQUEST_ERRORS]
        self.duration = made[contract.REQUEST_DURATION]
        self.time_to_first_token = made[contract.TIME_TO_FIRST_TOKEN]
        self.tokens = made[contract.TOKENS]
        self.cost = made[contract.COST]
        self.unpriced_requests = made[contract.UNPRICED_REQUESTS]
        self.unreported_usage_requests = made[contract.UNREPORTED_USAGE_REQUESTS]
        self._label_overflow = made[contract.LABEL_OVERFLOW]
        self._internal_errors = made[contract.INTERNAL_ERRORS]
        self.model_label = BoundedLabel(settings.max_model_labels, self._model_label_overflowed)
        self.default_agent_name = settings.agent_name or _service_name()
        self._reported_failures: set[str] = set()
        self._lock = threading.Lock()

    def agent_name(self) -> str:
        return current_agent_name() or self.default_agent_name

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

    def _model_label_overflowed(self) -> None:
        self._label_overflow.add(1, {contract.Attr.LABEL: contract.MODEL})


def _instrument(provider: MeterProvider, meter: metrics.Meter, metric: contract.Metric) -> Any:
    if metric.kind is contract.Kind.COUNTER:
        return summed_counter(meter, metric.otel_name, metric.unit, metric.description, provider=provider)
    return deferred_histogram(meter, metric.otel_name, metric.unit, metric.description, list(metric.buckets))


def _service_name() -> str:
    """The service name the OpenTelemetry SDK would give (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES)."""
    name = Resource.create().attributes.get("service.name")
    return str(name) if name else "unknown_service"


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
