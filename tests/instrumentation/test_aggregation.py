"""Counters summed in-process and histograms replayed at collection: what a reader sees is exact."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import openai
import pytest
from opentelemetry import trace
from opentelemetry.metrics._internal import _ProxyMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

from agent_telemetry import OpenAIInstrumentor, Settings
from agent_telemetry.core import aggregation as _aggregation
from agent_telemetry.core.aggregation import SeriesKey, backlog, deferred_histogram, summed_counter
from agent_telemetry.core.telemetry import set_active
from tests.conftest import metric_points

LABELS = {"gen_ai.agent.name": "a", "gen_ai.provider.name": "openai"}


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def meter(reader: InMemoryMetricReader) -> Any:
    provider = MeterProvider(metric_readers=[reader])
    yield provider.get_meter("test")
    provider.shutdown()


def test_a_counter_reports_the_running_sum_per_attribute_set(
    meter: Any, reader: InMemoryMetricReader
) -> None:
    counter = summed_counter(meter, "c", "1", "")
    counter.add(2, LABELS)
    counter.add(3, LABELS)
    counter.add(7, {**LABELS, "gen_ai.provider.name": "anthropic"})

    assert sorted((attrs["gen_ai.provider.name"], p.value) for attrs, p in metric_points(reader, "c")) == [
        ("anthropic", 7),
        ("openai", 5),
    ]


def test_a_counter_is_monotonic_and_cumulative(meter: Any, reader: InMemoryMetricReader) -> None:
    counter = summed_counter(meter, "c", "1", "")
    counter.add(1, LABELS)
    metric_points(reader, "c")
    counter.add(1, LABELS)

    ((_, point),) = metric_points(reader, "c")
    metric = reader.get_metrics_data().resource_metrics[0].scope_metrics[0].metrics[0]
    assert (point.value, metric.data.is_monotonic) == (2, True)


def test_the_same_labels_in_another_order_are_one_series(meter: Any, reader: InMemoryMetricReader) -> None:
    counter = summed_counter(meter, "c", "1", "")
    counter.add(1, {"x": "1", "y": "2"})
    counter.add(1, {"y": "2", "x": "1"})

    assert [(attrs, p.value) for attrs, p in metric_points(reader, "c")] == [({"x": "1", "y": "2"}, 2)]


def test_registering_a_counter_again_on_the_same_meter_shares_its_sums(
    meter: Any, reader: InMemoryMetricReader
) -> None:
    first = summed_counter(meter, "c", "1", "")
    first.add(1, LABELS)
    second = summed_counter(meter, "c", "1", "")
    second.add(1, LABELS)

    assert (second is first, [p.value for _, p in metric_points(reader, "c")]) == (True, [2])


def test_histogram_values_reach_the_reader_at_collection(meter: Any, reader: InMemoryMetricReader) -> None:
    summed_counter(meter, "c", "1", "")  # its callback replays the histograms
    histogram = deferred_histogram(meter, "h", "s", "", [1.0, 10.0])
    for value in (0.5, 5.0, 50.0):
        histogram.record(value, LABELS)

    ((_, point),) = metric_points(reader, "h")
    assert (point.count, point.sum, list(point.bucket_counts)) == (3, 55.5, [1, 1, 1])


def test_a_full_queue_is_replayed_into_the_sdk_by_the_thread_that_fills_it(
    meter: Any, reader: InMemoryMetricReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_aggregation, "MAX_PENDING", 3)
    histogram = deferred_histogram(meter, "h", "s", "", [1.0])
    for value in (1, 2, 3, 4):
        histogram.record(value, LABELS)

    # No counter on this meter, so no collection replays the queue: the reader sees the three values
    # replayed when the queue filled, and the fourth still waits.
    ((_, point),) = metric_points(reader, "h")
    assert (len(histogram._pending), point.count, point.sum, list(point.bucket_counts)) == (1, 3, 6, [1, 2])


def test_a_batch_that_fills_the_queue_is_replayed_whole(
    meter: Any, reader: InMemoryMetricReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_aggregation, "MAX_PENDING", 3)
    histogram = deferred_histogram(meter, "h", "s", "", [1.0])
    histogram.extend([(0.5, LABELS, None), (2.0, LABELS, None), (3.0, LABELS, None), (4.0, LABELS, None)])

    ((_, point),) = metric_points(reader, "h")
    assert (len(histogram._pending), point.count, point.sum) == (0, 4, 9.5)


def test_a_histogram_value_keeps_the_trace_of_the_context_it_was_recorded_in(
    meter: Any, reader: InMemoryMetricReader
) -> None:
    summed_counter(meter, "c", "1", "")
    histogram = deferred_histogram(meter, "h", "s", "", [1.0])
    span_context = trace.SpanContext(0x1234, 0x5678, is_remote=False, trace_flags=trace.TraceFlags(1))
    histogram.record(0.5, LABELS, context=trace.set_span_in_context(trace.NonRecordingSpan(span_context)))

    ((_, point),) = metric_points(reader, "h")
    assert [(e.trace_id, e.span_id) for e in point.exemplars] == [(0x1234, 0x5678)]


def test_a_histogram_does_not_keep_its_meter_provider_alive() -> None:
    provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    histogram = deferred_histogram(provider.get_meter("test"), "h", "s", "", [1.0])
    provider.shutdown()
    del provider
    gc.collect()

    histogram.record(1.0, LABELS)
    histogram.flush()  # a value for a provider that is gone is dropped, without an error
    assert histogram._histogram() is None


def test_counts_made_before_a_meter_provider_is_set_continue_after_it_is(
    reader: InMemoryMetricReader,
) -> None:
    proxy_provider = _ProxyMeterProvider()
    early = summed_counter(proxy_provider.get_meter("test"), "c", "1", "", provider=proxy_provider)
    real_provider = MeterProvider(metric_readers=[reader])
    proxy_provider.on_set_meter_provider(real_provider)
    early.add(1, LABELS)
    late = summed_counter(real_provider.get_meter("test"), "c", "1", "", provider=real_provider)
    late.add(1, LABELS)

    assert (late is early, [p.value for _, p in metric_points(reader, "c")]) == (True, [2])
    real_provider.shutdown()


def test_counts_made_through_the_proxy_meter_by_two_instrumentations_both_arrive(
    reader: InMemoryMetricReader,
) -> None:
    """instrument(), uninstrument(), instrument() again, all before the application sets a provider."""
    proxy_provider = _ProxyMeterProvider()
    first = summed_counter(proxy_provider.get_meter("test"), "c", "1", "", provider=proxy_provider)
    second = summed_counter(proxy_provider.get_meter("test"), "c", "1", "", provider=proxy_provider)
    real_provider = MeterProvider(metric_readers=[reader])
    proxy_provider.on_set_meter_provider(real_provider)
    first.add(1, LABELS)
    second.add(5, LABELS)

    assert [p.value for _, p in metric_points(reader, "c")] == [6]
    real_provider.shutdown()


def test_a_held_value_keeps_only_the_ids_of_its_span(meter: Any, reader: InMemoryMetricReader) -> None:
    summed_counter(meter, "c", "1", "")
    histogram = deferred_histogram(meter, "h", "s", "", [1.0])
    span = TracerProvider().get_tracer("test").start_span("call")
    ids = (span.get_span_context().trace_id, span.get_span_context().span_id)
    histogram.record(0.5, LABELS, span_context=span.get_span_context())
    span.end()
    finished = weakref.ref(span)
    del span
    gc.collect()

    assert finished() is None  # nothing held back between collections keeps the span alive
    ((_, point),) = metric_points(reader, "h")
    assert [(e.trace_id, e.span_id) for e in point.exemplars] == [ids]


def test_a_real_call_leaves_no_span_behind_and_its_latency_links_to_its_trace(fake: Any) -> None:
    spans: list[tuple[weakref.ref[Any], int, int]] = []

    class Watch(SpanProcessor):
        def on_start(self, span: Any, parent_context: Any = None) -> None:  # the span itself, not a copy
            spans.append((weakref.ref(span), span.context.trace_id, span.context.span_id))

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(Watch())
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, settings=Settings(agent_name="a")
    )
    try:
        with openai.OpenAI(base_url=fake.openai_base_url, api_key="k", max_retries=0) as client:
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        gc.collect()
        ((span, trace_id, span_id),) = spans
        assert span() is None
        ((_, point),) = metric_points(reader, "agent.request.duration")
        assert [(e.trace_id, e.span_id) for e in point.exemplars] == [(trace_id, span_id)]
    finally:
        instrumentor.uninstrument()
        set_active(None)
        meter_provider.shutdown()


def test_past_the_series_cap_a_counter_folds_new_attribute_sets(
    meter: Any, reader: InMemoryMetricReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_aggregation, "MAX_SERIES", 2)
    counter = summed_counter(meter, "c", "1", "")
    for name in ("a", "b", "c", "d", "a"):
        counter.add(1, {"gen_ai.agent.name": name})

    values = {attrs["gen_ai.agent.name"]: p.value for attrs, p in metric_points(reader, "c")}
    assert (values, counter.series) == ({"a": 2, "b": 1, "_other": 2}, 3)


def test_past_the_series_cap_a_histogram_folds_new_attribute_sets(
    meter: Any, reader: InMemoryMetricReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_aggregation, "MAX_SERIES", 2)
    summed_counter(meter, "c", "1", "")
    histogram = deferred_histogram(meter, "h", "s", "", [1.0])
    for name in ("a", "b", "c", "d", "a"):
        histogram.record(0.5, {"gen_ai.agent.name": name})

    counts = {attrs["gen_ai.agent.name"]: p.count for attrs, p in metric_points(reader, "h")}
    assert (counts, histogram.series) == ({"a": 2, "b": 1, "_other": 2}, 3)


def test_held_records_are_expanded_at_the_start_of_a_collection(
    meter: Any, reader: InMemoryMetricReader
) -> None:
    counter = summed_counter(meter, "c", "1", "")
    series = SeriesKey(LABELS)
    held = backlog(lambda records: counter.add_all({series: sum(records)}))
    for amount in (1, 2, 3):
        held.add(amount)

    assert [p.value for _, p in metric_points(reader, "c")] == [6]


def test_a_full_backlog_is_expanded_before_the_next_record_is_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_aggregation, "MAX_BACKLOG", 2)
    expanded: list[list[int]] = []
    held = backlog(expanded.append)
    for record in (1, 2, 3):
        held.add(record)
    held.drain()

    assert expanded == [[1, 2], [3]]


def test_counts_added_in_a_batch_fold_past_the_series_cap(
    meter: Any, reader: InMemoryMetricReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_aggregation, "MAX_SERIES", 2)
    counter = summed_counter(meter, "c", "1", "")
    counter.add_all({SeriesKey({"gen_ai.agent.name": name}): 1 for name in ("a", "b", "c", "d")})
    counter.add_all({SeriesKey({"gen_ai.agent.name": "a"}): 1})

    values = {attrs["gen_ai.agent.name"]: p.value for attrs, p in metric_points(reader, "c")}
    assert (values, counter.series) == ({"a": 2, "b": 1, "_other": 2}, 3)
