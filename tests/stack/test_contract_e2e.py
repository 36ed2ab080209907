"""The metric contract, end to end: the real SDKs, our instrumentation, OTLP, the real collector, Prometheus.

Every metric of ``contract.py`` (but the internal-error counter, which only failures of ours produce)
must arrive in Prometheus under its documented name, with its documented labels and exact values.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent_telemetry import contract
from agent_telemetry.tooling.fake_provider import (
    ComputerAction,
    FakeProviderServer,
    Reply,
    TokenUsage,
    ToolCall,
)
from tests.conftest import PRICES_YAML
from tests.stack import prom
from tests.stack.conftest import PROFILES
from tests.support.processes import environ_without_telemetry

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SERVICE = "contract-app"
NOT_PRODUCED = {contract.INTERNAL_ERRORS}  # appears only when agent-telemetry itself fails


@pytest.fixture(scope="module", params=PROFILES)
def contract_run(request, profile_stack, tmp_path_factory) -> str:
    """Runs the contract app once against the profile's stack; returns its Prometheus API URL (on the
    scale-out profile, the Thanos querier's: each sample stored three times, counted once)."""
    stack = profile_stack(request.param)
    prices = tmp_path_factory.mktemp("prices") / "prices.yaml"
    prices.write_text(PRICES_YAML)
    with FakeProviderServer() as fake:
        fake.enqueue(
            Reply(usage=TokenUsage(input_tokens=1000, output_tokens=50, cached_tokens=400)),
            Reply(text="a b c", chunks=3, usage=TokenUsage(input_tokens=10, output_tokens=3)),
            Reply.fail(429),
            Reply(usage=TokenUsage(input_tokens=8)),
            Reply(usage=TokenUsage(input_tokens=5, output_tokens=5)),
            Reply(text="x y z w", chunks=4),
            Reply(tool_calls=[ToolCall("lookup_order", {"order_id": 7})], usage=TokenUsage(input_tokens=20, output_tokens=10)),
            Reply(usage=TokenUsage(input_tokens=5, output_tokens=5)),
            Reply.fail(429, retry_after=0.01),
            Reply.fail(503, retry_after=0.01),
            Reply(usage=TokenUsage(input_tokens=5, output_tokens=5)),
            provider="openai",
        )  # fmt: skip
        fake.enqueue(
            Reply(usage=TokenUsage(input_tokens=200, output_tokens=80, cached_tokens=1000, cache_write_tokens=400)),
            Reply(computer_actions=[ComputerAction.click(10, 20)], usage=TokenUsage(input_tokens=30, output_tokens=10)),
            Reply(text="I can't do that.", finish_reason="refusal", usage=TokenUsage(input_tokens=5, output_tokens=5)),
            provider="anthropic",
        )  # fmt: skip
        env = {
            **environ_without_telemetry(),
            "FAKE_OPENAI_URL": fake.openai_base_url,
            "FAKE_ANTHROPIC_URL": fake.anthropic_base_url,
            "OTEL_SERVICE_NAME": SERVICE,
            "OTEL_EXPORTER_OTLP_ENDPOINT": stack.urls["otlp_http"],
            "OTEL_METRIC_EXPORT_INTERVAL": "600000",  # one cumulative export, at shutdown: exact values
            "AGENT_TELEMETRY_PRICES": str(prices),
            "AGENT_TELEMETRY_MAX_MODEL_LABELS": "4",  # the app's 5th model is folded into _other
            "AGENT_TELEMETRY_METRICS": "agent,gen_ai,gen_ai_chunks",  # every family, the opt-in one too
        }
        app = Path(__file__).with_name("contract_app.py")
        result = subprocess.run(
            [sys.executable, str(app)], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert (result.returncode, result.stdout) == (0, "done\n"), result.stderr
        # One warning per unpriced model, one for the folded model label, and nothing else.
        assert result.stderr.splitlines() == [
            *(
                f"agent-telemetry: no price known for openai model {model!r}; its cost is not recorded. "
                "Add it to a price file (AGENT_TELEMETRY_PRICES) to price it."
                for model in ("my-finetune",)
            ),
            "agent-telemetry: label gen_ai_request_model passed its cap of 4 distinct values; new values are "
            'recorded as _other (counted in agent_telemetry_label_overflow_total{label="gen_ai_request_model"}); '
            "raise it with AGENT_TELEMETRY_MAX_LABEL_VALUES=gen_ai_request_model=N "
            "(or AGENT_TELEMETRY_MAX_MODEL_LABELS)",
            "agent-telemetry: no price known for openai model 'overflow-model'; its cost is not recorded. "
            "Add it to a price file (AGENT_TELEMETRY_PRICES) to price it.",
        ]
    url = stack.urls["prometheus"]
    prom.wait_for(url, f'agent_runs_total{{job="{SERVICE}"}}', count=3)
    return url


def value(url: str, promql: str) -> float:
    result = prom.query(url, promql)
    assert len(result) == 1, f"{promql}: {result}"
    return float(next(iter(result.values())))


def series(name: str, **labels: str) -> str:
    matchers = ",".join([f'job="{SERVICE}"', *(f'{k}="{v}"' for k, v in labels.items())])
    return f"sum({name}{{{matchers}}})"


@pytest.mark.parametrize(
    "metric", [m for m in contract.ALL_METRICS if m not in NOT_PRODUCED], ids=lambda m: m.prometheus_name
)
def test_every_contract_metric_arrives_under_its_name_with_its_labels(contract_run, metric):
    name = metric.prometheus_name + ("_bucket" if metric.kind is contract.Kind.HISTOGRAM else "")
    found = prom.api(contract_run, "series", **{"match[]": f'{name}{{job="{SERVICE}"}}'})
    assert found, f"{name} did not arrive"
    for labels in found:
        assert set(metric.labels) <= set(labels), (metric.labels, labels)


def test_requests_and_errors(contract_run):
    labels = {
        "gen_ai_agent_name": SERVICE,
        "gen_ai_provider_name": "openai",
        "gen_ai_request_model": "gpt-4o-mini",
    }
    assert value(contract_run, series("agent_requests_total", gen_ai_operation_name="chat", **labels)) == 4
    assert value(contract_run, series("agent_requests_errors_total", error_type="rate_limit", **labels)) == 1


def test_retries_inside_the_sdk_count_each_retried_attempt_by_its_error_type(contract_run):
    bot = {"gen_ai_agent_name": "retrying-bot", "gen_ai_request_model": "gpt-4o-mini"}
    assert value(contract_run, series("agent_requests_total", **bot)) == 1
    assert prom.query(contract_run, series("agent_requests_errors_total", **bot)) == {}
    assert value(contract_run, series("agent_requests_retries_total", error_type="rate_limit", **bot)) == 1
    assert value(contract_run, series("agent_requests_retries_total", error_type="overloaded", **bot)) == 1


def test_tokens_by_disjoint_type(contract_run):
    def tokens(model: str, token_type: str, agent: str = SERVICE) -> float:
        return value(contract_run, series("agent_tokens_total", gen_ai_agent_name=agent, gen_ai_request_model=model,
                                          gen_ai_token_type=token_type))  # fmt: skip

    assert [tokens("gpt-4o-mini", t) for t in ("input", "output", "cache_read")] == [610, 53, 400]
    assert [tokens("claude-haiku-4-5", t, "contract-run") for t in contract.TOKEN_TYPES] == [
        200,
        80,
        1000,
        400,
    ]


def test_cost_in_usd(contract_run):
    gpt = value(
        contract_run,
        series("agent_cost_usd_total", gen_ai_agent_name=SERVICE, gen_ai_request_model="gpt-4o-mini"),
    )
    assert gpt == pytest.approx((600 * 1.0 + 50 * 4.0 + 400 * 0.5 + 10 * 1.0 + 3 * 4.0) / 1e6, rel=1e-9)
    claude = value(contract_run, series("agent_cost_usd_total", gen_ai_agent_name="contract-run"))
    assert claude == pytest.approx((200 * 3.0 + 80 * 15.0 + 1000 * 0.3 + 400 * 3.75) / 1e6, rel=1e-9)


def test_unpriced_unreported_and_bounded_labels(contract_run):
    assert (
        value(contract_run, series("agent_cost_unpriced_requests_total", gen_ai_request_model="my-finetune"))
        == 1
    )
    assert (
        value(contract_run, series("agent_cost_unpriced_requests_total", gen_ai_request_model="_other")) == 1
    )
    assert (
        value(
            contract_run, series("agent_tokens_unreported_requests_total", gen_ai_request_model="gpt-4o-mini")
        )
        == 1
    )
    assert (
        value(contract_run, series("agent_telemetry_label_overflow_total", label="gen_ai_request_model")) == 1
    )


def test_latency_histograms_have_exact_counts_and_the_10s_bucket(contract_run):
    gpt = {
        "gen_ai_agent_name": SERVICE,
        "gen_ai_request_model": "gpt-4o-mini",
        "gen_ai_operation_name": "chat",
    }
    assert value(contract_run, series("agent_request_duration_seconds_count", **gpt)) == 4
    # The stream closed after its first chunk never got to content (that chunk carries only the role).
    assert value(contract_run, series("agent_request_time_to_first_token_seconds_count", **gpt)) == 1
    # Every call of this test is fast: all of them are in the 10 s bucket, whatever form `le` takes.
    assert value(contract_run, series("agent_request_duration_seconds_bucket", le="10", **gpt)) == 4


def test_runs_tools_and_quality(contract_run):
    assert (
        value(contract_run, series("agent_runs_total", gen_ai_agent_name="contract-run", status="success"))
        == 1
    )
    assert (
        value(
            contract_run,
            series("agent_runs_total", gen_ai_agent_name="looping-bot", status="budget_exceeded"),
        )
        == 1
    )
    assert (
        value(
            contract_run,
            series("agent_run_budget_stops_total", gen_ai_agent_name="looping-bot", limit="steps"),
        )
        == 1
    )
    assert value(contract_run, series("agent_run_steps_sum", gen_ai_agent_name="contract-run")) == 1
    assert value(contract_run, series("agent_tools_calls_total", gen_ai_tool_name="lookup_order")) == 1
    assert (
        value(
            contract_run,
            series("agent_tools_errors_total", gen_ai_tool_name="broken_tool", error_type="ValueError"),
        )
        == 1
    )
    assert value(contract_run, series("agent_tools_requested_total", gen_ai_tool_name="lookup_order")) == 1
    assert value(contract_run, series("agent_quality_score_sum", gen_ai_evaluation_name="judge")) == 0.9


def test_computer_use(contract_run):
    agent = {"gen_ai_agent_name": "computer-bot"}
    assert value(contract_run, series("agent_actions_total", action="click", **agent)) == 1
    assert value(contract_run, series("agent_actions_blocked_total", reason="refusal", **agent)) == 1
    assert value(contract_run, series("agent_screenshots_total", **agent)) == 1
    assert value(contract_run, series("agent_screenshot_bytes_sum", **agent)) == 758
    assert (
        value(
            contract_run,
            series("agent_action_duration_seconds_count", action="click", outcome="success", **agent),
        )
        == 1
    )


def test_the_version_and_feature_of_a_run_are_labels_of_its_run_tool_and_quality_metrics(contract_run):
    run = {"gen_ai_agent_name": "contract-run", "gen_ai_agent_version": "2025-11-rc2"}
    assert (
        value(contract_run, series("agent_runs_total", agent_feature="refunds", status="success", **run)) == 1
    )
    assert value(contract_run, series("agent_run_cost_usd_count", agent_feature="refunds", **run)) == 1
    assert value(contract_run, series("agent_tools_calls_total", gen_ai_tool_name="lookup_order", **run)) == 1
    assert value(contract_run, series("agent_tools_errors_total", error_type="ValueError", **run)) == 1
    assert value(contract_run, series("agent_quality_score_count", **run)) == 1
    # A run that names neither: the placeholders, so that every run series has both labels.
    looping = {
        "gen_ai_agent_name": "looping-bot",
        "gen_ai_agent_version": "_unknown",
        "agent_feature": "_none",
    }
    assert value(contract_run, series("agent_runs_total", **looping)) == 1


def test_the_per_call_metrics_carry_no_version_or_feature(contract_run):
    for name in ("agent_requests_total", "agent_cost_usd_total", "agent_request_duration_seconds_bucket"):
        found = prom.api(contract_run, "series", **{"match[]": f'{name}{{job="{SERVICE}"}}'})
        assert found, name
        assert not any({"gen_ai_agent_version", "agent_feature"} & set(labels) for labels in found), name


def test_gen_ai_semantic_convention_metrics_have_the_conventions_labels_and_exact_values(contract_run):
    claude = {"gen_ai_provider_name": "anthropic", "gen_ai_request_model": "claude-haiku-4-5"}
    usage = "gen_ai_client_token_usage"
    # Three calls: input with cache reads and writes included (200 + 1000 + 400, 30, 5), output 80, 10, 5.
    assert value(contract_run, series(f"{usage}_sum", gen_ai_token_type="input", **claude)) == 1635
    assert value(contract_run, series(f"{usage}_sum", gen_ai_token_type="output", **claude)) == 95
    assert value(contract_run, series(f"{usage}_count", gen_ai_token_type="output", **claude)) == 3
    embeddings = {"gen_ai_operation_name": "embeddings"}
    assert value(contract_run, series(f"{usage}_sum", gen_ai_token_type="input", **embeddings)) == 8
    assert prom.query(contract_run, series(f"{usage}_count", gen_ai_token_type="output", **embeddings)) == {}
    gpt = {"gen_ai_provider_name": "openai", "gen_ai_request_model": "gpt-4o-mini"}
    duration = "gen_ai_client_operation_duration_seconds_count"
    assert value(contract_run, series(duration, error_type="rate_limit", **gpt)) == 1
    # Both streams got a first chunk; only one got to content (agent_request_time_to_first_token_seconds).
    first_chunk = "gen_ai_client_operation_time_to_first_chunk_seconds_count"
    assert value(contract_run, series(first_chunk, **gpt)) == 2


def test_gen_ai_metrics_carry_no_agent_label_and_name_the_server(contract_run):
    found = prom.api(
        contract_run,
        "series",
        **{"match[]": f'gen_ai_client_operation_duration_seconds_count{{job="{SERVICE}"}}'},
    )
    assert {(s.get("gen_ai_agent_name"), s["server_address"]) for s in found} == {(None, "127.0.0.1")}
    assert all(s["server_port"].isdigit() for s in found)
