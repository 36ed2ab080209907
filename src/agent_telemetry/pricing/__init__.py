"""USD cost per LLM call: a price override file first, then the genai-prices snapshot (offline).

    book = load_price_book()          # $AGENT_TELEMETRY_PRICES, if set
    cost = book.cost("openai", "gpt-4o-mini-2024-07-18", usage)   # float USD, or None if unpriced
    if cost is None:
        book.warn_unpriced_once("openai", "gpt-4o-mini-2024-07-18")

See `agent_telemetry.pricing.price_file` for the override file's format and matching rules.
"""

from agent_telemetry.pricing.book import PRICES_ENV_VAR, PriceBook, load_price_book
from agent_telemetry.pricing.model_price import ModelPrice
from agent_telemetry.pricing.price_file import PriceFileError, PriceOverride

__all__ = ["PRICES_ENV_VAR", "ModelPrice", "PriceBook", "PriceFileError", "PriceOverride", "load_price_book"]
