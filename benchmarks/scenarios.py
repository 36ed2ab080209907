"""The calls we time: one client per SDK on an in-memory transport, and the call shapes per scenario.

Real streams (``stream50``) go through the SDK's SSE decoding and model parsing, ~100 µs a chunk for
openai: far more than any instrumentation adds per chunk, and noisy. So the per-chunk cost is measured
on *replayed* streams too (``replay50``, ``replay250``): the SDK's ``Stream.__stream__`` yields chunks
it parsed once, the same objects for every contender and for the bare client alike, so that what is
left per chunk is the instrumentation's proxy and observer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx2
import openai

from payloads import ANTHROPIC_MODEL, OPENAI_MODEL, STREAM_ITEMS_HEADER, Bodies, build_bodies, handler

STREAM_ITEMS = 50
REPLAY_SHORT = 50
REPLAY_LONG = 250
MESSAGES = [{"role": "user", "content": "What is the refund policy?"}]


@dataclass(frozen=True, slots=True)
class Scenario:
    sdk: str
    name: str
    kind: str  # "plain" or "stream": what the contract check expects of it
    call: Callable[[], Any] | None = None  # sync scenarios
    acall: Callable[[], Awaitable[Any]] | None = None  # async scenarios
    replay: bool = False  # streams replayed from parsed chunks (see Replayer)

    @property
    def key(self) -> str:
        return f"{self.sdk}.{self.name}"


@dataclass(frozen=True, slots=True)
class Clients:
    openai: openai.OpenAI
    async_openai: openai.AsyncOpenAI
    anthropic: anthropic.Anthropic
    async_anthropic: anthropic.AsyncAnthropic


def make_clients(bodies: dict[str, Bodies]) -> Clients:
    def sync_http(sdk: str) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(handler(bodies[sdk])))

    def async_http(sdk: str) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(handler(bodies[sdk])))

    common: dict[str, Any] = {"api_key": "bench", "max_retries": 0}
    return Clients(
        openai.OpenAI(http_client=sync_http("openai"), **common),
        openai.AsyncOpenAI(http_client=async_http("openai"), **common),
        anthropic.Anthropic(http_client=sync_http("anthropic"), **common),
        anthropic.AsyncAnthropic(http_client=async_http("anthropic"), **common),
    )


def _items(n: int) -> dict[str, str]:
    return {STREAM_ITEMS_HEADER: str(n)}


# -- call shapes ----------------------------------------------------------------------------------
def openai_plain(client: openai.OpenAI) -> Any:
    return client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES, temperature=0.2)


def openai_stream(client: openai.OpenAI, n: int) -> int:
    stream = client.chat.completions.create(
        model=OPENAI_MODEL,
        messages=MESSAGES,
        stream=True,
        # Asked by the application, so that every contender (and the bare client) sees the same chunks.
        stream_options={"include_usage": True},
        extra_headers=_items(n),
    )
    return sum(1 for _ in stream)


async def openai_async(client: openai.AsyncOpenAI) -> Any:
    return await client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES, temperature=0.2)


def anthropic_plain(client: anthropic.Anthropic) -> Any:
    return client.messages.create(model=ANTHROPIC_MODEL, max_tokens=256, messages=MESSAGES)


def anthropic_stream(client: anthropic.Anthropic, n: int) -> int:
    stream = client.messages.create(
        model=ANTHROPIC_MODEL, max_tokens=256, messages=MESSAGES, stream=True, extra_headers=_items(n)
    )
    return sum(1 for _ in stream)


async def anthropic_async(client: anthropic.AsyncAnthropic) -> Any:
    return await client.messages.create(model=ANTHROPIC_MODEL, max_tokens=256, messages=MESSAGES)


def scenarios(clients: Clients) -> list[Scenario]:
    o, a = clients.openai, clients.anthropic
    return [
        *_sdk_scenarios(
            "openai",
            lambda: openai_plain(o),
            lambda: openai_async(clients.async_openai),
            lambda n: openai_stream(o, n),
        ),
        *_sdk_scenarios(
            "anthropic",
            lambda: anthropic_plain(a),
            lambda: anthropic_async(clients.async_anthropic),
            lambda n: anthropic_stream(a, n),
        ),
    ]


def _sdk_scenarios(
    sdk: str,
    plain: Callable[[], Any],
    acall: Callable[[], Awaitable[Any]],
    stream: Callable[[int], int],
) -> list[Scenario]:
    return [
        Scenario(sdk, "plain", "plain", call=plain),
        Scenario(sdk, "async", "plain", acall=acall),
        Scenario(sdk, f"stream{STREAM_ITEMS}", "stream", call=lambda: stream(STREAM_ITEMS)),
        Scenario(sdk, f"replay{REPLAY_SHORT}", "stream", call=lambda: stream(REPLAY_SHORT), replay=True),
        Scenario(sdk, f"replay{REPLAY_LONG}", "stream", call=lambda: stream(REPLAY_LONG), replay=True),
    ]


def bodies() -> dict[str, Bodies]:
    return build_bodies((STREAM_ITEMS, REPLAY_SHORT, REPLAY_LONG))


# -- replayed streams -----------------------------------------------------------------------------
class Replayer:
    """Switches the SDKs' stream parsing between real and replayed, for the ``replay*`` scenarios.

    Only ``__stream__`` is replaced: ``Stream.__next__``/``__iter__`` (and anthropic's own stream
    observer, its native tracing) still run as usual, and instrumentations still get a real ``Stream``.
    """

    def __init__(self, clients: Clients) -> None:
        self._originals = {cls: cls.__dict__["__stream__"] for cls in (openai.Stream, anthropic.Stream)}
        # Parsed once, by the SDKs themselves, before any instrumentation is loaded.
        self._items: dict[type, dict[int, list[Any]]] = {
            openai.Stream: {n: _collect(openai_stream_items(clients.openai, n)) for n in _LENGTHS},
            anthropic.Stream: {n: _collect(anthropic_stream_items(clients.anthropic, n)) for n in _LENGTHS},
        }

    def replaying(self, enabled: bool) -> None:
        for cls, original in self._originals.items():
            cls.__stream__ = _replay(self._items[cls]) if enabled else original  # type: ignore[attr-defined]


_LENGTHS = (REPLAY_SHORT, REPLAY_LONG)


def _collect(items: Iterator[Any]) -> list[Any]:
    return list(items)


def openai_stream_items(client: openai.OpenAI, n: int) -> Iterator[Any]:
    return iter(
        client.chat.completions.create(
            model=OPENAI_MODEL,
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=_items(n),
        )
    )


def anthropic_stream_items(client: anthropic.Anthropic, n: int) -> Iterator[Any]:
    return iter(
        client.messages.create(
            model=ANTHROPIC_MODEL, max_tokens=256, messages=MESSAGES, stream=True, extra_headers=_items(n)
        )
    )


def _replay(items_by_length: dict[int, list[Any]]) -> Callable[[Any], Iterator[Any]]:
    def __stream__(self: Any) -> Iterator[Any]:
        # anthropic's streams tell their observer (the SDK's own tracing) when they begin and end.
        observer = getattr(self, "_observer", None)
        if observer is not None:
            observer.begin()
        yield from items_by_length[int(self.response.request.headers[STREAM_ITEMS_HEADER])]
        if observer is not None:
            observer.end("read")
        self.response.close()

    return __stream__
