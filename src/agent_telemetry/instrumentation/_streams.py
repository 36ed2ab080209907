"""Transparent proxies for the SDKs' stream objects that watch each item go by.

The application keeps the very object it would have had (``isinstance``, attributes, helper methods,
``with``, ``close`` all reach the original through ``wrapt.ObjectProxy``); we only see each item on its
way through, and end the call when the stream is exhausted, closed, fails or is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import wrapt

from agent_telemetry.instrumentation._call import Call

# Sees one streamed item; returns True to keep it from the application (an item we asked for ourselves).
Observer = Callable[[Call, Any], bool]


def _observe(call: Call, observer: Observer, item: object) -> bool:
    call.chunk_received()
    try:
        return observer(call, item)
    except Exception as exc:
        call.internal_error("stream.observe", exc)
        return False


class ObservedStream(wrapt.ObjectProxy):
    """A sync stream (``openai.Stream``, ``anthropic.Stream``)."""

    def __init__(self, wrapped: object, call: Call, observer: Observer) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_observer = observer

    def __iter__(self) -> ObservedStream:
        return self

    def __next__(self) -> object:
        call = self._self_call
        while True:
            try:
                item = self.__wrapped__.__next__()
            except StopIteration:
                call.end()
                raise
            except BaseException as error:
                call.fail(error)
                call.end()
                raise
            if not _observe(call, self._self_observer, item):
                return item

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_call.end()

    def __enter__(self) -> ObservedStream:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> object:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._self_call.end()

    def __del__(self) -> None:
        # Abandoned without being read to the end or closed: record what we saw.
        self._self_call.end()


class AsyncObservedStream(wrapt.ObjectProxy):
    """An async stream (``openai.AsyncStream``, ``anthropic.AsyncStream``)."""

    def __init__(self, wrapped: object, call: Call, observer: Observer) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_observer = observer

    def __aiter__(self) -> AsyncObservedStream:
        return self

    async def __anext__(self) -> object:
        call = self._self_call
        while True:
            try:
                item = await self.__wrapped__.__anext__()
            except StopAsyncIteration:
                call.end()
                raise
            except BaseException as error:
                call.fail(error)
                call.end()
                raise
            if not _observe(call, self._self_observer, item):
                return item

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            self._self_call.end()

    async def __aenter__(self) -> AsyncObservedStream:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> object:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._self_call.end()

    def __del__(self) -> None:
        self._self_call.end()
