"""Full trajectories: with content capture on, a recorded run holds the conversation (real SDK clients
against the fake provider); with it off, no content at all."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

import agent_telemetry
from agent_telemetry import agent_run
from agent_telemetry.instrumentation._content import screenshot_facts
from agent_telemetry.sessions import read_recording
from agent_telemetry.tooling.fake_provider import ComputerAction, Reply, ToolCall

GPT = "gpt-4o-mini"
CLAUDE = "claude-haiku-4-5"
CONTENT_KEYS = {"input", "input_from", "system", "output", "arguments", "result", "parameters"}


def events(directory: Path, *kinds: str) -> list[dict[str, Any]]:
    """The recorded events of ``kinds``, without their clock fields and measured durations."""
    (path,) = directory.glob("*.jsonl")
    return [
        {key: value for key, value in event.items() if key not in ("t", "ts", "duration_s")}
        for event in read_recording(path).events
        if event["kind"] in kinds
    ]


def content(event: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if key in CONTENT_KEYS}


@pytest.fixture
def capture(record_dir, recorded_with):
    """Content capture on, runs recorded into ``record_dir``."""
    return recorded_with(capture_content=True, record_dir=str(record_dir))


def png(width: int, height: int) -> bytes:
    """A real (tiny, blank) PNG of that size: its header is what the recording reads dimensions from."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return b"\x89PNG\r\n\x1a\n" + ihdr + b"\x00" * 40


def screenshot_result(data: bytes) -> dict[str, Any]:
    image = {"type": "base64", "media_type": "image/png", "data": base64.b64encode(data).decode()}
    return {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "image", "source": image}]}


# -- messages in and out ------------------------------------------------------------------------------
def test_a_chat_completion_records_the_messages_sent_and_received_with_keys_redacted(
    capture, record_dir, fake, openai_client
):
    fake.enqueue(Reply(text="It is sunny.", tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="c1")]))
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris? My key is sk-proj-abc123def456"},
    ]
    with agent_run("weather-bot"):
        openai_client.chat.completions.create(model=GPT, messages=messages)

    (call,) = events(record_dir, "llm_call")
    assert content(call) == {
        "input": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Paris? My key is [REDACTED]"},
        ],
        "input_from": 0,
        "output": [
            {
                "role": "assistant",
                "content": "It is sunny.",
                "annotations": [],
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    }
                ],
            }
        ],
    }


def test_a_streamed_chat_completion_records_its_text_and_tool_calls_put_together(
    capture, record_dir, fake, openai_client
):
    fake.enqueue(
        Reply(text="Looking it up.", tool_calls=[ToolCall("get_weather", {"city": "Oslo"}, id="c2")])
    )
    with agent_run("weather-bot"):
        stream = openai_client.chat.completions.create(
            model=GPT, messages=[{"role": "user", "content": "Oslo?"}], stream=True
        )
        for _ in stream:
            pass

    (call,) = events(record_dir, "llm_call")
    assert call["output"] == [
        {
            "role": "assistant",
            "content": "Looking it up.",
            "tool_calls": [
                {
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                }
            ],
        }
    ]


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "streamed"])
def test_a_responses_call_records_its_instructions_input_and_output_items(
    capture, record_dir, fake, openai_client, stream
):
    fake.enqueue(Reply(text="Hi there."))
    with agent_run("greeter"):
        result = openai_client.responses.create(
            model=GPT, instructions="Be brief.", input="hello", stream=stream
        )
        if stream:
            for _ in result:
                pass

    (call,) = events(record_dir, "llm_call")
    assert call["system"] == "Be brief."
    assert (call["input"], call["input_from"]) == ([{"role": "user", "content": "hello"}], 0)
    ((item,),) = [call["output"]]
    assert (item["type"], item["role"], [(p["type"], p["text"]) for p in item["content"]]) == (
        "message",
        "assistant",
        [("output_text", "Hi there.")],
    )


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "streamed"])
def test_an_anthropic_message_records_its_system_prompt_and_content_blocks(
    capture, record_dir, fake, anthropic_client, stream
):
    fake.enqueue(Reply(text="Checking.", tool_calls=[ToolCall("lookup_order", {"order_id": 7}, id="t1")]))
    request = {
        "model": CLAUDE,
        "max_tokens": 64,
        "system": "You help.",
        "messages": [{"role": "user", "content": "Order 7?"}],
    }
    with agent_run("support-bot"):
        if stream:
            with anthropic_client.messages.stream(**request) as events_stream:
                events_stream.until_done()
        else:
            anthropic_client.messages.create(**request)

    (call,) = events(record_dir, "llm_call")
    assert content(call) == {
        "system": "You help.",
        "input": [{"role": "user", "content": "Order 7?"}],
        "input_from": 0,
        "output": [
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "t1", "name": "lookup_order", "input": {"order_id": 7}},
                ],
            }
        ],
    }


