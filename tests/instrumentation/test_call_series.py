"""A call's metric series are looked up once per distinct set of labels: the lookup changes no value."""

from __future__ import annotations

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

from agent_telemetry import OpenAIInstrumentor, Settings
from agent_telemetry.core.telemetry import set_active
from agent_telemetry.tooling.fake_provider import Reply, TokenUsage
from tests.conftest import metric_points

MESSAGES = [{"role": "user", "content": "hi"}]


def test_a_folded_model_counts_a_fold_on_every_call(fake, openai_client, recorded_with):
    recorded = recorded_with(max_model_labels=1)
    for model in ("m-1", "m-2", "m-2", "m-2"):
        openai_client.chat.completions.create(model=model, messages=MESSAGES)
    counts = {a["gen_ai.request.model"]: p.value for a, p in recorded.points("agent.requests")}
    assert counts == {"m-1": 1, "_other": 3}
    assert recorded.value("agent.telemetry.label_overflow", label="gen_ai_request_model") == 3


def test_calls_with_the_same_labels_add_up_in_one_series_per_token_type(fake, openai_client, recorded):
    for _ in range(3):
        fake.enqueue(Reply(usage=TokenUsage(input_tokens=10, output_tokens=4, cached_tokens=2)))
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert [p.value for _, p in recorded.points("agent.requests")] == [3]
    tokens = {a["gen_ai.token.type"]: p.value for a, p in recorded.points("agent.tokens")}
    assert tokens == {"input": 24, "output": 12, "cache_read": 6}


class _DroppingSampler(Sampler):
    """Drops every span, keeping the attributes it was shown."""

    def __init__(self) -> None:
        self.seen: list[dict[str, object]] = []

    def should_sample(
        self, parent_context, trace_id, name, kind=None, attributes=None, links=None, trace_state=None
    ):
        self.seen.append(dict(attributes or {}))
        return SamplingResult(Decision.DROP)

    def get_description(self) -> str:
        return "drops every span"


def test_a_sampler_sees_the_attributes_it_samples_on_and_a_dropped_call_still_counts(fake, openai_client):
    sampler = _DroppingSampler()
    tracer_provider = TracerProvider(sampler=sampler)
    exporter = InMemorySpanExporter()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        settings=Settings(agent_name="support"),
    )
    try:
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.2)
    finally:
        instrumentor.uninstrument()
        set_active(None)
    assert sampler.seen == [
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.agent.name": "support",
            "server.address": "127.0.0.1",
            "server.port": fake.port,
        }
    ]
    assert exporter.get_finished_spans() == ()
    assert [p.value for _, p in metric_points(reader, "agent.requests")] == [1]
    meter_provider.shutdown()
