"""The deterministic token counts of un-scripted replies, so tests can assert exact numbers.

Input tokens  = ``INPUT_OVERHEAD_TOKENS`` (10) + the number of whitespace-separated words in every text the
                request carries:
                - OpenAI chat: each message's ``content`` (a string, or the ``text`` of its parts);
                - OpenAI responses: ``instructions`` + ``input`` (a string, or each item's
                  ``content``/``text``);
                - OpenAI embeddings: ``input`` (a string or a list of strings; token arrays count 0);
                - Anthropic messages / count_tokens: ``system`` + each message's ``content`` (a string, or the
                  ``text``/``content`` of its blocks, recursively, e.g. inside ``tool_result``).
Output tokens = the number of whitespace-separated words in the reply text
                + ``TOKENS_PER_CALL`` (10) per tool call or computer action.
Cached, cache-write and reasoning tokens are 0 unless scripted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

INPUT_OVERHEAD_TOKENS = 10
TOKENS_PER_CALL = 10


def texts(value: Any) -> Iterator[str]:
    """Every string in a content value: a string, or a list of strings or parts with ``text``/``content``."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                yield from texts(item.get("text"))
                yield from texts(item.get("content"))
            else:
                yield from texts(item)


def count_words(strings: Iterator[str]) -> int:
    return sum(len(text.split()) for text in strings)


def _request_texts(endpoint: str, body: dict[str, Any]) -> Iterator[str]:
    if endpoint == "openai.chat":
        for message in body.get("messages") or []:
            if isinstance(message, dict):
                yield from texts(message.get("content"))
    elif endpoint.startswith("openai.responses"):
        yield from texts(body.get("instructions"))
        yield from texts(body.get("input"))
    elif endpoint == "openai.embeddings":
        yield from texts(body.get("input"))
    elif endpoint.startswith("anthropic."):
        yield from texts(body.get("system"))
        for message in body.get("messages") or []:
            if isinstance(message, dict):
                yield from texts(message.get("content"))


def input_tokens(endpoint: str, body: dict[str, Any]) -> int:
    """The default input token count of a request to ``endpoint`` (e.g. ``"openai.chat"``)."""
    return INPUT_OVERHEAD_TOKENS + count_words(_request_texts(endpoint, body))


def default_output_tokens(text: str, calls: int) -> int:
    return len(text.split()) + TOKENS_PER_CALL * calls
