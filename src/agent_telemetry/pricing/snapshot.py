"""Prices from the genai-prices snapshot bundled with the installed package, compiled for the hot path.

Offline by construction: we build our own `DataSnapshot` from ``genai_prices.data`` (the bundled data)
and never touch `UpdatePrices`, the only code in genai-prices that fetches. A process that starts
`UpdatePrices` itself changes genai-prices' global snapshot, not ours, so our costs stay reproducible;
newer prices arrive by upgrading the package.
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Protocol

from genai_prices import Usage as GenaiUsage
from genai_prices.data_snapshot import DataSnapshot
from genai_prices.data_units import unit_data
from genai_prices.types import ModelInfo, Provider, StartDateConstraint, TieredPrices
from genai_prices.types import ModelPrice as GenaiModelPrice

from agent_telemetry.pricing.model_price import ModelPrice, TieredModelPrice
from agent_telemetry.usage import Usage


class Pricer(Protocol):
    def cost(self, usage: Usage) -> float: ...


# genai-prices price keys for the four token types we report.
_TOKEN_PRICE_KEYS = {
    "input_mtok": "input",
    "output_mtok": "output",
    "cache_read_mtok": "cache_read",
    "cache_write_mtok": "cache_write",
}


def _price_keys_we_cannot_ignore() -> frozenset[str]:
    """Price keys that would change the cost of a usage made only of our four token counts.

    A per-request fee always applies, and a unit whose dimensions are a subset of one of ours (e.g. a
    generic "tokens" unit) is an ancestor that genai-prices would charge. Every other unit (audio,
    images, 1h cache writes, web searches...) measures usage we never report, i.e. zero.
    """
    ours = [unit_data[f"{name}_tokens"]["dimensions"].items() for name in _TOKEN_PRICE_KEYS.values()]
    keys = set()
    for usage_key, unit in unit_data.items():
        dims = unit["dimensions"].items()
        if usage_key == "requests" or any(dims <= mine for mine in ours):
            keys.add(unit.get("price_key", usage_key))
    return frozenset(keys - _TOKEN_PRICE_KEYS.keys())


_BLOCKING_PRICE_KEYS = _price_keys_we_cannot_ignore()


class GenaiPrices:
    """Looks models up in the bundled snapshot. Not thread-safe: `PriceBook` calls it under its lock."""

    def __init__(self) -> None:
        self._snapshot: DataSnapshot | None = None

    def _data(self) -> DataSnapshot:
        if self._snapshot is None:
            # Imported on first use: the data module is large and many processes never need it.
            from genai_prices.data import providers

            self._snapshot = DataSnapshot(providers=providers, from_auto_update=False)
        return self._snapshot

    def lookup(self, provider: str, model: str) -> Pricer | None:
        try:
            # An empty provider would match every provider's "contains" rule; let the model decide.
            genai_provider, info = self._data().find_provider_model(model, None, provider or None, None)
        except LookupError:
            return None
        return pricer_for(info, genai_provider)


def pricer_for(info: ModelInfo, provider: Provider, now: datetime | None = None) -> Pricer | None:
    """The fastest exact pricer for a model, or None if it has no per-token prices."""
    now = now or datetime.now(tz=UTC)
    if isinstance(info.prices, list) and any(
        c.constraint is not None and not isinstance(c.constraint, StartDateConstraint) for c in info.prices
    ):
        # Time-of-day prices (off-peak) change within a day: ask genai-prices on every call.
        return GenaiPricer(info, provider)
    price = info.get_prices(now)
    if not _has_token_prices(price):
        return None
    compiled = compile_price(price)
    if compiled is None:
        return GenaiPricer(info, provider)
    switch_at = _next_price_change(info, now.date())
    if switch_at is None:
        return compiled
    return ScheduledPricer(info, provider, compiled, switch_at)


def _has_token_prices(price: GenaiModelPrice) -> bool:
    # Models billed only per image, second or character have no price for our usage.
    return price.input_mtok is not None or price.output_mtok is not None


def compile_price(price: GenaiModelPrice) -> ModelPrice | TieredModelPrice | None:
    """Our own price equivalent to a genai-prices one for our usage, or None if it cannot be expressed."""
    values: dict[str, Decimal | TieredPrices] = {}
    for key, value in vars(price).items():
        if value is None or key.startswith("_"):
            continue
        if key in _BLOCKING_PRICE_KEYS:
            return None
        if key in _TOKEN_PRICE_KEYS:
            values[_TOKEN_PRICE_KEYS[key]] = value
    thresholds = sorted({t.start for v in values.values() if isinstance(v, TieredPrices) for t in v.tiers})
    base = _flat_price(values, prompt_above=None)
    if not thresholds:
        return base
    return TieredModelPrice(base, tuple((t, _flat_price(values, prompt_above=t)) for t in thresholds))


def _flat_price(values: Mapping[str, Decimal | TieredPrices], prompt_above: int | None) -> ModelPrice:
    def rate(name: str) -> float | None:
        value = values.get(name)
        if value is None:
            return None
        if isinstance(value, TieredPrices):
            applicable = value.base
            for tier in value.tiers:  # sorted ascending by genai-prices
                if prompt_above is not None and tier.start <= prompt_above:
                    applicable = tier.price
            return float(applicable)
        return float(value)

    input_rate = rate("input") or 0.0
    cache_read = rate("cache_read")
    cache_write = rate("cache_write")
    # An unpriced cache type is not split out of the input by genai-prices: it costs plain input.
    return ModelPrice(
        input=input_rate,
        output=rate("output") or 0.0,
        cache_read=input_rate if cache_read is None else cache_read,
        cache_write=input_rate if cache_write is None else cache_write,
    )


def _next_price_change(info: ModelInfo, today: date) -> float | None:
    """Unix time of the next dated price change (UTC midnight, as genai-prices reads it), if any."""
    if not isinstance(info.prices, list):
        return None
    upcoming: Iterable[date] = (
        c.constraint.start_date
        for c in info.prices
        if isinstance(c.constraint, StartDateConstraint) and c.constraint.start_date > today
    )
    first = min(upcoming, default=None)
    return None if first is None else datetime.combine(first, time(0), tzinfo=UTC).timestamp()


def to_genai_usage(usage: Usage) -> GenaiUsage:
    """genai-prices' ``input_tokens`` is the whole prompt: cache reads and writes are parts of it.

    Reasoning tokens are not passed: they are inside ``output_tokens`` and priced as output.
    """
    return GenaiUsage(
        input_tokens=usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
    )


class GenaiPricer:
    """Slow but general: genai-prices' own calculation, for prices we do not compile (tens of µs)."""

    __slots__ = ("_info", "_provider")

    def __init__(self, info: ModelInfo, provider: Provider) -> None:
        self._info = info
        self._provider = provider

    def cost(self, usage: Usage) -> float:
        return float(self._info.calc_price(to_genai_usage(usage), self._provider).total_price)


class ScheduledPricer:
    """A compiled price that is recompiled when the model's announced price change takes effect."""

    __slots__ = ("_info", "_provider", "_state")

    def __init__(self, info: ModelInfo, provider: Provider, current: Pricer, switch_at: float) -> None:
        self._info = info
        self._provider = provider
        # One tuple so that concurrent readers never see a price from one period with another's deadline.
        self._state = (switch_at, current)

    def cost(self, usage: Usage) -> float:
        switch_at, pricer = self._state
        if _time.time() >= switch_at:
            pricer = self._refresh()
        return pricer.cost(usage)

    def current(self) -> Pricer:
        switch_at, pricer = self._state
        return self._refresh() if _time.time() >= switch_at else pricer

    def _refresh(self) -> Pricer:
        now = datetime.now(tz=UTC)
        compiled = compile_price(self._info.get_prices(now))
        pricer: Pricer = GenaiPricer(self._info, self._provider) if compiled is None else compiled
        switch_at = _next_price_change(self._info, now.date())
        self._state = (float("inf") if switch_at is None else switch_at, pricer)
        return pricer
