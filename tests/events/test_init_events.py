"""Events from init(): the logger provider it makes sends them over OTLP/HTTP, unless switched off."""

import sys

import pytest

from tests.support.processes import MY_AGENT, run_python

pytestmark = pytest.mark.slow  # each test runs a script in its own interpreter

SCRIPT = (
    "import agent_telemetry\n"
    "agent_telemetry.init()\n"
    + MY_AGENT
    + "with agent_telemetry.agent_run('billing-assistant', run_id='run-7'):\n"
    + "    client.chat.completions.create(model='gpt-4o-mini', messages=[{'role': 'user', 'content': 'hi'}])\n"
)


def collector_env(fake, endpoint: str, **extra: str) -> dict[str, str]:
    return {"FAKE_OPENAI_URL": fake.openai_base_url, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_SERVICE_NAME": "billing", **extra}  # fmt: skip


def test_init_sends_the_session_start_and_the_runs_events_to_the_collector(fake, sink, tmp_path):
    script = tmp_path / "agent.py"
    script.write_text(SCRIPT)
    result = run_python([sys.executable, str(script)], collector_env(fake, sink.endpoint))
    assert result.returncode == 0, result.stderr
    assert [log["event_name"] for log in sink.logs] == [
        "agent.session.start",
        "agent.run.start",
        "agent.step",
        "agent.run.end",
    ]
    session = sink.logs[0]
    assert session["attributes"]["session.id"] == session["resource"]["service.instance.id"]
    assert {log["attributes"].get("agent_telemetry.run.id") for log in sink.logs[1:]} == {"run-7"}


def test_events_off_sends_no_log_record_and_everything_else(fake, sink, tmp_path):
    script = tmp_path / "agent.py"
    script.write_text(SCRIPT)
    env = collector_env(fake, sink.endpoint, AGENT_TELEMETRY_EVENTS="off")
    result = run_python([sys.executable, str(script)], env)
    assert result.returncode == 0, result.stderr
    assert sink.logs == []
    assert [span["name"] for span in sink.spans if span["scope"] == "agent_telemetry"] == [
        "chat gpt-4o-mini",  # MY_AGENT's call, outside the run
        "chat gpt-4o-mini",
        "invoke_agent billing-assistant",
    ]


def test_the_logs_exporter_none_sends_no_log_record(fake, sink, tmp_path):
    script = tmp_path / "agent.py"
    script.write_text(SCRIPT)
    env = collector_env(fake, sink.endpoint, OTEL_LOGS_EXPORTER="none")
    assert run_python([sys.executable, str(script)], env).returncode == 0
    assert sink.logs == []
