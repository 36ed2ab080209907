"""Every place where we rely on OpenTelemetry internals (not its public API), in one module.

The aggregation must recognise instruments of the API's proxy meter provider (they forward to a real
instrument once the application sets a provider) and find the callbacks a real SDK instrument already
carries; ``init()`` must tell the API's proxy meter provider from a real one; the replay of held
histogram values skips the per-value attribute validation of ``Histogram.record``, and a call's span
attributes skip that of ``Span.set_attributes``. None of that has a public API.
``tests/instrumentation/test_sdk_internals.py`` checks each assumption against the installed
OpenTelemetry and names the attribute and the version when a release moves one.
"""

from __future__ import annotations

import math
import operator
import time
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import partial
from itertools import chain, compress
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import ConcurrentMultiSpanProcessor, SpanProcessor, SynchronousMultiSpanProcessor
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.trace import Tracer as SdkTracer
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, StaticSampler, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind

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
# set, so ``histogram_replayer`` does that once per set and hands the values to the SDK's own
# aggregations, the way ``record`` would (same views, readers, exemplar filter, locks). Into the SDK's
# explicit-bucket aggregation with its default exemplar reservoir (one exemplar per bucket, the last
# value offered), a set's values are merged at once: bucket counts, sum, min and max added under its
# lock, and only each bucket's last sampled value offered as its exemplar, which is what offering every
# value would leave. Any other aggregation or reservoir (a View's choice) gets each value.
Replay = Callable[[Mapping[str, Any] | None, Sequence[tuple[float, Any]], Callable[[Any], Any]], None]


def histogram_replayer(histogram: Any) -> Replay | None:
    """``replay(attributes, [(amount, span), ...], context_of)`` into an SDK histogram, or None where
    this SDK's internals are not the ones known (then the caller uses ``record``). ``context_of(span)``
    makes the context of a value's span (its exemplar's trace), asked only for values that may be one."""
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
        merges = _bucket_merger()
        from opentelemetry.sdk.metrics._internal.exemplar import (
            AlwaysOffExemplarFilter,
            AlwaysOnExemplarFilter,
            TraceBasedExemplarFilter,
        )

        # The SDK's own filters decide by the context alone, not by the value: for the values recorded
        # without a span (token counts), one decision stands for all of them.
        context_only = type(exemplar_filter) in (
            AlwaysOffExemplarFilter,
            AlwaysOnExemplarFilter,
            TraceBasedExemplarFilter,
        )
    except Exception:
        return None

    def aggregate(
        aggregation: Any,
        cleaned: Mapping[str, Any],
        values: list[tuple[float, Any]],
        amounts: list[float],
        context_of: Callable[[Any], Any],
    ) -> None:
        now = time.time_ns()
        if merges(aggregation):
            for amount, context in _merge_buckets(
                aggregation,
                values,
                amounts,
                context_of,
                lambda v, c: exemplar_filter.should_sample(v, now, cleaned, c),
                context_only,
            ):
                aggregation._sample_exemplar(Measurement(amount, now, histogram, context, None), True)
            return
        for amount, span in values:
            # Attributes None: the series has them all, so an exemplar keeps none of its own either way.
            context = context_of(span)
            measurement = Measurement(amount, now, histogram, context, None)
            aggregation.aggregate(measurement, exemplar_filter.should_sample(amount, now, cleaned, context))

    def replay(
        attributes: Mapping[str, Any] | None,
        values: Sequence[tuple[float, Any]],
        context_of: Callable[[Any], Any],
    ) -> None:
        if not histogram._is_enabled():
            return
        amounts = [amount for amount, _ in values]
        if not amounts:
            return
        valid = values
        # One check for the usual batch (every value finite and >= 0: so is their sum, and the least).
        if not (math.isfinite(sum(amounts)) and min(amounts) >= 0):
            valid = [(amount, span) for amount, span in values if math.isfinite(amount) and amount >= 0]
            if not valid:
                return
            amounts = [amount for amount, _ in valid]
        cleaned = Measurement(0, 0, histogram, None, attributes).attributes or {}
        for storage in consumer._reader_storages.values():
            for match in storage._get_or_init_view_instrument_match(histogram):
                keys = match._view._attribute_keys
                own = dict(cleaned) if keys is None else {k: v for k, v in cleaned.items() if k in keys}
                key = _hash_attributes(own)
                if match._reset_on_collect:  # delta: aggregate before a collection can reset it
                    with match._lock:
                        aggregate(
                            match._get_or_create_aggregation(key, own), cleaned, valid, amounts, context_of
                        )
                    continue
                aggregation = match._attributes_aggregation.get(key)
                if aggregation is None:
                    with match._lock:
                        aggregation = match._get_or_create_aggregation(key, own)
                aggregate(aggregation, cleaned, valid, amounts, context_of)

    return replay


