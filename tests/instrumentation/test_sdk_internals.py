"""The OpenTelemetry internals we rely on (core/sdk_internals.py) are still where we look for them.

A failure here means an OpenTelemetry release moved one: the message names the attribute and the
installed version, and core/sdk_internals.py is the one place to adapt.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import SpanKind

from agent_telemetry.core import sdk_internals
from agent_telemetry.core.aggregation import deferred_histogram

API = f"opentelemetry-api {version('opentelemetry-api')}"
SDK = f"opentelemetry-sdk {version('opentelemetry-sdk')}"


def _callback(options: object) -> list[metrics.Observation]:
    return []


def _proxy_meter_provider() -> object:
    """The API's placeholder provider, found through the API's own module (no public constructor)."""
    from opentelemetry.metrics import _internal

    cls = getattr(_internal, sdk_internals.PROXY_METER_PROVIDER_CLASS, None)
    assert cls is not None, (
        f"{API}: opentelemetry.metrics._internal has no {sdk_internals.PROXY_METER_PROVIDER_CLASS}; "
        "update is_proxy_meter_provider in agent_telemetry/core/sdk_internals.py"
    )
    return cls()


def test_the_api_proxy_meter_provider_is_recognised():
    provider = _proxy_meter_provider()
    real = MeterProvider()
    assert sdk_internals.is_proxy_meter_provider(provider), (
        f"{API}: the proxy meter provider is no longer a {sdk_internals.PROXY_METER_PROVIDER_CLASS}; "
        "update agent_telemetry/core/sdk_internals.py"
    )
    assert not sdk_internals.is_proxy_meter_provider(real)
    real.shutdown()


def test_instruments_of_the_proxy_meter_are_recognised():
    proxy = _proxy_meter_provider().get_meter("test").create_observable_counter("c", callbacks=[_callback])
    real_provider = MeterProvider()
    real = real_provider.get_meter("test").create_observable_counter("c", callbacks=[_callback])
    assert sdk_internals.is_proxy_instrument(proxy), (
        f"{API}: proxy instruments no longer have {sdk_internals.PROXY_INSTRUMENT_ATTRIBUTE!r}; "
        "update is_proxy_instrument in agent_telemetry/core/sdk_internals.py"
    )
    assert not sdk_internals.is_proxy_instrument(real), (
        f"{SDK}: real instruments now have {sdk_internals.PROXY_INSTRUMENT_ATTRIBUTE!r} too; "
        "update is_proxy_instrument in agent_telemetry/core/sdk_internals.py"
    )
    real_provider.shutdown()


def test_the_callbacks_of_a_real_observable_counter_are_found():
    provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    counter = provider.get_meter("test").create_observable_counter("c", callbacks=[_callback])
    assert _callback in sdk_internals.instrument_callbacks(counter), (
        f"{SDK}: an ObservableCounter no longer keeps its callbacks in "
        f"{sdk_internals.CALLBACKS_ATTRIBUTE!r}; update instrument_callbacks in "
        "agent_telemetry/core/sdk_internals.py"
    )
    provider.shutdown()


# -- Replaying held histogram values --------------------------------------------------------------------
# Held values are replayed through sdk_internals.histogram_replayer where the installed SDK has the
# internals it uses, else through Histogram.record: either way, the points must be the ones record makes.

ATTRIBUTES = {"gen_ai.operation.name": "chat", "server.port": 443}
VALUES = [0.05, 0.5, 5.0, 50.0]


def _points(provider: MeterProvider, reader: InMemoryMetricReader, held: bool) -> list[tuple]:
    meter = provider.get_meter("m")
    if held:
        histogram = deferred_histogram(meter, "h", "s", "", [0.1, 1, 10])
        for value in VALUES:
            histogram.record(value, ATTRIBUTES)
        histogram.flush()
    else:
        sdk_histogram = meter.create_histogram(
            "h", unit="s", explicit_bucket_boundaries_advisory=[0.1, 1, 10]
        )
        for value in VALUES:
            sdk_histogram.record(value, ATTRIBUTES)
    data = reader.get_metrics_data()
    return [
        (dict(p.attributes), p.count, p.sum, tuple(p.bucket_counts), p.min, p.max)
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
        for p in metric.data.data_points
    ]


def test_held_histogram_values_replay_as_the_points_record_makes():
    made = []
    for held in (False, True):
        reader = InMemoryMetricReader()
        made.append(_points(MeterProvider(metric_readers=[reader]), reader, held))
    assert made[0] == made[1] == [(ATTRIBUTES, 4, 55.55, (1, 1, 1, 1), 0.05, 50.0)]


def test_held_values_replay_through_a_view_that_drops_attributes_with_delta_temporality():
    from opentelemetry.sdk.metrics import Histogram
    from opentelemetry.sdk.metrics.export import AggregationTemporality
    from opentelemetry.sdk.metrics.view import View

    reader = InMemoryMetricReader(preferred_temporality={Histogram: AggregationTemporality.DELTA})
    provider = MeterProvider(
        metric_readers=[reader], views=[View(instrument_name="h", attribute_keys={"gen_ai.operation.name"})]
    )
    assert _points(provider, reader, held=True) == [
        ({"gen_ai.operation.name": "chat"}, 4, 55.55, (1, 1, 1, 1), 0.05, 50.0)
    ]


# Values with the spans they were recorded in: two in one bucket (the later one is its exemplar), one
# in a span that is not sampled (no exemplar), one in its own bucket.
SPANS = [(0.02, 1, True), (0.05, 2, True), (0.5, 3, False), (5.0, 4, True), (50.0, 5, True), (60.0, 6, False)]


def _exemplar_points(held: bool) -> list[tuple]:
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context

    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("m")
    histogram = (
        deferred_histogram(meter, "h", "s", "", [0.1, 1, 10])
        if held
        else meter.create_histogram("h", unit="s", explicit_bucket_boundaries_advisory=[0.1, 1, 10])
    )
    for value, span_id, sampled in SPANS:
        flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
        span_context = SpanContext(0xABC, span_id, is_remote=False, trace_flags=flags)
        if held:
            histogram.record(value, ATTRIBUTES, span_context=span_context)
        else:
            histogram.record(value, ATTRIBUTES, context=set_span_in_context(NonRecordingSpan(span_context)))
    if held:
        histogram.flush()
    return [
        (p.count, p.sum, tuple(p.bucket_counts), p.min, p.max, [(e.value, e.span_id) for e in p.exemplars])
        for rm in reader.get_metrics_data().resource_metrics
        for sm in rm.scope_metrics
        for p in sm.metrics[0].data.data_points
    ]


def test_held_values_leave_the_exemplars_record_leaves():
    assert (
        _exemplar_points(held=True)
        == _exemplar_points(held=False)
        == [(6, 115.57, (2, 1, 1, 2), 0.02, 60.0, [(0.05, 2), (5.0, 4), (50.0, 5)])]
    )


# -- span attributes --------------------------------------------------------------------------
CALL_ATTRIBUTES = {
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.usage.input_tokens": 12,
    "agent.cost_usd": 0.0025,
    "gen_ai.request.stream": True,
    "gen_ai.response.finish_reasons": ("stop", "length"),
}


def _tracer(**provider_options: object) -> tuple[Any, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(**provider_options)  # type: ignore[arg-type]
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test"), exporter


def _stored(exporter: InMemorySpanExporter) -> list[list[tuple[str, object]]]:
    return [list(span.attributes.items()) for span in exporter.get_finished_spans()]


def _both_ways(attributes: dict[str, Any], **provider_options: object) -> list[list[tuple[str, object]]]:
    """The attributes of two spans: one given them by set_attributes, one by set_span_attributes."""
    tracer, exporter = _tracer(**provider_options)
    for setter in (lambda span: span.set_attributes(attributes), sdk_internals.set_span_attributes):
        span = tracer.start_span("chat", attributes={"gen_ai.operation.name": "chat"})
        if setter is sdk_internals.set_span_attributes:
            setter(span, attributes)
        else:
            setter(span)
        span.end()
    return _stored(exporter)


def test_an_sdk_span_keeps_its_attributes_where_we_store_them_unvalidated():
    tracer, _ = _tracer()
    span = tracer.start_span("chat")
    assert sdk_internals._attribute_store(span, 1) is not None, (
        f"{SDK}: a span's validated attributes are no longer a dict at span._attributes._dict; "
        "update set_span_attributes in agent_telemetry/core/sdk_internals.py"
    )


def test_plain_attributes_are_stored_exactly_as_set_attributes_stores_them():
    by_sdk, by_us = _both_ways(CALL_ATTRIBUTES)
    assert by_us == by_sdk == [("gen_ai.operation.name", "chat"), *CALL_ATTRIBUTES.items()]


def test_values_the_sdk_would_change_go_through_its_validation():
    odd = {"gen_ai.response.finish_reasons": ["stop"], "agent.none": None, "agent.mixed": ("a", 1)}
    by_sdk, by_us = _both_ways(odd)
    assert by_us == by_sdk
    assert ("gen_ai.response.finish_reasons", ("stop",)) in by_us  # the SDK's copy: a tuple


def test_a_value_length_limit_still_truncates():
    by_sdk, by_us = _both_ways(
        {"gen_ai.response.id": "resp_123456"}, span_limits=SpanLimits(max_attribute_length=4)
    )
    assert by_us == by_sdk == [("gen_ai.operation.name", "chat"), ("gen_ai.response.id", "resp")]


def test_an_attribute_count_limit_still_drops_the_oldest():
    by_sdk, by_us = _both_ways(CALL_ATTRIBUTES, span_limits=SpanLimits(max_span_attributes=2))
    assert by_us == by_sdk == list(CALL_ATTRIBUTES.items())[-2:]


def test_an_ended_span_gets_no_more_attributes():
    tracer, exporter = _tracer()
    span = tracer.start_span("chat")
    span.end()
    sdk_internals.set_span_attributes(span, CALL_ATTRIBUTES)
    assert dict(span.attributes) == {}
    assert _stored(exporter) == [[]]


class _Recorder(Sampler):
    """A sampler that reads the attributes a span starts with."""

    def __init__(self) -> None:
        self.seen: list[dict[str, object]] = []

    def should_sample(
        self, parent_context, trace_id, name, kind=None, attributes=None, links=None, trace_state=None
    ):  # type: ignore[no-untyped-def]
        self.seen.append(dict(attributes or {}))
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "recorder"


class _StartReader(SpanProcessor):
    """A span processor that reads the attributes a span starts with."""

    def __init__(self) -> None:
        self.seen: list[dict[str, object]] = []

    def on_start(self, span, parent_context=None):  # type: ignore[no-untyped-def]
        self.seen.append(dict(span.attributes))


START = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini", "server.port": 443}


def _start_and_end(tracer, name: str):  # type: ignore[no-untyped-def]
    """A span started with START and ended, as a call's is: the attributes left to its end go on it then."""
    span, later = sdk_internals.start_span_deferred(tracer, name, SpanKind.CLIENT, START)
    if later is not None:
        sdk_internals.set_span_attributes(span, later)
    span.end()
    return span


