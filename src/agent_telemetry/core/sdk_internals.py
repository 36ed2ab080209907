"""Every place where we rely on OpenTelemetry internals (not its public API), in one module.

The aggregation must recognise instruments of the API's proxy meter provider (they forward to a real
instrument once the application sets a provider) and find the callbacks a real SDK instrument already
carries; ``init()`` must tell the API's proxy meter provider from a real one. None of that has a public
API. ``tests/instrumentation/test_sdk_internals.py`` checks each assumption against the installed
OpenTelemetry and names the attribute and the version when a release moves one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

# opentelemetry-api: a proxy instrument keeps the real one it forwards to here (None until a provider
# is set).
PROXY_INSTRUMENT_ATTRIBUTE = "_real_instrument"
# opentelemetry-sdk: the callbacks of an asynchronous instrument (ObservableCounter and co.).
CALLBACKS_ATTRIBUTE = "_callbacks"
# opentelemetry-api: the class of the meter provider the API hands out before one is set.
PROXY_METER_PROVIDER_CLASS = "_ProxyMeterProvider"


def is_proxy_instrument(instrument: Any) -> bool:
    """An instrument of the API's proxy meter: it forwards to a real one once a provider is set."""
    return hasattr(instrument, PROXY_INSTRUMENT_ATTRIBUTE)


def instrument_callbacks(instrument: Any) -> Sequence[Callable[..., Any]]:
    """The callbacks a real asynchronous SDK instrument reports through; empty for anything else."""
    return getattr(instrument, CALLBACKS_ATTRIBUTE, None) or ()


def is_proxy_meter_provider(provider: Any) -> bool:
    """The placeholder provider of the API, before the application (or ``init()``) sets a real one."""
    return type(provider).__name__ == PROXY_METER_PROVIDER_CLASS
