"""`PriceBook`: USD cost of one LLM call, from override prices first and genai-prices second."""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Iterable

from agent_telemetry.config import Settings
from agent_telemetry.pricing.model_price import ModelPrice, TieredModelPrice
from agent_telemetry.pricing.price_file import (
    OverrideTable,
    PriceFileError,
    PriceOverride,
    load_price_file,
)
from agent_telemetry.pricing.snapshot import GenaiPrices, Pricer, ScheduledPricer
from agent_telemetry.usage import Usage

PRICES_ENV_VAR = "AGENT_TELEMETRY_PRICES"
DEFAULT_CACHE_SIZE = 1024
# Unknown model names come from responses, so bound the memory they can take.
_MAX_WARNED = 1024

logger = logging.getLogger("agent_telemetry")


class PriceBook:
    """Prices LLM calls. Thread-safe; `cost` is silent and `warn_unpriced_once` logs.

    Lookups are cached per (provider, model) in a bounded LRU cache, unknown models included, so a
    repeated call costs a dict lookup and a few multiplications.
    """

    def __init__(
        self,
        overrides: Iterable[PriceOverride] = (),
        *,
        use_genai_prices: bool = True,
        cache_size: int = DEFAULT_CACHE_SIZE,
        source: str | None = None,
    ) -> None:
        self._overrides = OverrideTable(overrides)
        self._genai = GenaiPrices() if use_genai_prices else None
        self.source = source
        """The override file this book was loaded from, if any."""
        self._lock = threading.Lock()
        self._warned: set[tuple[str, str]] = set()
        # Per instance, not a method decorator: the cache must not outlive or be shared between books.
        self._lookup = functools.lru_cache(maxsize=cache_size)(self._resolve)

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        *,
        use_genai_prices: bool = True,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> PriceBook:
        """A book with the overrides of a price file; raises `PriceFileError`."""
        return cls(
            load_price_file(path),
            use_genai_prices=use_genai_prices,
            cache_size=cache_size,
            source=os.fspath(path),
        )

    def cost(self, provider: str, model: str, usage: Usage) -> float | None:
        """USD cost of one call, or None if the model has no known price. Never logs."""
        pricer = self._lookup(provider, model)
        return None if pricer is None else pricer.cost(usage)

    def price(self, provider: str, model: str) -> ModelPrice | None:
        """The per-MTok prices a short prompt pays now (long-context tiers aside), or None if unknown.

        Also None for the rare model whose prices only genai-prices can apply (time-of-day rates).
        """
        pricer = self._lookup(provider, model)
        if isinstance(pricer, ScheduledPricer):
            pricer = pricer.current()
        if isinstance(pricer, TieredModelPrice):
            return pricer.base
        return pricer if isinstance(pricer, ModelPrice) else None

    def warn_unpriced_once(self, provider: str, model: str) -> bool:
        """Log one warning per (provider, model) for the life of this book; True if it logged now."""
        key = (provider, model)
        if key in self._warned:
            return False
        with self._lock:
            if key in self._warned or len(self._warned) > _MAX_WARNED:
                return False
            self._warned.add(key)
            last = len(self._warned) > _MAX_WARNED
        logger.warning(
            "agent-telemetry: no price known for %s model %r; its cost is not recorded. "
            "Add it to a price file (%s) to price it.",
            provider,
            model,
            PRICES_ENV_VAR,
        )
        if last:
            logger.warning("agent-telemetry: too many unpriced models; no further unpriced-model warnings")
        return True

    def cache_info(self) -> functools._CacheInfo:
        return self._lookup.cache_info()

    def _resolve(self, provider: str, model: str) -> Pricer | None:
        # Only on a cache miss. The lock serialises genai-prices' own (unsynchronised) lookup caches.
        with self._lock:
            override = self._overrides.match(provider, model)
            if override is not None:
                return override
            if self._genai is None:
                return None
            return self._genai.lookup(provider, model)

    def __repr__(self) -> str:
        return f"PriceBook(overrides={len(self._overrides)}, source={self.source!r})"


def load_price_book(path: str | os.PathLike[str] | None = None) -> PriceBook:
    """A `PriceBook` with the overrides of ``path``, or of ``$AGENT_TELEMETRY_PRICES`` when path is None.

    Without either, genai-prices alone. Raises `PriceFileError` for an unreadable or invalid file.
    """
    if path is None:
        path = Settings.from_env().prices_file
    if path is None:
        return PriceBook()
    return PriceBook.from_file(path)


def load_price_book_or_bundled(path: str | os.PathLike[str] | None) -> PriceBook:
    """The book of the price file ``path``; for a file we cannot use, the bundled prices alone.

    A bad price file must not switch telemetry off: it costs one warning line naming the file and
    the problem, and every call is still counted (priced from genai-prices' bundled data).
    """
    if path is None:
        return PriceBook()
    try:
        return PriceBook.from_file(path)
    except PriceFileError as exc:
        problem = "; ".join(exc.problems)
    except Exception as exc:  # e.g. a file that is not text: still a configuration problem
        problem = f"cannot read price file: {exc}"
    logger.warning(
        "agent-telemetry: %s=%s is not used (%s); using the bundled prices",
        PRICES_ENV_VAR,
        os.fspath(path),
        problem,
    )
    return PriceBook()