def test_a_span_starts_with_the_attributes_it_would_start_with():
    for sampler in (ALWAYS_ON, ParentBased(TraceIdRatioBased(1.0))):
        tracer, exporter = _tracer(sampler=sampler)
        _start_and_end(tracer, "chat gpt-4o-mini")
        tracer.start_span("chat gpt-4o-mini", kind=SpanKind.CLIENT, attributes=START).end()
        ours, sdk = exporter.get_finished_spans()
        assert (ours.name, ours.kind, dict(ours.attributes)) == (sdk.name, sdk.kind, dict(sdk.attributes))


def test_a_sampler_that_reads_attributes_sees_them_at_the_start():
    sampler = _Recorder()
    tracer, _ = _tracer(sampler=ParentBased(sampler))
    _start_and_end(tracer, "chat")
    assert sampler.seen == [START]


def test_a_processor_that_reads_attributes_at_the_start_sees_them():
    reader = _StartReader()
    tracer, _ = _tracer()
    tracer_provider = tracer.span_processor
    tracer_provider.add_span_processor(reader)
    _start_and_end(tracer, "chat")
    assert reader.seen == [START]


def test_a_span_that_is_not_sampled_gets_no_attributes():
    tracer, exporter = _tracer(sampler=ALWAYS_OFF)
    span = _start_and_end(tracer, "chat")
    assert (span.is_recording(), exporter.get_finished_spans()) == (False, ())


