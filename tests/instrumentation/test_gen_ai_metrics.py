"""The GenAI semantic conventions' gen_ai.client.* metrics, beside agent.*: real SDKs, the fake provider."""

import openai
import pytest
from opentelemetry.sdk.trace import TracerProvider

from agent_telemetry.tooling.fake_provider import Reply, TokenUsage

MESSAGES = [{"role": "user", "content": "What is the refund policy?"}]
DURATION = "gen_ai.client.operation.duration"
TOKENS = "gen_ai.client.token.usage"
FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
PER_CHUNK = "gen_ai.client.operation.time_per_output_chunk"


def conventions_attributes(fake, provider: str, model: str, **extra) -> dict:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        "gen_ai.response.model": model,
        "server.address": "127.0.0.1",
        "server.port": fake.port,
        **extra,
    }


def test_a_call_records_its_duration_with_the_conventions_attributes_and_no_agent(
    recorded, fake, openai_client
):
    fake.enqueue(Reply(usage=TokenUsage(input_tokens=10, output_tokens=5)))
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    [(attributes, point)] = recorded.points(DURATION)
    assert (attributes, point.count) == (conventions_attributes(fake, "openai", "gpt-4o-mini"), 1)


def test_the_duration_histogram_has_the_conventions_advisory_buckets(recorded, fake, openai_client):
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    [(_, point)] = recorded.points(DURATION)
    assert tuple(point.explicit_bounds) == (
        *(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92),
    )


def test_tokens_are_input_with_cached_included_and_output(recorded, fake, anthropic_client):
    fake.enqueue(
        Reply(
            usage=TokenUsage(input_tokens=200, output_tokens=80, cached_tokens=1000, cache_write_tokens=400)
        ),
        provider="anthropic",
    )
    anthropic_client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=MESSAGES)
    points = {attrs["gen_ai.token.type"]: (attrs, p.sum, p.count) for attrs, p in recorded.points(TOKENS)}
    base = conventions_attributes(fake, "anthropic", "claude-haiku-4-5")
    assert points == {
        "input": ({**base, "gen_ai.token.type": "input"}, 1600, 1),
        "output": ({**base, "gen_ai.token.type": "output"}, 80, 1),
    }
    [(_, point)] = recorded.points(TOKENS)[:1]
    assert tuple(point.explicit_bounds) == (
        *(1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864),
    )


def test_a_failed_call_carries_error_type_and_records_no_tokens(recorded, fake, openai_client):
    fake.enqueue(Reply.fail(429))
    with pytest.raises(openai.RateLimitError):
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    [(attributes, _)] = recorded.points(DURATION)
    assert attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "server.address": "127.0.0.1",
        "server.port": fake.port,
        "error.type": "rate_limit",
    }
    assert recorded.points(TOKENS) == []


def test_a_stream_records_its_first_chunk_once_and_opted_in_a_gap_for_every_later_chunk(
    recorded_with, fake, openai_client
):
    recorded = recorded_with(gen_ai_chunk_metrics=True)
    fake.enqueue(Reply(text="a b c", chunks=3, usage=TokenUsage(input_tokens=10, output_tokens=3)))
    stream = openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    received = len(list(stream))
    # Every chunk the SDK read counts, also the usage chunk we asked for and the application never sees.
    assert [(recorded.count(FIRST_CHUNK), recorded.count(PER_CHUNK))] == [(1, received)]
    [(attributes, _)] = recorded.points(PER_CHUNK)
    assert attributes == conventions_attributes(fake, "openai", "gpt-4o-mini")


def test_a_stream_records_no_chunk_gaps_unless_opted_in(recorded, fake, openai_client):
    list(openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    assert (recorded.count(FIRST_CHUNK), recorded.points(PER_CHUNK)) == (1, [])


def test_a_plain_call_records_no_chunk_timings(recorded, fake, openai_client):
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert (recorded.points(FIRST_CHUNK), recorded.points(PER_CHUNK)) == ([], [])


def test_a_streams_span_carries_the_conventions_time_to_first_chunk(recorded, fake, openai_client):
    fake.enqueue(Reply(text="a b", chunks=2))
    list(openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    [(_, point)] = recorded.points(FIRST_CHUNK)
    assert recorded.span().attributes["gen_ai.response.time_to_first_chunk"] == pytest.approx(point.sum)


def test_agent_only_exports_no_gen_ai_metric(recorded_with, fake, openai_client):
    recorded = recorded_with(gen_ai_metrics=False)
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert (recorded.count("agent.request.duration"), recorded.points(DURATION)) == (1, [])


def test_gen_ai_only_exports_no_agent_metric(recorded_with, fake, openai_client):
    recorded = recorded_with(agent_metrics=False)
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert (recorded.points("agent.request.duration"), recorded.points("agent.requests")) == ([], [])
    assert recorded.count(DURATION) == 1


def test_response_models_are_capped_like_request_models(recorded_with, fake, openai_client):
    recorded = recorded_with(max_label_values=(("gen_ai_response_model", 1),))
    for model in ("gpt-4o-mini", "gpt-4o"):  # the fake provider answers with the model asked for
        openai_client.chat.completions.create(model=model, messages=MESSAGES)
    kept = sorted(attrs["gen_ai.response.model"] for attrs in recorded.attributes(DURATION))
    assert kept == ["_other", "gpt-4o-mini"]
    assert recorded.value("agent.telemetry.label_overflow", label="gen_ai_response_model") == 1


def test_embeddings_record_input_tokens_only(recorded, fake, openai_client):
    fake.enqueue(Reply(usage=TokenUsage(input_tokens=8)))
    openai_client.embeddings.create(model="text-embedding-3-small", input="refunds")
    assert [(a["gen_ai.token.type"], p.sum) for a, p in recorded.points(TOKENS)] == [("input", 8)]


def test_durations_link_to_the_calls_trace_and_token_counts_to_none(recorded, fake, openai_client):
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    call_trace = recorded.span().context.trace_id
    # Collected inside another trace: a value recorded without exemplar must not pick up that span.
    with TracerProvider().get_tracer("test").start_as_current_span("collecting"):
        data = recorded.reader.get_metrics_data()
    exemplars = {
        metric.name: [e.trace_id for point in metric.data.data_points for e in point.exemplars]
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name in (DURATION, TOKENS)
    }
    assert exemplars == {DURATION: [call_trace], TOKENS: []}
