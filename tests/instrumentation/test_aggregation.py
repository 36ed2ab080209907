"""Counters summed in-process and histograms replayed at collection: what a reader sees is exact."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.metrics._internal import _ProxyMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from agent_telemetry.instrumentation import _aggregation
from agent_telemetry.instrumentation._aggregation import deferred_histogram, summed_counter
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


def test_pending_histogram_values_are_replayed_by_the_recording_thread_past_the_limit(
    meter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_aggregation, "MAX_PENDING", 3)
    histogram = deferred_histogram(meter, "h", "s", "", [1.0])
    for value in (1, 2, 3, 4):
        histogram.record(value, LABELS)

    assert len(histogram._pending) == 1


def test_counts_made_before_a_meter_provider_is_set_continue_after_it_is(
    reader: InMemoryMetricReader,
) -> None:
    proxy_provider = _ProxyMeterProvider()
    early = summed_counter(proxy_provider.get_meter("test"), "c", "1", "")
    real_provider = MeterProvider(metric_readers=[reader])
    proxy_provider.on_set_meter_provider(real_provider)
    early.add(1, LABELS)
    late = summed_counter(real_provider.get_meter("test"), "c", "1", "")
    late.add(1, LABELS)

    assert (late is early, [p.value for _, p in metric_points(reader, "c")]) == (True, [2])
    real_provider.shutdown()
