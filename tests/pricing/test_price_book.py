"""PriceBook: overrides over genai-prices, env var, one warning per unpriced model, caching, threads."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from agent_telemetry.pricing import (
    PRICES_ENV_VAR,
    ModelPrice,
    PriceBook,
    PriceFileError,
    PriceOverride,
    load_price_book,
)
from agent_telemetry.pricing.book import load_price_book_or_bundled
from agent_telemetry.usage import Usage

USAGE = Usage(input_tokens=1_000, output_tokens=2_000, cache_read_tokens=3_000, cache_write_tokens=4_000)

PRICES_YAML = """\
models:
  - model: gpt-4o-mini
    provider: openai
    input: 1
    output: 4
    cache_read: 0.5
  - model: claude-3-5-haiku-latest
    provider: anthropic
    input: 2
    output: 8
    cache_read: 0.25
    cache_write: 2.5
  - model: my-ft-special
    input: 9
    output: 9
  - model: "my-ft-*"
    provider: openai
    input: 3
    output: 6
  - model: "my-*"
    input: 5
    output: 10
"""


@pytest.fixture
def prices_file(tmp_path: Path) -> str:
    path = tmp_path / "prices.yaml"
    path.write_text(PRICES_YAML, encoding="utf-8")
    return str(path)


@pytest.fixture(autouse=True)
def no_env_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PRICES_ENV_VAR, raising=False)


def test_override_wins_over_genai_prices(prices_file: str) -> None:
    book = load_price_book(prices_file)
    # gpt-4o-mini is $0.15/$0.60 in genai-prices; the file says $1/$4, cache read $0.50, writes as input.
    assert book.cost("openai", "gpt-4o-mini", USAGE) == pytest.approx(
        (1_000 * 1 + 2_000 * 4 + 3_000 * 0.5 + 4_000 * 1) / 1e6, rel=1e-12
    )
    assert book.cost("anthropic", "claude-3-5-haiku-latest", USAGE) == pytest.approx(
        (1_000 * 2 + 2_000 * 8 + 3_000 * 0.25 + 4_000 * 2.5) / 1e6, rel=1e-12
    )


def test_override_is_exact_and_case_insensitive_so_snapshots_still_come_from_genai_prices(
    prices_file: str,
) -> None:
    book = load_price_book(prices_file)
    assert book.price("openai", "GPT-4o-Mini") == ModelPrice(1.0, 4.0, 0.5, 1.0)
    # The dated snapshot is not "gpt-4o-mini": no override, genai-prices' price.
    assert book.price("openai", "gpt-4o-mini-2024-07-18") == ModelPrice(0.15, 0.6, 0.075, 0.15)


def test_override_with_provider_applies_to_that_provider_only(prices_file: str) -> None:
    book = load_price_book(prices_file)
    assert book.price("azure.ai.openai", "gpt-4o-mini") == ModelPrice(0.15, 0.6, 0.075, 0.15)


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        ("openai", "my-ft-2024", ModelPrice(3.0, 6.0, 3.0, 3.0)),  # first matching glob for openai
        ("anthropic", "my-ft-2024", ModelPrice(5.0, 10.0, 5.0, 5.0)),  # provider-less glob
        ("openai", "my-ft-special", ModelPrice(9.0, 9.0, 9.0, 9.0)),  # exact beats glob
        ("openai", "my-other", ModelPrice(5.0, 10.0, 5.0, 5.0)),  # prefix via "my-*"
        ("some-gateway", "MY-model", ModelPrice(5.0, 10.0, 5.0, 5.0)),  # any provider, any case
        ("openai", "not-my-model", None),
    ],
)
def test_globs(prices_file: str, provider: str, model: str, expected: ModelPrice | None) -> None:
    book = load_price_book(prices_file)
    assert book.price(provider, model) == expected
    if expected is not None:
        assert book.cost(provider, model, USAGE) == pytest.approx(expected.cost(USAGE), rel=1e-12)


def test_provider_specific_exact_entry_beats_provider_less_one() -> None:
    generic = ModelPrice(1.0, 1.0, 1.0, 1.0)
    specific = ModelPrice(2.0, 2.0, 2.0, 2.0)
    book = PriceBook(
        [PriceOverride("m", generic), PriceOverride("m", specific, provider="OpenAI")], use_genai_prices=False
    )
    assert book.price("openai", "m") == specific
    assert book.price("anthropic", "m") == generic


def test_env_var_is_read_when_no_path_is_given(prices_file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PRICES_ENV_VAR, prices_file)
    book = load_price_book()
    assert book.source == prices_file
    assert book.price("openai", "gpt-4o-mini") == ModelPrice(1.0, 4.0, 0.5, 1.0)


def test_explicit_path_beats_env_var(
    prices_file: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PRICES_ENV_VAR, str(tmp_path / "absent.yaml"))
    assert load_price_book(prices_file).price("openai", "gpt-4o-mini") == ModelPrice(1.0, 4.0, 0.5, 1.0)


def test_no_file_means_genai_prices_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PRICES_ENV_VAR, "")
    book = load_price_book()
    assert book.source is None
    assert book.price("openai", "gpt-4o-mini") == ModelPrice(0.15, 0.6, 0.075, 0.15)


def test_invalid_env_file_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("models:\n  - {model: gpt-x, input: 1, output: -2}\n", encoding="utf-8")
    monkeypatch.setenv(PRICES_ENV_VAR, str(path))
    with pytest.raises(
        PriceFileError, match=r"prices\.yaml: models\[0\] \(gpt-x\): 'output' must be a non-negative"
    ):
        load_price_book()


def test_for_instrumentation_an_invalid_file_is_one_line_and_the_bundled_prices(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="agent_telemetry")
    path = tmp_path / "prices.yaml"
    path.write_text(
        "models:\n  - {model: gpt-x, input: 1, output: -2}\n  - {model: gpt-y}\n", encoding="utf-8"
    )
    book = load_price_book_or_bundled(str(path))
    assert book.source is None
    assert book.price("openai", "gpt-4o-mini") == ModelPrice(0.15, 0.6, 0.075, 0.15)
    assert [r.getMessage() for r in caplog.records] == [
        f"agent-telemetry: AGENT_TELEMETRY_PRICES={path} is not used (models[0] (gpt-x): 'output' must be a "
        "non-negative number; models[1] (gpt-y): 'input' is required; models[1] (gpt-y): 'output' is required); "
        "using the bundled prices"
    ]


def test_unknown_model_costs_none_silently_and_warns_once_per_model(caplog: pytest.LogCaptureFixture) -> None:
    book = PriceBook()
    caplog.set_level(logging.WARNING, logger="agent_telemetry")
    for _ in range(100):
        assert book.cost("openai", "gpt-unknown", USAGE) is None
        assert book.cost("anthropic", "claude-unknown", USAGE) is None
    assert caplog.records == []  # cost() never logs

    logged = [book.warn_unpriced_once("openai", "gpt-unknown") for _ in range(50)]
    logged += [book.warn_unpriced_once("anthropic", "claude-unknown") for _ in range(50)]
    assert logged.count(True) == 2
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        (
            "agent_telemetry",
            logging.WARNING,
            "agent-telemetry: no price known for openai model 'gpt-unknown'; its cost is not recorded. "
            "Add it to a price file (AGENT_TELEMETRY_PRICES) to price it.",
        ),
        (
            "agent_telemetry",
            logging.WARNING,
            "agent-telemetry: no price known for anthropic model 'claude-unknown'; its cost is not recorded. "
            "Add it to a price file (AGENT_TELEMETRY_PRICES) to price it.",
        ),
    ]


def test_unpriced_warnings_are_bounded(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent_telemetry.pricing import book as book_module

    monkeypatch.setattr(book_module, "_MAX_WARNED", 3)
    book = PriceBook()
    caplog.set_level(logging.WARNING, logger="agent_telemetry")
    for i in range(10):
        book.warn_unpriced_once("openai", f"m{i}")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 5
    assert messages[-1] == "agent-telemetry: too many unpriced models; no further unpriced-model warnings"


def test_lookups_are_cached_and_the_cache_is_bounded() -> None:
    book = PriceBook(cache_size=2)
    for _ in range(10):
        book.cost("openai", "gpt-4o-mini", USAGE)
        book.cost("openai", "nope", USAGE)
    info = book.cache_info()
    assert (info.hits, info.misses, info.maxsize, info.currsize) == (18, 2, 2, 2)
    book.cost("anthropic", "claude-3-5-haiku-latest", USAGE)
    assert book.cache_info().currsize == 2


def test_concurrent_use_gives_the_same_answers_and_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    book = PriceBook()
    models = [("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4-5-20250929"), ("openai", "o4-mini")]
    expected = {key: PriceBook().cost(*key, USAGE) for key in models}
    caplog.set_level(logging.WARNING, logger="agent_telemetry")
    barrier = threading.Barrier(8)
    failures: list[object] = []

    def work() -> None:
        barrier.wait()
        for _ in range(2_000):
            for key in models:
                if book.cost(*key, USAGE) != expected[key]:
                    failures.append(key)
            if book.cost("openai", "race-model", USAGE) is None:
                book.warn_unpriced_once("openai", "race-model")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(caplog.records) == 1


def test_no_network_and_no_background_price_updates(no_network: list[object]) -> None:
    from genai_prices import update_prices

    book = load_price_book()
    for provider, model in [("openai", "gpt-4o"), ("anthropic", "claude-opus-4-1"), ("openai", "nope")]:
        book.cost(provider, model, USAGE)
    shared = update_prices._shared_updater
    assert (shared.ref_count, shared.thread) == (0, None)
    assert not any(t.name == "genai_prices:update" for t in threading.enumerate())
    assert no_network == []


def test_blocked_network_really_is_blocked(no_network: list[object]) -> None:
    import socket

    with pytest.raises(AssertionError, match="network access attempted"):
        socket.create_connection(("raw.githubusercontent.com", 443))
    no_network.clear()
