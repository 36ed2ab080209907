"""Token usage of one call, normalised across providers into disjoint, billable types."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Usage:
    """Disjoint token counts: their sum is what the provider billed.

    ``input_tokens`` excludes cached reads and cache writes (OpenAI's ``prompt_tokens`` includes its
    ``cached_tokens``; we subtract them). ``output_tokens`` includes reasoning tokens, which are billed
    as output; ``reasoning_tokens`` says how many of them there were, for information only.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    def by_token_type(self) -> dict[str, int]:
        """The counts under the ``gen_ai.token.type`` values of ``agent_tokens_total``."""
        return {
            "input": self.input_tokens,
            "output": self.output_tokens,
            "cache_read": self.cache_read_tokens,
            "cache_write": self.cache_write_tokens,
        }

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_write_tokens
