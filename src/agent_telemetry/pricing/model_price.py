"""Per-million-token prices and the arithmetic that turns a `Usage` into USD."""

from __future__ import annotations

from dataclasses import dataclass

from agent_telemetry.usage import Usage

_PER = 1_000_000


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per million tokens for each of the disjoint token types of `Usage`.

    Reasoning tokens are part of ``output_tokens`` and so are priced as output.
    """

    input: float
    output: float
    cache_read: float
    cache_write: float

    def cost(self, usage: Usage) -> float:
        # Plain float arithmetic: the hot path runs this once per LLM call.
        return (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + usage.cache_read_tokens * self.cache_read
            + usage.cache_write_tokens * self.cache_write
        ) / _PER


@dataclass(frozen=True, slots=True)
class TieredModelPrice:
    """Long-context pricing: once the prompt exceeds a threshold, *all* tokens pay that tier's rates.

    This is genai-prices' "cliff" model (Anthropic >200k, OpenAI >272k): the prompt size is every input
    token, cached or not (``input + cache_read + cache_write``).
    """

    base: ModelPrice
    tiers: tuple[tuple[int, ModelPrice], ...]
    """(threshold, price) in ascending threshold order; a tier applies when the prompt is larger."""

    def price_for(self, prompt_tokens: int) -> ModelPrice:
        price = self.base
        for threshold, tier_price in self.tiers:
            if prompt_tokens <= threshold:
                break
            price = tier_price
        return price

    def cost(self, usage: Usage) -> float:
        prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
        return self.price_for(prompt).cost(usage)
