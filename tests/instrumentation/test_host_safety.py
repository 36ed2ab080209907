"""Never break the host: the application gets exactly what it would have got without us."""

import logging

import openai
import pytest
import wrapt

from agent_telemetry import OpenAIInstrumentor
from agent_telemetry.core import telemetry as _telemetry
from agent_telemetry.tooling.fake_provider import Reply

MESSAGES = [{"role": "user", "content": "hi"}]


class ExplodingPriceBook:
    def cost(self, provider, model, usage):
        raise RuntimeError("price database corrupted")

    def warn_unpriced_once(self, provider, model):
        raise RuntimeError("unreachable")


def test_a_failure_of_ours_leaves_the_call_untouched_and_is_counted(recorded, fake, openai_client, caplog):
    _telemetry.current().price_book = ExplodingPriceBook()
    caplog.set_level(logging.WARNING, logger="agent_telemetry")
    results = [
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES) for _ in range(3)
    ]
    assert [r.choices[0].message.content for r in results] == ["Hello from the fake provider."] * 3
    assert recorded.value("agent.telemetry.internal_errors", component="call.end") == 3
    assert len([r for r in caplog.records if "internal error in call.end" in r.getMessage()]) == 1


def test_the_same_exception_object_reaches_the_application(recorded, fake, openai_client):
    fake.enqueue(Reply.fail(500))
    with pytest.raises(openai.InternalServerError) as with_us:
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert with_us.value.status_code == 500
    assert with_us.value.__traceback__ is not None
    assert recorded.value("agent.requests.errors", error__type="provider_error") == 1


@pytest.mark.parametrize(
    ("status", "sdk_error", "error_type"),
    [
        (400, openai.BadRequestError, "bad_request"),
        (401, openai.AuthenticationError, "auth_error"),
        (403, openai.PermissionDeniedError, "permission_denied"),
        (404, openai.NotFoundError, "not_found"),
        (409, openai.ConflictError, "conflict"),
        (422, openai.UnprocessableEntityError, "unprocessable"),
        (429, openai.RateLimitError, "rate_limit"),
        (500, openai.InternalServerError, "provider_error"),
        (503, openai.InternalServerError, "overloaded"),
    ],
)
def test_every_error_status_is_classified(recorded, fake, openai_client, status, sdk_error, error_type):
    fake.enqueue(Reply.fail(status))
    with pytest.raises(sdk_error):
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert recorded.attributes("agent.requests.errors")[0]["error.type"] == error_type


def test_context_length_exceeded(recorded, fake, openai_client):
    fake.enqueue(Reply.context_length_exceeded())
    with pytest.raises(openai.BadRequestError):
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert recorded.value("agent.requests.errors", error__type="context_length_exceeded") == 1


def test_read_timeout(recorded, fake):
    fake.enqueue(Reply.hanging())
    with (
        openai.OpenAI(base_url=fake.openai_base_url, api_key="k", max_retries=0, timeout=0.2) as client,
        pytest.raises(openai.APITimeoutError),
    ):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert recorded.value("agent.requests.errors", error__type="timeout") == 1


def test_connection_refused(recorded, unused_port):
    with (
        openai.OpenAI(base_url=f"http://127.0.0.1:{unused_port}/v1", api_key="k", max_retries=0) as client,
        pytest.raises(openai.APIConnectionError),
    ):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert recorded.value("agent.requests.errors", error__type="network_error") == 1


def test_retries_inside_the_sdk_are_one_call(recorded, fake):
    fake.enqueue(Reply.fail(429, retry_after=0))
    with openai.OpenAI(base_url=fake.openai_base_url, api_key="k", max_retries=1) as client:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert recorded.value("agent.requests") == 1
    assert recorded.points("agent.requests.errors") == []


def test_uninstrument_restores_the_original_methods(recorded, fake, openai_client):
    OpenAIInstrumentor().uninstrument()
    assert not isinstance(openai.resources.chat.completions.Completions.__dict__["create"], wrapt.ObjectProxy)
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert recorded.spans() == []


def test_model_labels_are_bounded(fake, openai_client, recorded_with):
    recorded = recorded_with(max_model_labels=2)
    for model in ("m-1", "m-2", "m-3", "m-4", "m-1"):
        openai_client.chat.completions.create(model=model, messages=MESSAGES)
    counts = {a["gen_ai.request.model"]: p.value for a, p in recorded.points("agent.requests")}
    assert counts == {"m-1": 2, "m-2": 1, "_other": 2}
    assert recorded.value("agent.telemetry.label_overflow", label="gen_ai_request_model") == 2
    # The span keeps the real model name: spans are not label-bound.
    assert [s.attributes["gen_ai.request.model"] for s in recorded.spans()] == [
        "m-1",
        "m-2",
        "m-3",
        "m-4",
        "m-1",
    ]
