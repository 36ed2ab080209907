"""A fleet's worth of label values: every label is capped, every metric stays below the SDK's limit,
and the agents that matter keep their own series (real SDK clients against the fake provider)."""

from __future__ import annotations

import logging

import openai
import pytest
from opentelemetry.metrics._internal import _ProxyMeterProvider

from agent_telemetry import Settings, agent_run, contract, record_quality, tool_call
from agent_telemetry.core import telemetry as core_telemetry
from agent_telemetry.core.aggregation import MAX_SERIES
from agent_telemetry.core.telemetry import Telemetry
from agent_telemetry.tooling.fake_provider import Reply
from tests.conftest import AGENT

MESSAGES = [{"role": "user", "content": "next step?"}]
FLOOD = 5000


def chat(client) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def sdk_overflow_points(recorded) -> list[str]:
    """Names of the metrics with a point in the SDK's own overflow series (which has none of our labels)."""
    data = recorded.reader.get_metrics_data()
    return [
        metric.name
        for resource_metrics in data.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
        for point in metric.data.data_points
        if point.attributes.get("otel.metric.overflow")
    ]


def stored_series(metric: contract.Metric) -> int:
    """Attribute sets the in-process aggregation holds for ``metric``."""
    return core_telemetry.current().instruments[metric].series


def test_thousands_of_tool_and_evaluator_names_leave_a_later_agent_its_own_exact_series(
    recorded, openai_client
):
    for i in range(FLOOD):
        with tool_call(f"tool-{i}"):
            pass
        record_quality(0.5, evaluator=f"judge-{i}")
    with agent_run("support-bot"):
        for _ in range(10):
            chat(openai_client)
            with tool_call("lookup"):
                pass

    assert recorded.value("agent.requests", gen_ai__agent__name="support-bot") == 10
    assert (
        recorded.value("agent.tools.calls", gen_ai__agent__name="support-bot", gen_ai__tool__name="_other")
        == 10
    )
    assert recorded.value("agent.tools.calls", gen_ai__agent__name=AGENT, gen_ai__tool__name="_other") == (
        FLOOD - 500
    )
    assert recorded.value("agent.telemetry.label_overflow", label="gen_ai_tool_name") == FLOOD - 500 + 10
    assert recorded.value("agent.telemetry.label_overflow", label="gen_ai_evaluation_name") == FLOOD - 100
    assert sdk_overflow_points(recorded) == []
    # 500 tools of the first agent, its _other, and support-bot's _other: not one set per name.
    assert stored_series(contract.TOOL_CALLS) == 502
    assert len(recorded.points("agent.tool.duration")) == 502
    assert len(recorded.points("agent.quality.score")) == 101


def test_thousands_of_agent_names_fold_into_other_but_an_allow_listed_agent_keeps_its_series(
    recorded_with, openai_client
):
    recorded = recorded_with(agent_names_allowlist=("billing-bot",))
    for i in range(FLOOD):
        with agent_run(f"agent-{i}"):
            pass
    with agent_run("billing-bot"):
        for _ in range(10):
            chat(openai_client)

    assert recorded.value("agent.requests", gen_ai__agent__name="billing-bot") == 10
    assert recorded.value("agent.runs", gen_ai__agent__name="billing-bot") == 1
    assert recorded.value("agent.runs", gen_ai__agent__name="_other") == FLOOD - 100
    assert recorded.value("agent.telemetry.label_overflow", label="gen_ai_agent_name") == FLOOD - 100
    assert sdk_overflow_points(recorded) == []
    assert stored_series(contract.RUNS) == 102  # 100 first agents, _other, billing-bot


def test_the_process_agent_name_is_never_folded(recorded_with, openai_client):
    recorded = recorded_with(max_label_values=(("gen_ai_agent_name", 1),))
    for name in ("first", "second"):
        with agent_run(name):
            pass
    chat(openai_client)  # outside any run: the process's own agent name
    assert recorded.value("agent.requests", gen_ai__agent__name=AGENT) == 1
    assert recorded.value("agent.runs", gen_ai__agent__name="_other") == 1


