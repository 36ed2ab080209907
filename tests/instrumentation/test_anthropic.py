"""The anthropic SDK, for real, against the fake provider: spans and metrics with exact values."""

import base64

import anthropic
import pytest
from opentelemetry.trace import SpanKind

from agent_telemetry.tooling.fake_provider import ComputerAction, Reply, TokenUsage, ToolCall
from tests.conftest import call_labels

MODEL = "claude-haiku-4-5"
MESSAGES = [{"role": "user", "content": "Summarise the ticket."}]
USAGE = TokenUsage(input_tokens=200, output_tokens=80, cached_tokens=1000, cache_write_tokens=400)
# 200 input at $3/M, 80 output at $15/M, 1000 cache reads at $0.30/M, 400 cache writes at $3.75/M.
COST = (200 * 3.0 + 80 * 15.0 + 1000 * 0.3 + 400 * 3.75) / 1e6
TOKENS = {"input": 200, "output": 80, "cache_read": 1000, "cache_write": 400}


def tokens(recorded):
    return {attrs["gen_ai.token.type"]: p.value for attrs, p in recorded.points("agent.tokens")}


def test_messages_create_span(recorded, fake, anthropic_client):
    fake.enqueue(Reply(text="Done.", usage=USAGE))
    anthropic_client.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES, stop_sequences=["END"])
    span = recorded.span()
    assert span.name == "chat claude-haiku-4-5"
    assert span.kind == SpanKind.CLIENT
    attributes = dict(span.attributes)
    assert attributes.pop("gen_ai.response.id").startswith("msg_")
    assert attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": MODEL,
        "gen_ai.agent.name": "test-agent",
        "server.address": "127.0.0.1",
        "server.port": fake.port,
        "gen_ai.request.max_tokens": 256,
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.input_tokens": 1600,
        "gen_ai.usage.output_tokens": 80,
        "gen_ai.usage.cache_read.input_tokens": 1000,
        "gen_ai.usage.cache_creation.input_tokens": 400,
        "agent_telemetry.cost.usd": pytest.approx(COST, rel=1e-12),
    }


def test_the_sdks_own_span_is_replaced_by_ours(recorded, fake, anthropic_client):
    anthropic_client.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    assert [span.instrumentation_scope.name for span in recorded.spans()] == ["agent_telemetry"]


def test_native_spans_mode_keeps_the_sdks_span_and_records_metrics(fake, recorded_with):
    recorded = recorded_with(anthropic_native_spans=True)
    # The SDK picks its tracer up from the global provider; ours is not global here, so no span at all.
    with anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="k", max_retries=0) as client:
        client.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    assert recorded.spans() == []
    assert recorded.value("agent.requests") == 1


def test_messages_create_metrics(recorded, fake, anthropic_client):
    fake.enqueue(Reply(usage=USAGE))
    anthropic_client.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    assert recorded.attributes("agent.requests") == [call_labels("anthropic", MODEL)]
    assert tokens(recorded) == TOKENS
    assert recorded.value("agent.cost.usd") == pytest.approx(COST, rel=1e-12)


def test_stream_helper_usage_from_message_start_and_delta(recorded, fake, anthropic_client):
    fake.enqueue(Reply(text="one two three", chunks=3, usage=USAGE))
    with anthropic_client.messages.stream(model=MODEL, max_tokens=256, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "one two three"
    assert final.usage.output_tokens == 80
    assert tokens(recorded) == TOKENS
    assert recorded.count("agent.request.time_to_first_token") == 1
    assert recorded.span().attributes["gen_ai.response.finish_reasons"] == ("end_turn",)


def test_create_with_stream_true(recorded, fake, anthropic_client):
    fake.enqueue(Reply(text="a b", chunks=2, usage=USAGE))
    events = list(
        anthropic_client.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES, stream=True)
    )
    assert events[0].type == "message_start"
    assert events[-1].type == "message_stop"
    assert tokens(recorded) == TOKENS


def test_stream_exited_early_ends_the_call(recorded, fake, anthropic_client):
    fake.enqueue(Reply(text="a b c d e", chunks=5))
    with anthropic_client.messages.stream(model=MODEL, max_tokens=256, messages=MESSAGES) as stream:
        next(iter(stream))
    assert recorded.value("agent.requests") == 1
    assert len(recorded.spans()) == 1


