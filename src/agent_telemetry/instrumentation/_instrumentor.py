"""The ``BaseInstrumentor`` shared by our SDK instrumentations: a table of methods to wrap."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import wrapt
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
from opentelemetry.instrumentation.utils import unwrap

from agent_telemetry.config import Settings
from agent_telemetry.core import telemetry as _telemetry
from agent_telemetry.core.telemetry import Telemetry
from agent_telemetry.instrumentation._wrap import Operation, async_wrapper, sync_wrapper

logger = logging.getLogger("agent_telemetry")


@dataclass(frozen=True, slots=True)
class MethodPatch:
    """A method to wrap (or, with ``cls=None``, a function of the module)."""

    module: str
    cls: str | None
    method: str
    operation: Operation | None
    is_async: bool = False
    # Builds the wrapper; by default the plain sync or async one of the operation.
    wrapper_factory: Callable[[Telemetry, Any], Callable[..., Any]] | None = None

    def make_wrapper(self, telemetry: Telemetry) -> Callable[..., Any]:
        if self.wrapper_factory is not None:
            return self.wrapper_factory(telemetry, self.operation)
        assert self.operation is not None, "a patch without a wrapper factory needs an operation"
        return (async_wrapper if self.is_async else sync_wrapper)(telemetry, self.operation)


def build_telemetry(**kwargs: Any) -> Telemetry:
    """The ``Telemetry`` for ``instrument(**kwargs)``: providers and settings given, or the global ones.

    Instrumentors given the same providers and settings share one, which agent-level helpers
    (runs, tools, quality) then record into as well.
    """
    settings = kwargs.get("settings") or Settings.from_env()
    tracer_provider = kwargs.get("tracer_provider")
    meter_provider = kwargs.get("meter_provider")
    logger_provider = kwargs.get("logger_provider")
    price_book = kwargs.get("price_book")
    active = _telemetry.current()
    if (
        active is not None
        and active.settings == settings
        and active.providers == (tracer_provider, meter_provider, logger_provider)
        and (price_book is None or active.price_book is price_book)
    ):
        return active
    if price_book is None:
        from agent_telemetry.pricing.book import load_price_book_or_bundled

        price_book = load_price_book_or_bundled(settings.prices_file)
    telemetry = Telemetry(
        settings,
        price_book,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        logger_provider=logger_provider,
    )
    _telemetry.set_active(telemetry)
    return telemetry


class SdkInstrumentor(BaseInstrumentor):
    """Wraps each method in ``patches`` that this version of the SDK has; unwraps them all again."""

    patches: tuple[MethodPatch, ...] = ()

    def _apply_patches(self, **kwargs: Any) -> Telemetry:
        telemetry = build_telemetry(**kwargs)
        self._telemetry = telemetry
        self._applied: list[tuple[object, str]] = []
        for patch in self.patches:
            owner = _find_owner(patch.module, patch.cls)
            if owner is None or not hasattr(owner, patch.method):
                continue  # not in this version of the SDK
            wrapt.wrap_function_wrapper(owner, patch.method, patch.make_wrapper(telemetry))
            self._applied.append((owner, patch.method))
        return telemetry

    def _remove_patches(self) -> None:
        for owner, method in getattr(self, "_applied", ()):
            unwrap(owner, method)
        self._applied = []

    @property
    def telemetry(self) -> Telemetry | None:
        return getattr(self, "_telemetry", None)


def _find_owner(module_name: str, cls_name: str | None) -> object | None:
    """The class (or, without a class name, the module) that holds a patched name; None if absent."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    if cls_name is None:
        return module
    owner = getattr(module, cls_name, None)
    return owner if isinstance(owner, type) else None
