"""Reading request parameters into span attributes, the same way for every provider."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from functools import partial
from typing import Any

from opentelemetry.util.types import AttributeValue

from agent_telemetry.contract import SpanAttr

SERVER_ADDRESS = SpanAttr.SERVER_ADDRESS
SERVER_PORT = SpanAttr.SERVER_PORT
# The request parameters the semantic conventions type as double: ``temperature=1`` is recorded as 1.0.
DOUBLE_PARAMS = frozenset(
    {
        SpanAttr.REQUEST_TEMPERATURE,
        SpanAttr.REQUEST_TOP_P,
        SpanAttr.REQUEST_TOP_K,
        SpanAttr.REQUEST_FREQUENCY_PENALTY,
        SpanAttr.REQUEST_PRESENCE_PENALTY,
    }
)


class NumericParams:
    """Reads ``{attribute: value}`` from keyword arguments, for each attribute whose first present
    keyword argument (in the given order of preference) is a number.

    The SDKs' "not given" sentinels and ``None`` are skipped; so are booleans, which are ints in Python.
    Only the keyword arguments the call actually has are looked at: a call passes few of them.
    """

    __slots__ = ("_names", "_preference")

    def __init__(self, params: Mapping[str, tuple[str, ...]]) -> None:
        self._preference = {
            name: (attribute, rank) for attribute, names in params.items() for rank, name in enumerate(names)
        }
        self._names = frozenset(self._preference)

    def __call__(self, kwargs: Mapping[str, Any]) -> dict[str, AttributeValue]:
        attributes: dict[str, AttributeValue] = {}
        ranks: dict[str, int] = {}
        for name in self._names.intersection(kwargs):
            value = kwargs[name]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                attribute, rank = self._preference[name]
                if rank < ranks.get(attribute, len(self._preference)):
                    attributes[attribute] = float(value) if attribute in DOUBLE_PARAMS else value
                    ranks[attribute] = rank
        return attributes


# id(client) -> (a weak reference to it, the base URL object they were read from, its attributes).
# openai 3 computes ``base_url`` on every access (~5 µs); the URL object the client stores only changes
# when the application sets another. Keyed by id, with a weak reference that removes the entry when the
# client is collected (before its id can be reused): one dict lookup per call, where a WeakKeyDictionary
# makes a weak reference per lookup.
_server_attributes: dict[int, tuple[weakref.ref[Any], object, dict[str, AttributeValue]]] = {}


def server_attributes(resource: object) -> dict[str, AttributeValue]:
    """``server.address`` and ``server.port`` of the client that a resource (``client.chat``) belongs to."""
    client = getattr(resource, "_client", None)
    stored_url = getattr(client, "_base_url", None)
    # openai's module-level client (``openai.chat...``) reads ``openai.base_url`` on every access.
    if stored_url is None or type(client).__module__.endswith("_module_client"):
        return _read_server_attributes(client)
    key = id(client)
    cached = _server_attributes.get(key)
    if cached is not None and cached[1] is stored_url and cached[0]() is client:
        return dict(cached[2])
    attributes = _read_server_attributes(client)
    try:
        ref = weakref.ref(client, partial(_forget_server, key))
    except TypeError:  # a client that cannot be weakly referenced: read every time
        return attributes
    _server_attributes[key] = (ref, stored_url, attributes)
    return dict(attributes)


def _forget_server(key: int, ref: weakref.ref[Any]) -> None:
    """A client's entry, removed when it is collected (unless a newer client got the same id)."""
    entry = _server_attributes.get(key)
    if entry is not None and entry[0] is ref:
        del _server_attributes[key]


def _read_server_attributes(client: object) -> dict[str, AttributeValue]:
    url = getattr(client, "base_url", None)
    host = getattr(url, "host", None)
    if not host:
        return {}
    attributes: dict[str, AttributeValue] = {SERVER_ADDRESS: host}
    port = getattr(url, "port", None)
    if isinstance(port, int):
        attributes[SERVER_PORT] = port
    return attributes


def model_param(kwargs: Mapping[str, Any]) -> str:
    model = kwargs.get("model")
    return model if isinstance(model, str) else ""
