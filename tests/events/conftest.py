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
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agent_telemetry import AnthropicInstrumentor, OpenAIInstrumentor, Settings
from agent_telemetry.core.telemetry import set_active
from agent_telemetry.pricing import load_price_book
from tests.conftest import AGENT

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
    logs: Any
    spans: InMemorySpanExporter
    reader: InMemoryMetricReader

    def events(self) -> list[Emitted]:
        emitted = []
        for data in self.logs.get_finished_logs():
            record = data.log_record
            attributes = dict(record.attributes or {})
            # Before opentelemetry 1.35 the name travels as the event.name attribute.
            name = getattr(record, "event_name", None) or attributes.pop("event.name", "")
            emitted.append(
                Emitted(
                    name,
                    attributes,
                    record.trace_id,
                    record.span_id,
                    record.severity_text,
                )
            )
        return emitted

    def names(self) -> list[str]:
        return [event.name for event in self.events()]

    def event(self, name: str) -> Emitted:
        (event,) = [event for event in self.events() if event.name == name]
        return event

    def span(self, name: str) -> ReadableSpan:
        (span,) = [span for span in self.spans.get_finished_spans() if span.name == name]
        return span


@pytest.fixture
def events_with(prices_file: str) -> Iterator[Callable[..., RecordedEvents]]:
    """``events_with(capture_content=True)``: instrument with settings other than the defaults."""
    with contextlib.ExitStack() as stack:

        def instrument(processor: Any = None, **changes: Any) -> RecordedEvents:
            settings = dataclasses.replace(Settings(agent_name=AGENT), **changes)
            return stack.enter_context(_instrumented(prices_file, settings, processor))

        yield instrument


@pytest.fixture
def recorded_events(events_with: Callable[..., RecordedEvents]) -> RecordedEvents:
    return events_with()


@contextlib.contextmanager
def _instrumented(prices_file: str, settings: Settings, processor: Any = None) -> Iterator[RecordedEvents]:
    logs = InMemoryLogExporter()
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(processor or logs_export.SimpleLogRecordProcessor(logs))
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    price_book = load_price_book(prices_file)
    instrumentors = (OpenAIInstrumentor(), AnthropicInstrumentor())
    for instrumentor in instrumentors:
        instrumentor.instrument(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            logger_provider=logger_provider,
            settings=settings,
            price_book=price_book,
        )
    try:
        yield RecordedEvents(logs, spans, reader)
    finally:
        for instrumentor in instrumentors:
            instrumentor.uninstrument()
        set_active(None)
        logger_provider.shutdown()
        meter_provider.shutdown()
        tracer_provider.shutdown()
