"""The models the demo agents use: real names, priced in the genai-prices snapshot, none deprecated.

Prices (USD per million input/output tokens) span two orders of magnitude, so the cost panels show
real differences: gpt-4o-mini 0.15/0.60, claude-haiku-4-5 1/5, gpt-4o 2.50/10, claude-opus-4-1 15/75.
``tests/demo`` checks that each is priced and that the anthropic SDK does not mark it deprecated.
"""

from __future__ import annotations

SUPPORT_MODEL = "gpt-4o-mini-2024-07-18"
SUPPORT_ESCALATION_MODEL = "gpt-4o-2024-08-06"
RESEARCH_STEP_MODEL = "gpt-4o-mini-2024-07-18"
RESEARCH_SYNTHESIS_MODEL = "claude-haiku-4-5"
# The cost spike: the research agent's loop runs on the big models.
RESEARCH_RUNAWAY_STEP_MODEL = "gpt-4o-2024-08-06"
RESEARCH_RUNAWAY_SYNTHESIS_MODEL = "claude-opus-4-1-20250805"
COMPUTER_USE_MODEL = "claude-haiku-4-5"

# (provider, model) of every model above.
ALL_MODELS: tuple[tuple[str, str], ...] = (
    ("openai", SUPPORT_MODEL),
    ("openai", SUPPORT_ESCALATION_MODEL),
    ("openai", RESEARCH_STEP_MODEL),
    ("anthropic", RESEARCH_SYNTHESIS_MODEL),
    ("openai", RESEARCH_RUNAWAY_STEP_MODEL),
    ("anthropic", RESEARCH_RUNAWAY_SYNTHESIS_MODEL),
    ("anthropic", COMPUTER_USE_MODEL),
)
