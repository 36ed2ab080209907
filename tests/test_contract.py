"""The contract: names in Prometheus are derived from name, unit and kind, and never change."""

import ast
from pathlib import Path

import pytest

from agent_telemetry import contract
from agent_telemetry.contract import Attr, Kind, prometheus_name

# The public names as dashboards, rules, docs and users know them: the specification, written out.
PROMETHEUS_NAMES = [
    "agent_requests_total",
    "agent_requests_errors_total",
    "agent_requests_retries_total",
    "agent_request_duration_seconds",
    "agent_request_time_to_first_token_seconds",
    "agent_tokens_total",
    "agent_cost_usd_total",
    "agent_cost_unpriced_requests_total",
    "agent_tokens_unreported_requests_total",
    "agent_runs_total",
    "agent_run_duration_seconds",
    "agent_run_steps",
    "agent_run_cost_usd",
    "agent_run_tokens",
    "agent_run_budget_stops_total",
    "agent_tools_calls_total",
    "agent_tools_errors_total",
    "agent_tool_duration_seconds",
    "agent_tools_requested_total",
    "agent_quality_score",
    "agent_actions_total",
    "agent_actions_blocked_total",
    "agent_action_duration_seconds",
    "agent_screenshots_total",
    "agent_screenshot_bytes",
    "agent_telemetry_label_overflow_total",
    "agent_telemetry_internal_errors_total",
    "gen_ai_client_operation_duration_seconds",
    "gen_ai_client_token_usage",
    "gen_ai_client_operation_time_to_first_chunk_seconds",
    "gen_ai_client_operation_time_per_output_chunk_seconds",
]


def test_every_derived_prometheus_name_is_the_published_one():
    assert [metric.prometheus_name for metric in contract.ALL_METRICS] == PROMETHEUS_NAMES


@pytest.mark.parametrize(
    ("otel_name", "unit", "kind", "expected"),
    [
        ("a.b", "{call}", Kind.COUNTER, "a_b_total"),
        ("a.b", "{call}", Kind.HISTOGRAM, "a_b"),
        ("a.duration", "s", Kind.HISTOGRAM, "a_duration_seconds"),
        ("a.size", "By", Kind.HISTOGRAM, "a_size_bytes"),
        ("a.size.bytes", "By", Kind.HISTOGRAM, "a_size_bytes"),
        ("a.wait", "s", Kind.COUNTER, "a_wait_seconds_total"),
    ],
)
def test_the_collector_translation(otel_name, unit, kind, expected):
    assert prometheus_name(otel_name, unit, kind) == expected


def test_label_names_are_the_attribute_keys_with_underscores():
    assert (
        contract.AGENT,
        contract.PROVIDER,
        contract.OPERATION,
        contract.MODEL,
        contract.TOKEN_TYPE,
        contract.ERROR_TYPE,
        contract.TOOL,
        contract.EVALUATOR,
        contract.STATUS,
        contract.ACTION,
        contract.OUTCOME,
        contract.REASON,
    ) == (
        "gen_ai_agent_name",
        "gen_ai_provider_name",
        "gen_ai_operation_name",
        "gen_ai_request_model",
        "gen_ai_token_type",
        "error_type",
        "gen_ai_tool_name",
        "gen_ai_evaluation_name",
        "status",
        "action",
        "outcome",
        "reason",
    )
    assert contract.REQUEST_ERRORS.attributes == (
        Attr.AGENT_NAME,
        Attr.PROVIDER_NAME,
        Attr.OPERATION_NAME,
        Attr.REQUEST_MODEL,
        Attr.ERROR_TYPE,
    )
    assert contract.REQUEST_ERRORS.labels == (*contract.CALL_LABELS, "error_type")


# Request latencies: a boundary at every latency threshold an alert uses (10 s is the P95 warning).
LATENCY = "0.01 0.025 0.05 0.1 0.25 0.5 1.0 2.0 3.0 5.0 7.5 10.0 15.0 20.0 30.0 45.0 60.0 120.0 300.0 600.0"
GEN_AI_LATENCY = "0.01 0.02 0.04 0.08 0.16 0.32 0.64 1.28 2.56 5.12 10.24 20.48 40.96 81.92"
BUCKETS = {
    "agent_request_duration_seconds": LATENCY,
    "agent_request_time_to_first_token_seconds": LATENCY,
    "agent_run_duration_seconds": LATENCY + " 900.0 1200.0 1800.0 2700.0 3600.0",
    "agent_run_steps": "1 2 3 4 5 6 8 10 12 15 20 25 30 40 50 75 100 150 200",
    "agent_run_cost_usd": "0.0001 0.00025 0.0005 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1.0 2.5 5.0 10.0 25.0 50.0 100.0",
    "agent_run_tokens": "100 250 500 1000 2500 5000 10000 25000 50000 100000 250000 500000 1000000 2500000 5000000 10000000",
    "agent_tool_duration_seconds": LATENCY,
    "agent_quality_score": "0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.75 0.8 0.85 0.9 0.95 1.0",
    "agent_action_duration_seconds": LATENCY,
    "agent_screenshot_bytes": "10000 25000 50000 100000 250000 500000 1000000 2500000 5000000 10000000",
    # The GenAI semantic conventions' advisory boundaries.
    "gen_ai_client_operation_duration_seconds": GEN_AI_LATENCY,
    "gen_ai_client_token_usage": "1 4 16 64 256 1024 4096 16384 65536 262144 1048576 4194304 16777216 67108864",
    "gen_ai_client_operation_time_to_first_chunk_seconds": GEN_AI_LATENCY,
    "gen_ai_client_operation_time_per_output_chunk_seconds": GEN_AI_LATENCY,
}


def test_every_histogram_has_its_published_buckets():
    buckets = {m.prometheus_name: " ".join(map(str, m.buckets)) for m in contract.ALL_METRICS if m.buckets}
    assert buckets == BUCKETS


def test_a_histogram_without_buckets_is_refused():
    with pytest.raises(ValueError) as excinfo:
        contract.Metric("a.b", "s", Kind.HISTOGRAM, (Attr.AGENT_NAME,), "A histogram.")
    assert str(excinfo.value) == "a.b: a histogram needs buckets, a counter has none"


def test_the_library_writes_no_dotted_attribute_key_of_its_own():
    # Every dotted key the library records under comes from contract.py: a literal elsewhere would drift.
    keys = {
        value
        for holder in (contract.Attr, contract.SpanAttr, contract.ResourceAttr)
        for name, value in vars(holder).items()
        if not name.startswith("_") and "." in value
    }
    package = Path(contract.__file__).parent
    modules = [package / name for name in ("_setup.py", "errors.py", "redaction.py")] + [
        path for folder in ("agents", "core", "instrumentation") for path in (package / folder).rglob("*.py")
    ]
    found = {
        (str(path.relative_to(package)), node.value)
        for path in modules
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in keys
    }
    assert found == set()
