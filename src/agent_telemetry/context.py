"""Per-task context that our metrics read: the agent name, carried by a context variable.

A context variable follows threads started with ``contextvars.copy_context`` and asyncio tasks, which
inherit the context they were created in, so concurrent agents never see each other's name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_agent_name: ContextVar[str | None] = ContextVar("agent_telemetry_agent_name", default=None)
# Set by a run that names its version: tools and quality scores inside it carry it.
_agent_version: ContextVar[str | None] = ContextVar("agent_telemetry_agent_version", default=None)


def current_agent_name() -> str | None:
    """The agent name set by the innermost ``agent_name()`` block, or None outside any."""
    return _agent_name.get()


def current_agent_version() -> str | None:
    """The version set by the innermost run that names one, or None."""
    return _agent_version.get()


@contextlib.contextmanager
def agent_name(name: str) -> Iterator[None]:
    """Label every call made inside the block with ``gen_ai.agent.name = name``."""
    token = _agent_name.set(name)
    try:
        yield
    finally:
        _agent_name.reset(token)