def test_count_tokens_is_a_request_without_tokens_or_cost(recorded, fake, anthropic_client):
    anthropic_client.messages.count_tokens(model=MODEL, messages=MESSAGES)
    assert recorded.attributes("agent.requests") == [
        call_labels("anthropic", MODEL, operation="count_tokens")
    ]
    assert recorded.points("agent.tokens") == []
    assert recorded.points("agent.cost.usd") == []
    assert recorded.points("agent.tokens.unreported_requests") == []


def test_tool_use_blocks_are_counted(recorded, fake, anthropic_client):
    fake.enqueue(Reply(tool_calls=[ToolCall("get_weather", {"city": "Oslo"})]))
    anthropic_client.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    assert recorded.value("agent.tools.requested", gen_ai__tool__name="get_weather") == 1


def test_beta_computer_use(recorded, fake, anthropic_client):
    fake.enqueue(Reply(computer_actions=[ComputerAction.click(100, 200), ComputerAction.type_text("hello")]))
    anthropic_client.beta.messages.create(
        model=MODEL,
        max_tokens=256,
        messages=MESSAGES,
        tools=[
            {
                "type": "computer_20250124",
                "name": "computer",
                "display_width_px": 1024,
                "display_height_px": 768,
            }
        ],
        betas=["computer-use-2025-01-24"],
    )
    actions = {a["action"]: p.value for a, p in recorded.points("agent.actions")}
    assert actions == {"click": 1, "type": 1}
    assert recorded.value("agent.tools.requested", gen_ai__tool__name="computer") == 2


def test_streamed_computer_use_actions(recorded, fake, anthropic_client):
    fake.enqueue(Reply(computer_actions=[ComputerAction.keypress("ctrl", "s")]))
    with anthropic_client.beta.messages.stream(model=MODEL, max_tokens=256, messages=MESSAGES) as stream:
        stream.until_done()
    assert recorded.attributes("agent.actions") == [
        {"gen_ai.agent.name": "test-agent", "gen_ai.provider.name": "anthropic", "action": "key"}
    ]


def test_refusal_is_a_blocked_step(recorded, fake, anthropic_client):
    fake.enqueue(Reply(text="I can't help with that.", finish_reason="refusal"), provider="anthropic")
    anthropic_client.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    assert recorded.value("agent.actions.blocked", reason="refusal") == 1


def test_screenshots_in_the_newest_tool_results_are_counted_by_size(recorded, fake, anthropic_client):
    def screenshot(size: int) -> dict:
        data = base64.b64encode(bytes(size)).decode()
        return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}

    def tool_result(size: int) -> dict:
        return {"type": "tool_result", "tool_use_id": "t", "content": [screenshot(size)]}

    messages = [
        {"role": "user", "content": [tool_result(5000)]},  # sent with an earlier request: not counted again
        {"role": "assistant", "content": "clicking"},
        {"role": "user", "content": [tool_result(1234), tool_result(4321)]},
    ]
    anthropic_client.messages.create(model=MODEL, max_tokens=256, messages=messages)
    assert recorded.value("agent.screenshots") == 2
    ((_, point),) = recorded.points("agent.screenshot")
    assert (point.count, point.sum) == (2, 1234 + 4321)


@pytest.mark.anyio
async def test_async_create(recorded, fake, async_anthropic_client):
    fake.enqueue(Reply(usage=USAGE))
    await async_anthropic_client.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    assert tokens(recorded) == TOKENS


@pytest.mark.anyio
async def test_async_stream_helper(recorded, fake, async_anthropic_client):
    fake.enqueue(Reply(text="a b c", chunks=3, usage=USAGE))
    async with async_anthropic_client.messages.stream(
        model=MODEL, max_tokens=256, messages=MESSAGES
    ) as stream:
        text = "".join([chunk async for chunk in stream.text_stream])
    assert text == "a b c"
    assert tokens(recorded) == TOKENS
    assert recorded.count("agent.request.time_to_first_token") == 1


def test_overloaded(recorded, fake, anthropic_client):
    fake.enqueue(Reply.fail(529))
    with pytest.raises(anthropic.APIStatusError) as excinfo:
        anthropic_client.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    assert excinfo.value.status_code == 529
    assert recorded.value("agent.requests.errors", error__type="overloaded") == 1
