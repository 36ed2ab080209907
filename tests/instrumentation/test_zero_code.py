"""The three ways to turn it on, each in a fresh interpreter as a user would run it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agent_telemetry.tooling.fake_provider import FakeProviderServer
from tests.support.processes import MY_AGENT, run_python
from tests.support.sinks import OtlpSink

# Each test starts a fresh interpreter, most of them importing the SDKs (seconds each): the slow tier.
pytestmark = pytest.mark.slow


def otlp_env(fake: FakeProviderServer, sink: OtlpSink) -> dict[str, str]:
    return {
        "FAKE_OPENAI_URL": fake.openai_base_url,
        "OTEL_SERVICE_NAME": "billing-assistant",
        "OTEL_EXPORTER_OTLP_ENDPOINT": sink.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_METRIC_EXPORT_INTERVAL": "60000",  # exported at exit, by shutdown
    }


def assert_one_call_arrived(sink: OtlpSink) -> None:
    (span,) = [s for s in sink.spans if s["scope"] == "agent_telemetry"]
    assert span["name"] == "chat gpt-4o-mini"
    assert span["resource"]["service.name"] == "billing-assistant"
    (requests,) = sink.metric_points("agent.requests")
    assert requests["value"] == 1
    assert requests["attributes"] == {
        "gen_ai.agent.name": "billing-assistant",
        "gen_ai.provider.name": "openai",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
    }


def test_the_environment_variable_alone_turns_it_on(fake, sink, app):
    result = run_python(
        [sys.executable, str(app)], {**otlp_env(fake, sink), "AGENT_TELEMETRY_ENABLED": "true"}
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "Hello from the fake provider.\n", "")
    assert_one_call_arrived(sink)


def test_without_the_variable_nothing_is_loaded(fake, app):
    probe = "import sys; print('agent_telemetry' in sys.modules, 'opentelemetry' in sys.modules)"
    result = run_python([sys.executable, "-c", probe], {})
    assert result.stdout == "False False\n"


def test_opentelemetry_instrument_finds_our_instrumentors(fake, sink, app):
    instrument = Path(sys.executable).with_name("opentelemetry-instrument")
    env = {
        **otlp_env(fake, sink),
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "none",
    }
    result = run_python([str(instrument), sys.executable, str(app)], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello from the fake provider.\n"
    assert_one_call_arrived(sink)


def test_init_in_code(fake, sink, tmp_path):
    script = tmp_path / "explicit.py"
    script.write_text(
        "import agent_telemetry\nagent_telemetry.init(service_name='billing-assistant')\n" + MY_AGENT
    )
    result = run_python([sys.executable, str(script)], {**otlp_env(fake, sink), "OTEL_SERVICE_NAME": ""})
    assert result.returncode == 0, result.stderr
    assert_one_call_arrived(sink)


def test_no_collector_mode_serves_the_same_prometheus_names(fake, unused_port, tmp_path):
    script = tmp_path / "scraped.py"
    script.write_text(
        MY_AGENT
        + "import urllib.request, os\n"
        + "print(urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"AGENT_TELEMETRY_PROMETHEUS_PORT\"]}/metrics')"
        + ".read().decode())\n"
    )
    env = {"FAKE_OPENAI_URL": fake.openai_base_url, "AGENT_TELEMETRY_ENABLED": "true", "OTEL_SERVICE_NAME": "solo",
           "AGENT_TELEMETRY_METRICS_EXPORTER": "prometheus", "AGENT_TELEMETRY_PROMETHEUS_PORT": str(unused_port),
           "OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"}  # fmt: skip
    result = run_python([sys.executable, str(script)], env)
    assert result.returncode == 0, result.stderr
    names = {line.split("{")[0] for line in result.stdout.splitlines() if line.startswith("agent_")}
    assert {
        "agent_requests_total",
        "agent_request_duration_seconds_bucket",
        "agent_request_duration_seconds_count",
        "agent_tokens_total",
        "agent_cost_usd_total",
    } <= names
    assert 'le="10.0"' in result.stdout


def test_the_start_up_hook_costs_almost_nothing_when_off(app):
    """Not a timing assert: the disabled hook must not import anything (what would make it slow)."""
    result = run_python([sys.executable, "-X", "importtime", "-c", "pass"], {})
    assert "agent_telemetry" not in result.stderr


def test_the_start_up_hook_survives_a_broken_installation(fake, app, tmp_path):
    broken = tmp_path / "agent_telemetry"
    broken.mkdir()
    (broken / "__init__.py").write_text("raise ImportError('simulated broken install')\n")
    env = {
        "FAKE_OPENAI_URL": fake.openai_base_url,
        "AGENT_TELEMETRY_ENABLED": "true",
        "PYTHONPATH": str(tmp_path),
    }
    result = run_python([sys.executable, str(app)], env)
    assert result.returncode == 0
    assert result.stdout == "Hello from the fake provider.\n"
    assert "agent-telemetry: not started: ImportError('simulated broken install')" in result.stderr
