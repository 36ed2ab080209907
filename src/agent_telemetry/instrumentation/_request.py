"""Reading request parameters into span attributes, the same way for every provider."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.util.types import AttributeValue

SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"


def numeric_params(
    kwargs: Mapping[str, Any], params: Mapping[str, tuple[str, ...]]
) -> dict[str, AttributeValue]:
    """``{attribute: value}`` for each attribute whose first present keyword argument is a number.

    The SDKs' "not given" sentinels and ``None`` are skipped; so are booleans, which are ints in Python.
    """
    attributes: dict[str, AttributeValue] = {}
    for attribute, names in params.items():
        for name in names:
            value = kwargs.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                attributes[attribute] = value
                break
    return attributes


def server_attributes(resource: object) -> dict[str, AttributeValue]:
    """``server.address`` and ``server.port`` of the client that a resource (``client.chat``) belongs to."""
    client = getattr(resource, "_client", None)
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
