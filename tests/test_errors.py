"""Every failure maps to one documented error type, from the real SDK exception classes."""

import asyncio

import anthropic
import httpx2
import openai
import pytest

from agent_telemetry.contract import ERROR_TYPES
from agent_telemetry.errors import classify

_REQUEST = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")


def _status_error(sdk, status: int, body: dict) -> Exception:
    """The exception the SDK raises for this response: its own factory picks the subclass."""
    response = httpx2.Response(status, json=body, request=_REQUEST)
    client_cls = sdk.OpenAI if sdk is openai else sdk.Anthropic
    client = client_cls(api_key="test", base_url="http://127.0.0.1")
    return client._make_status_error_from_response(response)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, "bad_request"),
        (401, "auth_error"),
        (403, "permission_denied"),
        (404, "not_found"),
        (408, "timeout"),
        (409, "conflict"),
        (413, "request_too_large"),
        (422, "unprocessable"),
        (429, "rate_limit"),
        (500, "provider_error"),
        (502, "provider_error"),
        (503, "overloaded"),
        (529, "overloaded"),
    ],
)
@pytest.mark.parametrize("sdk", [openai, anthropic], ids=["openai", "anthropic"])
def test_status_codes(sdk, status, expected):
    assert classify(_status_error(sdk, status, {"error": {"message": "x", "type": "y"}})) == expected


def test_openai_context_length_exceeded():
    body = {
        "error": {"message": "too long", "type": "invalid_request_error", "code": "context_length_exceeded"}
    }
    assert classify(_status_error(openai, 400, body)) == "context_length_exceeded"


def test_anthropic_prompt_too_long():
    body = {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "prompt is too long: 210000"},
    }
    assert classify(_status_error(anthropic, 400, body)) == "context_length_exceeded"


def test_openai_content_filter():
    body = {"error": {"message": "blocked", "type": "invalid_request_error", "code": "content_filter"}}
    assert classify(_status_error(openai, 400, body)) == "content_filter"


@pytest.mark.parametrize("sdk", [openai, anthropic], ids=["openai", "anthropic"])
def test_timeout(sdk):
    assert classify(sdk.APITimeoutError(request=_REQUEST)) == "timeout"


@pytest.mark.parametrize("sdk", [openai, anthropic], ids=["openai", "anthropic"])
def test_connection_error(sdk):
    assert classify(sdk.APIConnectionError(request=_REQUEST)) == "network_error"


def test_cancelled():
    assert classify(asyncio.CancelledError()) == "cancelled"


def test_anything_else_is_unknown():
    assert classify(ValueError("ours? theirs?")) == "unknown_error"


def test_every_type_it_can_return_is_documented():
    returned = {
        "bad_request", "auth_error", "permission_denied", "not_found", "timeout", "conflict",
        "request_too_large", "unprocessable", "rate_limit", "provider_error", "overloaded",
        "context_length_exceeded", "content_filter", "network_error", "cancelled", "unknown_error",
        "invalid_response",
    }  # fmt: skip
    assert returned <= set(ERROR_TYPES)
