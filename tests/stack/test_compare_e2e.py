"""agent-telemetry compare over the real pipeline: the real SDK, our instrumentation, OTLP, the real
collector, Prometheus; compare reads Prometheus's HTTP API and must report exact counts."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent_telemetry.tooling.fake_provider import FakeProviderServer
from tests.conftest import PRICES_YAML
from tests.stack import prom
from tests.support.processes import environ_without_telemetry

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SERVICE = "compare-app"
AGENT = "compare-bot"


@pytest.fixture(scope="module")
def prometheus_url(running_stack, tmp_path_factory) -> str:
    prices = tmp_path_factory.mktemp("prices") / "prices.yaml"
    prices.write_text(PRICES_YAML)
    with FakeProviderServer() as fake:
        env = {
            **environ_without_telemetry(),
            "FAKE_OPENAI_URL": fake.openai_base_url,
            "OTEL_SERVICE_NAME": SERVICE,
            "OTEL_EXPORTER_OTLP_ENDPOINT": running_stack.urls["otlp_http"],
            "OTEL_METRIC_EXPORT_INTERVAL": "600000",  # one cumulative export, at shutdown: exact values
            "AGENT_TELEMETRY_PRICES": str(prices),
        }
        app = Path(__file__).with_name("compare_app.py")
        done = subprocess.run(
            [sys.executable, str(app)], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert (done.returncode, done.stdout) == (0, "done\n"), done.stderr
    url = running_stack.urls["prometheus"]
    # Both versions' success and failure series, and the quality histogram: the whole export arrived.
    prom.wait_for(url, f'agent_runs_total{{gen_ai_agent_name="{AGENT}"}}', count=4)
    prom.wait_for(url, f'agent_quality_score_count{{gen_ai_agent_name="{AGENT}"}}', count=2)
    return url


def compare(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent_telemetry", "compare", "--prometheus", url, *args],
        capture_output=True, text=True, timeout=120, check=False, env=environ_without_telemetry(),
    )  # fmt: skip


@pytest.fixture(scope="module")
def versions(prometheus_url) -> dict[str, dict]:
    done = compare(
        prometheus_url, "--agent", AGENT, "--versions", "v1,v2", "--window", "1h", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    return {row["key"]: row for row in json.loads(done.stdout)["metrics"]}


def test_run_counts_and_success_rates_are_exact(versions):
    row = versions["success_rate"]
    assert (row["n_a"], row["n_b"], row["a"], row["b"]) == (12, 12, 11 / 12, 7 / 12)
    assert versions["failure_rate"]["b"] == 5 / 12


def test_steps_cost_and_quality_per_run_are_exact(versions):
    assert (versions["steps_per_run"]["a"], versions["steps_per_run"]["b"]) == (1, 2)
    assert versions["steps_per_run"]["verdict"] == "worse"
    cost = versions["cost_per_run"]
    assert cost["a"] > 0
    assert cost["b"] == pytest.approx(2 * cost["a"], rel=1e-9)
    assert (versions["quality_score"]["a"], versions["quality_score"]["b"]) == pytest.approx(
        (0.9, 0.6), rel=1e-9
    )


def test_tool_error_rate_is_exact(versions):
    row = versions["tool_error_rate"]
    assert (row["n_a"], row["n_b"], row["a"], row["b"]) == (12, 12, 0.0, 3 / 12)
    by_type = versions["tool_error_rate:LookupError"]
    assert (by_type["a"], by_type["b"]) == (0.0, 3 / 12)


def test_call_latency_is_not_split_by_version(versions):
    row = versions["p95_call_seconds"]
    assert (row["a"], row["verdict"]) == (None, "no data")
    assert row["note"] == "not split by version: the per-call metrics carry no version label"


def test_a_period_against_the_one_before_counts_calls_exactly(prometheus_url):
    done = compare(prometheus_url, "--agent", AGENT, "--period", "1h", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rows = {row["key"]: row for row in report["metrics"]}
    assert (report["a"], report["b"]) == (f"{AGENT} -1h", f"{AGENT} last 1h")
    # The hour before holds nothing; the last hour every run of both versions: 12 + 24 calls.
    assert (rows["success_rate"]["n_a"], rows["success_rate"]["n_b"]) == (0, 24)
    assert (rows["call_error_rate"]["n_b"], rows["call_error_rate"]["b"]) == (36, 0.0)
    assert rows["success_rate"]["verdict"] == "no data"


def test_the_gate_exits_1_on_a_significant_regression_past_its_limit(prometheus_url):
    done = compare(
        prometheus_url,
        "--agent",
        AGENT,
        "--versions",
        "v1,v2",
        "--window",
        "1h",
        "--fail-on",
        "steps_per_run:+50%,cost_per_run:+10%",
    )
    assert done.returncode == 1, done.stdout + done.stderr
    regressions = [
        line.split(" (p=")[0] for line in done.stdout.splitlines() if line.startswith("REGRESSION")
    ]
    # Cost doubled too, but every run of both versions costs under 0.0001 USD, the first bucket of
    # agent_run_cost_usd: a histogram cannot tell them apart, so the gate does not claim it can.
    assert regressions == ["REGRESSION: steps_per_run +100.0% passes steps_per_run:+50%"]


def test_an_unreachable_prometheus_is_one_line_and_exit_2(unused_port):
    done = compare(f"http://127.0.0.1:{unused_port}", "--agent", AGENT, "--versions", "v1,v2")
    assert done.returncode == 2
    assert done.stderr.startswith(
        f"agent-telemetry compare: cannot reach Prometheus at http://127.0.0.1:{unused_port} ("
    )
    assert done.stderr.endswith("); start it (agent-telemetry stack up) or pass --prometheus URL\n")


# -- The demo's bad deploy, through the whole stack -------------------------------------------------------
PHASE_S = 60


def settled(url: str, promql: str, timeout: float = 90.0) -> float:
    """The value of ``promql`` once it has not changed for 5 s: the demo's last export has arrived."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        found = prom.query(url, promql)
        value = float(next(iter(found.values()))) if found else None
        if value != last:
            last, since = value, time.monotonic()
        elif value is not None and time.monotonic() - since >= 5:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{promql} did not settle within {timeout:g}s (last {last})")