def test_a_later_call_records_only_the_messages_it_adds_and_an_unchanged_system_prompt_once(
    capture, record_dir, fake, anthropic_client
):
    fake.enqueue(Reply(text="One."), Reply(text="Two."))
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Count."}]
    with agent_run("counter"):
        for _ in range(2):
            reply = anthropic_client.messages.create(
                model=CLAUDE, max_tokens=64, system="Count.", messages=messages
            )
            messages += [
                {"role": "assistant", "content": reply.content[0].text},
                {"role": "user", "content": "More."},
            ]

    first, second = (content(call) for call in events(record_dir, "llm_call"))
    assert (first["system"], first["input_from"], first["input"]) == (
        "Count.",
        0,
        [{"role": "user", "content": "Count."}],
    )
    assert "system" not in second
    assert (second["input_from"], second["input"]) == (
        1,
        [{"role": "assistant", "content": "One."}, {"role": "user", "content": "More."}],
    )


@pytest.mark.anyio
async def test_an_async_stream_records_its_output_put_together(
    capture, record_dir, fake, async_anthropic_client
):
    fake.enqueue(Reply(text="Checking.", tool_calls=[ToolCall("lookup_order", {"order_id": 7}, id="t1")]))
    async with (
        agent_run("support-bot"),
        async_anthropic_client.messages.stream(
            model=CLAUDE, max_tokens=64, messages=[{"role": "user", "content": "Order 7?"}]
        ) as stream,
    ):
        await stream.until_done()

    (call,) = events(record_dir, "llm_call")
    assert call["output"] == [
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "t1", "name": "lookup_order", "input": {"order_id": 7}},
            ],
        }
    ]


def test_a_failed_call_records_what_was_sent_and_no_output(capture, record_dir, fake, openai_client):
    fake.enqueue(Reply.fail(429, message="Slow down."))
    with agent_run("weather-bot"), pytest.raises(openai.RateLimitError):
        openai_client.chat.completions.create(model=GPT, messages=[{"role": "user", "content": "Hi"}])

    (call,) = events(record_dir, "llm_call")
    assert (call["error_type"], call["input"], "output" in call) == (
        "rate_limit",
        [{"role": "user", "content": "Hi"}],
        False,
    )


# -- tools and actions --------------------------------------------------------------------------------
def test_a_decorated_tool_records_its_arguments_by_name_and_its_result(capture, record_dir):
    @agent_telemetry.tool
    def lookup_order(order_id: int, *, verbose: bool = False) -> dict[str, str]:
        return {"status": "shipped", "token": "Bearer abc.def"}

    with agent_run("support-bot"):
        lookup_order(7, verbose=True)

    assert events(record_dir, "tool") == [
        {
            "kind": "tool",
            "tool": "lookup_order",
            "error": None,
            "arguments": {"order_id": 7, "verbose": True},
            "result": {"status": "shipped", "token": "Bearer [REDACTED]"},
        }
    ]


def test_an_argument_that_cannot_be_shown_is_recorded_by_its_type(capture, record_dir):
    class Connection:
        def __str__(self) -> str:
            raise RuntimeError("closed")

    @agent_telemetry.tool
    def query(connection: Connection, sql: str) -> int:
        return 3

    with agent_run("db-bot"):
        assert query(Connection(), "select 1") == 3

    (tool,) = events(record_dir, "tool")
    assert (tool["arguments"], tool["result"]) == ({"connection": "<Connection>", "sql": "select 1"}, 3)


def test_a_tool_call_block_records_the_arguments_and_result_it_is_given(capture, record_dir):
    with (
        agent_run("support-bot"),
        agent_telemetry.tool_call("search", arguments={"q": "refund policy"}) as call,
    ):
        call.result = ["Refunds within 30 days."]

    (tool,) = events(record_dir, "tool")
    assert (tool["arguments"], tool["result"]) == ({"q": "refund policy"}, ["Refunds within 30 days."])


def test_the_anthropic_tool_runner_records_each_tools_input_and_result(
    capture, record_dir, fake, anthropic_client
):
    @anthropic.beta_tool
    def lookup_order(order_id: int) -> str:
        """Look up an order by its number."""
        return f"order {order_id}: shipped"

    fake.enqueue(
        Reply(tool_calls=[ToolCall("lookup_order", {"order_id": 7})]),
        Reply(text="Done."),
        provider="anthropic",
    )
    with agent_run("support-bot"):
        anthropic_client.beta.messages.tool_runner(
            model=CLAUDE,
            max_tokens=64,
            messages=[{"role": "user", "content": "Order 7?"}],
            tools=[lookup_order],
        ).until_done()

    (tool,) = events(record_dir, "tool")
    assert (tool["arguments"], tool["result"]) == ({"order_id": 7}, "order 7: shipped")


def test_a_computer_use_action_the_model_asks_for_is_recorded_with_its_parameters(
    capture, record_dir, fake, anthropic_client
):
    fake.enqueue(Reply(computer_actions=[ComputerAction.click(100, 200), ComputerAction.type_text("hello")]))
    with agent_run("computer-bot"):
        anthropic_client.messages.create(
            model=CLAUDE, max_tokens=64, messages=[{"role": "user", "content": "Go."}]
        )

    assert events(record_dir, "action_request") == [
        {
            "kind": "action_request",
            "action": "click",
            "parameters": {"action": "left_click", "coordinate": [100, 200]},
        },
        {"kind": "action_request", "action": "type", "parameters": {"action": "type", "text": "hello"}},
    ]


