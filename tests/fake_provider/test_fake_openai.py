"""The real OpenAI SDK against the fake provider: chat, responses, embeddings, sync and async."""

from __future__ import annotations

import base64
import struct

import openai
import pytest

from agent_telemetry.tooling.fake_provider import (
    DEFAULT_TEXT,
    REDACTED,
    ComputerAction,
    FakeProviderServer,
    Reply,
    SafetyCheck,
    TokenUsage,
    ToolCall,
)
from agent_telemetry.tooling.fake_provider.openai_api import embedding_vector

MODEL = "gpt-4o-mini"
# 2 + 6 words, plus the fixed overhead of 10.
MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Say hello to the fake provider"},
]
PROMPT_TOKENS = 18
SCRIPTED_USAGE = TokenUsage(input_tokens=120, output_tokens=30, cached_tokens=64, reasoning_tokens=12)


def test_chat_create_default_reply(fake: FakeProviderServer, openai_client: openai.OpenAI):
    completion = openai_client.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert completion.model == MODEL
    assert completion.object == "chat.completion"
    (choice,) = completion.choices
    assert choice.message.content == DEFAULT_TEXT
    assert choice.message.tool_calls is None
    assert choice.finish_reason == "stop"
    usage = completion.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (PROMPT_TOKENS, 5, 23)
    assert usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details.reasoning_tokens == 0

    request = fake.last_request
    assert (request.method, request.path, request.endpoint, request.provider) == (
        "POST",
        "/v1/chat/completions",
        "openai.chat",
        "openai",
    )
    assert request.body == {"model": MODEL, "messages": MESSAGES}
    assert request.headers["authorization"] == REDACTED
    assert "sk-test-secret" not in repr(fake.requests)


def test_chat_stream_with_include_usage_ends_with_a_usage_chunk(fake, openai_client):
    fake.enqueue(Reply(text="One two three", usage=SCRIPTED_USAGE))

    chunks = list(
        openai_client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )

    *content_chunks, usage_chunk = chunks
    assert "".join(c.choices[0].delta.content or "" for c in content_chunks) == "One two three"
    assert [c.choices[0].delta.content for c in content_chunks] == ["", "One ", "two ", "three", None]
    assert content_chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in content_chunks][-1] == "stop"
    assert all(c.usage is None for c in content_chunks)
    assert usage_chunk.choices == []
    usage = usage_chunk.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (120, 30, 150)
    assert usage.prompt_tokens_details.cached_tokens == 64
    assert usage.completion_tokens_details.reasoning_tokens == 12
    assert len({c.id for c in chunks}) == 1


def test_chat_stream_without_include_usage_has_no_usage_chunk(openai_client):
    chunks = list(openai_client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True))

    assert all(c.usage is None and len(c.choices) == 1 for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == DEFAULT_TEXT


def test_chat_stream_helper_accumulates_text_tool_calls_and_usage(fake, openai_client):
    call = ToolCall("get_weather", {"city": "Paris"}, id="call_weather")
    fake.enqueue(Reply(tool_calls=[call], usage=TokenUsage(output_tokens=7)))

    with openai_client.chat.completions.stream(
        model=MODEL, messages=MESSAGES, stream_options={"include_usage": True}
    ) as stream:
        events = [event.type for event in stream]
        completion = stream.get_final_completion()

    assert "tool_calls.function.arguments.done" in events
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (tool_call,) = choice.message.tool_calls
    assert (tool_call.id, tool_call.function.name, tool_call.function.arguments) == (
        "call_weather",
        "get_weather",
        '{"city":"Paris"}',
    )
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (PROMPT_TOKENS, 7)


def test_chat_tool_calls_and_content_filter(fake, openai_client):
    fake.enqueue(
        Reply(text="Checking.", tool_calls=[ToolCall("lookup", {"q": "x"}), ToolCall("save", {})]),
        Reply(text="", finish_reason="content_filter"),
    )

    with_tools = openai_client.chat.completions.create(model=MODEL, messages=MESSAGES)
    filtered = openai_client.chat.completions.create(model=MODEL, messages=MESSAGES)

    message = with_tools.choices[0].message
    assert message.content == "Checking."
    assert [(c.function.name, c.function.arguments) for c in message.tool_calls] == [
        ("lookup", '{"q":"x"}'),
        ("save", "{}"),
    ]
    assert all(c.id.startswith("call_") for c in message.tool_calls)
    # 1 word + 10 per call.
    assert with_tools.usage.completion_tokens == 21
    assert filtered.choices[0].finish_reason == "content_filter"
    assert filtered.choices[0].message.content == ""


def test_stream_of_50_chunks(fake, openai_client):
    fake.enqueue(Reply(chunks=50))

    chunks = list(
        openai_client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )

    deltas = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(deltas) == 50
    assert chunks[-1].usage.completion_tokens == 50


def test_responses_create_and_retrieve(fake, openai_client):
    fake.enqueue(Reply(text="Answer.", usage=SCRIPTED_USAGE))

    response = openai_client.responses.create(
        model=MODEL, input="What is two plus two?", instructions="Be exact."
    )
    retrieved = openai_client.responses.retrieve(response.id)

    assert response.status == "completed"
    assert response.output_text == "Answer."
    assert response.model == MODEL
    usage = response.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (120, 30, 150)
    assert usage.input_tokens_details.cached_tokens == 64
    assert usage.output_tokens_details.reasoning_tokens == 12
    assert retrieved.model_dump() == response.model_dump()
    assert fake.last_request.path == f"/v1/responses/{response.id}"
    assert fake.last_request.endpoint == "openai.responses.retrieve"


def test_responses_default_usage_counts_instructions_and_input(openai_client):
    response = openai_client.responses.create(
        model=MODEL,
        instructions="Be exact.",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "What is two plus two?"}]}],
    )

    assert response.usage.input_tokens == 10 + 2 + 5
    assert response.usage.output_tokens == 5


