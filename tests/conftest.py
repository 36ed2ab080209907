"""Shared fixtures: real SDK clients against the fake provider, recording into in-memory OpenTelemetry."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agent_telemetry import AnthropicInstrumentor, OpenAIInstrumentor, Settings
from agent_telemetry.core.telemetry import set_active
from agent_telemetry.pricing import load_price_book
from agent_telemetry.tooling.fake_provider import FakeProviderServer
from tests.support.processes import MY_AGENT
from tests.support.sinks import OtlpSink

AGENT = "test-agent"

# Round prices (USD per million tokens) so that every expected cost is exact arithmetic in a test.
PRICES_YAML = """\
models:
  - model: gpt-4o-mini
    provider: openai
    input: 1.0
    output: 4.0
    cache_read: 0.5
  - model: text-embedding-3-small
    provider: openai
    input: 0.02
    output: 0
  - model: claude-haiku-4-5
    provider: anthropic
    input: 3.0
    output: 15.0
    cache_read: 0.3
    cache_write: 3.75
"""


def metric_points(reader: InMemoryMetricReader, name: str) -> list[tuple[dict[str, Any], Any]]:
    """(attributes, point) of every data point of the metric ``name``, collected now."""
    data = reader.get_metrics_data()
    points: list[tuple[dict[str, Any], Any]] = []
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                if metric.name == name:
                    points.extend((dict(p.attributes), p) for p in metric.data.data_points)
    return points


@dataclass
class Recorded:
    """What the instrumentation recorded, with lookups that read like the assertions they serve."""

    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def span(self) -> ReadableSpan:
        (span,) = self.spans()
        return span

    def points(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        return metric_points(self.reader, name)

    def value(self, name: str, **attributes: str) -> float:
        """The sum of a counter's points whose attributes include ``attributes`` (dots as underscores)."""
        wanted = {key.replace("__", "."): value for key, value in attributes.items()}
        return sum(p.value for attrs, p in self.points(name) if wanted.items() <= attrs.items())

    def count(self, name: str) -> int:
        """The number of observations in a histogram, over all its points."""
        return sum(p.count for _, p in self.points(name))

    def attributes(self, name: str) -> list[dict[str, Any]]:
        return [attrs for attrs, _ in self.points(name)]


def call_labels(provider: str, model: str, operation: str = "chat") -> dict[str, str]:
    return {
        "gen_ai.agent.name": AGENT,
        "gen_ai.provider.name": provider,
        "gen_ai.operation.name": operation,
        "gen_ai.request.model": model,
    }


@contextlib.contextmanager
def instrumented(prices_file: str, settings: Settings, logger_provider: Any = None) -> Iterator[Recorded]:
    """Both SDKs instrumented into in-memory exporters, uninstrumented again afterwards (events into
    ``logger_provider``, when given: see tests/events/)."""
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
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
        yield Recorded(exporter, reader)
    finally:
        for instrumentor in instrumentors:
            instrumentor.uninstrument()
        set_active(None)
        meter_provider.shutdown()
        tracer_provider.shutdown()


@pytest.fixture
def prices_file(tmp_path) -> str:
    prices = tmp_path / "prices.yaml"
    prices.write_text(PRICES_YAML)
    return str(prices)


@pytest.fixture
def recorded_with(prices_file: str) -> Iterator[Callable[..., Recorded]]:
    """``recorded_with(capture_content=True)``: instrument with settings other than the defaults."""
    with contextlib.ExitStack() as stack:

        def instrument(**changes: Any) -> Recorded:
            return stack.enter_context(
                instrumented(prices_file, dataclasses.replace(Settings(agent_name=AGENT), **changes))
            )

        yield instrument


@pytest.fixture
def recorded(recorded_with: Callable[..., Recorded]) -> Recorded:
    return recorded_with()


@pytest.fixture
def fake() -> Iterator[FakeProviderServer]:
    with FakeProviderServer() as server:
        yield server


@pytest.fixture
def openai_client(fake: FakeProviderServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-test-secret", max_retries=0) as client:
        yield client


@pytest.fixture
async def async_openai_client(fake: FakeProviderServer) -> AsyncIterator[openai.AsyncOpenAI]:
    # Closed inside the test's event loop: its connections belong to that loop.
    async with openai.AsyncOpenAI(
        base_url=fake.openai_base_url, api_key="sk-test-secret", max_retries=0
    ) as client:
        yield client


@pytest.fixture
def anthropic_client(fake: FakeProviderServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        base_url=fake.anthropic_base_url, api_key="sk-ant-test", max_retries=0
    ) as client:
        yield client


@pytest.fixture
async def async_anthropic_client(fake: FakeProviderServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(
        base_url=fake.anthropic_base_url, api_key="sk-ant-test", max_retries=0
    ) as client:
        yield client


@pytest.fixture
def unused_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    """An OTLP/HTTP receiver standing in for the collector, for tests that run a script in a subprocess."""
    with OtlpSink() as receiver:
        yield receiver


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A user's agent script (``MY_AGENT``: one chat call to the fake provider), as a file."""
    path = tmp_path / "my_agent.py"
    path.write_text(MY_AGENT)
    return path
