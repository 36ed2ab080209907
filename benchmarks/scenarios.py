"""The calls we time: one client per SDK on an in-memory transport, and the call shapes per scenario.

Real streams (``stream50``) go through the SDK's SSE decoding and model parsing, ~100 µs a chunk for
openai: far more than any instrumentation adds per chunk, and noisy. So the per-chunk cost is measured
on *replayed* streams too (``replay50``, ``replay250``): the SDK's ``Stream.__stream__`` yields chunks
it parsed once, the same objects for every contender and for the bare client alike, so that what is
left per chunk is the instrumentation's proxy and observer.

Each scenario belongs to a *path*, a table of its own in the report: openai chat completions, the
openai Responses API, and anthropic messages twice. The anthropic SDK (>= 2) makes a span of its own
around each call (its "native tracing"); ours switches that off while it instruments. ``anthropic``
measures every contender against a bare client whose native tracing is off too (``open_telemetry=
False``), so that ours is not credited with removing the SDK's own work; ``anthropic-sdk-tracing``
keeps the SDK's default in the bare client, the way an application that installs us finds it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx2
import openai

from payloads import (
    ANTHROPIC_MODEL,
    OPENAI_MODEL,
    STREAM_ITEMS_HEADER,
    Bodies,
    build_bodies,
    handler,
    tool_use_handler,
)

STREAM_ITEMS = 50
REPLAY_SHORT = 50
REPLAY_LONG = 250
MESSAGES = [{"role": "user", "content": "What is the refund policy?"}]


# path -> (the SDK it calls, its title in the report)
PATHS: dict[str, tuple[str, str]] = {
    "openai": ("openai", "openai chat completions"),
    "openai-responses": ("openai", "openai Responses API"),
    "anthropic": ("anthropic", "anthropic messages, the SDK's native tracing off in the bare client too"),
    "anthropic-sdk-tracing": (
        "anthropic",
        "anthropic messages, the SDK's native tracing on in the bare client (its default; ours "
        "switches it off)",
    ),
}


@dataclass(frozen=True, slots=True)
class Scenario:
    sdk: str
    path: str  # the report table it belongs to (see PATHS)
    name: str
    kind: str  # "plain" or "stream": what the contract check expects of it
    call: Callable[[], Any] | None = None  # sync scenarios
    acall: Callable[[], Awaitable[Any]] | None = None  # async scenarios
    replay: bool = False  # streams replayed from parsed chunks (see Replayer)

    @property
    def key(self) -> str:
        return f"{self.path}.{self.name}"


@dataclass(frozen=True, slots=True)
class Clients:
    openai: openai.OpenAI
    async_openai: openai.AsyncOpenAI
    anthropic: anthropic.Anthropic  # native tracing off
    async_anthropic: anthropic.AsyncAnthropic
    anthropic_traced: anthropic.Anthropic  # the SDK's default
    async_anthropic_traced: anthropic.AsyncAnthropic


def _native_tracing_off() -> dict[str, Any]:
    """The anthropic client option that switches its own spans off, where the SDK has them."""
    accepts = "open_telemetry" in inspect.signature(anthropic.Anthropic.__init__).parameters
    return {"open_telemetry": False} if accepts else {}


def make_clients(bodies: dict[str, Bodies]) -> Clients:
    def sync_http(sdk: str) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(handler(bodies[sdk])))

    def async_http(sdk: str) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(handler(bodies[sdk])))

    common: dict[str, Any] = {"api_key": "bench", "max_retries": 0}
    off = _native_tracing_off()
    return Clients(
        openai.OpenAI(http_client=sync_http("openai"), **common),
        openai.AsyncOpenAI(http_client=async_http("openai"), **common),
        anthropic.Anthropic(http_client=sync_http("anthropic"), **common, **off),
        anthropic.AsyncAnthropic(http_client=async_http("anthropic"), **common, **off),
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


RESPONSES_INPUT = "What is the refund policy?"


def responses_plain(client: openai.OpenAI) -> Any:
    return client.responses.create(model=OPENAI_MODEL, input=RESPONSES_INPUT, temperature=0.2)


def responses_stream(client: openai.OpenAI, n: int) -> int:
    stream = client.responses.create(
        model=OPENAI_MODEL, input=RESPONSES_INPUT, stream=True, extra_headers=_items(n)
    )
    return sum(1 for _ in stream)


async def responses_async(client: openai.AsyncOpenAI) -> Any:
    return await client.responses.create(model=OPENAI_MODEL, input=RESPONSES_INPUT, temperature=0.2)


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
    o, a, at = clients.openai, clients.anthropic, clients.anthropic_traced
    return [
        *_path_scenarios(
            "openai",
            lambda: openai_plain(o),
            lambda: openai_async(clients.async_openai),
            lambda n: openai_stream(o, n),
        ),
        *_path_scenarios(
            "openai-responses",
            lambda: responses_plain(o),
            lambda: responses_async(clients.async_openai),
            lambda n: responses_stream(o, n),
        ),
        *_path_scenarios(
            "anthropic",
            lambda: anthropic_plain(a),
            lambda: anthropic_async(clients.async_anthropic),
            lambda n: anthropic_stream(a, n),
        ),
        *_path_scenarios(
            "anthropic-sdk-tracing",
            lambda: anthropic_plain(at),
            lambda: anthropic_async(clients.async_anthropic_traced),
            lambda n: anthropic_stream(at, n),
        ),
    ]


def _path_scenarios(
    path: str,
    plain: Callable[[], Any],
    acall: Callable[[], Awaitable[Any]],
    stream: Callable[[int], int],
) -> list[Scenario]:
    sdk = PATHS[path][0]
    return [
        Scenario(sdk, path, "plain", "plain", call=plain),
        Scenario(sdk, path, "async", "plain", acall=acall),
        Scenario(sdk, path, f"stream{STREAM_ITEMS}", "stream", call=lambda: stream(STREAM_ITEMS)),
        Scenario(
            sdk, path, f"replay{REPLAY_SHORT}", "stream", call=lambda: stream(REPLAY_SHORT), replay=True
        ),
        Scenario(sdk, path, f"replay{REPLAY_LONG}", "stream", call=lambda: stream(REPLAY_LONG), replay=True),
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
        # Parsed once, by the SDKs themselves, before any instrumentation is loaded; by the request's
        # (API, number of items): the Responses API streams through openai.Stream too.
        self._items: dict[type, dict[tuple[str, int], list[Any]]] = {
            openai.Stream: {
                **{("chat", n): _collect(openai_stream_items(clients.openai, n)) for n in _LENGTHS},
                **{("responses", n): _collect(responses_stream_items(clients.openai, n)) for n in _LENGTHS},
            },
            anthropic.Stream: {
                ("messages", n): _collect(anthropic_stream_items(clients.anthropic, n)) for n in _LENGTHS
            },
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


def responses_stream_items(client: openai.OpenAI, n: int) -> Iterator[Any]:
    return iter(
        client.responses.create(
            model=OPENAI_MODEL, input=RESPONSES_INPUT, stream=True, extra_headers=_items(n)
        )
    )


def anthropic_stream_items(client: anthropic.Anthropic, n: int) -> Iterator[Any]:
    return iter(
        client.messages.create(
            model=ANTHROPIC_MODEL, max_tokens=256, messages=MESSAGES, stream=True, extra_headers=_items(n)
        )
    )


def _api(request: Any) -> str:
    path = request.url.path
    if path.endswith("/responses"):
        return "responses"
    return "messages" if path.endswith("/messages") else "chat"


def _replay(items: dict[tuple[str, int], list[Any]]) -> Callable[[Any], Iterator[Any]]:
    def __stream__(self: Any) -> Iterator[Any]:
        # anthropic's streams tell their observer (the SDK's own tracing) when they begin and end.
        observer = getattr(self, "_observer", None)
        if observer is not None:
            observer.begin()
        request = self.response.request
        yield from items[(_api(request), int(request.headers[STREAM_ITEMS_HEADER]))]
        if observer is not None:
            observer.end("read")
        self.response.close()

    return __stream__


# -- the many-tool-names memory run ---------------------------------------------------------------
TOOL_NAME_HEADER = "x-bench-tool"


def tool_use_client() -> anthropic.Anthropic:
    """An anthropic client whose every response asks for the tool named in the request's header."""
    return anthropic.Anthropic(
        http_client=httpx2.Client(transport=httpx2.MockTransport(tool_use_handler())),
        api_key="bench",
        max_retries=0,
        **_native_tracing_off(),
    )


def anthropic_tool_use(client: anthropic.Anthropic, tool: str) -> Any:
    return client.messages.create(
        model=ANTHROPIC_MODEL, max_tokens=256, messages=MESSAGES, extra_headers={TOOL_NAME_HEADER: tool}
    )
