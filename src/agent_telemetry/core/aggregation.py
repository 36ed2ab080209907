"""The hot path's measurements, kept in-process and handed to the OpenTelemetry SDK at collection time.

Why: inside an application, right after an SDK call has churned through the CPU caches, one
synchronous ``Counter.add`` or ``Histogram.record`` costs 10-40 µs in the OpenTelemetry SDK (attribute
validation, hashing, view matching and aggregation, under locks), and a call records up to seven; a
dict update or a list append under an uncontended lock costs well under a microsecond. Readers see the
same series: counters become ``ObservableCounter`` s whose callbacks report the running sums, and
histogram values (with the trace and span they were recorded in, for exemplars) are replayed into the
SDK histogram by those callbacks, which the SDK runs at the start of every collection (periodic export,
Prometheus scrape, ``force_flush()``, ``shutdown()``), before it reads its histograms.

Each ``SummedCounter`` and ``DeferredHistogram`` belongs to one instrument of one SDK meter, shared by
every ``Telemetry`` built on that meter, so that ``uninstrument()`` then ``instrument()`` keeps
counting into the series the meter already reports (the SDK hands back the existing instrument, with
its first callbacks, when a name is registered again). Neither keeps its meter alive.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.trace import NonRecordingSpan, SpanContext

from agent_telemetry.core import sdk_internals
from agent_telemetry.core.labels import OTHER

if TYPE_CHECKING:
    from agent_telemetry.core.labels import LabelLimits

Attributes = Mapping[str, str]

logger = logging.getLogger("agent_telemetry")

# Queued values per histogram. A full queue (a reader that collects rarely, or none: 60 s between
# exports at 140 calls/s fills it) is replayed into the SDK at once by the thread that fills it, the
# work a collection would do, done earlier: memory stays bounded, and each value still costs ~1 µs
# instead of the ~15 µs of a ``Histogram.record`` of its own (one call in 8,192 pays ~5 ms for all).
MAX_PENDING = 8192

# Distinct attribute sets per instrument. The OpenTelemetry SDK keeps at most 2,000 per metric (then
# it reports everything new under ``otel.metric.overflow=true``, without any of our labels, so no
# per-agent alert could see it); we stay below that. Past MAX_SERIES, a new attribute set is recorded
# with its bounded labels as ``_other`` (an allow-listed agent keeps its name until SERIES_HEADROOM more
# sets exist), and counted in agent_telemetry_label_overflow_total{label="_series"}. The sets with every
# bounded label ``_other`` differ only in labels our code chooses (provider, operation, token type...):
# at most a few dozen per metric (labels.FIXED_LABELS), so an instrument never holds more than
# MAX_SERIES + SERIES_HEADROOM + those.
MAX_SERIES = 1500
SERIES_HEADROOM = 300

_EMPTY: frozenset[tuple[str, str]] = frozenset()
_UNKNOWN: Any = object()  # not looked up yet; also the end marker of a flush


class _SeriesCap:
    """What both kinds of instrument do with an attribute set past the series cap."""

    __slots__ = ()

    name: str
    limits: LabelLimits | None

    def _fold(self, attributes: Attributes | None, series: int) -> dict[str, str]:
        limits = self.limits
        attributes = attributes or {}
        if limits is None:
            folded = {key: OTHER for key in attributes}
        else:
            folded = limits.fold_series(attributes, keep_listed_agent=series < MAX_SERIES + SERIES_HEADROOM)
            limits.series_folded(self.name, MAX_SERIES)
        return folded


class DeferredHistogram(_SeriesCap):
    """``record(amount, attributes, span_context=)`` like a ``Histogram``; replayed into it by ``flush()``.

    A held value keeps only the ids of the span it was recorded in (for its exemplar), never the span
    or its context: between collections up to MAX_PENDING values wait here, and a finished span (with
    its attributes and events) is far bigger than the value.
    """

    __slots__ = ("__weakref__", "_histogram", "_lock", "_pending", "_replay", "_series", "limits", "name")

    def __init__(self, histogram: Any, name: str = "") -> None:
        self._histogram = weakref.ref(histogram)
        self._lock = threading.Lock()
        self._pending: list[tuple[int | float, Attributes | None, SpanContext | None]] = []
        # The attribute sets this histogram has reported (the SDK keeps one aggregation per set).
        self._series: set[frozenset[tuple[str, str]]] = set()
        # sdk_internals.histogram_replayer of the SDK histogram (None: replay through ``record``).
        self._replay: Any = _UNKNOWN
        self.name = name
        self.limits: LabelLimits | None = None

    def record(
        self,
        amount: int | float,
        attributes: Attributes | None = None,
        context: Context | None = None,
        *,
        span_context: SpanContext | None = None,
    ) -> None:
        """``span_context``: the span whose trace the value's exemplar links to (``context``: its context)."""
        if context is not None and span_context is None:
            span_context = trace.get_current_span(context).get_span_context()
        with self._lock:
            pending = self._pending
            pending.append((amount, attributes, span_context))
            full = len(pending) >= MAX_PENDING
        if full:
            self.flush()

    def extend(self, values: list[tuple[int | float, Attributes | None, SpanContext | None]]) -> None:
        """``record`` of each ``(amount, attributes, span_context)``, under one lock."""
        with self._lock:
            pending = self._pending
            pending.extend(values)
            full = len(pending) >= MAX_PENDING
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        histogram = self._histogram()
        if histogram is None or not pending:
            return  # its meter is gone: nobody can read these values any more
        if self._replay is _UNKNOWN:
            self._replay = sdk_internals.histogram_replayer(histogram)
        replay = self._replay
        # Values grouped by attribute set (calls share their SeriesKey's attributes, so the same object):
        # replayed together, each set validated and hashed once per collection. Each keeps the ids of
        # its span; the context an exemplar needs is made only for the values offered as exemplars.
        groups: dict[int, tuple[Attributes | None, list[tuple[float, SpanContext | None]]]] = {}
        for amount, attributes, span_context in pending:
            group = groups.get(id(attributes))
            if group is None:
                groups[id(attributes)] = (attributes, [(amount, span_context)])
            else:
                group[1].append((amount, span_context))
        for attributes, values in groups.values():
            self._replay_group(histogram, replay, attributes, values)

    def _replay_group(
        self,
        histogram: Any,
        replay: Any,
        attributes: Attributes | None,
        values: list[tuple[float, SpanContext | None]],
    ) -> None:
        try:
            bounded = self._bounded(attributes)
            if replay is not None:
                replay(bounded, values, _context_of)
                return
            for amount, span_context in values:
                histogram.record(amount, bounded, context=_context_of(span_context))
        except Exception:  # one bad value must not cost the others
            logger.debug("agent-telemetry: histogram values could not be recorded", exc_info=True)

    def _bounded(self, attributes: Attributes | None) -> Attributes | None:
        """``attributes``, or their folded set once this histogram has MAX_SERIES others."""
        key = frozenset(attributes.items()) if attributes else _EMPTY
        series = self._series
        if key in series:
            return attributes
        with self._lock:
            if len(series) < MAX_SERIES:
                series.add(key)
                return attributes
            count = len(series)
        folded = self._fold(attributes, count)
        with self._lock:
            series.add(frozenset(folded.items()))
        return folded

    @property
    def series(self) -> int:
        """How many attribute sets this histogram has reported."""
        return len(self._series)


