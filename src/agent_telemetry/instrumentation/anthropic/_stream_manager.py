"""``messages.stream()`` returns a manager that sends the request only when entered: we start there."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import wrapt

from agent_telemetry.core.telemetry import Telemetry
from agent_telemetry.instrumentation._call import Call
from agent_telemetry.instrumentation._exclusion import is_excluded
from agent_telemetry.instrumentation._streams import AsyncObservedStream, ObservedStream
from agent_telemetry.instrumentation._wrap import Operation, check_budget, start_call


class ObservedStreamManager(wrapt.ObjectProxy):
    def __init__(
        self, wrapped: Any, telemetry: Telemetry, op: Operation, resource: object, kwargs: Mapping[str, Any]
    ) -> None:
        super().__init__(wrapped)
        self._self_start: Callable[[], Call] = lambda: start_call(telemetry, op, resource, kwargs)
        self._self_telemetry = telemetry
        self._self_op = op
        self._self_call: Call | None = None

    def _self_begin(self) -> Call | None:
        try:
            call = self._self_start()
        except Exception as exc:
            self._self_telemetry.internal_error("anthropic.messages.stream.start", exc)
            return None
        self._self_call = call
        call.activate()
        return call

    def _self_observe(self, message_stream: Any, call: Call, stream_type: type) -> None:
        call.deactivate()
        try:
            # The helper reads events from ``_raw_stream`` (from the first ``next``, not before):
            # watching there sees every event, whichever helper method the application uses.
            raw = message_stream._raw_stream
            observer = self._self_op.stream_observer(False)  # type: ignore[misc]
            message_stream._raw_stream = stream_type(raw, call, observer)
        except Exception as exc:
            self._self_telemetry.internal_error("anthropic.messages.stream.observe", exc)
            call.end()

    def _self_failed(self, call: Call | None, error: BaseException) -> None:
        if call is not None:
            call.deactivate()
            call.fail(error)
            call.end()

    def __enter__(self) -> Any:
        check_budget(self._self_op)
        call = self._self_begin()
        try:
            message_stream = self.__wrapped__.__enter__()
        except BaseException as error:
            self._self_failed(call, error)
            raise
        if call is not None:
            self._self_observe(message_stream, call, ObservedStream)
        return message_stream

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            if self._self_call is not None:
                self._self_call.end()

    async def __aenter__(self) -> Any:
        check_budget(self._self_op)
        call = self._self_begin()
        try:
            message_stream = await self.__wrapped__.__aenter__()
        except BaseException as error:
            self._self_failed(call, error)
            raise
        if call is not None:
            self._self_observe(message_stream, call, AsyncObservedStream)
        return message_stream

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            if self._self_call is not None:
                self._self_call.end()


def stream_wrapper(telemetry: Telemetry, op: Operation) -> Callable[..., Any]:
    def wrapper(
        wrapped: Callable[..., Any], instance: object, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        manager = wrapped(*args, **kwargs)
        if is_excluded(instance):
            return manager
        try:
            return ObservedStreamManager(manager, telemetry, op, instance, kwargs)
        except Exception as exc:
            telemetry.internal_error("anthropic.messages.stream", exc)
            return manager

    return wrapper
