"""The real Anthropic SDK against the fake provider: messages, streams, count_tokens, beta and computer use."""

from __future__ import annotations

import json
import urllib.request

import anthropic
import pytest

from agent_telemetry.tooling.fake_provider import (
    DEFAULT_TEXT,
    REDACTED,
    ComputerAction,
    FakeProviderServer,
    Reply,
    TokenUsage,
    ToolCall,
)

MODEL = "claude-haiku-4-5"  # not on the SDK's deprecation list, so no warnings
SYSTEM = "You are terse."
MESSAGES = [{"role": "user", "content": [{"type": "text", "text": "Say hello to the fake provider"}]}]
INPUT_TOKENS = 10 + 3 + 6
CACHED_USAGE = TokenUsage(input_tokens=50, output_tokens=9, cached_tokens=1000, cache_write_tokens=200)


def test_messages_create_default_reply(fake: FakeProviderServer, anthropic_client: anthropic.Anthropic):
    message = anthropic_client.messages.create(model=MODEL, max_tokens=64, system=SYSTEM, messages=MESSAGES)

    assert message.model == MODEL
    assert [(block.type, block.text) for block in message.content] == [("text", DEFAULT_TEXT)]
    assert message.stop_reason == "end_turn"
    usage = message.usage
    assert (usage.input_tokens, usage.output_tokens) == (INPUT_TOKENS, 5)
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (0, 0)

    request = fake.last_request
    assert (request.path, request.query, request.endpoint) == ("/v1/messages", {}, "anthropic.messages")
    assert request.body["system"] == SYSTEM
    # This SDK version sends the key as ``authorization``; older ones as ``x-api-key``: both are redacted.
    credentials = {
        name: value for name, value in request.headers.items() if name in ("authorization", "x-api-key")
    }
    assert list(credentials.values()) == [REDACTED]
    assert "sk-ant-test" not in repr(fake.requests)
    assert "anthropic-version" in request.headers


def test_messages_stream_helper_final_message(fake, anthropic_client):
    fake.enqueue(Reply(text="Cached answer here", usage=CACHED_USAGE))

    with anthropic_client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream:
        pieces = list(stream.text_stream)
        message = stream.get_final_message()

    assert pieces == ["Cached ", "answer ", "here"]
    assert message.content[0].text == "Cached answer here"
    assert message.stop_reason == "end_turn"
    usage = message.usage
    assert (usage.input_tokens, usage.output_tokens) == (50, 9)
    assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (1000, 200)