_MERGED_STATE = ("_value", "_sum", "_min", "_max", "_record_min_max", "_boundaries", "_lock", "_reservoir")


def _bucket_merger() -> Callable[[Any], bool]:
    """Whether an aggregation takes a set's values merged at once: the SDK's explicit-bucket one with
    its default reservoir, holding the state ``_merge_buckets`` adds to."""
    from opentelemetry.sdk.metrics._internal.aggregation import _ExplicitBucketHistogramAggregation
    from opentelemetry.sdk.metrics._internal.exemplar import AlignedHistogramBucketExemplarReservoir

    def merges(aggregation: Any) -> bool:
        return (
            type(aggregation) is _ExplicitBucketHistogramAggregation
            and all(hasattr(aggregation, name) for name in _MERGED_STATE)
            and type(aggregation._reservoir) is AlignedHistogramBucketExemplarReservoir
            and callable(getattr(aggregation, "_sample_exemplar", None))
        )

    return merges


def _merge_buckets(
    aggregation: Any,
    values: list[tuple[float, Any]],
    amounts: list[float],
    context_of: Callable[[Any], Any],
    sampled: Callable[[float, Any], bool],
    context_only: bool = False,
) -> list[tuple[float, Any]]:
    """Adds ``values`` (their ``amounts``, in the same order) to an explicit-bucket aggregation as its
    ``aggregate`` would one by one; returns the (value, context) pairs to offer as exemplars, in
    recording order: each bucket's last value that the filter samples. ``context_only``: the filter's
    decision depends on the context alone, so the values without a span (all in one context) are asked
    about once."""
    boundaries = aggregation._boundaries
    counts = [0] * (len(boundaries) + 1)
    for index, count in Counter(map(partial(bisect_left, boundaries), amounts)).items():
        counts[index] = count
    total, low, high = sum(amounts), min(amounts), max(amounts)
    with aggregation._lock:
        if aggregation._value is None:
            aggregation._value = [0] * len(counts)
        buckets = aggregation._value
        for index, count in enumerate(counts):
            if count:
                buckets[index] += count
        aggregation._sum += total
        if aggregation._record_min_max:
            aggregation._min = min(aggregation._min, low)
            aggregation._max = max(aggregation._max, high)
    filled = sum(1 for count in counts if count)
    offered: set[int] = set()
    exemplars = []
    if context_only:
        # The values without a span (token counts), under a filter that decides by the context alone:
        # one decision for all of them; when it is no (the SDK's default filter), none is looked at.
        spanned = [value for value in values if value[1] is not None]
        if len(spanned) < len(values):
            spanless = next(amount for amount, span in values if span is None)
            if not sampled(spanless, context_of(None)):
                values = spanned
    for amount, span in reversed(values):
        if len(offered) == filled:
            break
        index = bisect_left(boundaries, amount)
        if index not in offered:
            context = context_of(span)
            if (span is None and context_only) or sampled(amount, context):
                offered.add(index)
                exemplars.append((amount, context))
    exemplars.reverse()
    return exemplars


# opentelemetry-sdk: a span's attributes. ``Span.set_attributes`` validates every value (type checks,
# sequence copies: ~1 µs each, half the cost of an empty span for a call's ~15). A call's attributes are
# ours and of known types, so ``set_span_attributes`` stores them as the SDK stores validated values, in
# the span's ``BoundedAttributes``, when validation would change nothing: an SDK span that records,
# has no value-length limit and room for them, and values that are str, bool, int, float or tuples of
# str. Anything else goes through ``set_attributes``, with the SDK's own checks and warnings.
_PLAIN_TYPES = frozenset((str, bool, int, float))
_SDK_SPAN_TYPES: set[type] = set()  # the classes of SDK spans seen (isinstance on them is slow)


_PLAIN_OR_TUPLE = _PLAIN_TYPES | {tuple}
_STR = frozenset((str,))
_is_tuple_type = partial(operator.is_, tuple)


def _all_plain(values: Collection[Any]) -> bool:
    """Every value a str, bool, int, float or tuple of str: the values' types, then the tuples' items'
    (finish reasons), each checked in one pass in C."""
    kinds = set(map(type, values))
    if kinds <= _PLAIN_TYPES:
        return True
    if not kinds <= _PLAIN_OR_TUPLE:
        return False
    tuples = compress(values, map(_is_tuple_type, map(type, values)))
    return set(map(type, chain.from_iterable(tuples))) <= _STR


