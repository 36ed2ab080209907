"""Events recorded into memory: both SDKs instrumented with a logger provider beside the usual ones."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs import export as logs_export
from opentelemetry.sdk.trace import ReadableSpan

from agent_telemetry import Settings
from tests.conftest import AGENT, Recorded, instrumented

# Renamed in opentelemetry-sdk 1.3x (the old name warns); the oldest SDK we allow has only the old one.
InMemoryLogExporter = (
    getattr(logs_export, "InMemoryLogRecordExporter", None) or logs_export.InMemoryLogExporter
)


@dataclass(frozen=True)
class Emitted:
    """One event as the exporter got it."""

    name: str
    attributes: dict[str, Any]
    trace_id: int
    span_id: int
    severity: str


@dataclass
class RecordedEvents:
    logs: Any  # the in-memory log exporter
    recorded: Recorded  # spans and metrics

    @property
    def reader(self) -> Any:
        return self.recorded.reader

    def events(self) -> list[Emitted]:
        emitted = []
        for data in self.logs.get_finished_logs():
            record = data.log_record
            attributes = dict(record.attributes or {})
            # Before opentelemetry 1.35 the name travels as the event.name attribute.
            name = getattr(record, "event_name", None) or attributes.pop("event.name", "")
            emitted.append(Emitted(name, attributes, record.trace_id, record.span_id, record.severity_text))
        return emitted

    def names(self) -> list[str]:
        return [event.name for event in self.events()]

    def event(self, name: str) -> Emitted:
        (event,) = [event for event in self.events() if event.name == name]
        return event

    def span(self, name: str) -> ReadableSpan:
        (span,) = [span for span in self.recorded.spans() if span.name == name]
        return span


@pytest.fixture
def events_with(prices_file: str) -> Iterator[Callable[..., RecordedEvents]]:
    """``events_with(capture_content=True)``: instrument with settings other than the defaults;
    ``processor=`` replaces the in-memory one."""
    with contextlib.ExitStack() as stack:

        def instrument(processor: Any = None, **changes: Any) -> RecordedEvents:
            settings = dataclasses.replace(Settings(agent_name=AGENT), **changes)
            logs = InMemoryLogExporter()
            logger_provider = LoggerProvider()
            logger_provider.add_log_record_processor(processor or logs_export.SimpleLogRecordProcessor(logs))
            stack.callback(logger_provider.shutdown)
            recorded = stack.enter_context(instrumented(prices_file, settings, logger_provider))
            return RecordedEvents(logs, recorded)

        yield instrument


@pytest.fixture
def recorded_events(events_with: Callable[..., RecordedEvents]) -> RecordedEvents:
    return events_with()
