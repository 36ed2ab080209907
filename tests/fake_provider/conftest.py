"""Fixtures for the fake provider's own tests; ``fake`` and the SDK client fixtures come from tests/conftest.py."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
