"""Runs: one task of an agent, its outcome, its span, and what it records."""

import asyncio

import pytest
from opentelemetry.trace import SpanKind, StatusCode

import agent_telemetry
from agent_telemetry import BudgetExceededError, agent_run
from agent_telemetry.agents.runs import add_run_observer, remove_run_observer


def run_points(recorded, metric):
    return {(a["gen_ai.agent.name"], a["status"]): p for a, p in recorded.points(metric)}


def test_a_run_that_returns_is_a_success(recorded):
    with agent_run("support-bot"):
        pass
    assert recorded.value("agent.runs", gen_ai__agent__name="support-bot", status="success") == 1
    assert recorded.count("agent.run.duration") == 1


def test_a_run_opens_an_invoke_agent_span(recorded):
    with agent_run("support-bot", run_id="run-1"):
        pass
    span = recorded.span()
    assert span.name == "invoke_agent support-bot"
    assert span.kind == SpanKind.INTERNAL
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "support-bot",
        "gen_ai.agent.id": "run-1",
        "agent_telemetry.run.status": "success",
        "agent_telemetry.run.steps": 0,
        "agent_telemetry.cost.usd": 0.0,
    }


def test_a_run_that_raises_is_a_failure_and_the_exception_passes_through(recorded):
    error = ValueError("tool broke")
    with pytest.raises(ValueError) as excinfo, agent_run("support-bot"):
        raise error
    assert excinfo.value is error
    assert recorded.value("agent.runs", status="failure") == 1
    assert recorded.span().status.status_code == StatusCode.ERROR


def test_a_run_that_times_out_has_status_timeout(recorded):
    with pytest.raises(TimeoutError), agent_run("support-bot"):
        raise TimeoutError
    assert recorded.value("agent.runs", status="timeout") == 1


@pytest.mark.anyio
async def test_a_cancelled_async_run_has_status_cancelled(recorded):
    async def task():
        async with agent_run("support-bot"):
            await asyncio.sleep(10)

    running = asyncio.ensure_future(task())
    await asyncio.sleep(0.01)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert recorded.value("agent.runs", status="cancelled") == 1


def test_the_application_can_set_the_outcome(recorded):
    with agent_run("support-bot") as run:
        run.status = "failure"
    assert recorded.value("agent.runs", status="failure") == 1


def test_decorates_a_sync_function(recorded):
    @agent_run("research-bot")
    def research(topic: str) -> str:
        return f"notes on {topic}"

    assert research("otel") == "notes on otel"
    assert recorded.value("agent.runs", gen_ai__agent__name="research-bot", status="success") == 1


@pytest.mark.anyio
async def test_decorates_an_async_function(recorded):
    @agent_run("research-bot")
    async def research(topic: str) -> str:
        return f"notes on {topic}"

    assert await research("otel") == "notes on otel"
    assert recorded.value("agent.runs", gen_ai__agent__name="research-bot", status="success") == 1


def test_nested_runs_restore_the_outer_agent(recorded):
    with agent_run("outer") as outer:
        with agent_run("inner") as inner:
            assert agent_telemetry.current_run() is inner
        assert agent_telemetry.current_run() is outer
    assert agent_telemetry.current_run() is None
    inner_span, outer_span = recorded.spans()
    assert inner_span.parent.span_id == outer_span.context.span_id


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "agent_run needs the agent's name, a non-empty string"),
        ({"name": "bot", "max_cost_usd": 0}, "agent_run max_cost_usd=0: a budget must be a positive number"),
        ({"name": "bot", "max_steps": -1}, "agent_run max_steps=-1: a budget must be a positive number"),
        ({"name": "bot", "max_steps": "5"}, "agent_run max_steps='5': a budget must be a positive number"),
    ],
)
def test_invalid_arguments_are_refused_where_they_are_written(kwargs, message):
    with pytest.raises(ValueError) as excinfo:
        agent_run(**kwargs)
    assert str(excinfo.value) == message


def test_budget_error_says_what_was_spent():
    error = BudgetExceededError("support-bot", "cost", 0.0123, 0.01)
    assert str(error) == (
        "agent run 'support-bot' is over its cost budget: 0.0123 USD spent of 0.01 USD; the next LLM call was not sent"
    )


@pytest.fixture
def observer():
    """A run observer registered for one test: it records what it saw as each run started."""
    seen = []

    def observe(run):
        seen.append((run.name, run.run_id, agent_telemetry.current_run() is run))
        run.add_listener(lambda kind, fields: seen.append(kind))

    add_run_observer(observe)
    yield seen
    remove_run_observer(observe)


def test_a_run_observer_sees_each_run_start_before_its_first_event(recorded, observer):
    with agent_run("support-bot", run_id="run-1"):
        pass
    assert observer == [("support-bot", "run-1", True), "run_start", "run_end"]


def test_adding_a_run_observer_twice_calls_it_once(recorded):
    starts = []

    def observe(run):
        starts.append(run.name)

    add_run_observer(observe)
    add_run_observer(observe)
    try:
        with agent_run("support-bot"):
            pass
    finally:
        remove_run_observer(observe)
    assert starts == ["support-bot"]


def test_a_failing_run_observer_is_counted_and_the_run_goes_on(recorded):
    def broken(run):
        raise RuntimeError("observer bug")

    add_run_observer(broken)
    try:
        with agent_run("support-bot"):
            pass
    finally:
        remove_run_observer(broken)
    assert recorded.value("agent.telemetry.internal_errors", component="run.observer") == 1
    assert recorded.value("agent.runs", status="success") == 1
