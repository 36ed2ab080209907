"""Classification of failed provider calls into the fixed set of ``error.type`` values.

Works from the exception's class name and HTTP status, so that it serves the openai and anthropic
SDKs of every supported major version without importing either.
"""

from __future__ import annotations

import asyncio
import re

from agent_telemetry.contract import SpanAttr

_BY_STATUS: dict[int, str] = {
    400: "bad_request",
    401: "auth_error",
    403: "permission_denied",
    404: "not_found",
    408: "timeout",
    409: "conflict",
    413: "request_too_large",
    422: "unprocessable",
    429: "rate_limit",
    503: "overloaded",
    529: "overloaded",
}

# Exception classes the SDKs raise before or without an HTTP status, by class name.
_BY_CLASS_NAME: dict[str, str] = {
    "APITimeoutError": "timeout",
    "APIConnectionError": "network_error",
    "APIResponseValidationError": "invalid_response",
    "LengthFinishReasonError": "context_length_exceeded",
    "ContentFilterFinishReasonError": "content_filter",
    "TimeoutException": "timeout",
    "ReadTimeout": "timeout",
    "ConnectTimeout": "timeout",
    "ConnectError": "network_error",
    "RemoteProtocolError": "network_error",
    "ReadError": "network_error",
}

_CONTEXT_LENGTH_MARKERS = ("context_length_exceeded", "prompt is too long", "maximum context length")
_CONTENT_FILTER_MARKERS = ("content_filter", "content_policy_violation", "responsible ai policy")


def classify(error: BaseException) -> str:
    """The ``error.type`` of a failed call: always one of ``contract.ERROR_TYPES``."""
    if isinstance(error, (asyncio.CancelledError, KeyboardInterrupt, GeneratorExit)):
        return "cancelled"
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return _classify_status(status, _error_text(error))
    for cls in type(error).__mro__:
        if cls.__name__ in _BY_CLASS_NAME:
            return _BY_CLASS_NAME[cls.__name__]
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, ConnectionError):
        return "network_error"
    return "unknown_error"


def _classify_status(status: int, text: str) -> str:
    if status == 400 and any(marker in text for marker in _CONTEXT_LENGTH_MARKERS):
        return "context_length_exceeded"
    if status in (400, 403) and any(marker in text for marker in _CONTENT_FILTER_MARKERS):
        return "content_filter"
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return "provider_error"
    if 400 <= status < 500:
        return "bad_request"
    return "unknown_error"


def _error_text(error: BaseException) -> str:
    """The error's code, type and message, lower-cased, from the SDK's parsed body where there is one."""
    parts: list[str] = []
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            parts.extend(str(inner.get(key, "")) for key in ("code", "type", "message"))
    code = getattr(error, "code", None)
    if code:
        parts.append(str(code))
    parts.append(str(getattr(error, "message", "") or ""))
    return " ".join(parts).lower()


def classify_attempt(status: int | None, error: BaseException | None) -> str:
    """The ``error.type`` of an attempt the SDK retries: from its HTTP status, else from its exception."""
    if status is not None:
        return _classify_status(status, "")
    if error is not None:
        return classify(error)
    return "unknown_error"


# A provider's machine-readable code is an identifier; anything else (free text) is not exported.
_IDENTIFIER = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


def facts(error: BaseException) -> dict[str, int | str]:
    """The structured facts of a failed call: HTTP status and the provider's error code and type.

    openai: ``{"error": {"type": "requests", "code": "rate_limit_exceeded", ...}}``; anthropic:
    ``{"type": "error", "error": {"type": "rate_limit_error", "details": {"error_code": ...}}}``.
    """
    found: dict[str, int | str] = {}
    status = getattr(error, "status_code", None)
    if isinstance(status, int) and not isinstance(status, bool):
        found[SpanAttr.HTTP_STATUS] = status
    body = getattr(error, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    code: object = getattr(error, "code", None)
    kind: object = getattr(error, "type", None)
    if isinstance(inner, dict):
        details = inner.get("details")
        code = code or inner.get("code") or (details.get("error_code") if isinstance(details, dict) else None)
        kind = kind or inner.get("type")
    for key, value in ((SpanAttr.PROVIDER_ERROR_CODE, code), (SpanAttr.PROVIDER_ERROR_TYPE, kind)):
        if isinstance(value, str) and _IDENTIFIER.fullmatch(value):
            found[key] = value
    return found