# The context of a value recorded without a span: no exemplar. Not None, from which the SDK would take
# the collecting thread's current span (an unrelated trace, when a flush runs inside one).
_NO_SPAN: Context = trace.set_span_in_context(trace.INVALID_SPAN)


def _context_of(span_context: SpanContext | None) -> Context:
    """A context holding only the ids of a span: all an exemplar reads."""
    if span_context is None or not span_context.is_valid:
        return _NO_SPAN
    return trace.set_span_in_context(NonRecordingSpan(span_context))


class SeriesKey:
    """An attribute set with its hash key, made once and reused by every call with the same labels.

    ``with_label(key, value)`` is the same set plus one label (token types), also made once.
    """

    __slots__ = ("_extended", "attributes", "key")

    def __init__(self, attributes: Attributes) -> None:
        self.attributes = attributes
        self.key: frozenset[tuple[str, str]] = frozenset(attributes.items())
        self._extended: dict[tuple[str, str], SeriesKey] = {}

    def with_label(self, key: str, value: str) -> SeriesKey:
        extended = self._extended.get((key, value))
        if extended is None:
            # Built outside any lock: a race builds two equal keys, either is right.
            extended = self._extended[(key, value)] = SeriesKey({**self.attributes, key: value})
        return extended


class SeriesKeys:
    """``SeriesKey`` s by their attribute values (the keys in one fixed order), up to ``limit`` of them.

    Bounded: past ``limit`` distinct sets it starts afresh, which only costs the keys' rebuilding.
    """

    __slots__ = ("_keys", "_limit")

    def __init__(self, limit: int = 1024) -> None:
        self._keys: dict[tuple[object, ...], SeriesKey] = {}
        self._limit = limit

    def get(self, values: tuple[object, ...]) -> SeriesKey | None:
        return self._keys.get(values)

    def remember(self, values: tuple[object, ...], attributes: Attributes) -> SeriesKey:
        """The key of ``attributes``, remembered under ``values`` (any tuple that identifies them)."""
        found = SeriesKey(attributes)
        if len(self._keys) >= self._limit:
            self._keys = {}
        self._keys[values] = found
        return found

    def put(self, attributes: Attributes) -> SeriesKey:
        """The key of ``attributes``, remembered under their values."""
        values = tuple(attributes.values())
        found = self._keys.get(values)
        if found is None or found.attributes != attributes:
            found = SeriesKey(attributes)
            if len(self._keys) >= self._limit:
                self._keys = {}
            self._keys[values] = found
        return found


