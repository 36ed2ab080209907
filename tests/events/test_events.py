"""Events: the agent lifecycle as OpenTelemetry log records, each with the ids of its span."""

import openai
import pytest

from agent_telemetry import BudgetExceededError, Settings, agent_run, computer_action, tool
from agent_telemetry.tooling.fake_provider import ComputerAction, Reply, TokenUsage
from tests.conftest import metric_points

MESSAGES = [{"role": "user", "content": "the secret plan"}]
USAGE = TokenUsage(input_tokens=1000, output_tokens=100)
CALL_COST = (1000 * 1.0 + 100 * 4.0) / 1e6  # gpt-4o-mini at the test prices
CALL = {
    "gen_ai.agent.name": "research-bot",
    "gen_ai.provider.name": "openai",
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini",
}


def chat(client):
    return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def without_duration(attributes):
    return {key: value for key, value in attributes.items() if key != "agent_telemetry.duration"}


def test_a_run_with_a_chat_call_and_an_embedding_emits_start_step_usage_and_end_in_order(
    recorded_events, fake, openai_client
):
    fake.enqueue(Reply(usage=USAGE))
    with agent_run("research-bot", run_id="run-1"):
        chat(openai_client)
        openai_client.embeddings.create(model="text-embedding-3-small", input="x")
    assert recorded_events.names() == ["agent.run.start", "agent.step", "agent.usage", "agent.run.end"]


def test_run_start_and_end_carry_the_run_and_its_outcome_with_the_run_spans_ids(
    recorded_events, fake, openai_client
):
    fake.enqueue(Reply(usage=USAGE))
    with agent_run("research-bot", run_id="run-1", max_steps=5):
        chat(openai_client)
    run_span = recorded_events.span("invoke_agent research-bot")
    start, end = recorded_events.event("agent.run.start"), recorded_events.event("agent.run.end")
    assert start.attributes == {
        "gen_ai.agent.name": "research-bot",
        "agent_telemetry.run.id": "run-1",
        "agent_telemetry.run.max_steps": 5,
    }
    assert without_duration(end.attributes) == {
        "gen_ai.agent.name": "research-bot",
        "agent_telemetry.run.id": "run-1",
        "agent_telemetry.run.status": "success",
        "agent_telemetry.run.steps": 1,
        "agent_telemetry.run.tokens": 1100,
        "agent_telemetry.cost.usd": pytest.approx(CALL_COST, rel=1e-12),
    }
    assert end.attributes["agent_telemetry.duration"] > 0
    for event in (start, end):
        assert (event.trace_id, event.span_id) == (run_span.context.trace_id, run_span.context.span_id)


def test_a_step_carries_the_calls_tokens_and_cost_with_the_call_spans_ids(
    recorded_events, fake, openai_client
):
    fake.enqueue(Reply(usage=USAGE))
    with agent_run("research-bot", run_id="run-1"):
        chat(openai_client)
    step = recorded_events.event("agent.step")
    assert without_duration(step.attributes) == {
        **CALL,
        "agent_telemetry.run.id": "run-1",
        "agent_telemetry.run.step": 1,
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 100,
        "agent_telemetry.cost.usd": pytest.approx(CALL_COST, rel=1e-12),
    }
    call_span = recorded_events.span("chat gpt-4o-mini")
    assert (step.trace_id, step.span_id) == (call_span.context.trace_id, call_span.context.span_id)


def test_a_runs_billed_call_that_is_no_step_emits_its_usage(recorded_events, fake, openai_client):
    with agent_run("research-bot", run_id="run-1"):
        openai_client.embeddings.create(model="text-embedding-3-small", input="x")
    usage = recorded_events.event("agent.usage")
    assert without_duration(usage.attributes) == {
        **CALL,
        "gen_ai.operation.name": "embeddings",
        "gen_ai.request.model": "text-embedding-3-small",
        "gen_ai.response.model": "text-embedding-3-small",
        "agent_telemetry.run.id": "run-1",
        "gen_ai.usage.input_tokens": 11,
        "gen_ai.usage.output_tokens": 0,
        "agent_telemetry.cost.usd": pytest.approx(11 * 0.02 / 1e6, rel=1e-12),
    }
    assert usage.span_id == recorded_events.span("embeddings text-embedding-3-small").context.span_id


def test_a_call_outside_any_run_emits_no_event(recorded_events, fake, openai_client):
    fake.enqueue(Reply(usage=USAGE))
    chat(openai_client)
    assert recorded_events.events() == []


def test_a_failed_call_is_a_step_with_its_error_type_and_no_usage(recorded_events, fake, openai_client):
    fake.enqueue(Reply.fail(429))
    with pytest.raises(openai.RateLimitError), agent_run("research-bot"):
        chat(openai_client)
    assert recorded_events.names() == ["agent.run.start", "agent.step", "agent.run.end"]
    step = recorded_events.event("agent.step").attributes
    assert step["error.type"] == "rate_limit"
    assert "gen_ai.usage.input_tokens" not in step
    end = recorded_events.event("agent.run.end")
    assert (end.attributes["agent_telemetry.run.status"], end.severity) == ("failure", "WARN")
    assert end.attributes["error.type"] == "RateLimitError"


def test_no_event_carries_message_content_without_content_capture(recorded_events, fake, openai_client):
    fake.enqueue(Reply(text="the secret answer", usage=USAGE))
    with agent_run("research-bot"):
        chat(openai_client)
    assert "gen_ai.client.inference.operation.details" not in recorded_events.names()
    assert "secret" not in repr([event.attributes for event in recorded_events.events()])


