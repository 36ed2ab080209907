"""The SDKs' own retries are counted: every attempt the SDK retried, by the class of the failed attempt,
in agent.requests.retries, and the number of resends on the call's span."""

import asyncio

import anthropic
import openai
import pytest

from agent_telemetry.tooling.fake_provider import FakeProviderServer, Reply
from tests.conftest import call_labels

MESSAGES = [{"role": "user", "content": "hi"}]
RETRIES = "agent.requests.retries"
# Fast retries: the SDKs honour the retry-after header of a 429 (the fake sends one).
LIMITED = Reply.fail(429, retry_after=0.01)


@pytest.fixture
def client(fake):
    """An openai client with the SDK's default max_retries (2)."""
    with openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-test") as client:
        yield client


def chat(client) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def test_two_429s_absorbed_by_the_default_retries_are_one_successful_request_and_two_retries(
    recorded, fake, client
):
    fake.enqueue(LIMITED)
    fake.enqueue(LIMITED)
    chat(client)
    assert recorded.value("agent.requests") == 1
    assert recorded.points("agent.requests.errors") == []
    assert recorded.attributes(RETRIES) == [
        {**call_labels("openai", "gpt-4o-mini"), "error.type": "rate_limit"}
    ]
    assert recorded.value(RETRIES) == 2
    span = recorded.span()
    assert span.attributes["http.request.resend_count"] == 2
    assert "error.type" not in span.attributes


def test_a_call_without_retries_has_no_resend_count(recorded, fake, client):
    chat(client)
    assert recorded.points(RETRIES) == []
    assert "http.request.resend_count" not in recorded.span().attributes


def test_a_final_failure_after_retries_is_one_error_and_the_attempts_before_it_are_retries(
    recorded, fake, client
):
    for _ in range(3):
        fake.enqueue(LIMITED)
    with pytest.raises(openai.RateLimitError):
        chat(client)
    assert recorded.value("agent.requests") == 1
    assert recorded.value("agent.requests.errors", error__type="rate_limit") == 1
    assert recorded.value(RETRIES, error__type="rate_limit") == 2
    assert recorded.span().attributes["http.request.resend_count"] == 2


def test_retries_are_counted_by_the_class_of_each_failed_attempt(recorded, fake, client):
    fake.enqueue(Reply.fail(503))
    fake.enqueue(LIMITED)
    chat(client)
    counts = {attrs["error.type"]: point.value for attrs, point in recorded.points(RETRIES)}
    assert counts == {"overloaded": 1, "rate_limit": 1}


def test_a_timed_out_attempt_that_is_retried_is_a_timeout_retry(recorded, fake):
    fake.enqueue(Reply.hanging())
    with openai.OpenAI(base_url=fake.openai_base_url, api_key="k", max_retries=1, timeout=0.5) as client:
        chat(client)
    assert recorded.value(RETRIES, error__type="timeout") == 1
    assert recorded.points("agent.requests.errors") == []
    assert recorded.span().attributes["http.request.resend_count"] == 1


def test_a_refused_connection_that_is_retried_is_a_network_error_retry(recorded, unused_port):
    url = f"http://127.0.0.1:{unused_port}/v1"
    with (
        openai.OpenAI(base_url=url, api_key="k", max_retries=1) as client,
        pytest.raises(openai.APIConnectionError),
    ):
        chat(client)
    assert recorded.value(RETRIES, error__type="network_error") == 1
    assert recorded.value("agent.requests.errors", error__type="network_error") == 1


def test_a_retried_stream_counts_its_retry(recorded, fake, client):
    fake.enqueue(LIMITED)
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert recorded.value(RETRIES, error__type="rate_limit") == 1
    assert recorded.span().attributes["http.request.resend_count"] == 1


@pytest.mark.anyio
async def test_async_retries_are_counted(recorded, fake):
    fake.enqueue(LIMITED)
    async with openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key="k") as client:
        await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert recorded.value(RETRIES, error__type="rate_limit") == 1
    assert recorded.span().attributes["http.request.resend_count"] == 1


@pytest.mark.anyio
async def test_concurrent_async_calls_each_count_only_their_own_retries(recorded, fake):
    # Two providers' worth of fake servers, so that only the gpt-4o call meets the 429.
    fake.enqueue(LIMITED)
    with FakeProviderServer() as calm:
        async with (
            openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key="k") as limited,
            openai.AsyncOpenAI(base_url=calm.openai_base_url, api_key="k") as unlimited,
        ):
            await asyncio.gather(
                limited.chat.completions.create(model="gpt-4o", messages=MESSAGES),
                unlimited.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES),
            )
    assert recorded.attributes(RETRIES) == [{**call_labels("openai", "gpt-4o"), "error.type": "rate_limit"}]
    resends = {
        s.attributes["gen_ai.request.model"]: s.attributes.get("http.request.resend_count")
        for s in recorded.spans()
    }
    assert resends == {"gpt-4o": 1, "gpt-4o-mini": None}


def test_anthropic_retries_are_counted(recorded, fake):
    fake.enqueue(Reply.fail(529, retry_after=0.01))
    fake.enqueue(LIMITED)
    with anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="sk-ant-test") as client:
        client.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=MESSAGES)
    counts = {attrs["error.type"]: point.value for attrs, point in recorded.points(RETRIES)}
    assert counts == {"overloaded": 1, "rate_limit": 1}
    assert recorded.value("agent.requests") == 1
    assert recorded.span().attributes["http.request.resend_count"] == 2


@pytest.mark.anyio
async def test_anthropic_async_retries_are_counted(recorded, fake):
    fake.enqueue(LIMITED)
    async with anthropic.AsyncAnthropic(base_url=fake.anthropic_base_url, api_key="sk-ant-test") as client:
        await client.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=MESSAGES)
    assert recorded.value(RETRIES, error__type="rate_limit") == 1


def test_retries_of_an_uninstrumented_sdk_are_not_counted(recorded, fake, client):
    from agent_telemetry import OpenAIInstrumentor

    OpenAIInstrumentor().uninstrument()
    fake.enqueue(LIMITED)
    chat(client)
    assert recorded.points(RETRIES) == []
