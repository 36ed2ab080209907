"""The hot path's measurements, kept in-process and handed to the OpenTelemetry SDK at collection time.

Why: inside an application, right after an SDK call has churned through the CPU caches, one
synchronous ``Counter.add`` or ``Histogram.record`` costs 10-40 µs in the OpenTelemetry SDK (attribute
validation, hashing, view matching and aggregation, under locks), and a call records up to seven; a
dict update or a list append under an uncontended lock costs well under a microsecond. Readers see the
same series: counters become ``ObservableCounter`` s whose callbacks report the running sums, and
histogram values (with the context they were recorded in, for exemplars) are replayed into the SDK
histogram by those callbacks, which the SDK runs at the start of every collection (periodic export,
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
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry.context import Context
from opentelemetry.metrics import CallbackOptions, Meter, Observation

Attributes = Mapping[str, str]

logger = logging.getLogger("agent_telemetry")

# Queued values per histogram. Past this (a reader that collects rarely, or none), values go to the
# SDK directly, as with a plain Histogram: memory stays bounded and no call pays for a whole queue.
MAX_PENDING = 8192


class DeferredHistogram:
    """``record(amount, attributes, context)`` like a ``Histogram``; replayed into it by ``flush()``."""

    __slots__ = ("__weakref__", "_histogram", "_lock", "_pending")

    def __init__(self, histogram: Any) -> None:
        self._histogram = weakref.ref(histogram)
        self._lock = threading.Lock()
        self._pending: list[tuple[int | float, Attributes | None, Context | None]] = []

    def record(
        self, amount: int | float, attributes: Attributes | None = None, context: Context | None = None
    ) -> None:
        with self._lock:
            if len(self._pending) < MAX_PENDING:
                self._pending.append((amount, attributes, context))
                return
        histogram = self._histogram()
        if histogram is not None:
            histogram.record(amount, attributes, context=context)

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        histogram = self._histogram()
        if histogram is None:
            return  # its meter is gone: nobody can read these values any more
        for amount, attributes, context in pending:
            try:
                histogram.record(amount, attributes, context=context)
            except Exception:  # one bad value must not cost the others
                logger.debug("agent-telemetry: a histogram value could not be recorded", exc_info=True)


class SummedCounter:
    """``add(amount, attributes)`` like a ``Counter``; the sums are observed by the meter's reader."""

    __slots__ = ("__weakref__", "_lock", "_sums")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # frozenset of the attribute items -> running sum. A frozenset, not a tuple: the same labels
        # given in another order must land in the same series.
        self._sums: dict[frozenset[tuple[str, str]], int | float] = {}

    def add(self, amount: int | float, attributes: Attributes | None = None) -> None:
        key = frozenset(attributes.items()) if attributes else frozenset()
        with self._lock:
            self._sums[key] = self._sums.get(key, 0) + amount

    def observe(self, options: CallbackOptions) -> Iterable[Observation]:
        _flush_histograms()
        with self._lock:
            sums = list(self._sums.items())
        return [Observation(total, dict(key)) for key, total in sums]


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
_histograms_lock = threading.Lock()


def summed_counter(
    meter: Meter, name: str, unit: str, description: str, *, provider: object = None
) -> SummedCounter:
    """The counter reported by ``meter`` (of ``provider``) under ``name``, registered on first use."""
    with _registry_lock:
        counter = SummedCounter()
        instrument = meter.create_observable_counter(
            name, callbacks=[counter.observe], unit=unit, description=description
        )
        if _is_proxy(instrument):
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
        histogram = DeferredHistogram(instrument)
        _remember(instrument, histogram)
        with _histograms_lock:
            _histograms = (*(ref for ref in _histograms if ref() is not None), weakref.ref(histogram))
        return histogram


def _flush_histograms() -> None:
    for ref in _histograms:
        histogram = ref()
        if histogram is not None:
            histogram.flush()


def _is_proxy(instrument: Any) -> bool:
    """An instrument of the API's proxy meter: it forwards to a real one once a provider is set."""
    return hasattr(instrument, "_real_instrument")


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
    for callback in getattr(instrument, "_callbacks", None) or ():
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, SummedCounter):
            _remember(instrument, owner)
            return owner
    return None