def _spanless_exemplars(held: bool, exemplar_filter: object) -> list[tuple]:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader], exemplar_filter=exemplar_filter).get_meter("m")
    histogram = (
        deferred_histogram(meter, "h", "{token}", "", [1, 10])
        if held
        else meter.create_histogram("h", unit="{token}", explicit_bucket_boundaries_advisory=[1, 10])
    )
    for value in (0.5, 2, 3, 20):
        histogram.record(value, ATTRIBUTES)  # no span: a token count
    if held:
        histogram.flush()
    return [
        [(e.value, e.span_id) for e in p.exemplars]
        for rm in reader.get_metrics_data().resource_metrics
        for sm in rm.scope_metrics
        for p in sm.metrics[0].data.data_points
    ]


def test_values_without_a_span_leave_the_exemplars_record_leaves_under_each_sdk_filter():
    from opentelemetry.sdk.metrics._internal.exemplar import (
        AlwaysOffExemplarFilter,
        AlwaysOnExemplarFilter,
        TraceBasedExemplarFilter,
    )

    made = {
        kind.__name__: (_spanless_exemplars(True, kind()), _spanless_exemplars(False, kind()))
        for kind in (AlwaysOnExemplarFilter, AlwaysOffExemplarFilter, TraceBasedExemplarFilter)
    }
    assert made == {
        "AlwaysOnExemplarFilter": ([[(0.5, None), (3, None), (20, None)]],) * 2,
        "AlwaysOffExemplarFilter": ([[]],) * 2,
        "TraceBasedExemplarFilter": ([[]],) * 2,
    }
