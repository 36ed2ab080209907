"""Errors, timeouts, slow and dropped responses, as the real SDKs see them."""

from __future__ import annotations

import itertools
import threading
import time

import anthropic
import httpx2
import openai
import pytest

from agent_telemetry.tooling.fake_provider import FakeProviderServer, Reply

OPENAI_MODEL = "gpt-4o-mini"
ANTHROPIC_MODEL = "claude-haiku-4-5"
MESSAGES = [{"role": "user", "content": "Hello"}]

OPENAI_ERRORS = [
    (400, openai.BadRequestError, "invalid_request_error"),
    (401, openai.AuthenticationError, "invalid_request_error"),
    (403, openai.PermissionDeniedError, "invalid_request_error"),
    (404, openai.NotFoundError, "invalid_request_error"),
    (408, openai.APIStatusError, "invalid_request_error"),
    (409, openai.ConflictError, "invalid_request_error"),
    (413, openai.APIStatusError, "invalid_request_error"),
    (422, openai.UnprocessableEntityError, "invalid_request_error"),
    (429, openai.RateLimitError, "requests"),
    (500, openai.InternalServerError, "server_error"),
    (503, openai.InternalServerError, "server_error"),
    (529, openai.InternalServerError, "server_error"),
]

ANTHROPIC_ERRORS = [
    (400, anthropic.BadRequestError, "invalid_request_error"),
    (401, anthropic.AuthenticationError, "authentication_error"),
    (403, anthropic.PermissionDeniedError, "permission_error"),
    (404, anthropic.NotFoundError, "not_found_error"),
    (408, anthropic.RequestTimeoutError, "timeout_error"),
    (409, anthropic.ConflictError, "conflict_error"),
    (413, anthropic.ContentTooLargeError, "request_too_large"),
    (422, anthropic.UnprocessableEntityError, "invalid_request_error"),
    (429, anthropic.RateLimitError, "rate_limit_error"),
    (500, anthropic.InternalServerError, "api_error"),
    (503, anthropic.ServiceUnavailableError, "api_error"),
    (529, anthropic.OverloadedError, "overloaded_error"),
]


@pytest.mark.parametrize(("status", "error_class", "error_type"), OPENAI_ERRORS)
def test_openai_error_statuses(fake, openai_client, status, error_class, error_type):
    fake.enqueue(Reply.fail(status))

    with pytest.raises(error_class) as caught:
        openai_client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES)

    error = caught.value
    assert type(error) is error_class
    assert error.status_code == status
    assert error.type == error_type
    assert set(error.body) == {"message", "type", "param", "code"}
    assert error.response.headers.get("retry-after") == ("1" if status == 429 else None)


@pytest.mark.parametrize(("status", "error_class", "error_type"), ANTHROPIC_ERRORS)
def test_anthropic_error_statuses(fake, anthropic_client, status, error_class, error_type):
    fake.enqueue(Reply.fail(status))

    with pytest.raises(error_class) as caught:
        anthropic_client.messages.create(model=ANTHROPIC_MODEL, max_tokens=8, messages=MESSAGES)

    error = caught.value
    assert type(error) is error_class
    assert error.status_code == status
    assert error.type == error_type
    assert error.body["type"] == "error"
    assert error.body["error"]["type"] == error_type
    assert error.request_id == error.body["request_id"] == error.response.headers["request-id"]


def test_scripted_error_fields_and_retry_after(fake, openai_client, anthropic_client):
    fake.enqueue(
        Reply.fail(
            429, type="insufficient_quota", code="insufficient_quota", message="No quota.", retry_after=7
        )
    )
    fake.enqueue(Reply.fail(429, message="Slow down.", retry_after=2.5), provider="anthropic")

    with pytest.raises(openai.RateLimitError) as openai_error:
        openai_client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES)
    with pytest.raises(anthropic.RateLimitError) as anthropic_error:
        anthropic_client.messages.create(model=ANTHROPIC_MODEL, max_tokens=8, messages=MESSAGES)

    assert openai_error.value.body == {
        "message": "No quota.",
        "type": "insufficient_quota",
        "param": None,
        "code": "insufficient_quota",
    }
    assert openai_error.value.response.headers["retry-after"] == "7"
    assert anthropic_error.value.body["error"] == {"type": "rate_limit_error", "message": "Slow down."}
    assert anthropic_error.value.response.headers["retry-after"] == "2.5"


def test_context_length_exceeded(fake, openai_client):
    fake.enqueue(Reply.context_length_exceeded())

    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES)

    assert caught.value.code == "context_length_exceeded"
    assert caught.value.param == "messages"


def test_error_on_a_stream_request_is_raised_before_streaming(fake, openai_client, anthropic_client):
    fake.enqueue(Reply.fail(503), Reply.fail(529))

    with pytest.raises(openai.InternalServerError):
        openai_client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES, stream=True)
    with (
        pytest.raises(anthropic.OverloadedError),
        anthropic_client.messages.stream(model=ANTHROPIC_MODEL, max_tokens=8, messages=MESSAGES) as stream,
    ):
        stream.get_final_message()


def test_missing_model_is_a_bad_request(openai_client):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(model="", messages=MESSAGES)

    assert caught.value.param == "model"


