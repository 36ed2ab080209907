"""Events end to end: a real SDK call's events, through OTLP and the real collector's logs pipeline,
stored by the real VictoriaLogs and read back with LogsQL (as `agent-telemetry events` reads them).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent_telemetry.event_store import events_query, query
from agent_telemetry.tooling.fake_provider import FakeProviderServer, Reply, TokenUsage
from tests.dashboards.panel_queries import REPO
from tests.stack.jaeger import trace_spans
from tests.support.processes import environ_without_telemetry

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the first run builds the collector

SERVICE = "events-app"
USAGE = TokenUsage(input_tokens=1000, output_tokens=100)
CALL_COST = (1000 * 0.15 + 100 * 0.6) / 1e6  # gpt-4o-mini at the bundled prices
EXPECTED = 6  # session start, run start, two steps, one tool call, run end


@pytest.fixture(scope="module")
def run_ids(running_stack) -> tuple[str, str]:
    """Runs the app against the stack; returns its run span's (trace id, span id)."""
    with FakeProviderServer() as fake:
        fake.enqueue(Reply(usage=USAGE), Reply(usage=USAGE), provider="openai")
        env = {
            **environ_without_telemetry(),
            "FAKE_OPENAI_URL": fake.openai_base_url,
            "OTEL_SERVICE_NAME": SERVICE,
            "OTEL_EXPORTER_OTLP_ENDPOINT": running_stack.urls["otlp_http"],
            "OTEL_METRIC_EXPORT_INTERVAL": "600000",
        }
        app = Path(__file__).with_name("events_app.py")
        result = subprocess.run(
            [sys.executable, str(app)], env=env, capture_output=True, text=True, timeout=120, check=False
        )
    assert result.returncode == 0, result.stderr
    trace_id, span_id = result.stdout.split()
    return trace_id, span_id


def stored_events(store_url: str, count: int, timeout: float = 60.0) -> list[dict[str, str]]:
    """The app's events in the store, once there are ``count`` (the collector batches for 1 s)."""
    logsql = f'service.name:="{SERVICE}" ' + events_query(None, "1h")
    deadline = time.monotonic() + timeout
    while True:
        found = query(store_url, logsql)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


@pytest.fixture(scope="module")
def events(running_stack, run_ids) -> list[dict[str, str]]:
    return stored_events(running_stack.urls["victorialogs"], EXPECTED)


def by_name(events: list[dict[str, str]], name: str) -> list[dict[str, str]]:
    return [event for event in events if event["event_name"] == name]


def test_the_store_holds_exactly_the_events_of_the_run_in_order(events):
    assert [event["event_name"] for event in events] == [
        "agent.session.start",
        "agent.run.start",
        "agent.step",
        "agent.step",
        "agent.tool.call",
        "agent.run.end",
    ]


def test_run_events_carry_the_run_spans_trace_and_span_ids(events, run_ids):
    trace_id, span_id = run_ids
    for event in by_name(events, "agent.run.start") + by_name(events, "agent.run.end"):
        assert (event["trace_id"], event["span_id"]) == (trace_id, span_id)


def test_each_step_carries_the_ids_of_its_own_call_span(events, run_ids, running_stack):
    trace_id, _ = run_ids
    # The run, its two calls and its tool: all four spans of the trace, as Jaeger stored them.
    spans = trace_spans(running_stack.urls["jaeger"], trace_id, count=4)
    calls = [span["spanID"] for span in spans if span["operationName"] == "chat gpt-4o-mini"]
    steps = by_name(events, "agent.step")
    assert len(calls) == 2
    assert sorted(step["span_id"] for step in steps) == sorted(calls)
    assert {step["trace_id"] for step in steps} == {trace_id}


def test_steps_carry_their_number_tokens_and_cost(events):
    steps = by_name(events, "agent.step")
    assert [step["agent_telemetry.run.step"] for step in steps] == ["1", "2"]
    for step in steps:
        assert step["gen_ai.agent.name"] == "events-bot"
        assert step["agent_telemetry.run.id"] == "run-e2e-1"
        assert (step["gen_ai.usage.input_tokens"], step["gen_ai.usage.output_tokens"]) == ("1000", "100")
        assert float(step["agent_telemetry.cost.usd"]) == pytest.approx(CALL_COST, rel=1e-9)


def test_the_run_end_carries_its_status_steps_tokens_and_cost(events):
    (end,) = by_name(events, "agent.run.end")
    assert end["agent_telemetry.run.status"] == "success"
    assert (end["agent_telemetry.run.steps"], end["agent_telemetry.run.tokens"]) == ("2", "2200")
    assert float(end["agent_telemetry.cost.usd"]) == pytest.approx(2 * CALL_COST, rel=1e-9)
    assert end["severity_text"] == "INFO"


def test_the_tool_call_event_names_the_tool(events):
    (call,) = by_name(events, "agent.tool.call")
    assert (call["gen_ai.tool.name"], call["agent_telemetry.run.id"]) == ("lookup", "run-e2e-1")


def test_no_stored_event_carries_message_content(events):
    assert not any(value == "hi" for event in events for value in event.values())
    assert not any(key.startswith(("gen_ai.input", "gen_ai.output")) for event in events for key in event)


def test_the_events_command_tails_the_agents_events_from_the_store(events, running_stack):
    result = subprocess.run(
        [sys.executable, "-m", "agent_telemetry", "events", "--agent", "events-bot", "--since", "1h",
         "--url", running_stack.urls["victorialogs"]],
        env=environ_without_telemetry(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[1] for line in lines] == [
        "agent.run.start",
        "agent.step",
        "agent.step",
        "agent.tool.call",
        "agent.run.end",
    ]
    assert all(line.split()[2] == "events-bot" for line in lines)


def dashboard_query(agent: str, run: str) -> str:
    """The committed events panel's LogsQL, as Grafana sends it for this agent and run."""
    model = json.loads((REPO / "grafana" / "dashboards" / "agent-events.json").read_text())
    (panel,) = [panel for panel in model["panels"] if panel["type"] == "logs"]
    (target,) = panel["targets"]
    assert target["datasource"]["uid"] == "victorialogs"
    return target["expr"].replace("${agent:pipe}", agent).replace("${run}", run)


def test_the_dashboards_events_panel_shows_the_runs_events_from_the_store(events, running_stack):
    logsql = "_time:1h " + dashboard_query("events-bot", "run-e2e-1")
    found = query(running_stack.urls["victorialogs"], logsql)
    assert [event["event_name"] for event in found] == [
        "agent.run.start",
        "agent.step",
        "agent.step",
        "agent.tool.call",
        "agent.run.end",
    ]


def test_the_events_panel_with_every_agent_and_run_shows_the_session_start_too(events, running_stack):
    logsql = f'_time:1h service.name:="{SERVICE}" ' + dashboard_query(".*", ".*")
    assert len(query(running_stack.urls["victorialogs"], logsql)) == EXPECTED