def test_raw_stream_event_sequence_includes_ping(fake):
    """Read the SSE bytes directly: the SDK hides ``ping`` events."""
    fake.enqueue(Reply(text="a b", usage=CACHED_USAGE))
    request = urllib.request.Request(
        # Older SDKs mark beta calls with this query; it is served like the plain path.
        f"{fake.anthropic_base_url}/v1/messages?beta=true",
        data=json.dumps({"model": MODEL, "max_tokens": 8, "messages": MESSAGES, "stream": True}).encode(),
        headers={"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        frames = response.read().decode().split("\n\n")

    events = [frame.split("\n") for frame in frames if frame]
    names = [lines[0].removeprefix("event: ") for lines in events]
    payloads = [json.loads(lines[1].removeprefix("data: ")) for lines in events]
    assert names == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert [p["type"] for p in payloads] == names
    assert fake.last_request.query == {"beta": "true"}
    assert payloads[0]["message"]["usage"] == {
        "input_tokens": 50,
        "cache_creation_input_tokens": 200,
        "cache_read_input_tokens": 1000,
        "cache_creation": {"ephemeral_5m_input_tokens": 200, "ephemeral_1h_input_tokens": 0},
        "output_tokens": 1,
        "service_tier": "standard",
    }
    assert [p["delta"] for p in payloads[3:5]] == [
        {"type": "text_delta", "text": "a "},
        {"type": "text_delta", "text": "b"},
    ]
    assert payloads[6]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert payloads[6]["usage"] == {"output_tokens": 9}


def test_stream_tool_use_arrives_as_input_json_deltas(fake, anthropic_client):
    fake.enqueue(
        Reply(text="", tool_calls=[ToolCall("get_weather", {"city": "Paris", "days": 3}, id="toolu_1")])
    )

    with anthropic_client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream:
        deltas = [e.delta.partial_json for e in stream if e.type == "content_block_delta"]
        message = stream.get_final_message()

    assert "".join(deltas) == '{"city":"Paris","days":3}'
    (block,) = message.content
    assert (block.type, block.id, block.name, block.input) == (
        "tool_use",
        "toolu_1",
        "get_weather",
        {"city": "Paris", "days": 3},
    )
    assert message.stop_reason == "tool_use"
    assert message.usage.output_tokens == 10


def test_count_tokens_matches_messages_input(fake, anthropic_client):
    counted = anthropic_client.messages.count_tokens(model=MODEL, system=SYSTEM, messages=MESSAGES)
    message = anthropic_client.messages.create(model=MODEL, max_tokens=8, system=SYSTEM, messages=MESSAGES)

    assert counted.input_tokens == message.usage.input_tokens == INPUT_TOKENS
    assert fake.requests[0].endpoint == "anthropic.count_tokens"


def test_beta_messages_with_computer_use_tool_use(fake, anthropic_client):
    fake.enqueue(
        Reply(
            text="Clicking the button.",
            computer_actions=[ComputerAction.click(640, 400), ComputerAction.type_text("hello")],
        )
    )

    message = anthropic_client.beta.messages.create(
        model=MODEL,
        max_tokens=256,
        tools=[
            {
                "type": "computer_20250124",
                "name": "computer",
                "display_width_px": 1280,
                "display_height_px": 800,
            }
        ],
        messages=MESSAGES,
        betas=["computer-use-2025-01-24"],
    )

    text, click, typing = message.content
    assert text.text == "Clicking the button."
    assert (click.type, click.name, click.input) == (
        "tool_use",
        "computer",
        {"action": "left_click", "coordinate": [640, 400]},
    )
    assert typing.input == {"action": "type", "text": "hello"}
    assert click.id.startswith("toolu_") and click.id != typing.id
    assert message.stop_reason == "tool_use"
    assert message.usage.output_tokens == 3 + 20
    request = fake.last_request
    assert (request.path, request.endpoint) == ("/v1/messages", "anthropic.messages")
    assert request.headers["anthropic-beta"] == "computer-use-2025-01-24"


def test_beta_count_tokens(fake, anthropic_client):
    counted = anthropic_client.beta.messages.count_tokens(
        model=MODEL, messages=MESSAGES, betas=["token-counting-2024-11-01"]
    )

    assert counted.input_tokens == 10 + 6
    assert "token-counting-2024-11-01" in fake.last_request.headers["anthropic-beta"].split(",")


def test_thinking_tokens_and_stop_reason(fake, anthropic_client):
    fake.enqueue(
        Reply(
            text="Done.", finish_reason="max_tokens", usage=TokenUsage(output_tokens=64, reasoning_tokens=40)
        )
    )

    message = anthropic_client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)

    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 64
    assert message.usage.output_tokens_details.thinking_tokens == 40


@pytest.mark.anyio
async def test_async_messages_create_and_stream(fake, async_anthropic_client: anthropic.AsyncAnthropic):
    fake.enqueue(Reply(text="First"), Reply(chunks=12, usage=CACHED_USAGE))
    async with async_anthropic_client as client:
        message = await client.messages.create(model=MODEL, max_tokens=8, messages=MESSAGES)
        async with client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream:
            pieces = [text async for text in stream.text_stream]
            final = await stream.get_final_message()

    assert message.content[0].text == "First"
    assert len(pieces) == 12
    assert final.content[0].text == "".join(pieces)
    assert (final.usage.cache_read_input_tokens, final.usage.output_tokens) == (1000, 9)
