"""No free text of an error leaves the process unless content capture is on: providers echo prompts and
keys in their error bodies. The structured facts (type, status, the provider's error code) stay."""

import logging

import anthropic
import openai
import pytest
from opentelemetry.trace import StatusCode

from agent_telemetry import agent_run, tool_call
from agent_telemetry.core import telemetry as _telemetry
from agent_telemetry.tooling.fake_provider import Reply

MESSAGES = [{"role": "user", "content": "hi"}]
KEY = "sk-abc123XYZ456def789"
KEY_ECHO = f"Incorrect API key provided: {KEY}. You can find your API key at the dashboard."
SECRET_PROMPT = "the secret merger plan for ACME"
PROMPT_ECHO = f"Invalid prompt: {SECRET_PROMPT}"
ANTHROPIC_KEY = "sk-ant-api03-QwErTy_123-456"


def exported_text(recorded) -> str:
    """Everything the in-memory exporter holds, serialized: attributes, events, status, resource."""
    return "\n".join(span.to_json() for span in recorded.spans())


def fail_openai_call(fake, client, reply: Reply, error: type[Exception]) -> None:
    fake.enqueue(reply)
    with pytest.raises(error):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def test_a_401_that_echoes_the_key_exports_the_facts_and_not_the_key(recorded, fake, openai_client):
    fail_openai_call(fake, openai_client, Reply.fail(401, message=KEY_ECHO), openai.AuthenticationError)
    text = exported_text(recorded)
    assert "sk-abc" not in text and "Incorrect API key" not in text
    span = recorded.span()
    assert span.status.status_code == StatusCode.ERROR
    assert span.status.description == "AuthenticationError"
    assert {key: span.attributes[key] for key in span.attributes if "error" in key or "http" in key} == {
        "error.type": "auth_error",
        "http.response.status_code": 401,
        "agent_telemetry.error.code": "invalid_api_key",
        "agent_telemetry.error.provider_type": "invalid_request_error",
    }
    assert [(event.name, dict(event.attributes)) for event in span.events] == [
        ("exception", {"exception.type": "AuthenticationError"})
    ]


def test_a_400_that_echoes_the_prompt_exports_nothing_of_it(recorded, fake, openai_client):
    fail_openai_call(fake, openai_client, Reply.fail(400, message=PROMPT_ECHO), openai.BadRequestError)
    text = exported_text(recorded)
    assert SECRET_PROMPT not in text and "Invalid prompt" not in text
    assert recorded.span().attributes["http.response.status_code"] == 400
    assert recorded.span().attributes["error.type"] == "bad_request"


def test_a_429_exports_the_providers_error_code(recorded, fake, openai_client):
    fail_openai_call(fake, openai_client, Reply.fail(429, retry_after=0.01), openai.RateLimitError)
    attributes = recorded.span().attributes
    assert (attributes["agent_telemetry.error.code"], attributes["agent_telemetry.error.provider_type"]) == (
        "rate_limit_exceeded",
        "requests",
    )


def test_an_anthropic_401_exports_the_error_type_and_not_the_key(recorded, fake, anthropic_client):
    fake.enqueue(Reply.fail(401, message=f"invalid x-api-key {ANTHROPIC_KEY}"))
    with pytest.raises(anthropic.AuthenticationError):
        anthropic_client.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=MESSAGES)
    assert "sk-ant" not in exported_text(recorded)
    span = recorded.span()
    assert span.attributes["agent_telemetry.error.provider_type"] == "authentication_error"
    assert span.attributes["http.response.status_code"] == 401
    assert [dict(event.attributes) for event in span.events] == [{"exception.type": "AuthenticationError"}]


def test_a_free_text_error_code_is_not_exported(recorded, fake, openai_client):
    reply = Reply.fail(400, code="Invalid prompt: the secret", type="invalid_request_error")
    fail_openai_call(fake, openai_client, reply, openai.BadRequestError)
    assert "agent_telemetry.error.code" not in recorded.span().attributes
    assert "the secret" not in exported_text(recorded)


def test_with_content_capture_the_message_is_exported_with_the_key_redacted(
    recorded_with, fake, openai_client
):
    recorded = recorded_with(capture_content=True)
    fail_openai_call(fake, openai_client, Reply.fail(401, message=KEY_ECHO), openai.AuthenticationError)
    assert KEY not in exported_text(recorded)
    (event,) = recorded.span().events
    assert event.attributes["exception.type"] == "AuthenticationError"
    assert "Incorrect API key provided: [REDACTED]. You can find" in event.attributes["exception.message"]
    assert "Incorrect API key provided: [REDACTED]" in event.attributes["exception.stacktrace"]


def test_with_content_capture_an_echoed_prompt_is_kept(recorded_with, fake, openai_client):
    recorded = recorded_with(capture_content=True)
    fail_openai_call(fake, openai_client, Reply.fail(400, message=PROMPT_ECHO), openai.BadRequestError)
    (event,) = recorded.span().events
    assert PROMPT_ECHO in event.attributes["exception.message"]


class ExplodingCounter:
    def add(self, amount, attributes=None):
        raise RuntimeError("our own bug")


def test_our_own_failure_during_a_failed_call_logs_no_provider_text(recorded, fake, openai_client, caplog):
    caplog.set_level(logging.WARNING, logger="agent_telemetry")
    _telemetry.current().request_errors = ExplodingCounter()
    fail_openai_call(fake, openai_client, Reply.fail(401, message=KEY_ECHO), openai.AuthenticationError)
    (warning,) = [r for r in caplog.records if "internal error in call.end" in r.getMessage()]
    assert "RuntimeError: our own bug" in caplog.text
    assert "sk-abc" not in caplog.text and "Incorrect API key" not in caplog.text
    assert warning.exc_info is None


def test_a_provider_error_through_a_tool_and_a_run_leaves_no_text_in_any_span(recorded, fake, openai_client):
    # The application lets the SDK's exception escape its tool and its run: their spans keep the class only.
    fake.enqueue(Reply.fail(401, message=KEY_ECHO))
    with pytest.raises(openai.AuthenticationError), agent_run("support-bot"), tool_call("lookup_order"):
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    names = sorted(span.name for span in recorded.spans())
    assert names == ["chat gpt-4o-mini", "execute_tool lookup_order", "invoke_agent support-bot"]
    assert KEY not in exported_text(recorded) and "Incorrect API key" not in exported_text(recorded)
    assert {span.status.description for span in recorded.spans()} == {"AuthenticationError"}
