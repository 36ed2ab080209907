"""The openai SDK, for real, against the fake provider: spans and metrics with exact values."""

import base64
import gc
import weakref

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel

from agent_telemetry.tooling.fake_provider import (
    ComputerAction,
    FakeProviderServer,
    Reply,
    SafetyCheck,
    TokenUsage,
    ToolCall,
)
from tests.conftest import call_labels

MESSAGES = [{"role": "user", "content": "What is the refund policy?"}]
USAGE = TokenUsage(input_tokens=1000, output_tokens=50, cached_tokens=400, reasoning_tokens=20)
# 600 uncached input at $1/M, 50 output at $4/M, 400 cache reads at $0.5/M.
COST = (600 * 1.0 + 50 * 4.0 + 400 * 0.5) / 1e6


def test_chat_completion_span_follows_genai_semantic_conventions(recorded, fake, openai_client):
    fake.enqueue(Reply(text="Refunds within 30 days.", usage=USAGE))
    openai_client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, temperature=0.2, max_tokens=100
    )
    span = recorded.span()
    assert span.name == "chat gpt-4o-mini"
    assert span.kind == SpanKind.CLIENT
    attributes = dict(span.attributes)
    response_id = attributes.pop("gen_ai.response.id")
    assert response_id.startswith("chatcmpl-")
    assert attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.agent.name": "test-agent",
        "server.address": "127.0.0.1",
        "server.port": fake.port,
        "gen_ai.request.max_tokens": 100,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.response.model": "gpt-4o-mini",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 50,
        "gen_ai.usage.cache_read.input_tokens": 400,
        "gen_ai.usage.reasoning.output_tokens": 20,
        "agent_telemetry.cost.usd": pytest.approx(COST, rel=1e-12),
    }


def test_server_port_follows_a_client_moved_to_another_base_url(recorded, fake, openai_client):
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with FakeProviderServer() as other:
        openai_client.base_url = other.openai_base_url
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        ports = [fake.port, other.port]
    assert [span.attributes["server.port"] for span in recorded.spans()] == ports


def test_a_client_is_not_kept_alive_by_what_we_remember_of_its_server(recorded, fake):
    client = openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-test", max_retries=0)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    collected = weakref.ref(client)
    del client
    gc.collect()
    assert collected() is None


def test_a_new_client_at_another_address_gets_its_own_server_attributes(recorded, fake, openai_client):
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with FakeProviderServer() as other:
        for _ in range(2):
            client = openai.OpenAI(base_url=other.openai_base_url, api_key="sk-test", max_retries=0)
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            del client
            gc.collect()  # its id may go to the next client
        ports = [fake.port, other.port, other.port]
    assert [span.attributes["server.port"] for span in recorded.spans()] == ports


def test_the_latency_of_a_call_links_to_its_trace_through_an_exemplar(recorded, fake, openai_client):
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    span = recorded.span()
    ((_, point),) = recorded.points("agent.request.duration")
    assert [(e.trace_id, e.span_id) for e in point.exemplars] == [
        (span.context.trace_id, span.context.span_id)
    ]


def test_chat_completion_metrics(recorded, fake, openai_client):
    fake.enqueue(Reply(usage=USAGE))
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    labels = call_labels("openai", "gpt-4o-mini")
    assert recorded.attributes("agent.requests") == [labels]
    assert recorded.value("agent.requests") == 1
    assert recorded.count("agent.request.duration") == 1
    tokens = {attrs["gen_ai.token.type"]: p.value for attrs, p in recorded.points("agent.tokens")}
    assert tokens == {"input": 600, "output": 50, "cache_read": 400}
    assert recorded.value("agent.cost.usd", **{"gen_ai__request__model": "gpt-4o-mini"}) == pytest.approx(
        COST, rel=1e-12
    )
    assert recorded.points("agent.requests.errors") == []
    assert recorded.points("agent.request.time_to_first_token") == []


def test_openai_cache_writes_are_their_own_token_type(recorded, fake, openai_client):
    fake.enqueue(
        Reply(
            usage=TokenUsage(input_tokens=1000, output_tokens=10, cached_tokens=300, cache_write_tokens=200)
        )
    )
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    tokens = {attrs["gen_ai.token.type"]: p.value for attrs, p in recorded.points("agent.tokens")}
    assert tokens == {"input": 500, "output": 10, "cache_read": 300, "cache_write": 200}


def test_stream_reports_usage_and_time_to_first_token(recorded, fake, openai_client):
    fake.enqueue(Reply(text="one two three four", chunks=4, usage=USAGE))
    stream = openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream)
    assert text == "one two three four"
    tokens = {attrs["gen_ai.token.type"]: p.value for attrs, p in recorded.points("agent.tokens")}
    assert tokens == {"input": 600, "output": 50, "cache_read": 400}
    assert recorded.count("agent.request.time_to_first_token") == 1
    assert recorded.span().attributes["gen_ai.response.finish_reasons"] == ("stop",)


