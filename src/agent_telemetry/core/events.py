"""Events: the agent lifecycle as OpenTelemetry log records (the Logs API), each with its span's ids.

A log record with an event name (``contract.Event``) is what the OpenTelemetry event conventions
call an event. The trace and span ids are those of the span the event belongs to (the run, the call,
the tool), so that a log store and Grafana link each event to its trace.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping
from typing import Any

from opentelemetry import _logs, trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.context import Context
from opentelemetry.util.types import AttributeValue

from agent_telemetry.contract import EventAttr
from agent_telemetry.version import __version__

_SCHEMA_URL = "https://opentelemetry.io/schemas/1.37.0"
INFO = SeverityNumber.INFO
WARN = SeverityNumber.WARN

# opentelemetry >= 1.35 takes the event name and the context (for the ids) on the API's LogRecord;
# before, the SDK's LogRecord takes the ids and the name travels as the event.name attribute.
_LOG_RECORD_PARAMETERS = inspect.signature(_logs.LogRecord.__init__).parameters
_MODERN_API = "context" in _LOG_RECORD_PARAMETERS and "event_name" in _LOG_RECORD_PARAMETERS


def is_noop_logger_provider(provider: object) -> bool:
    """The API's no-op provider, or its proxy before any provider is set: events would go nowhere."""
    return type(provider).__name__ in ("NoOpLoggerProvider", "ProxyLoggerProvider")


class Events:
    """Emits events into one logger; with events off (``enabled`` False) emits nothing. Never raises."""

    __slots__ = ("_logger", "enabled")

    def __init__(self, logger_provider: _logs.LoggerProvider | None, enabled: bool) -> None:
        provider = logger_provider or _logs.get_logger_provider()
        # Without a provider that exports, building records would cost every call for nothing.
        self.enabled = enabled and not is_noop_logger_provider(provider)
        self._logger = _logs.get_logger(
            "agent_telemetry", __version__, logger_provider=provider, schema_url=_SCHEMA_URL
        )

    def emit(
        self,
        name: str,
        attributes: Mapping[str, AttributeValue],
        *,
        span: trace.Span | None = None,
        context: Context | None = None,
        severity: SeverityNumber = INFO,
    ) -> None:
        """One event, with the ids of ``span`` (or of the span in ``context``, else the current one)."""
        if not self.enabled:
            return
        now = time.time_ns()
        if span is not None:
            context = trace.set_span_in_context(span)
        if _MODERN_API:
            record: Any = _logs.LogRecord(
                timestamp=now,
                observed_timestamp=now,
                context=context,
                severity_number=severity,
                severity_text=severity.name,
                body=name,
                attributes=attributes,
                event_name=name,
            )
        else:
            record = self._legacy_record(name, attributes, now, context, severity)
        self._logger.emit(record)

    def _legacy_record(
        self,
        name: str,
        attributes: Mapping[str, AttributeValue],
        now: int,
        context: Context | None,
        severity: SeverityNumber,
    ) -> Any:
        from opentelemetry.sdk._logs import LogRecord

        span_context = trace.get_current_span(context).get_span_context()
        return LogRecord(
            timestamp=now,
            observed_timestamp=now,
            trace_id=span_context.trace_id,
            span_id=span_context.span_id,
            trace_flags=span_context.trace_flags,
            severity_text=severity.name,
            severity_number=severity,
            body=name,
            resource=getattr(self._logger, "resource", None),
            attributes={**attributes, EventAttr.EVENT_NAME: name},
        )
