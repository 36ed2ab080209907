"""Switching the anthropic SDK's own call spans off while we instrument, and on again after.

The SDK asks its client's ``_tracer`` property for a tracer before every call and makes no span when
it is None; replacing that property is the one switch that reaches clients created before us.
"""

from __future__ import annotations

import importlib

_SAVED: dict[type, object] = {}


def _base_client_class() -> type | None:
    try:
        module = importlib.import_module("anthropic._base_client")
    except ImportError:
        return None
    cls = getattr(module, "BaseClient", None)
    return cls if isinstance(cls, type) and isinstance(cls.__dict__.get("_tracer"), property) else None


def suppress() -> None:
    cls = _base_client_class()
    if cls is None or cls in _SAVED:
        return  # an SDK without native spans, or already suppressed
    _SAVED[cls] = cls.__dict__["_tracer"]
    cls._tracer = property(lambda self: None)  # type: ignore[attr-defined]


def restore() -> None:
    for cls, original in _SAVED.items():
        cls._tracer = original  # type: ignore[attr-defined]
    _SAVED.clear()
