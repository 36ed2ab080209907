"""The OpenTelemetry internals we rely on (core/sdk_internals.py) are still where we look for them.

A failure here means an OpenTelemetry release moved one: the message names the attribute and the
installed version, and core/sdk_internals.py is the one place to adapt.
"""

from __future__ import annotations

from importlib.metadata import version

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

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
