"""Error bodies and headers shaped like each provider's, so the SDKs raise their usual exceptions."""

from __future__ import annotations

from typing import Any

from agent_telemetry.tooling.fake_provider.script import ErrorSpec

# status -> (type, code, message), as the OpenAI API reports them.
_OPENAI: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: (
        "invalid_request_error",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported.",
    ),
    404: (
        "invalid_request_error",
        "model_not_found",
        "The model does not exist or you do not have access to it.",
    ),
    408: ("invalid_request_error", "timeout", "Request timed out."),
    409: ("invalid_request_error", "conflict", "Conflict with the current state of the resource."),
    413: ("invalid_request_error", "request_too_large", "Request too large."),
    422: ("invalid_request_error", None, "Unprocessable entity."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached. Please try again in 1s."),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}

# status -> (type, message), as the Anthropic API reports them.
_ANTHROPIC: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low."),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "The requested resource could not be found."),
    408: ("timeout_error", "Request timed out."),
    409: ("conflict_error", "Conflict with the current state of the resource."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    422: ("invalid_request_error", "Unprocessable entity."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
    500: ("api_error", "Internal server error"),
    503: ("api_error", "Service unavailable"),
    504: ("timeout_error", "Gateway timeout"),
    529: ("overloaded_error", "Overloaded"),
}


def openai_error(spec: ErrorSpec) -> dict[str, Any]:
    default_type, default_code, default_message = _OPENAI.get(
        spec.status, ("server_error" if spec.status >= 500 else "invalid_request_error", None, "Error.")
    )
    return {
        "error": {
            "message": spec.message or default_message,
            "type": spec.type or default_type,
            "param": spec.param,
            "code": spec.code or default_code,
        }
    }


def anthropic_error(spec: ErrorSpec, request_id: str) -> dict[str, Any]:
    default_type, default_message = _ANTHROPIC.get(
        spec.status, ("api_error" if spec.status >= 500 else "invalid_request_error", "Error.")
    )
    error: dict[str, Any] = {"type": spec.type or default_type, "message": spec.message or default_message}
    if spec.code is not None:
        # The SDK picks a more specific exception class from ``error.details.error_code``.
        error["details"] = {"error_code": spec.code}
    return {"type": "error", "error": error, "request_id": request_id}


def error_headers(spec: ErrorSpec) -> dict[str, str]:
    """``retry-after`` as the providers send it on 429s (whole seconds when it is whole)."""
    retry_after = spec.retry_after
    if retry_after is None and spec.status == 429:
        retry_after = 1
    if retry_after is None:
        return {}
    value = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
    return {"retry-after": value}
