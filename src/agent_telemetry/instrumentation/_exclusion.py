"""Clients the application excluded from instrumentation: their calls pass through untouched.

Keyed by ``id(client)`` with a weak reference that removes the entry when the client is collected, so
that the check on every call is one dict lookup (a ``WeakSet`` lookup makes a weak reference per call)
and an excluded client is never kept alive by us.
"""

from __future__ import annotations

import logging
import weakref
from typing import TypeVar

ClientT = TypeVar("ClientT")

logger = logging.getLogger("agent_telemetry")

_excluded: dict[int, weakref.ref[object]] = {}


def exclude(client: ClientT) -> ClientT:
    """Leave every call made through ``client`` uninstrumented; returns ``client``.

    ``client`` is an ``openai.OpenAI``/``AsyncOpenAI`` or ``anthropic.Anthropic``/``AsyncAnthropic``
    instance: its calls make no span, record no metric and do not count against a run's budget, while
    every other client stays instrumented. ``client.with_options(...)`` and ``client.copy()`` return a
    new client, which is instrumented unless it is excluded too. Never raises.
    """
    key = id(client)

    def forget(ref: weakref.ref[object]) -> None:
        if _excluded.get(key) is ref:  # not a newer client that got the same id
            del _excluded[key]

    try:
        _excluded[key] = weakref.ref(client, forget)
    except TypeError:
        logger.warning(
            "agent_telemetry.exclude: %s is not an SDK client (it cannot be weakly referenced); "
            "pass the openai or anthropic client object",
            type(client).__name__,
        )
    return client


def is_excluded(resource: object) -> bool:
    """Whether the client that ``resource`` (``client.chat.completions``, ``client.messages``) belongs
    to is excluded. Costs one truth test while no client is."""
    return bool(_excluded) and id(getattr(resource, "_client", None)) in _excluded
