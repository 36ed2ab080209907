"""Costs from the genai-prices snapshot: exact values, cache and reasoning handling, name resolution."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from genai_prices import Usage as GenaiUsage
from genai_prices import calc_price

from agent_telemetry.pricing import ModelPrice, PriceBook
from agent_telemetry.pricing import snapshot as snapshot_module
from agent_telemetry.pricing.model_price import TieredModelPrice
from agent_telemetry.pricing.snapshot import GenaiPricer, ScheduledPricer, pricer_for, to_genai_usage
from agent_telemetry.usage import Usage

# The models tests and the demo rely on, as the providers report them, with their snapshot prices in
# USD per million tokens (input, output, cache_read, cache_write). OpenAI has no cache-write price:
# OpenAI does not report cache writes, and genai-prices charges them as plain input.
KNOWN_MODELS: dict[tuple[str, str], ModelPrice] = {
    ("openai", "gpt-4o-mini-2024-07-18"): ModelPrice(0.15, 0.6, 0.075, 0.15),
    ("openai", "gpt-4o-2024-08-06"): ModelPrice(2.5, 10.0, 1.25, 2.5),
    ("openai", "o4-mini"): ModelPrice(1.1, 4.4, 0.275, 1.1),
    ("anthropic", "claude-3-5-haiku-latest"): ModelPrice(0.8, 4.0, 0.08, 1.0),
    ("anthropic", "claude-sonnet-4-5-20250929"): ModelPrice(3.0, 15.0, 0.3, 3.75),
    ("anthropic", "claude-opus-4-1-20250805"): ModelPrice(15.0, 75.0, 1.5, 18.75),
}

USAGE = Usage(
    input_tokens=1_200,
    output_tokens=850,
    cache_read_tokens=4_000,
    cache_write_tokens=300,
    reasoning_tokens=600,
)


def exact(*terms: tuple[int, str]) -> float:
    """sum(tokens * USD/MTok) / 1e6 in exact decimal arithmetic, rounded once to a float."""
    return float(sum((Decimal(tokens) * Decimal(price) for tokens, price in terms), Decimal(0)) / 1_000_000)


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return PriceBook()


@pytest.mark.parametrize(("provider", "model"), list(KNOWN_MODELS))
def test_known_models_resolve_with_their_snapshot_prices(book: PriceBook, provider: str, model: str) -> None:
    assert book.price(provider, model) == KNOWN_MODELS[provider, model]


def test_openai_cost_is_exact(book: PriceBook) -> None:
    # gpt-4o-mini: $0.15 input, $0.60 output, $0.075 cache read; reasoning is inside output.
    expected = exact((1_200, "0.15"), (850, "0.6"), (4_000, "0.075"), (300, "0.15"))
    assert expected == 0.001_035  # (180 + 510 + 300 + 45) / 1e6
    assert book.cost("openai", "gpt-4o-mini-2024-07-18", USAGE) == pytest.approx(expected, rel=1e-12)


def test_anthropic_cost_is_exact(book: PriceBook) -> None:
    # claude-sonnet-4-5: $3 input, $15 output, $0.30 cache read, $3.75 cache write (5-minute).
    expected = exact((1_200, "3"), (850, "15"), (4_000, "0.3"), (300, "3.75"))
    assert expected == 0.018_675  # (3600 + 12750 + 1200 + 1125) / 1e6
    assert book.cost("anthropic", "claude-sonnet-4-5-20250929", USAGE) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("field", "rate"),
    [
        ("input_tokens", "3"),
        ("output_tokens", "15"),
        ("cache_read_tokens", "0.3"),
        ("cache_write_tokens", "3.75"),
    ],
)
def test_each_token_type_is_priced_at_its_own_rate(book: PriceBook, field: str, rate: str) -> None:
    usage = Usage(**{field: 10_000})
    assert book.cost("anthropic", "claude-sonnet-4-5-20250929", usage) == pytest.approx(
        exact((10_000, rate)), rel=1e-12
    )


def test_cache_reads_are_not_also_charged_as_input(book: PriceBook) -> None:
    # Our input_tokens exclude cache reads; moving 1M tokens into the cache saves exactly input - cache_read.
    uncached = book.cost("openai", "gpt-4o-mini", Usage(input_tokens=1_000_000))
    cached = book.cost("openai", "gpt-4o-mini", Usage(cache_read_tokens=1_000_000))
    assert uncached == pytest.approx(0.15, rel=1e-12)
    assert cached == pytest.approx(0.075, rel=1e-12)


def test_reasoning_tokens_are_priced_as_output_and_not_twice(book: PriceBook) -> None:
    with_reasoning = Usage(input_tokens=100, output_tokens=5_000, reasoning_tokens=4_500)
    expected = exact((100, "1.1"), (5_000, "4.4"))
    assert book.cost("openai", "o4-mini", with_reasoning) == pytest.approx(expected, rel=1e-12)
    assert book.cost("openai", "o4-mini", with_reasoning) == book.cost(
        "openai", "o4-mini", Usage(input_tokens=100, output_tokens=5_000)
    )


def test_long_context_tier_applies_to_all_tokens_above_the_threshold(book: PriceBook) -> None:
    # claude-sonnet-4-5 charges every token at $6/$22.50/$0.60/$7.50 once the prompt exceeds 200k tokens,
    # the prompt being uncached input + cache reads + cache writes.
    at = Usage(input_tokens=100_000, output_tokens=1_000, cache_read_tokens=99_000, cache_write_tokens=1_000)
    above = Usage(
        input_tokens=100_001, output_tokens=1_000, cache_read_tokens=99_000, cache_write_tokens=1_000
    )
    model = "claude-sonnet-4-5-20250929"
    assert book.cost("anthropic", model, at) == pytest.approx(
        exact((100_000, "3"), (1_000, "15"), (99_000, "0.3"), (1_000, "3.75")), rel=1e-12
    )
    assert book.cost("anthropic", model, above) == pytest.approx(
        exact((100_001, "6"), (1_000, "22.5"), (99_000, "0.6"), (1_000, "7.5")), rel=1e-12
    )


@pytest.mark.parametrize(("provider", "model"), list(KNOWN_MODELS))
def test_known_models_agree_with_genai_prices_calc_price(book: PriceBook, provider: str, model: str) -> None:
    # genai-prices' input_tokens is the whole prompt, cache reads and writes included.
    genai_usage = GenaiUsage(
        input_tokens=5_500, output_tokens=850, cache_read_tokens=4_000, cache_write_tokens=300
    )
    reference = calc_price(genai_usage, model, provider_id=provider)
    assert to_genai_usage(USAGE) == genai_usage
    assert book.cost(provider, model, USAGE) == pytest.approx(float(reference.total_price), rel=1e-12)


def test_every_snapshot_model_agrees_with_genai_prices() -> None:
    """Our compiled fast path gives genai-prices' own answer for every model it can price per token."""
    from genai_prices.data import providers

    rnd = random.Random(20250929)
    now = datetime.now(tz=UTC)
    checked = 0
    for provider in providers:
        for info in provider.models:
            pricer = pricer_for(info, provider, now)
            if pricer is None:
                continue
            for _ in range(3):
                usage = Usage(
                    input_tokens=rnd.choice([0, 7, 1_000, 150_000, 300_000]),
                    output_tokens=rnd.randint(0, 50_000),
                    cache_read_tokens=rnd.choice([0, 100, 120_000]),
                    cache_write_tokens=rnd.choice([0, 77, 100_001]),
                )
                reference = info.calc_price(to_genai_usage(usage), provider, genai_request_timestamp=now)
                assert pricer.cost(usage) == pytest.approx(
                    float(reference.total_price), rel=1e-12, abs=1e-15
                ), (
                    provider.id,
                    info.id,
                    usage,
                )
                checked += 1
    assert checked > 3_000


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        ("openai", "gpt-4o-mini-2024-07-18", ModelPrice(0.15, 0.6, 0.075, 0.15)),
        ("openai", "gpt-4o-mini", ModelPrice(0.15, 0.6, 0.075, 0.15)),
        ("openai", "GPT-4o-Mini", ModelPrice(0.15, 0.6, 0.075, 0.15)),
        ("anthropic", "claude-3-5-haiku-20241022", ModelPrice(0.8, 4.0, 0.08, 1.0)),
        ("anthropic", "claude-sonnet-4-5", ModelPrice(3.0, 15.0, 0.3, 3.75)),
    ],
)
def test_model_aliases_and_snapshots_resolve(
    book: PriceBook, provider: str, model: str, expected: ModelPrice
) -> None:
    assert book.price(provider, model) == expected


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("openai", "no-such-model"),
        ("anthropic", "gpt-4o-mini"),  # the provider is taken at its word
        ("openai", "claude-3-5-haiku-latest"),
        ("no-such-provider", "gpt-4o-mini"),
        ("openai", ""),
    ],
)
def test_unknown_models_cost_none(book: PriceBook, provider: str, model: str) -> None:
    assert book.cost(provider, model, USAGE) is None
    assert book.price(provider, model) is None


