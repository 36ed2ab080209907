"""Our spans and metrics against the OpenTelemetry GenAI semantic conventions (registry/gen_ai.yaml).

The extract names the registry commit it comes from; docs/metrics.md names the same version. Each test
checks one rule of the conventions on what the real SDKs, instrumented by us, produce against the fake
provider: attribute names and types, requirement levels, span names and kinds, metric names, units and
buckets.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

import agent_telemetry
from agent_telemetry import contract
from agent_telemetry.tooling.fake_provider import Reply, TokenUsage, ToolCall

REGISTRY: dict[str, Any] = yaml.safe_load(
    (Path(__file__).with_name("registry") / "gen_ai.yaml").read_text(encoding="utf-8")
)
ATTRIBUTE_TYPES: dict[str, str] = REGISTRY["attributes"]
SPANS: dict[str, dict[str, Any]] = REGISTRY["spans"]
METRICS: dict[str, dict[str, Any]] = REGISTRY["metrics"]
# The namespaces the conventions own; our own attributes live under agent_telemetry.* and http.*.
CONVENTION_NAMESPACES = ("gen_ai.", "server.", "error.")
MESSAGES = [{"role": "user", "content": "What is the refund policy?"}]
KINDS = {"client": SpanKind.CLIENT, "internal": SpanKind.INTERNAL}
# Registry attributes we add where the definition does not list them (the conventions allow more):
# the agent a call was made for, so that a trace store can select an agent's calls.
ON_PURPOSE: dict[str, set[str]] = {
    "gen_ai.inference.client": {"gen_ai.agent.name"},
    "gen_ai.embeddings.client": {"gen_ai.agent.name"},
}


def has_type(value: Any, type_name: str) -> bool:
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "double":
        return isinstance(value, float)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "string[]":
        return isinstance(value, tuple | list) and all(isinstance(item, str) for item in value)
    if type_name == "any":  # structured content: on spans, a JSON string where structure is not supported
        return isinstance(value, str)
    raise AssertionError(f"unknown registry type {type_name}")


def convention_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if k.startswith(CONVENTION_NAMESPACES)}


def violations(
    attributes: dict[str, Any], levels: dict[str, str], applicable: set[str], extras: set[str] = frozenset()
) -> list[str]:
    """What breaks the conventions: an unknown key or a wrong type, a required attribute missing, a
    conditionally required one missing although its condition (``applicable``) holds, or an attribute
    the definition does not list (but ``extras``, added on purpose)."""
    found = convention_attributes(attributes)
    problems = [f"{key}: not in the registry" for key in found if key not in ATTRIBUTE_TYPES]
    problems += [
        f"{key}={value!r}: not {ATTRIBUTE_TYPES[key]}"
        for key, value in found.items()
        if key in ATTRIBUTE_TYPES and not has_type(value, ATTRIBUTE_TYPES[key])
    ]
    problems += [
        f"{key}: required, missing"
        for key, level in levels.items()
        if level == "required" and key not in found
    ]
    problems += [f"{key}: its condition holds, missing" for key in applicable if key not in found]
    problems += [
        f"{key}: not an attribute of this span or metric" for key in found if key not in {*levels, *extras}
    ]
    return problems


def check_span(span: ReadableSpan, definition: str, applicable: set[str]) -> None:
    spec = SPANS[definition]
    attributes = dict(span.attributes or {})
    assert violations(attributes, spec["attributes"], applicable, ON_PURPOSE.get(definition, set())) == []
    assert span.kind == KINDS[spec["kind"]]
    # "{gen_ai.operation.name} {gen_ai.request.model}" with the span's own values.
    expected_name = re.sub(r"\{([^}]+)\}", lambda key: str(attributes[key.group(1)]), spec["name"])
    assert span.name == expected_name


# -- Metrics: the contract against the registry --------------------------------------------------------


@pytest.mark.parametrize("metric", contract.GEN_AI_METRICS, ids=lambda m: m.otel_name)
def test_every_gen_ai_metric_has_the_registry_unit_instrument_and_buckets(metric: contract.Metric) -> None:
    spec = METRICS[metric.otel_name]
    assert (metric.unit, metric.kind.value, list(metric.buckets)) == (
        spec["unit"],
        spec["instrument"],
        spec["buckets"],
    )


@pytest.mark.parametrize("metric", contract.GEN_AI_METRICS, ids=lambda m: m.otel_name)
def test_every_gen_ai_metric_attribute_is_the_registrys_and_required_ones_are_always_there(
    metric: contract.Metric,
) -> None:
    levels: dict[str, str] = METRICS[metric.otel_name]["attributes"]
    ours = (*metric.attributes, *metric.optional_attributes)
    assert set(ours) == set(levels), "every attribute the conventions define, and no other"
    required = {key for key, level in levels.items() if level == "required"}
    assert required <= set(metric.attributes)


def test_we_emit_every_client_metric_of_the_conventions() -> None:
    client_metrics = {name for name in METRICS if name.startswith("gen_ai.client.")}
    assert {m.otel_name for m in contract.GEN_AI_METRICS} == client_metrics


def test_every_gen_ai_key_of_the_contract_is_a_registry_attribute() -> None:
    keys = {
        value
        for holder in (contract.Attr, contract.SpanAttr)
        for name, value in vars(holder).items()
        if not name.startswith("_") and isinstance(value, str) and value.startswith(CONVENTION_NAMESPACES)
    }
    events = {contract.SpanAttr.EVALUATION_RESULT}  # an event name, not an attribute
    assert sorted(keys - events - set(ATTRIBUTE_TYPES)) == []


# -- Metrics: what a real call records ------------------------------------------------------------------


def test_a_calls_metric_data_points_follow_the_registry(recorded_with, fake, openai_client) -> None:
    recorded = recorded_with(gen_ai_chunk_metrics=True)
    fake.enqueue(Reply(text="a b c", chunks=3, usage=TokenUsage(input_tokens=10, output_tokens=3)))
    list(openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    applicable = {"gen_ai.request.model", "server.port"}
    for metric in contract.GEN_AI_METRICS:
        levels = METRICS[metric.otel_name]["attributes"]
        points = recorded.attributes(metric.otel_name)
        assert points, metric.otel_name
        for attributes in points:
            assert violations(attributes, levels, applicable) == [], metric.otel_name


def test_a_failed_calls_duration_carries_error_type(recorded, fake, openai_client) -> None:
    fake.enqueue(Reply.fail(500))
    with pytest.raises(openai.InternalServerError):
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    [attributes] = recorded.attributes("gen_ai.client.operation.duration")
    levels = METRICS["gen_ai.client.operation.duration"]["attributes"]
    assert violations(attributes, levels, {"gen_ai.request.model", "server.port", "error.type"}) == []


# -- Spans ----------------------------------------------------------------------------------------------


def test_an_openai_chat_span_follows_the_inference_definition(recorded, fake, openai_client) -> None:
    fake.enqueue(Reply(usage=TokenUsage(input_tokens=10, output_tokens=5)))
    # temperature=1 and top_p=1, ints in Python, are doubles in the conventions.
    openai_client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, temperature=1, top_p=1, max_tokens=10, seed=7
    )
    check_span(
        recorded.span(),
        "gen_ai.inference.client",
        {"gen_ai.request.model", "server.port", "gen_ai.request.seed"},
    )


def test_a_streamed_chat_span_says_so_and_carries_its_time_to_first_chunk(
    recorded, fake, openai_client
) -> None:
    list(openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    span = recorded.span()
    check_span(
        span, "gen_ai.inference.client", {"gen_ai.request.model", "server.port", "gen_ai.request.stream"}
    )
    assert "gen_ai.response.time_to_first_chunk" in span.attributes


def test_an_anthropic_messages_span_follows_the_inference_definition(
    recorded, fake, anthropic_client
) -> None:
    fake.enqueue(
        Reply(usage=TokenUsage(input_tokens=10, output_tokens=5, cached_tokens=4)), provider="anthropic"
    )
    anthropic_client.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=MESSAGES)
    check_span(recorded.span(), "gen_ai.inference.client", {"gen_ai.request.model", "server.port"})


def test_a_failed_call_span_carries_error_type(recorded, fake, openai_client) -> None:
    fake.enqueue(Reply.fail(429))
    with pytest.raises(openai.RateLimitError):
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    check_span(
        recorded.span(), "gen_ai.inference.client", {"gen_ai.request.model", "server.port", "error.type"}
    )


def test_content_attributes_are_opt_in_and_well_typed(recorded_with, fake, openai_client) -> None:
    recorded = recorded_with(capture_content=True)
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    span = recorded.span()
    check_span(span, "gen_ai.inference.client", {"gen_ai.request.model", "server.port"})
    assert {"gen_ai.input.messages", "gen_ai.output.messages"} <= set(span.attributes)


def test_an_embeddings_span_follows_the_embeddings_definition(recorded, fake, openai_client) -> None:
    openai_client.embeddings.create(model="text-embedding-3-small", input="refunds")
    check_span(recorded.span(), "gen_ai.embeddings.client", {"gen_ai.request.model", "server.port"})


def test_a_run_is_an_invoke_agent_span_naming_its_agent_and_provider(recorded, fake, openai_client) -> None:
    with agent_telemetry.agent_run("support-bot"):
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    run = next(s for s in recorded.spans() if s.name.startswith("invoke_agent"))
    check_span(run, "gen_ai.invoke_agent.internal", {"gen_ai.agent.name", "gen_ai.agent.id"})
    assert (run.name, run.attributes["gen_ai.provider.name"]) == ("invoke_agent support-bot", "openai")


def test_a_run_names_the_model_its_calls_asked_for(recorded, fake, openai_client) -> None:
    with agent_telemetry.agent_run("support-bot"):
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    run = next(s for s in recorded.spans() if s.name.startswith("invoke_agent"))
    assert run.attributes["gen_ai.request.model"] == "gpt-4o-mini"


def test_a_run_whose_calls_asked_for_several_models_names_none(recorded, fake, openai_client) -> None:
    with agent_telemetry.agent_run("support-bot"):
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        openai_client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    run = next(s for s in recorded.spans() if s.name.startswith("invoke_agent"))
    assert "gen_ai.request.model" not in run.attributes


def test_a_tool_is_an_execute_tool_span(recorded, fake, openai_client) -> None:
    fake.enqueue(Reply(tool_calls=[ToolCall("lookup_order", {"order_id": 7})]))
    with agent_telemetry.agent_run("support-bot"):
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        with agent_telemetry.tool_call("lookup_order"):
            pass
    tool = next(s for s in recorded.spans() if s.name.startswith("execute_tool"))
    check_span(tool, "gen_ai.execute_tool.internal", set())
    assert tool.name == "execute_tool lookup_order"


def test_a_failed_tool_span_carries_error_type(recorded) -> None:
    with pytest.raises(ValueError), agent_telemetry.tool_call("broken_tool"):
        raise ValueError("no")
    [tool] = recorded.spans()
    check_span(tool, "gen_ai.execute_tool.internal", {"error.type"})


def test_the_docs_and_the_contract_name_the_registry_version_the_extract_comes_from() -> None:
    commit = REGISTRY["source"]["commits"][-1]
    docs = (Path(__file__).parents[2] / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert f"`{commit[:8]}`" in docs
    assert contract.GEN_AI_SEMCONV.startswith(f"{REGISTRY['source']['repository']}@{commit[:8]}")
    assert REGISTRY["source"]["semantic_conventions"] in contract.GEN_AI_SEMCONV
