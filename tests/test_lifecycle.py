"""Start and exit as a user's script sees them: each case in a fresh interpreter, with the real SDK.

Exit: whatever the collector does (up, refusing, accepting and never answering), the process ends by
itself, and with the collector up nothing recorded before exit is lost. Configuration: a bad value is
one warning line, never telemetry switched off. Exporters: the standard OTEL_*_EXPORTER variables.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_telemetry.tooling.fake_provider import FakeProviderServer
from tests.support.processes import MY_AGENT, run_python
from tests.support.sinks import OtlpSink

# Each test starts a fresh interpreter that imports the SDKs (seconds each): the slow tier.
pytestmark = pytest.mark.slow

REPLY = "Hello from the fake provider.\n"
GAVE_UP = re.compile(
    r"agent-telemetry: the last (spans|metrics|events|spans and metrics|spans and events|metrics and events|"
    r"spans, metrics and events) were not exported within 1 s "
    r"\(AGENT_TELEMETRY_SHUTDOWN_TIMEOUT\); is the collector up and answering\?"
)


@pytest.fixture
def blackhole() -> Iterator[str]:
    """An endpoint that accepts connections and never answers (a hung collector or proxy)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # the kernel completes the handshakes; nobody ever reads
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def run(script: Path | str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The script as a user runs it, zero-code (AGENT_TELEMETRY_ENABLED=true) unless env says otherwise."""
    args = [sys.executable, str(script)] if isinstance(script, Path) else [sys.executable, "-c", script]
    return run_python(args, {"AGENT_TELEMETRY_ENABLED": "true", **env})


def collector_env(fake: FakeProviderServer, endpoint: str) -> dict[str, str]:
    return {
        "FAKE_OPENAI_URL": fake.openai_base_url,
        "OTEL_SERVICE_NAME": "billing-assistant",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_METRIC_EXPORT_INTERVAL": "60000",  # exported at exit, by shutdown
    }


def calls_counted(sink: OtlpSink) -> float:
    return sum(point["value"] for point in sink.metric_points("agent.requests"))


# -- exit ------------------------------------------------------------------------------------------


def test_with_the_collector_refusing_the_script_exits_by_itself(fake, app, unused_port):
    result = run(app, collector_env(fake, f"http://127.0.0.1:{unused_port}"))
    # (stderr has the SDK's exporter's own complaints, which differ between its versions.)
    assert (result.returncode, result.stdout) == (0, REPLY)


def test_with_the_collector_never_answering_the_script_exits_after_the_shutdown_timeout(fake, app, blackhole):
    env = {**collector_env(fake, blackhole), "AGENT_TELEMETRY_SHUTDOWN_TIMEOUT": "1"}
    result = run(app, env)
    assert (result.returncode, result.stdout) == (0, REPLY)
    assert GAVE_UP.fullmatch(result.stderr.strip()), result.stderr


def test_shutdown_in_code_returns_although_the_collector_never_answers(fake, blackhole):
    script = (
        "import agent_telemetry\nagent_telemetry.init()\n"
        + MY_AGENT
        + ("agent_telemetry.shutdown()\nprint('shut down')\n")
    )
    env = {**collector_env(fake, blackhole), "AGENT_TELEMETRY_ENABLED": "",
           "AGENT_TELEMETRY_SHUTDOWN_TIMEOUT": "1"}  # fmt: skip
    result = run(script, env)
    assert (result.returncode, result.stdout) == (0, REPLY + "shut down\n")
    assert GAVE_UP.fullmatch(result.stderr.strip()), result.stderr


def test_with_the_collector_up_everything_recorded_before_exit_arrives(fake, sink, tmp_path):
    script = tmp_path / "three_calls.py"
    script.write_text(
        "import agent_telemetry\n"
        + MY_AGENT
        + "with agent_telemetry.agent_run('billing-assistant'):\n"
        + "    for _ in range(2):\n"
        + "        client.chat.completions.create(model='gpt-4o-mini', messages=[{'role': 'user', 'content': 'hi'}])\n"
    )
    result = run(script, collector_env(fake, sink.endpoint))
    assert (result.returncode, result.stdout, result.stderr) == (0, REPLY, "")
    assert calls_counted(sink) == 3
    names = sorted(span["name"] for span in sink.spans if span["scope"] == "agent_telemetry")
    assert names == ["chat gpt-4o-mini"] * 3 + ["invoke_agent billing-assistant"]


def test_after_shutdown_a_new_init_serves_metrics_on_the_same_port(unused_port):
    script = (
        "import urllib.request, agent_telemetry\n"
        f"url = 'http://127.0.0.1:{unused_port}/metrics'\n"
        "for attempt in (1, 2):\n"
        "    agent_telemetry.init(metrics_exporter='prometheus')\n"
        "    print(attempt, urllib.request.urlopen(url).status)\n"
        "    agent_telemetry.shutdown()\n"
    )
    env = {"AGENT_TELEMETRY_ENABLED": "", "AGENT_TELEMETRY_PROMETHEUS_PORT": str(unused_port)}
    result = run(script, env)
    assert (result.returncode, result.stdout, result.stderr) == (0, "1 200\n2 200\n", "")


# -- process identity ------------------------------------------------------------------------------


def test_every_process_gets_its_own_instance_id(fake, sink, app):
    for _ in range(2):
        assert run(app, collector_env(fake, sink.endpoint)).returncode == 0
    ids = [point["resource"].get("service.instance.id") for point in sink.metric_points("agent.requests")]
    assert len(ids) == 2 and ids[0] != ids[1]
    assert all(
        re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", i) for i in ids
    )


def test_a_configured_instance_id_is_kept(fake, sink, app):
    env = {**collector_env(fake, sink.endpoint), "OTEL_RESOURCE_ATTRIBUTES": "service.instance.id=pod-7"}
    assert run(app, env).returncode == 0
    (point,) = sink.metric_points("agent.requests")
    (span,) = [s for s in sink.spans if s["scope"] == "agent_telemetry"]
    assert point["resource"]["service.instance.id"] == span["resource"]["service.instance.id"] == "pod-7"


# -- configuration errors --------------------------------------------------------------------------


def test_an_unusable_enabled_value_is_one_warning_and_means_off(fake, sink, app):
    env = {**collector_env(fake, sink.endpoint), "AGENT_TELEMETRY_ENABLED": "maybe"}
    result = run(app, env)
    assert (result.returncode, result.stdout) == (0, REPLY)
    assert result.stderr == (
        "agent-telemetry: AGENT_TELEMETRY_ENABLED='maybe' is not a boolean: use true or false; using false\n"
    )
    assert sink.spans == [] and sink.metrics == []


@pytest.mark.parametrize(
    ("variable", "value", "warning"),
    [
        (
            "AGENT_TELEMETRY_METRICS_EXPORTER",
            "statsd",
            "AGENT_TELEMETRY_METRICS_EXPORTER='statsd' is not one of: otlp, prometheus, console, none; "
            "using OTEL_METRICS_EXPORTER or otlp",
        ),
        (
            "AGENT_TELEMETRY_SHUTDOWN_TIMEOUT",
            "soon",
            "AGENT_TELEMETRY_SHUTDOWN_TIMEOUT='soon' is not a time in seconds: "
            "use a positive number of seconds, such as 3; using 3",
        ),
        (
            "AGENT_TELEMETRY_MAX_MODEL_LABELS",
            "many",
            "AGENT_TELEMETRY_MAX_MODEL_LABELS='many' is not a whole number; using 200",
        ),
        (
            "OTEL_TRACES_EXPORTER",
            "zipkin",
            "OTEL_TRACES_EXPORTER='zipkin' is not one of: otlp, console, none; using the default",
        ),
    ],
)
def test_an_unusable_setting_is_one_warning_and_telemetry_still_runs(
    fake, sink, app, variable, value, warning
):
    result = run(app, {**collector_env(fake, sink.endpoint), variable: value})
    assert (result.returncode, result.stdout, result.stderr) == (0, REPLY, f"agent-telemetry: {warning}\n")
    assert calls_counted(sink) == 1


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read price file: No such file or directory"),
        (
            "models: [unclosed\n",
            "invalid YAML: expected ',' or ']', but got '<stream end>' (line 2, column 1)",
        ),
        ("", "expected a mapping with a 'models' list"),
    ],
    ids=["missing", "malformed", "empty"],
)
def test_a_bad_price_file_is_one_line_and_the_bundled_prices_are_used(
    fake, sink, app, tmp_path, content, problem
):
    prices = tmp_path / "prices.yaml"
    if content is not None:
        prices.write_text(content)
    result = run(app, {**collector_env(fake, sink.endpoint), "AGENT_TELEMETRY_PRICES": str(prices)})
    assert (result.returncode, result.stdout) == (0, REPLY)
    assert result.stderr == (
        f"agent-telemetry: AGENT_TELEMETRY_PRICES={prices} is not used ({problem}); using the bundled prices\n"
    )
    assert calls_counted(sink) == 1
    (cost,) = sink.metric_points("agent.cost.usd")
    assert cost["value"] > 0  # gpt-4o-mini, priced from genai-prices' bundled data


# -- exporter variables ----------------------------------------------------------------------------


def test_traces_exporter_none_sends_metrics_only(fake, sink, app):
    result = run(app, {**collector_env(fake, sink.endpoint), "OTEL_TRACES_EXPORTER": "none"})
    assert (result.returncode, result.stdout, result.stderr) == (0, REPLY, "")
    assert sink.spans == []
    assert calls_counted(sink) == 1


def test_metrics_exporter_none_sends_spans_only(fake, sink, app):
    result = run(app, {**collector_env(fake, sink.endpoint), "OTEL_METRICS_EXPORTER": "none"})
    assert (result.returncode, result.stdout, result.stderr) == (0, REPLY, "")
    assert sink.metrics == []
    assert [s["name"] for s in sink.spans if s["scope"] == "agent_telemetry"] == ["chat gpt-4o-mini"]


def test_console_exporters_print_spans_and_metrics(fake, sink, app):
    env = {**collector_env(fake, sink.endpoint), "OTEL_TRACES_EXPORTER": "console",
           "OTEL_METRICS_EXPORTER": "console"}  # fmt: skip
    result = run(app, env)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(REPLY)
    assert '"name": "chat gpt-4o-mini"' in result.stdout
    assert '"name": "agent.requests"' in result.stdout
    assert sink.spans == [] and sink.metrics == []


def test_prometheus_mode_makes_no_otlp_connection(fake, sink, app, unused_port):
    env = {**collector_env(fake, sink.endpoint), "AGENT_TELEMETRY_METRICS_EXPORTER": "prometheus",
           "AGENT_TELEMETRY_PROMETHEUS_PORT": str(unused_port)}  # fmt: skip
    result = run(app, env)
    assert (result.returncode, result.stdout, result.stderr) == (0, REPLY, "")
    assert sink.spans == [] and sink.metrics == []


def test_prometheus_mode_sends_traces_when_asked_for(fake, sink, app, unused_port):
    env = {**collector_env(fake, sink.endpoint), "AGENT_TELEMETRY_METRICS_EXPORTER": "prometheus",
           "AGENT_TELEMETRY_PROMETHEUS_PORT": str(unused_port), "OTEL_TRACES_EXPORTER": "otlp"}  # fmt: skip
    result = run(app, env)
    assert (result.returncode, result.stdout, result.stderr) == (0, REPLY, "")
    assert [s["name"] for s in sink.spans if s["scope"] == "agent_telemetry"] == ["chat gpt-4o-mini"]
    assert sink.metrics == []


def test_sdk_disabled_wins_over_the_exporter_variables(fake, sink, app):
    env = {**collector_env(fake, sink.endpoint), "OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console",
           "OTEL_METRICS_EXPORTER": "otlp"}  # fmt: skip
    result = run(app, env)
    assert (result.returncode, result.stdout, result.stderr) == (0, REPLY, "")
    assert sink.spans == [] and sink.metrics == []


def test_sdk_disabled_wins_over_settings_given_in_code(fake, sink):
    script = "import agent_telemetry\nagent_telemetry.init(settings=agent_telemetry.Settings())\n" + MY_AGENT
    env = {**collector_env(fake, sink.endpoint), "AGENT_TELEMETRY_ENABLED": "", "OTEL_SDK_DISABLED": "true"}
    result = run(script, env)
    assert (result.returncode, result.stdout, result.stderr) == (0, REPLY, "")
    assert sink.spans == [] and sink.metrics == []
