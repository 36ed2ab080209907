"""The SDKs' own retries, counted: ``agent.requests.retries`` and the span's ``http.request.resend_count``.

openai (2.x, 3.x) and anthropic (1.x, 2.x) retry inside their base client's request loop, and call
``_sleep_for_retry(*, retries_taken, max_retries, options, response)`` exactly once before each resend,
with the failed attempt's response (``None`` for a timeout or connection error, the loop then being
inside the ``except`` that caught it). Wrapping that one method sees every retry of every API method.
The retry belongs to the call whose SDK method is running (``current_call``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from agent_telemetry import errors
from agent_telemetry.core.telemetry import Telemetry
from agent_telemetry.instrumentation._call import current_call
from agent_telemetry.instrumentation._instrumentor import MethodPatch


def _failed_attempt_type(response: object) -> str:
    status = getattr(response, "status_code", None) if response is not None else None
    if isinstance(status, int) and not isinstance(status, bool):
        return errors.classify_attempt(status, None)
    # No response: the SDK is handling the attempt's exception (a timeout, a connection error).
    return errors.classify_attempt(None, sys.exc_info()[1])


def retry_wrapper(telemetry: Telemetry, _operation: object) -> Callable[..., Any]:
    def wrapper(
        wrapped: Callable[..., Any], instance: object, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        try:
            call = current_call()
            if call is not None:
                call.retried(_failed_attempt_type(kwargs.get("response")))
        except Exception as exc:
            telemetry.internal_error("retry", exc)
        # The sync method sleeps here; the async one returns its coroutine, awaited by the SDK.
        return wrapped(*args, **kwargs)

    return wrapper


def retry_patches(sdk: str) -> tuple[MethodPatch, ...]:
    return tuple(
        MethodPatch(f"{sdk}._base_client", cls, "_sleep_for_retry", None, wrapper_factory=retry_wrapper)
        for cls in ("SyncAPIClient", "AsyncAPIClient")
    )