def test_the_snapshot_used_is_the_bundled_one_even_if_someone_installs_another() -> None:
    """genai-prices' global snapshot (what UpdatePrices replaces) does not change our prices."""
    from genai_prices import data_snapshot

    data_snapshot.set_custom_snapshot(data_snapshot.DataSnapshot(providers=[], from_auto_update=True))
    try:
        assert PriceBook().price("openai", "gpt-4o-mini") == ModelPrice(0.15, 0.6, 0.075, 0.15)
    finally:
        data_snapshot.set_custom_snapshot(None)


def test_announced_price_change_is_applied_when_it_takes_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    """o3 went from $10/$40 to $2/$8 on 2025-06-10: a pricer built before then switches on that day."""
    from genai_prices.data import providers

    openai = next(p for p in providers if p.id == "openai")
    o3 = next(m for m in openai.models if m.id == "o3")
    before = datetime(2025, 6, 9, 23, 59, tzinfo=UTC)
    pricer = pricer_for(o3, openai, now=before)
    assert isinstance(pricer, ScheduledPricer)
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)

    monkeypatch.setattr(snapshot_module._time, "time", lambda: before.timestamp())
    assert pricer.cost(usage) == pytest.approx(50.0, rel=1e-12)
    monkeypatch.setattr(snapshot_module._time, "time", lambda: datetime(2025, 6, 10, tzinfo=UTC).timestamp())
    assert pricer.cost(usage) == pytest.approx(10.0, rel=1e-12)


def test_prices_genai_prices_cannot_compile_fall_back_to_its_calculation() -> None:
    # deepseek-chat has off-peak (time-of-day) prices; perplexity charges per request.
    from genai_prices.data import providers

    by_id = {p.id: p for p in providers}
    for provider_id, model_id in [("deepseek", "deepseek-chat"), ("perplexity", "sonar")]:
        provider = by_id[provider_id]
        info = next(m for m in provider.models if m.id == model_id)
        pricer = pricer_for(info, provider)
        assert isinstance(pricer, GenaiPricer)
        reference = info.calc_price(GenaiUsage(input_tokens=1_000, output_tokens=10), provider)
        assert pricer.cost(Usage(input_tokens=1_000, output_tokens=10)) == pytest.approx(
            float(reference.total_price), rel=1e-12
        )


def test_tiered_price_keeps_base_for_small_prompts(book: PriceBook) -> None:
    pricer = book._lookup("anthropic", "claude-sonnet-4-5-20250929")
    assert isinstance(pricer, TieredModelPrice)
    assert pricer.price_for(200_000) == ModelPrice(3.0, 15.0, 0.3, 3.75)
    assert pricer.price_for(200_001) == ModelPrice(6.0, 22.5, 0.6, 7.5)
