"""Traces end to end: a call inside an agent run, with the SDK's HTTP request instrumented as users do,
from the real openai client through OTLP and the real collector into Jaeger (the native stack's trace
store, the release compose runs), found by the trace id of the call's Prometheus exemplar, as Grafana's
exemplar link finds it.
"""

from __future__ import annotations

import json
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from agent_telemetry.tooling.fake_provider import FakeProviderServer, Reply, TokenUsage
from tests.stack import jaeger, prom
from tests.support.processes import run_python

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the first run builds the collector

SERVICE = "traces-app"
AGENT = "trace-bot"
BUCKETS = f'agent_request_duration_seconds_bucket{{job="{SERVICE}"}}'
RUN, CALL, HTTP = f"invoke_agent {AGENT}", "chat gpt-4o-mini", "POST"


@pytest.fixture(scope="module")
def run_trace_id(running_stack) -> str:
    """Runs the app against the stack; returns the trace id of its agent run."""
    with FakeProviderServer() as fake:
        fake.enqueue(Reply(usage=TokenUsage(input_tokens=10, output_tokens=5)), provider="openai")
        env = {
            "FAKE_OPENAI_URL": fake.openai_base_url,
            "OTEL_SERVICE_NAME": SERVICE,
            "OTEL_EXPORTER_OTLP_ENDPOINT": running_stack.urls["otlp_http"],
            "OTEL_METRIC_EXPORT_INTERVAL": "600000",  # one export, at shutdown
        }
        result = run_python([sys.executable, str(Path(__file__).with_name("traces_app.py"))], env)
    assert result.returncode == 0, result.stderr
    (trace_id,) = result.stdout.split()
    prom.wait_for(running_stack.urls["prometheus"], BUCKETS)
    return trace_id


@pytest.fixture(scope="module")
def exemplar(running_stack, run_trace_id: str) -> dict[str, Any]:
    """The call's latency exemplar: one call, one exemplar."""
    (only,) = prom.exemplars(running_stack.urls["prometheus"], BUCKETS)
    return only


@pytest.fixture(scope="module")
def spans(running_stack, exemplar: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The spans Jaeger stores under the exemplar's trace id, by name."""
    stored = jaeger.trace_spans(running_stack.urls["jaeger"], exemplar["labels"]["trace_id"], count=3)
    return {span["operationName"]: span for span in stored}


def test_the_calls_exemplar_names_the_trace_of_its_run(exemplar, run_trace_id: str):
    assert exemplar["labels"]["trace_id"] == run_trace_id


def test_jaeger_holds_the_run_the_call_and_its_http_request_under_that_trace_id(spans):
    assert sorted(spans) == sorted([RUN, CALL, HTTP])


def test_the_run_is_the_root_the_call_its_child_and_the_http_request_the_calls_child(spans):
    assert jaeger.parent_id(spans[RUN]) is None
    assert jaeger.parent_id(spans[CALL]) == spans[RUN]["spanID"]
    assert jaeger.parent_id(spans[HTTP]) == spans[CALL]["spanID"]


def test_jaegers_otlp_api_gives_the_same_links_and_each_spans_instrumentation(running_stack, spans, exemplar):
    stored = jaeger.otlp_spans(running_stack.urls["jaeger"], exemplar["labels"]["trace_id"])
    assert {span["name"]: (scope, span.get("parentSpanId")) for scope, span in stored} == {
        RUN: ("agent_telemetry", None),
        CALL: ("agent_telemetry", spans[RUN]["spanID"]),
        HTTP: ("opentelemetry.instrumentation.httpx", spans[CALL]["spanID"]),
    }


def test_the_exemplar_names_the_call_span(spans, exemplar):
    assert exemplar["labels"]["span_id"] == spans[CALL]["spanID"]


def test_every_span_is_stored_under_the_apps_service_name(spans):
    assert {span["process"]["serviceName"] for span in spans.values()} == {SERVICE}


def test_the_stored_call_span_carries_its_genai_attributes(spans):
    tags = jaeger.tags(spans[CALL])
    assert {key: tags[key] for key in ("gen_ai.operation.name", "gen_ai.agent.name", "span.kind")} == {
        "gen_ai.operation.name": "chat",
        "gen_ai.agent.name": AGENT,
        "span.kind": "client",
    }
    assert (tags["gen_ai.usage.input_tokens"], tags["gen_ai.usage.output_tokens"]) == (10, 5)


def test_the_dashboards_trace_search_finds_the_run_by_service_and_agent_tag(running_stack, exemplar):
    """The query the dashboards' Jaeger links make (tooling/dashboards/links.py): service + agent tag."""
    params = urllib.parse.urlencode(
        {"service": SERVICE, "tags": json.dumps({"gen_ai.agent.name": AGENT}), "lookback": "1h"}
    )
    with urllib.request.urlopen(
        f"{running_stack.urls['jaeger']}/api/traces?{params}", timeout=10
    ) as response:
        found = json.load(response)["data"]
    assert [trace["traceID"] for trace in found] == [exemplar["labels"]["trace_id"]]