class SummedCounter(_SeriesCap):
    """``add(amount, attributes)`` like a ``Counter``; the sums are observed by the meter's reader."""

    __slots__ = ("__weakref__", "_lock", "_sums", "limits", "name")

    def __init__(self, name: str = "") -> None:
        self._lock = threading.Lock()
        # frozenset of the attribute items -> running sum. A frozenset, not a tuple: the same labels
        # given in another order must land in the same series.
        self._sums: dict[frozenset[tuple[str, str]], int | float] = {}
        self.name = name
        self.limits: LabelLimits | None = None

    def add(self, amount: int | float, attributes: Attributes | None = None) -> None:
        self._add(amount, frozenset(attributes.items()) if attributes else _EMPTY, attributes)

    def add_to(self, amount: int | float, series: SeriesKey) -> None:
        """``add(amount, series.attributes)``, without hashing the attributes again."""
        self._add(amount, series.key, series.attributes)

    def add_all(self, amounts: Mapping[SeriesKey, int | float]) -> None:
        """``add_to`` of each series' amount, under one lock."""
        over: list[tuple[SeriesKey, int | float]] = []
        with self._lock:
            sums = self._sums
            for series, amount in amounts.items():
                key = series.key
                total = sums.get(key)
                if total is not None:
                    sums[key] = total + amount
                elif len(sums) < MAX_SERIES:
                    sums[key] = amount
                else:
                    over.append((series, amount))
        for series, amount in over:  # past the series cap: folded one by one, as ``add_to`` does
            self.add_to(amount, series)

    def _add(
        self, amount: int | float, key: frozenset[tuple[str, str]], attributes: Attributes | None
    ) -> None:
        with self._lock:
            sums = self._sums
            total = sums.get(key)
            if total is not None:
                sums[key] = total + amount
                return
            if len(sums) < MAX_SERIES:
                sums[key] = amount
                return
            count = len(sums)
        folded = frozenset(self._fold(attributes, count).items())
        with self._lock:
            self._sums[folded] = self._sums.get(folded, 0) + amount

    def observe(self, options: CallbackOptions) -> Iterable[Observation]:
        _flush_held()
        with self._lock:
            sums = list(self._sums.items())
        return [Observation(total, dict(key)) for key, total in sums]

    @property
    def series(self) -> int:
        """How many attribute sets this counter holds a sum for."""
        return len(self._sums)


# Records a backlog holds (a finished call's is ~0.6 KB). A full backlog is expanded at once, in the
# thread that adds to it: the same work a collection would do, done earlier, so that what waits for a
# reader that collects rarely (or never) stays near 1 MB.
MAX_BACKLOG = 2048


class Backlog:
    """Records of finished work, turned into counter sums and histogram values when a reader collects.

    Why: a call's data points go to up to eight instruments; appending one record costs a fraction of
    that, and a collection expands the records together, each series looked up once per batch. Held
    records are bounded: a full backlog (MAX_BACKLOG) is expanded before the next record is added.
    """

    __slots__ = ("__weakref__", "_expand", "_records")

    def __init__(self, expand: Callable[[list[Any]], None]) -> None:
        # A deque: ``append`` and ``popleft`` are atomic, so neither side needs a lock and no record
        # appended during a drain is lost (it is drained now or by the next collection).
        self._records: deque[Any] = deque()
        self._expand = expand

    def add(self, record: Any) -> None:
        records = self._records
        if len(records) >= MAX_BACKLOG:
            self.drain()
        records.append(record)

    def drain(self) -> None:
        batch: list[Any] = []
        pop = self._records.popleft
        try:
            while True:
                batch.append(pop())
        except IndexError:
            pass
        if batch:
            self._expand(batch)