def test_with_content_capture_the_inference_details_event_carries_the_messages(
    events_with, fake, openai_client
):
    recorded = events_with(capture_content=True)
    fake.enqueue(Reply(text="the secret answer", usage=USAGE))
    chat(openai_client)
    details = recorded.event("gen_ai.client.inference.operation.details")
    assert details.attributes["gen_ai.input.messages"] == '[{"role":"user","content":"the secret plan"}]'
    assert "the secret answer" in details.attributes["gen_ai.output.messages"]
    assert details.attributes["gen_ai.usage.input_tokens"] == 1000
    call_span = recorded.span("chat gpt-4o-mini")
    assert details.span_id == call_span.context.span_id


def test_a_tool_execution_emits_a_tool_call_event_with_the_tool_spans_ids(recorded_events):
    @tool
    def search(query: str) -> str:
        raise LookupError(query)

    with pytest.raises(LookupError), agent_run("research-bot", run_id="run-1"):
        search("x")
    event = recorded_events.event("agent.tool.call")
    assert without_duration(event.attributes) == {
        "gen_ai.agent.name": "research-bot",
        "gen_ai.tool.name": "search",
        "error.type": "LookupError",
        "agent_telemetry.run.id": "run-1",
    }
    assert event.span_id == recorded_events.span("execute_tool search").context.span_id


def test_an_executed_computer_use_action_emits_its_type_and_outcome(recorded_events):
    with agent_run("desktop-bot", run_id="run-1"), computer_action("left_click"):
        pass
    event = recorded_events.event("agent.computer_use.action")
    assert without_duration(event.attributes) == {
        "gen_ai.agent.name": "desktop-bot",
        "agent_telemetry.action.type": "click",
        "agent_telemetry.action.phase": "executed",
        "agent_telemetry.action.outcome": "success",
        "agent_telemetry.run.id": "run-1",
    }
    assert event.span_id == recorded_events.span("invoke_agent desktop-bot").context.span_id


def test_a_computer_use_action_the_model_asks_for_is_an_event_with_the_call_spans_ids(
    recorded_events, fake, openai_client
):
    fake.enqueue(Reply(computer_actions=[ComputerAction("click", x=10, y=20)]))
    with agent_run("desktop-bot", run_id="run-1"):
        openai_client.responses.create(
            model="gpt-4o-mini", input="open the settings", tools=[{"type": "computer"}]
        )
    event = recorded_events.event("agent.computer_use.action")
    assert event.attributes == {
        "gen_ai.agent.name": "desktop-bot",
        "gen_ai.provider.name": "openai",
        "agent_telemetry.action.type": "click",
        "agent_telemetry.action.phase": "requested",
        "agent_telemetry.run.id": "run-1",
    }
    assert event.span_id == recorded_events.span("chat gpt-4o-mini").context.span_id


def test_a_budget_stop_emits_the_limit_spent_and_budget_as_a_warning(recorded_events, fake, openai_client):
    fake.enqueue(Reply(usage=USAGE))
    with pytest.raises(BudgetExceededError), agent_run("research-bot", run_id="run-1", max_steps=1):
        chat(openai_client)
        chat(openai_client)
    stop = recorded_events.event("agent.budget.stop")
    assert stop.attributes == {
        "gen_ai.agent.name": "research-bot",
        "agent_telemetry.run.id": "run-1",
        "agent_telemetry.budget.limit": "steps",
        "agent_telemetry.budget.spent": 1.0,
        "agent_telemetry.budget.max": 1.0,
    }
    assert stop.severity == "WARN"
    assert (
        recorded_events.event("agent.run.end").attributes["agent_telemetry.run.status"] == "budget_exceeded"
    )


def test_events_switched_off_emit_nothing(events_with, fake, openai_client):
    recorded = events_with(events_enabled=False)
    fake.enqueue(Reply(usage=USAGE))
    with agent_run("research-bot"):
        chat(openai_client)
    assert recorded.events() == []


@pytest.mark.parametrize(
    ("env", "enabled", "exporter"),
    [
        ({}, True, "otlp"),
        ({"AGENT_TELEMETRY_EVENTS": "off"}, False, "none"),
        ({"OTEL_LOGS_EXPORTER": "console"}, True, "console"),
        ({"OTEL_LOGS_EXPORTER": "none"}, True, "none"),
        ({"AGENT_TELEMETRY_METRICS_EXPORTER": "prometheus"}, True, "none"),
    ],
)
def test_events_are_on_by_default_and_go_where_the_settings_say(env, enabled, exporter):
    settings = Settings.from_env(env)
    assert (settings.events_enabled, settings.events_exporter) == (enabled, exporter)


def test_an_unusable_logs_exporter_is_one_warning_and_the_default():
    settings, problems = Settings.read({"OTEL_LOGS_EXPORTER": "kafka"})
    assert settings.events_exporter == "otlp"
    assert problems == ["OTEL_LOGS_EXPORTER='kafka' is not one of: otlp, console, none; using the default"]


class BrokenProcessor:
    """A log record processor that fails on every record (both SDK generations' method names)."""

    def on_emit(self, record):
        raise RuntimeError("the processor broke")

    emit = on_emit

    def shutdown(self):
        pass

    def force_flush(self, timeout_millis=30000):
        return True


def test_a_failing_logs_pipeline_never_reaches_the_application_and_is_counted(
    events_with, fake, openai_client
):
    recorded = events_with(processor=BrokenProcessor())
    fake.enqueue(Reply(text="fine", usage=USAGE))
    with agent_run("research-bot") as run:
        response = chat(openai_client)
    assert (response.choices[0].message.content, run.steps) == ("fine", 1)
    points = metric_points(recorded.reader, "agent.telemetry.internal_errors")
    assert [(attributes, point.value) for attributes, point in points] == [({"component": "events"}, 3)]
