"""Tools, quality scores and actions the application executes."""

import math

import pytest
from opentelemetry.trace import StatusCode

from agent_telemetry import agent_run, computer_action, record_action, record_quality, tool, tool_call


def test_a_decorated_tool_records_a_call_a_duration_and_a_span(recorded):
    @tool
    def search(query: str) -> str:
        return f"results for {query}"

    with agent_run("support-bot"):
        assert search("refunds") == "results for refunds"
    assert (
        recorded.value("agent.tools.calls", gen_ai__agent__name="support-bot", gen_ai__tool__name="search")
        == 1
    )
    assert recorded.count("agent.tool.duration") == 1
    tool_span, run_span = recorded.spans()
    assert tool_span.name == "execute_tool search"
    assert tool_span.parent.span_id == run_span.context.span_id


def test_a_failing_tool_is_counted_by_error_type_and_its_exception_passes_through(recorded):
    error = ConnectionError("backend down")

    @tool("lookup_order")
    def lookup(order_id: int) -> dict:
        raise error

    with pytest.raises(ConnectionError) as excinfo:
        lookup(42)
    assert excinfo.value is error
    assert (
        recorded.value("agent.tools.errors", gen_ai__tool__name="lookup_order", error__type="ConnectionError")
        == 1
    )
    assert recorded.value("agent.tools.calls", gen_ai__tool__name="lookup_order") == 1
    assert recorded.span().status.status_code == StatusCode.ERROR


@pytest.mark.anyio
async def test_an_async_tool(recorded):
    @tool
    async def fetch(url: str) -> int:
        return len(url)

    assert await fetch("https://example.org") == 19
    assert recorded.value("agent.tools.calls", gen_ai__tool__name="fetch") == 1


def test_a_tool_call_block(recorded):
    with tool_call("calculator"):
        pass
    assert recorded.value("agent.tools.calls", gen_ai__tool__name="calculator") == 1


def test_a_quality_score_is_a_histogram_point_and_a_span_event(recorded):
    with agent_run("support-bot"):
        record_quality(0.75, evaluator="llm_judge", explanation="helpful, one factual slip")
    ((attributes, point),) = recorded.points("agent.quality.score")
    assert attributes == {
        "gen_ai.agent.name": "support-bot",
        "gen_ai.agent.version": "_unknown",
        "gen_ai.evaluation.name": "llm_judge",
    }
    assert (point.count, point.sum) == (1, 0.75)
    (event,) = recorded.span().events
    assert event.name == "gen_ai.evaluation.result"
    assert dict(event.attributes) == {
        "gen_ai.evaluation.name": "llm_judge",
        "gen_ai.evaluation.score.value": 0.75,
        "gen_ai.evaluation.explanation": "helpful, one factual slip",
    }


@pytest.mark.parametrize("score", [1.5, -0.1, math.nan, math.inf, "0.5", True, None])
def test_a_score_outside_zero_to_one_is_refused(recorded, score):
    with pytest.raises(ValueError) as excinfo:
        record_quality(score, evaluator="llm_judge")
    assert str(excinfo.value) == f"record_quality: score must be a number from 0 to 1, got {score!r}"
    assert recorded.points("agent.quality.score") == []


def test_an_executed_action_records_its_duration_and_outcome(recorded):
    with computer_action("left_click"):
        pass
    ((attributes, point),) = recorded.points("agent.action.duration")
    assert attributes == {"gen_ai.agent.name": "test-agent", "action": "click", "outcome": "success"}
    assert point.count == 1


def test_an_action_that_raises_is_a_failure(recorded):
    with pytest.raises(RuntimeError), computer_action("type"):
        raise RuntimeError("window lost focus")
    assert recorded.attributes("agent.action.duration") == [
        {"gen_ai.agent.name": "test-agent", "action": "type", "outcome": "failure"}
    ]


def test_record_action_reports_a_measured_action(recorded):
    record_action("scroll", duration_s=0.25, outcome="blocked")
    ((attributes, point),) = recorded.points("agent.action.duration")
    assert attributes["outcome"] == "blocked"
    assert point.sum == 0.25


def test_record_action_refuses_an_unknown_outcome(recorded):
    with pytest.raises(ValueError) as excinfo:
        record_action("scroll", duration_s=0.1, outcome="maybe")
    assert (
        str(excinfo.value) == "record_action: outcome must be one of success, failure, blocked, got 'maybe'"
    )
