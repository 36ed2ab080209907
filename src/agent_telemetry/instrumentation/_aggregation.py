"""The hot path's measurements, kept in-process and handed to the OpenTelemetry SDK at collection time.

Why: inside an application, right after an SDK call has churned through the CPU caches, one
synchronous ``Counter.add`` or ``Histogram.record`` costs 10-40 µs in the OpenTelemetry SDK (attribute
validation, hashing, view matching and aggregation, under locks), and a call records up to seven; a
dict update or a list append under an uncontended lock costs well under a microsecond. Readers see the
same metrics either way: counters become ``ObservableCounter`` s whose callbacks report the running
sums, and histogram values are replayed into the SDK histogram by those callbacks, which the SDK runs
at the start of every collection (periodic export, Prometheus scrape, ``shutdown()``), before it reads
its histograms; replayed in a batch, each costs a fraction of what it costs in the application's call.

Each ``SummedCounter`` and ``DeferredHistogram`` belongs to one instrument of one SDK meter, shared by
every ``Telemetry`` built on that meter, so that ``uninstrument()`` then ``instrument()`` keeps
counting into the series the meter already reports (the SDK hands back the existing instrument, with
its first callbacks, when a name is registered again).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry.metrics import CallbackOptions, Meter, Observation

Attributes = Mapping[str, str]

# Pending histogram values past which the recording thread replays them itself: memory stays bounded
# when nothing ever collects (a provider without a reader, say).
MAX_PENDING = 4096


class DeferredHistogram:
    """``record(amount, attributes)`` like a ``Histogram``; replayed into it by ``flush()``."""

    __slots__ = ("__weakref__", "_histogram", "_lock", "_pending")

    def __init__(self, histogram: Any) -> None:
        self._histogram = histogram
        self._lock = threading.Lock()
        self._pending: list[tuple[int | float, Attributes | None]] = []

    def record(self, amount: int | float, attributes: Attributes | None = None) -> None:
        with self._lock:
            self._pending.append((amount, attributes))
            full = len(self._pending) >= MAX_PENDING
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        record = self._histogram.record
        for amount, attributes in pending:
            record(amount, attributes)


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
_histograms: weakref.WeakSet[DeferredHistogram] = weakref.WeakSet()
_registry_lock = threading.Lock()


def summed_counter(meter: Meter, name: str, unit: str, description: str) -> SummedCounter:
    """The counter reported by ``meter`` under ``name``, registered on first use."""
    with _registry_lock:
        counter = SummedCounter()
        instrument = meter.create_observable_counter(
            name, callbacks=[counter.observe], unit=unit, description=description
        )
        known = _known(instrument)
        if isinstance(known, SummedCounter):
            return known
        _remember(instrument, counter)
        return counter


def deferred_histogram(
    meter: Meter, name: str, unit: str, description: str, boundaries: list[float]
) -> DeferredHistogram:
    """The histogram reported by ``meter`` under ``name``, with these bucket boundaries."""
    with _registry_lock:
        instrument = meter.create_histogram(
            name, unit=unit, description=description, explicit_bucket_boundaries_advisory=boundaries
        )
        known = _known(instrument)
        if isinstance(known, DeferredHistogram):
            return known
        histogram = DeferredHistogram(instrument)
        _remember(instrument, histogram)
        _histograms.add(histogram)
        return histogram


def _flush_histograms() -> None:
    for histogram in list(_histograms):
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
    # Registered first through the API's proxy meter (before a meter provider was set): the proxy's
    # instrument forwards to this one, and this one already carries the first registration's callback.
    for candidate, ours in list(_shared.items()):
        if getattr(candidate, "_real_instrument", None) is instrument:
            _shared[instrument] = ours
            return ours
    return None