def test_responses_retrieve_unknown_id_is_not_found(openai_client):
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.responses.retrieve("resp_missing")

    assert caught.value.status_code == 404
    assert caught.value.body["message"] == "Response with id 'resp_missing' not found."


def test_responses_stream_event_sequence(fake, openai_client):
    fake.enqueue(Reply(text="Hi there", usage=SCRIPTED_USAGE))

    events = list(openai_client.responses.create(model=MODEL, input="Hello", stream=True))

    assert [e.type for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(10))
    assert [e.delta for e in events if e.type == "response.output_text.delta"] == ["Hi ", "there"]
    assert events[0].response.status == "in_progress"
    assert events[0].response.usage is None
    final = events[-1].response
    assert final.output_text == "Hi there"
    assert final.usage.input_tokens_details.cached_tokens == 64
    assert final.usage.output_tokens_details.reasoning_tokens == 12
    # A streamed response can be retrieved afterwards, as on the real API.
    assert openai_client.responses.retrieve(final.id).output_text == "Hi there"


def test_responses_stream_helper_with_function_and_computer_calls(fake, openai_client):
    check = SafetyCheck("sc_1", "malicious_instructions", "Check the page.")
    click = ComputerAction(kind="click", x=120, y=45, safety_checks=(check,))
    fake.enqueue(Reply(tool_calls=[ToolCall("search", {"q": "fake"})], computer_actions=[click]))

    with openai_client.responses.stream(model=MODEL, input="Click it") as stream:
        types = [event.type for event in stream]
        response = stream.get_final_response()

    assert "response.function_call_arguments.delta" in types
    assert types[-1] == "response.completed"
    function_call, computer_call = response.output
    assert (function_call.type, function_call.name, function_call.arguments) == (
        "function_call",
        "search",
        '{"q":"fake"}',
    )
    assert computer_call.type == "computer_call"
    assert computer_call.action.model_dump(exclude_none=True) == {
        "type": "click",
        "button": "left",
        "x": 120,
        "y": 45,
    }
    assert [c.model_dump() for c in computer_call.pending_safety_checks] == [
        {"id": "sc_1", "code": "malicious_instructions", "message": "Check the page."}
    ]
    assert response.usage.output_tokens == 20


def test_responses_incomplete_for_content_filter(fake, openai_client):
    fake.enqueue(Reply(text="Partial", finish_reason="content_filter"))

    response = openai_client.responses.create(model=MODEL, input="Hello")

    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "content_filter"


def test_embeddings_default_base64_and_float(fake, openai_client):
    default = openai_client.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta gamma"])
    floats = openai_client.embeddings.create(
        model="text-embedding-3-small", input="alpha", encoding_format="float", dimensions=4
    )

    # The SDK asks for base64 unless told otherwise, and decodes it back to floats.
    assert fake.requests[0].body["encoding_format"] == "base64"
    assert [d.embedding for d in default.data] == [
        embedding_vector("alpha", 8),
        embedding_vector("beta gamma", 8),
    ]
    assert default.usage.prompt_tokens == default.usage.total_tokens == 13
    assert floats.data[0].embedding == embedding_vector("alpha", 4)
    assert floats.model == "text-embedding-3-small"


def test_embedding_vectors_survive_float32():
    vector = embedding_vector("anything", 16)
    packed = base64.b64encode(struct.pack("<16f", *vector))
    assert list(struct.unpack("<16f", base64.b64decode(packed))) == vector


@pytest.mark.anyio
async def test_async_chat_create_and_stream(fake, async_openai_client: openai.AsyncOpenAI):
    fake.enqueue(
        Reply(text="Async hello", usage=TokenUsage(input_tokens=9, output_tokens=2, cached_tokens=4))
    )
    async with async_openai_client as client:
        completion = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
        stream = await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = [chunk async for chunk in stream]

    assert completion.choices[0].message.content == "Async hello"
    assert completion.usage.prompt_tokens_details.cached_tokens == 4
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == DEFAULT_TEXT
    assert chunks[-1].usage.prompt_tokens == PROMPT_TOKENS


@pytest.mark.anyio
async def test_async_responses_stream(async_openai_client: openai.AsyncOpenAI):
    async with (
        async_openai_client as client,
        client.responses.stream(model=MODEL, input="Hello there") as stream,
    ):
        async for _ in stream:
            pass
        response = await stream.get_final_response()

    assert response.output_text == DEFAULT_TEXT
    assert response.usage.input_tokens == 12