def _attribute_store(span: Any, count: int) -> dict[str, Any] | None:
    """The dict an SDK span keeps its validated attributes in, when ``count`` more fit without the
    SDK's limits applying; else None."""
    kind = type(span)
    if kind not in _SDK_SPAN_TYPES:
        if not isinstance(span, SdkSpan):
            return None
        _SDK_SPAN_TYPES.add(kind)
    bounded = getattr(span, "_attributes", None)
    if type(bounded) is not BoundedAttributes or bounded.max_value_len is not None or bounded._immutable:
        return None
    store = getattr(bounded, "_dict", None)
    if not isinstance(store, dict) or (bounded.maxlen is not None and len(store) + count > bounded.maxlen):
        return None
    return store


def set_span_attributes(span: Any, attributes: Mapping[str, Any]) -> None:
    """``span.set_attributes(attributes)``, without the per-value validation where it changes nothing."""
    store = _attribute_store(span, len(attributes))
    if store is not None and _all_plain(attributes.values()):
        lock = getattr(span, "_lock", None)
        if lock is not None:
            with lock:
                if span._end_time is None:
                    if store:
                        for key in store.keys() & attributes.keys():
                            del store[key]  # a value set again moves to the end, as in the SDK
                    store.update(attributes)
                    return
    span.set_attributes(attributes)


# opentelemetry-sdk: a span's start attributes are validated like any others (``start_span(attributes=)``).
# They are given at the start for the sampler and the span processors' ``on_start``. Where neither reads
# them (the SDK's own samplers and export processors, the usual set-up), ``start_span_deferred`` leaves
# them to the span's end, through ``set_span_attributes``; anything else gets them at the start, validated.
_BLIND_SAMPLERS = (StaticSampler, TraceIdRatioBased)
_BLIND_DECISIONS = (StaticSampler.should_sample, TraceIdRatioBased.should_sample)
_PARENT_BASED_DELEGATES = (
    "_root",
    "_remote_parent_sampled",
    "_remote_parent_not_sampled",
    "_local_parent_sampled",
    "_local_parent_not_sampled",
)
_QUIET_PROCESSORS = (BatchSpanProcessor, SimpleSpanProcessor)


def _sampler_is_blind(sampler: object) -> bool:
    """The sampler decides without reading the span's attributes (the SDK's built-in samplers)."""
    if isinstance(sampler, ParentBased):
        if type(sampler).should_sample is not ParentBased.should_sample:
            return False
        return all(_sampler_is_blind(getattr(sampler, name, None)) for name in _PARENT_BASED_DELEGATES)
    # A subclass with a should_sample of its own may read them.
    return isinstance(sampler, _BLIND_SAMPLERS) and type(sampler).should_sample in _BLIND_DECISIONS


def _processor_is_quiet(processor: object) -> bool:
    """The processor's ``on_start`` does nothing (the SDK's export processors, or none defined)."""
    return type(processor) in _QUIET_PROCESSORS or type(processor).on_start is SpanProcessor.on_start


# (tracer, its sampler, its processors' tuple) -> whether attributes can wait until after the start:
# one entry, the instrumentation's tracer; re-checked when the sampler or the processors change.
_start_checked: tuple[object, object, object, bool] = (None, None, None, False)


def _attributes_unread_at_start(tracer: object) -> bool:
    global _start_checked
    if type(tracer) is not SdkTracer:
        return False
    sampler = getattr(tracer, "sampler", None)
    multi = getattr(tracer, "span_processor", None)
    processors = getattr(multi, "_span_processors", None)
    checked = _start_checked
    if checked[0] is tracer and checked[1] is sampler and checked[2] is processors:
        return checked[3]
    unread = (
        type(multi) in (SynchronousMultiSpanProcessor, ConcurrentMultiSpanProcessor)
        and isinstance(processors, tuple)
        and all(_processor_is_quiet(p) for p in processors)
        and _sampler_is_blind(sampler)
    )
    _start_checked = (tracer, sampler, processors, unread)
    return unread


def start_span_deferred(
    tracer: Any, name: str, kind: SpanKind, attributes: Mapping[str, Any]
) -> tuple[Span, Mapping[str, Any] | None]:
    """``tracer.start_span(name, kind=kind, attributes=attributes)``, leaving the attributes to the
    caller where nothing reads them at the start: the span and the attributes to set (before any
    others, with ``set_span_attributes``) when it ends, or None if it has them already. A call's span
    then takes all its attributes in one batch, stored without validation."""
    if _attributes_unread_at_start(tracer):
        span = tracer.start_span(name, kind=kind)
        return span, attributes if span.is_recording() else None
    return tracer.start_span(name, kind=kind, attributes=attributes), None