def backlog(expand: Callable[[list[Any]], None]) -> Backlog:
    """A new ``Backlog``, drained at the start of every collection while it is referenced."""
    global _backlogs
    made = Backlog(expand)
    with _histograms_lock:
        _backlogs = (*(ref for ref in _backlogs if ref() is not None), weakref.ref(made))
    return made


# The meter's instrument -> ours. The SDK returns the same instrument object when a name is registered
# again on the same meter; that is how a second Telemetry finds the state of the first.
_shared: weakref.WeakKeyDictionary[Any, SummedCounter | DeferredHistogram] = weakref.WeakKeyDictionary()
# Counters registered through the API's proxy meter provider (before the application set one), by
# provider, scope and name: its proxy instruments forward to one real instrument, which keeps only the
# callback registered first.
_proxy_counters: weakref.WeakKeyDictionary[Any, dict[tuple[str, str | None, str], SummedCounter]] = (
    weakref.WeakKeyDictionary()
)
_registry_lock = threading.Lock()
# Every histogram, replaced (never mutated) under its own lock so that collection callbacks can read it
# without a lock: they run under the SDK's collection lock, which registration may be waiting for.
_histograms: tuple[weakref.ref[DeferredHistogram], ...] = ()
# Every backlog, kept the same way; drained before the histograms are flushed.
_backlogs: tuple[weakref.ref[Backlog], ...] = ()
_histograms_lock = threading.Lock()


def summed_counter(
    meter: Meter, name: str, unit: str, description: str, *, provider: object = None
) -> SummedCounter:
    """The counter reported by ``meter`` (of ``provider``) under ``name``, registered on first use."""
    with _registry_lock:
        counter = SummedCounter(name)
        instrument = meter.create_observable_counter(
            name, callbacks=[counter.observe], unit=unit, description=description
        )
        if sdk_internals.is_proxy_instrument(instrument):
            by_name = _proxy_counters.setdefault(provider if provider is not None else meter, {})
            return by_name.setdefault((meter.name, meter.version, name), counter)
        known = _known(instrument)
        if isinstance(known, SummedCounter):
            return known
        _remember(instrument, counter)
        return counter


def deferred_histogram(
    meter: Meter, name: str, unit: str, description: str, boundaries: list[float]
) -> DeferredHistogram:
    """The histogram reported by ``meter`` under ``name``, with these bucket boundaries."""
    global _histograms
    with _registry_lock:
        instrument = meter.create_histogram(
            name, unit=unit, description=description, explicit_bucket_boundaries_advisory=boundaries
        )
        known = _known(instrument)
        if isinstance(known, DeferredHistogram):
            return known
        histogram = DeferredHistogram(instrument, name)
        _remember(instrument, histogram)
        with _histograms_lock:
            _histograms = (*(ref for ref in _histograms if ref() is not None), weakref.ref(histogram))
        return histogram


def _flush_held() -> None:
    """Every backlog expanded, then every histogram's held values replayed: run by each counter's
    callback, so before the SDK reads any sum or histogram of a collection."""
    for backlog_ref in _backlogs:
        held = backlog_ref()
        if held is not None:
            try:
                held.drain()
            except Exception:  # the histograms' own values must be flushed all the same
                logger.debug("agent-telemetry: held records could not be expanded", exc_info=True)
    for ref in _histograms:
        histogram = ref()
        if histogram is not None:
            histogram.flush()


def _remember(instrument: Any, ours: SummedCounter | DeferredHistogram) -> None:
    # An instrument that cannot be weakly referenced is not shared: still correct, only not reused.
    with contextlib.suppress(TypeError):
        _shared[instrument] = ours


def _known(instrument: Any) -> SummedCounter | DeferredHistogram | None:
    try:
        known = _shared.get(instrument)
    except TypeError:
        return None
    if known is not None:
        return known
    # A real instrument that proxy instruments forward to carries the proxy counter's callback: a
    # counter registered on it now must be that same counter.
    for callback in sdk_internals.instrument_callbacks(instrument):
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, SummedCounter):
            _remember(instrument, owner)
            return owner
    return None