def test_stream_without_include_usage_gets_exactly_the_chunks_it_asked_for(recorded, fake, openai_client):
    fake.enqueue(Reply(text="a b", chunks=2))
    chunks = list(openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    # The usage-only chunk we asked for on the application's behalf is not passed on.
    assert all(chunk.choices for chunk in chunks)
    assert all(chunk.usage is None for chunk in chunks)
    assert fake.last_request.body["stream_options"] == {"include_usage": True}
    assert recorded.value("agent.tokens", gen_ai__token__type="output") == 2


def test_stream_with_include_usage_keeps_its_usage_chunk(recorded, fake, openai_client):
    fake.enqueue(Reply(text="a b", chunks=2, usage=TokenUsage(input_tokens=7, output_tokens=2)))
    chunks = list(
        openai_client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    assert chunks[-1].choices == []
    assert chunks[-1].usage.prompt_tokens == 7
    assert recorded.value("agent.tokens", gen_ai__token__type="input") == 7


def test_stream_usage_policy_off_counts_the_call_as_unreported(fake, openai_client, recorded_with):
    recorded = recorded_with(openai_stream_usage="off")
    fake.enqueue(Reply(text="a b", chunks=2))
    list(openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    assert "stream_options" not in fake.last_request.body
    assert recorded.points("agent.tokens") == []
    assert recorded.value("agent.tokens.unreported_requests") == 1


def test_stream_helper(recorded, fake, openai_client):
    fake.enqueue(Reply(text="x y z", chunks=3, usage=TokenUsage(input_tokens=9, output_tokens=3)))
    with openai_client.chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "x y z"
    assert recorded.value("agent.tokens", gen_ai__token__type="output") == 3
    assert recorded.value("agent.requests") == 1


def test_stream_is_still_a_stream(recorded, fake, openai_client):
    stream = openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert isinstance(stream, openai.Stream)
    with stream as entered:
        assert entered is stream
        next(iter(entered))
    assert recorded.value("agent.requests") == 1


def test_stream_closed_early_ends_the_call_without_usage(recorded, fake, openai_client):
    fake.enqueue(Reply(text="a b c d", chunks=4))
    stream = openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    next(iter(stream))
    stream.close()
    assert recorded.value("agent.requests") == 1
    assert recorded.value("agent.tokens.unreported_requests") == 1


def test_dropped_stream_is_a_network_error(recorded, fake, openai_client):
    fake.enqueue(Reply(text="a b c d", chunks=4, drop_after_chunks=2))
    with pytest.raises(Exception) as excinfo:
        list(openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    # openai 3 wraps the transport error; openai 2 lets httpx's through.
    assert type(excinfo.value).__name__ in ("APIConnectionError", "RemoteProtocolError")
    assert recorded.value("agent.requests.errors", error__type="network_error") == 1


class Answer(BaseModel):
    answer: str


def test_parse(recorded, fake, openai_client):
    fake.enqueue(Reply(text='{"answer": "42"}', usage=TokenUsage(input_tokens=5, output_tokens=4)))
    completion = openai_client.chat.completions.parse(
        model="gpt-4o-mini", messages=MESSAGES, response_format=Answer
    )
    assert completion.choices[0].message.parsed == Answer(answer="42")
    assert recorded.value("agent.tokens", gen_ai__token__type="output") == 4


def test_with_raw_response(recorded, fake, openai_client):
    fake.enqueue(Reply(usage=TokenUsage(input_tokens=5, output_tokens=4)))
    raw = openai_client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    assert raw.http_response.status_code == 200
    assert raw.parse().usage.completion_tokens == 4
    assert recorded.value("agent.tokens", gen_ai__token__type="output") == 4


def test_with_streaming_response(recorded, fake, openai_client):
    fake.enqueue(Reply(usage=TokenUsage(input_tokens=5, output_tokens=4)))
    with openai_client.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=MESSAGES
    ) as r:
        assert r.parse().usage.prompt_tokens == 5
    assert recorded.value("agent.tokens", gen_ai__token__type="input") == 5
    assert recorded.value("agent.requests") == 1


def test_tool_calls_the_model_asks_for_are_counted(recorded, fake, openai_client):
    fake.enqueue(Reply(tool_calls=[ToolCall("lookup_order", {"id": 7}), ToolCall("search", {"q": "x"})]))
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    requested = {a["gen_ai.tool.name"]: p.value for a, p in recorded.points("agent.tools.requested")}
    assert requested == {"lookup_order": 1, "search": 1}


def test_streamed_tool_calls_are_counted_once(recorded, fake, openai_client):
    fake.enqueue(Reply(tool_calls=[ToolCall("lookup_order", {"id": 7, "verbose": True})]))
    list(openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    assert recorded.value("agent.tools.requested", gen_ai__tool__name="lookup_order") == 1


def test_responses_create(recorded, fake, openai_client):
    fake.enqueue(Reply(text="ok", usage=USAGE))
    response = openai_client.responses.create(model="gpt-4o-mini", input="hello")
    assert response.output_text == "ok"
    span = recorded.span()
    assert span.name == "chat gpt-4o-mini"
    assert span.attributes["gen_ai.response.finish_reasons"] == ("completed",)
    tokens = {attrs["gen_ai.token.type"]: p.value for attrs, p in recorded.points("agent.tokens")}
    assert tokens == {"input": 600, "output": 50, "cache_read": 400}


def test_responses_stream(recorded, fake, openai_client):
    fake.enqueue(Reply(text="a b c", chunks=3, usage=USAGE))
    with openai_client.responses.stream(model="gpt-4o-mini", input="hello") as stream:
        for _ in stream:
            pass
    assert recorded.value("agent.tokens", gen_ai__token__type="input") == 600
    assert recorded.count("agent.request.time_to_first_token") == 1


def test_responses_retrieve_counts_the_request_but_not_tokens_again(recorded, fake, openai_client):
    created = openai_client.responses.create(model="gpt-4o-mini", input="hello")
    openai_client.responses.retrieve(created.id)
    assert recorded.value("agent.requests", gen_ai__operation__name="retrieve") == 1
    assert recorded.value("agent.requests", gen_ai__operation__name="chat") == 1
    assert recorded.value("agent.tokens", gen_ai__token__type="output") == created.usage.output_tokens


def test_computer_use_actions_and_safety_checks(recorded, fake, openai_client):
    click = ComputerAction(
        "click", x=10, y=20, safety_checks=(SafetyCheck("sc_1", code="malicious_instructions"),)
    )
    fake.enqueue(Reply(computer_actions=[click]))
    openai_client.responses.create(
        model="gpt-4o-mini", input="open the settings", tools=[{"type": "computer"}]
    )
    assert recorded.value("agent.actions", action="click") == 1
    assert recorded.value("agent.actions.blocked", reason="malicious_instructions") == 1
    assert recorded.value("agent.tools.requested", gen_ai__tool__name="computer") == 1


def test_screenshots_sent_back_are_counted_by_size_only(recorded, fake, openai_client):
    png = base64.b64encode(b"\x89PNG" + bytes(754)).decode()  # a 758-byte image
    openai_client.responses.create(
        model="gpt-4o-mini",
        input=[
            {"type": "computer_call", "call_id": "c1", "id": "cu_1", "action": {"type": "screenshot"},
             "pending_safety_checks": [], "status": "completed"},
            {"type": "computer_call_output", "call_id": "c1",
             "output": {"type": "computer_screenshot", "image_url": f"data:image/png;base64,{png}"}},
        ],
    )  # fmt: skip
    assert recorded.value("agent.screenshots") == 1
    ((_, point),) = recorded.points("agent.screenshot")
    assert (point.count, point.sum) == (1, 758)


def test_embeddings(recorded, fake, openai_client):
    fake.enqueue(Reply(usage=TokenUsage(input_tokens=8)))
    openai_client.embeddings.create(model="text-embedding-3-small", input="refund policy")
    assert recorded.span().name == "embeddings text-embedding-3-small"
    labels = call_labels("openai", "text-embedding-3-small", operation="embeddings")
    assert recorded.attributes("agent.requests") == [labels]
    assert recorded.value("agent.tokens", gen_ai__token__type="input") == 8
    assert recorded.value("agent.cost.usd") == pytest.approx(8 * 0.02 / 1e6, rel=1e-12)


@pytest.mark.anyio
async def test_async_chat_completion(recorded, fake, async_openai_client):
    fake.enqueue(Reply(usage=USAGE))
    await async_openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert recorded.value("agent.tokens", gen_ai__token__type="cache_read") == 400
    assert recorded.span().name == "chat gpt-4o-mini"


@pytest.mark.anyio
async def test_async_stream(recorded, fake, async_openai_client):
    fake.enqueue(Reply(text="a b c", chunks=3, usage=TokenUsage(input_tokens=3, output_tokens=3)))
    stream = await async_openai_client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True
    )
    assert isinstance(stream, openai.AsyncStream)
    text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream])
    assert text == "a b c"
    assert recorded.value("agent.tokens", gen_ai__token__type="output") == 3
    assert recorded.count("agent.request.time_to_first_token") == 1


def test_unpriced_model_is_counted_and_warned_about_once(recorded, fake, openai_client, caplog):
    for _ in range(3):
        openai_client.chat.completions.create(model="my-finetune", messages=MESSAGES)
    assert recorded.value("agent.cost.unpriced_requests") == 3
    assert recorded.points("agent.cost.usd") == []
    warnings = [r for r in caplog.records if "my-finetune" in r.getMessage()]
    assert len(warnings) == 1


def test_error_span_and_metrics(recorded, fake, openai_client):
    fake.enqueue(Reply.fail(429, retry_after=1))
    with pytest.raises(openai.RateLimitError):
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    span = recorded.span()
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes["error.type"] == "rate_limit"
    assert recorded.attributes("agent.requests.errors") == [
        {**call_labels("openai", "gpt-4o-mini"), "error.type": "rate_limit"}
    ]
    assert recorded.value("agent.requests") == 1
    assert recorded.points("agent.tokens") == []
    assert recorded.points("agent.tokens.unreported_requests") == []