def test_compare_catches_the_bad_deploy_and_the_gate_exits_1(running_stack, tmp_path):
    prices = tmp_path / "prices.yaml"
    prices.write_text("models: []\n")  # the demo's real prices (genai-prices), as users run it
    env = {
        **environ_without_telemetry(),
        "OTEL_SERVICE_NAME": "compare-bad-deploy",
        "OTEL_EXPORTER_OTLP_ENDPOINT": running_stack.urls["otlp_http"],
        "OTEL_METRIC_EXPORT_INTERVAL": "1000",
        "AGENT_TELEMETRY_PRICES": str(prices),
    }
    started = time.time()
    demo = subprocess.run(
        [sys.executable, "-m", "agent_telemetry.tooling.demo", "--schedule", f"normal:{PHASE_S}s,bad-deploy:{PHASE_S}s",
         "--duration", f"{2 * PHASE_S}s", "--rate", "30", "--time-scale", "0.05", "--seed", "5", "--progress-interval", "60"],
        env=env, capture_output=True, text=True, timeout=2 * PHASE_S + 120, check=False,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    url = running_stack.urls["prometheus"]
    settled(url, 'sum(agent_runs_total{job="compare-bad-deploy",gen_ai_agent_version="v2"})')
    window = ["--window", f"{int(time.time() - started) + 30}s"]  # this demo's runs only
    versions = ["--agent", "research-agent", "--versions", "v1,v2", *window]

    report = compare(url, *versions, "--format", "json")
    assert report.returncode == 0, report.stderr
    rows = {row["key"]: row for row in json.loads(report.stdout)["metrics"]}
    cost, success = rows["cost_per_run"], rows["success_rate"]
    assert min(cost["n_a"], cost["n_b"]) >= 20, (cost["n_a"], cost["n_b"])
    assert cost["verdict"] == "worse"
    # 40% more tokens a call; the number of steps per run varies by chance between the versions.
    assert 1.2 <= cost["b"] / cost["a"] <= 1.6
    assert success["b"] < success["a"]

    gated = compare(url, *versions, "--fail-on", "cost_per_run:+10%,success_rate:-2pp,p95_run_seconds:+20%")
    assert gated.returncode == 1, gated.stdout + gated.stderr
    assert any(line.startswith("REGRESSION: cost_per_run +") for line in gated.stdout.splitlines()), (
        gated.stdout
    )