def test_combinations_past_the_series_cap_fold_into_other_and_are_counted(
    recorded_with, caplog: pytest.LogCaptureFixture
):
    recorded = recorded_with(agent_names_allowlist=("vip",))
    agents, tools = 60, 30  # 1,800 agent x tool combinations, each within its label's cap
    with caplog.at_level(logging.WARNING, logger="agent_telemetry"):
        for a in range(agents):
            with agent_run(f"agent-{a}"):
                for t in range(tools):
                    with tool_call(f"tool-{t}"):
                        pass
        with agent_run("vip"), tool_call("tool-0"):
            pass
        calls = {
            (attrs["gen_ai.agent.name"], attrs["gen_ai.tool.name"]): point.value
            for attrs, point in recorded.points("agent.tools.calls")
        }

    folded = agents * tools - MAX_SERIES
    assert len(calls) == MAX_SERIES + 2
    assert (calls[("_other", "_other")], calls[("vip", "_other")], sum(calls.values())) == (
        folded,
        1,
        agents * tools + 1,
    )
    # Each folded recording, of the counter and of the duration histogram.
    assert recorded.value("agent.telemetry.label_overflow", label="_series") == 2 * (folded + 1)
    assert sdk_overflow_points(recorded) == []
    assert (stored_series(contract.TOOL_CALLS), stored_series(contract.TOOL_DURATION)) == (
        MAX_SERIES + 2,
        MAX_SERIES + 2,
    )
    assert [r.getMessage() for r in caplog.records if "_series" in r.getMessage()] == [
        f"agent-telemetry: metric agent.tools.calls reached {MAX_SERIES} label combinations; new "
        "combinations are recorded with their bounded labels as _other (counted in "
        'agent_telemetry_label_overflow_total{label="_series"}); lower the label caps '
        "(AGENT_TELEMETRY_MAX_LABEL_VALUES) or the number of distinct values the application uses"
    ]


def test_a_tool_error_type_is_the_exception_class_never_its_message(recorded):
    with pytest.raises(ValueError), tool_call("charge"):
        raise ValueError("card 4111 1111 1111 1111 declined for jane@example.com")
    ((attributes, point),) = recorded.points("agent.tools.errors")
    assert (attributes["error.type"], point.value) == ("ValueError", 1)


def test_tool_exception_names_never_push_a_provider_error_type_out_of_its_label(
    recorded_with, fake, openai_client
):
    recorded = recorded_with(max_label_values=(("error_type", 2),))
    for error in (KeyError, LookupError, TimeoutError):
        with pytest.raises(error), tool_call("lookup_order"):
            raise error()
    fake.enqueue(Reply.fail(429))
    with pytest.raises(openai.RateLimitError):
        chat(openai_client)
    assert [attrs["error.type"] for attrs in recorded.attributes("agent.tools.errors")] == [
        "KeyError",
        "LookupError",
        "_other",
    ]
    assert [attrs["error.type"] for attrs in recorded.attributes("agent.requests.errors")] == ["rate_limit"]


def test_statuses_set_by_the_application_never_push_ours_out_of_the_status_label(recorded_with):
    recorded = recorded_with(max_label_values=(("status", 1),))
    for status in ("escalated", "handed_over"):
        with agent_run("support-bot") as run:
            run.status = status
    with pytest.raises(RuntimeError), agent_run("support-bot"):
        raise RuntimeError()
    statuses = {attrs["status"]: point.value for attrs, point in recorded.points("agent.runs")}
    assert statuses == {"escalated": 1, "_other": 1, "failure": 1}


def test_every_instrument_of_a_meter_shares_one_set_of_label_caps():
    """Also through the API's proxy meter (before the application sets a provider), where each
    instrumentation gets histograms of its own but shares the counters."""
    provider = _ProxyMeterProvider()
    first = Telemetry(Settings(agent_name="a"), None, meter_provider=provider)
    second = Telemetry(Settings(agent_name="a"), None, meter_provider=provider)
    assert second.labels is first.labels
    assert {id(i.limits) for t in (first, second) for i in t.instruments.values()} == {id(first.labels)}
