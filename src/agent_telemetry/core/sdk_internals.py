"""Every place where we rely on OpenTelemetry internals (not its public API), in one module.

The aggregation must recognise instruments of the API's proxy meter provider (they forward to a real
instrument once the application sets a provider) and find the callbacks a real SDK instrument already
carries; ``init()`` must tell the API's proxy meter provider from a real one; the replay of held
histogram values skips the per-value attribute validation of ``Histogram.record``. None of that has a
public API. ``tests/instrumentation/test_sdk_internals.py`` checks each assumption against the installed
OpenTelemetry and names the attribute and the version when a release moves one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

# opentelemetry-api: a proxy instrument keeps the real one it forwards to here (None until a provider
# is set).
PROXY_INSTRUMENT_ATTRIBUTE = "_real_instrument"
# opentelemetry-sdk: the callbacks of an asynchronous instrument (ObservableCounter and co.).
CALLBACKS_ATTRIBUTE = "_callbacks"
# opentelemetry-api: the class of the meter provider the API hands out before one is set.
PROXY_METER_PROVIDER_CLASS = "_ProxyMeterProvider"


def is_proxy_instrument(instrument: Any) -> bool:
    """An instrument of the API's proxy meter: it forwards to a real one once a provider is set."""
    return hasattr(instrument, PROXY_INSTRUMENT_ATTRIBUTE)


def instrument_callbacks(instrument: Any) -> Sequence[Callable[..., Any]]:
    """The callbacks a real asynchronous SDK instrument reports through; empty for anything else."""
    return getattr(instrument, CALLBACKS_ATTRIBUTE, None) or ()


def is_proxy_meter_provider(provider: Any) -> bool:
    """The placeholder provider of the API, before the application (or ``init()``) sets a real one."""
    return type(provider).__name__ == PROXY_METER_PROVIDER_CLASS


# opentelemetry-sdk: replaying held histogram values. The public ``Histogram.record`` validates and
# hashes the attributes of every value (~10 µs for six of them); a call's values share one attribute
# set, so ``histogram_replayer`` does that once per set and hands each value to the SDK's own
# aggregations, the way ``record`` would (same views, readers, exemplar filter, locks).
Replay = Callable[[Mapping[str, Any] | None, Sequence[tuple[float, Any]]], None]


def histogram_replayer(histogram: Any) -> Replay | None:
    """``replay(attributes, [(amount, context), ...])`` into an SDK histogram, or None where this
    SDK's internals are not the ones known (then the caller uses ``record``)."""
    try:
        from opentelemetry.sdk.metrics._internal._view_instrument_match import (
            _hash_attributes,
            _ViewInstrumentMatch,
        )
        from opentelemetry.sdk.metrics._internal.measurement import Measurement
        from opentelemetry.sdk.metrics._internal.metric_reader_storage import MetricReaderStorage

        consumer = histogram._measurement_consumer
        exemplar_filter = consumer._sdk_config.exemplar_filter
        consumer._reader_storages.values()
        histogram._is_enabled()
        # Everything replay() uses, checked now: an SDK that moved one replays through record().
        if not (
            callable(getattr(_ViewInstrumentMatch, "_get_or_create_aggregation", None))
            and callable(getattr(MetricReaderStorage, "_get_or_init_view_instrument_match", None))
        ):
            return None
        matches = [
            m
            for st in consumer._reader_storages.values()
            for m in st._get_or_init_view_instrument_match(histogram)
        ]
        match_attributes = ("_reset_on_collect", "_lock", "_attributes_aggregation")
        if not all(hasattr(m, name) for m in matches for name in match_attributes):
            return None
        if not all(hasattr(m._view, "_attribute_keys") for m in matches):
            return None
    except Exception:
        return None

    def replay(attributes: Mapping[str, Any] | None, values: Sequence[tuple[float, Any]]) -> None:
        if not histogram._is_enabled():
            return
        cleaned = Measurement(0, 0, histogram, None, attributes).attributes or {}
        targets = []
        for storage in consumer._reader_storages.values():
            for match in storage._get_or_init_view_instrument_match(histogram):
                keys = match._view._attribute_keys
                own = dict(cleaned) if keys is None else {k: v for k, v in cleaned.items() if k in keys}
                targets.append((match, _hash_attributes(own), own))
        for amount, context in values:
            if not math.isfinite(amount) or amount < 0:
                continue
            # Attributes None: the series has them all, so an exemplar keeps none of its own either way.
            measurement = Measurement(amount, time.time_ns(), histogram, context, None)
            sample = exemplar_filter.should_sample(amount, measurement.time_unix_nano, cleaned, context)
            for match, key, own in targets:
                aggregation = None if match._reset_on_collect else match._attributes_aggregation.get(key)
                if aggregation is None:
                    with match._lock:
                        aggregation = match._get_or_create_aggregation(key, own)
                        if match._reset_on_collect:  # delta: aggregate before a collection can reset it
                            aggregation.aggregate(measurement, sample)
                            continue
                aggregation.aggregate(measurement, sample)

    return replay