def test_an_action_the_application_executes_is_recorded_with_its_parameters(capture, record_dir):
    with agent_run("computer-bot"):
        with agent_telemetry.computer_action("left_click", parameters={"coordinate": [10, 20]}):
            pass
        agent_telemetry.record_action("type", duration_s=0.5, parameters={"text": "sk-ant-api03-secret"})

    assert events(record_dir, "action") == [
        {"kind": "action", "action": "click", "outcome": "success", "parameters": {"coordinate": [10, 20]}},
        {"kind": "action", "action": "type", "outcome": "success", "parameters": {"text": "[REDACTED]"}},
    ]


# -- screenshots ---------------------------------------------------------------------------------------
def test_a_screenshot_sent_back_is_recorded_by_its_size_type_and_dimensions_without_its_pixels(
    capture, record_dir, fake, anthropic_client
):
    image = png(1280, 800)
    with agent_run("computer-bot"):
        anthropic_client.messages.create(
            model=CLAUDE, max_tokens=64, messages=[{"role": "user", "content": [screenshot_result(image)]}]
        )

    (path,) = record_dir.glob("*.jsonl")
    assert events(record_dir, "screenshot") == [
        {"kind": "screenshot", "bytes": len(image), "media_type": "image/png", "width": 1280, "height": 800}
    ]
    (call,) = events(record_dir, "llm_call")
    assert call["input"][0]["content"][0]["content"] == [{"type": "image", "bytes": len(image)}]
    assert base64.b64encode(image).decode()[:24] not in path.read_text()
    assert not path.with_suffix("").exists()


def test_screenshot_pixels_are_written_only_with_record_screenshots_on(
    record_dir, recorded_with, fake, anthropic_client
):
    recorded_with(capture_content=True, record_screenshots=True, record_dir=str(record_dir))
    image = png(640, 480)
    with agent_run("computer-bot"):
        anthropic_client.messages.create(
            model=CLAUDE, max_tokens=64, messages=[{"role": "user", "content": [screenshot_result(image)]}]
        )

    (shot,) = events(record_dir, "screenshot")
    assert (shot["width"], shot["height"], shot["image_bytes"]) == (640, 480, len(image))
    assert (record_dir / shot["image_file"]).read_bytes() == image


# -- capture off ---------------------------------------------------------------------------------------
def test_without_content_capture_a_recording_holds_no_content_at_all(
    record_dir, recorded_with, fake, anthropic_client
):
    recorded_with(capture_content=False, record_screenshots=True, record_dir=str(record_dir))

    @agent_telemetry.tool
    def lookup_order(order_id: int) -> str:
        return "shipped"

    fake.enqueue(Reply(computer_actions=[ComputerAction.click(1, 2)]))
    with agent_run("support-bot"):
        anthropic_client.messages.create(
            model=CLAUDE,
            max_tokens=64,
            system="secret system prompt",
            messages=[{"role": "user", "content": [screenshot_result(png(8, 8))]}],
        )
        lookup_order(7)
        agent_telemetry.record_action("type", duration_s=0.1, parameters={"text": "hello"})

    (path,) = record_dir.glob("*.jsonl")
    recorded = read_recording(path).events
    assert [sorted(CONTENT_KEYS & event.keys()) for event in recorded] == [[] for _ in recorded]
    assert [sorted(set(shot) - {"t", "ts"}) for shot in recorded if shot["kind"] == "screenshot"] == [
        ["bytes", "kind"]
    ]
    assert "secret system prompt" not in path.read_text()
    assert not path.with_suffix("").exists()


JPEG = (
    b"\xff\xd8"
    + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"  # APP0, before the frame
    + b"\xff\xc0\x00\x11\x08\x03\x20\x05\x00\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"  # 1280x800
)
GIF = b"GIF89a" + (1280).to_bytes(2, "little") + (800).to_bytes(2, "little") + b"\x00" * 8
WEBP_LOSSLESS = b"RIFF\x00\x00\x00\x00WEBPVP8L\x00\x00\x00\x00\x2f" + (
    (1280 - 1) | ((800 - 1) << 14)
).to_bytes(4, "little")


@pytest.mark.parametrize(
    ("media_type", "data"),
    [("image/png", png(1280, 800)), ("image/jpeg", JPEG), ("image/gif", GIF), ("image/webp", WEBP_LOSSLESS)],
    ids=["png", "jpeg", "gif", "webp"],
)
def test_screenshot_dimensions_are_read_from_each_common_format(media_type, data):
    part = {"type": "input_image", "image_url": f"data:{media_type};base64,{base64.b64encode(data).decode()}"}
    assert screenshot_facts(part) == {"media_type": media_type, "width": 1280, "height": 800}


def test_a_screenshot_by_url_has_no_dimensions():
    assert screenshot_facts({"type": "input_image", "image_url": "https://example.com/shot.png"}) == {}