def test_hang_times_out_the_client(fake):
    fake.enqueue(Reply.hanging(), Reply.hanging())
    openai_client = openai.OpenAI(base_url=fake.openai_base_url, api_key="k", max_retries=0, timeout=0.2)
    anthropic_client = anthropic.Anthropic(
        base_url=fake.anthropic_base_url, api_key="k", max_retries=0, timeout=0.2
    )

    with pytest.raises(openai.APITimeoutError):
        openai_client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES)
    with pytest.raises(anthropic.APITimeoutError):
        anthropic_client.messages.create(model=ANTHROPIC_MODEL, max_tokens=8, messages=MESSAGES)

    # The server notices each client hanging up (within its poll interval) and frees the handler.
    deadline = time.monotonic() + 60
    while fake.stats()["by_status"] != {"0": 2} and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake.stats()["by_status"] == {"0": 2}


@pytest.mark.anyio
async def test_async_hang_times_out_the_client(fake):
    fake.enqueue(Reply.hanging(), Reply(delay_s=5))
    async with (
        openai.AsyncOpenAI(
            base_url=fake.openai_base_url, api_key="k", max_retries=0, timeout=0.2
        ) as openai_client,
        anthropic.AsyncAnthropic(
            base_url=fake.anthropic_base_url, api_key="k", max_retries=0, timeout=0.2
        ) as anthropic_client,
    ):
        with pytest.raises(openai.APITimeoutError):
            await openai_client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES)
        with pytest.raises(anthropic.APITimeoutError):
            await anthropic_client.messages.create(model=ANTHROPIC_MODEL, max_tokens=8, messages=MESSAGES)


def test_delay_before_headers_and_between_chunks(fake, openai_client):
    fake.enqueue(Reply(delay_s=0.3), Reply(chunks=4, chunk_delay_s=0.05))

    started = time.monotonic()
    openai_client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES)
    slow_headers = time.monotonic() - started
    started = time.monotonic()
    arrivals = []
    for _ in openai_client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES, stream=True):
        arrivals.append(time.monotonic() - started)

    assert slow_headers >= 0.3
    # 7 events (role, 4 deltas, finish, [DONE]); each after the first waits 0.05 s.
    assert len(arrivals) == 6
    assert arrivals[-1] >= 0.25
    assert all(later > earlier for earlier, later in itertools.pairwise(arrivals))


def test_connection_refused(closed_port):
    openai_client = openai.OpenAI(base_url=f"http://127.0.0.1:{closed_port}/v1", api_key="k", max_retries=0)
    anthropic_client = anthropic.Anthropic(
        base_url=f"http://127.0.0.1:{closed_port}", api_key="k", max_retries=0
    )

    with pytest.raises(openai.APIConnectionError) as openai_caught:
        openai_client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES)
    with pytest.raises(anthropic.APIConnectionError) as anthropic_caught:
        anthropic_client.messages.create(model=ANTHROPIC_MODEL, max_tokens=8, messages=MESSAGES)

    assert not isinstance(openai_caught.value, openai.APITimeoutError)
    assert not isinstance(anthropic_caught.value, anthropic.APITimeoutError)


def test_dropped_openai_stream(fake, openai_client):
    fake.enqueue(Reply(text="one two three four", drop_after_chunks=2))
    received = []

    with pytest.raises(openai.APIConnectionError):
        for chunk in openai_client.chat.completions.create(
            model=OPENAI_MODEL, messages=MESSAGES, stream=True
        ):
            received.append(chunk.choices[0].delta.content)

    assert received == ["", "one ", "two "]


def test_dropped_anthropic_stream(fake, anthropic_client):
    fake.enqueue(Reply(text="one two three four", drop_after_chunks=3))
    received = []

    # The Anthropic SDK does not wrap transport errors raised while iterating a stream.
    with (
        pytest.raises(httpx2.RemoteProtocolError),
        anthropic_client.messages.stream(model=ANTHROPIC_MODEL, max_tokens=8, messages=MESSAGES) as stream,
    ):
        received.extend(stream.text_stream)

    assert received == ["one ", "two ", "three "]


def test_dropped_connection_without_a_response(fake, openai_client):
    fake.enqueue(Reply(drop_after_chunks=0))

    with pytest.raises(openai.APIConnectionError):
        openai_client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES)


def test_stop_is_prompt_with_hangs_and_streams_in_progress():
    outcomes: list[type[BaseException]] = []
    server = FakeProviderServer().start()
    try:
        # A reply that never comes and a stream of 20 minutes: stop() must cut both short.
        server.enqueue(Reply.hanging(), Reply(chunks=20, chunk_delay_s=60.0))
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="k", max_retries=0, timeout=3600)

        def call() -> None:
            try:
                for _ in client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES, stream=True):
                    pass
            except openai.APIError as exc:
                outcomes.append(type(exc))

        threads = [threading.Thread(target=call) for _ in range(2)]
        for received, thread in enumerate(threads, start=1):
            thread.start()
            deadline = time.monotonic() + 60
            while len(server.requests) < received and time.monotonic() < deadline:
                time.sleep(0.02)  # in queue order: the first call gets the hang, the second the stream
    finally:
        stopping = threading.Thread(target=server.stop)
        stopping.start()
        stopping.join(timeout=60)
    for thread in threads:
        thread.join(timeout=60)

    assert not stopping.is_alive()
    assert sorted(exc.__name__ for exc in outcomes) == ["APIConnectionError", "APIConnectionError"]
