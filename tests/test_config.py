import logging

import pytest

from agent_telemetry.config import Settings, env_flag


def test_defaults_when_nothing_is_set():
    assert Settings.read({}) == (Settings(), [])


def test_reads_every_variable():
    settings, problems = Settings.read(
        {
            "AGENT_TELEMETRY_AGENT_NAME": "support-bot",
            "AGENT_TELEMETRY_AGENT_VERSION": "2025-11-rc2",
            "AGENT_TELEMETRY_PRICES": "/etc/prices.yaml",
            "AGENT_TELEMETRY_MAX_MODEL_LABELS": "7",
            "AGENT_TELEMETRY_OPENAI_STREAM_USAGE": "off",
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "TRUE",
            "AGENT_TELEMETRY_METRICS_EXPORTER": "prometheus",
            "AGENT_TELEMETRY_PROMETHEUS_HOST": "0.0.0.0",
            "AGENT_TELEMETRY_PROMETHEUS_PORT": "9999",
            "AGENT_TELEMETRY_ANTHROPIC_NATIVE_SPANS": "1",
            "OTEL_SDK_DISABLED": "yes",
            "OTEL_TRACES_EXPORTER": "console",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/protobuf",
            "AGENT_TELEMETRY_SHUTDOWN_TIMEOUT": "0.5",
            "AGENT_TELEMETRY_RECORD_DIR": "/var/lib/agent/runs",
            "AGENT_TELEMETRY_RECORD_RETENTION_DAYS": " 30 ",
            "AGENT_TELEMETRY_EVENTS": "off",
            "OTEL_LOGS_EXPORTER": "console",
        }
    )
    assert problems == []
    assert settings == Settings(
        agent_name="support-bot",
        agent_version="2025-11-rc2",
        prices_file="/etc/prices.yaml",
        max_model_labels=7,
        openai_stream_usage="off",
        capture_content=True,
        metrics_exporter="prometheus",
        prometheus_host="0.0.0.0",
        prometheus_port=9999,
        anthropic_native_spans=True,
        sdk_disabled=True,
        traces_exporter="console",
        otlp_traces_protocol="grpc",
        otlp_metrics_protocol="http/protobuf",
        shutdown_timeout_s=0.5,
        record_dir="/var/lib/agent/runs",
        record_retention_days=30.0,
        events_enabled=False,
        logs_exporter="console",
        otlp_logs_protocol="grpc",
    )


def test_our_metrics_exporter_variable_beats_the_standard_one():
    env = {"AGENT_TELEMETRY_METRICS_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "console"}
    assert Settings.read(env)[0].metrics_exporter == "none"
    assert Settings.read({"OTEL_METRICS_EXPORTER": "console"})[0].metrics_exporter == "console"


@pytest.mark.parametrize(
    ("env", "spans_exporter"),
    [
        ({}, "otlp"),
        ({"AGENT_TELEMETRY_METRICS_EXPORTER": "prometheus"}, "none"),
        ({"AGENT_TELEMETRY_METRICS_EXPORTER": "prometheus", "OTEL_TRACES_EXPORTER": "otlp"}, "otlp"),
        ({"OTEL_TRACES_EXPORTER": "none"}, "none"),
    ],
)
def test_without_a_collector_spans_go_nowhere_unless_asked_for(env, spans_exporter):
    assert Settings.read(env)[0].spans_exporter == spans_exporter


@pytest.mark.parametrize(
    ("env", "message", "changed"),
    [
        (
            {"AGENT_TELEMETRY_MAX_MODEL_LABELS": "many"},
            "AGENT_TELEMETRY_MAX_MODEL_LABELS='many' is not a whole number; using 200",
            {},
        ),
        (
            {"AGENT_TELEMETRY_MAX_MODEL_LABELS": "0"},
            "AGENT_TELEMETRY_MAX_MODEL_LABELS='0' must be at least 1; using 200",
            {},
        ),
        (
            {"AGENT_TELEMETRY_METRICS_EXPORTER": "statsd"},
            "AGENT_TELEMETRY_METRICS_EXPORTER='statsd' is not one of: otlp, prometheus, console, none; "
            "using OTEL_METRICS_EXPORTER or otlp",
            {},
        ),
        (
            {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "sometimes"},
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT='sometimes' is not a boolean: "
            "use true or false; using false",
            {},
        ),
        (
            {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
            "OTEL_EXPORTER_OTLP_PROTOCOL='http/json' is not a supported OTLP protocol: "
            "use http/protobuf or grpc; using http/protobuf",
            {},
        ),
        (
            {"AGENT_TELEMETRY_SHUTDOWN_TIMEOUT": "-1"},
            "AGENT_TELEMETRY_SHUTDOWN_TIMEOUT='-1' is not a time in seconds: "
            "use a positive number of seconds, such as 3; using 3",
            {},
        ),
        (
            # Deleting is irreversible: with a doubtful period, nothing is deleted (not the default).
            {"AGENT_TELEMETRY_RECORD_RETENTION_DAYS": "two weeks"},
            "AGENT_TELEMETRY_RECORD_RETENTION_DAYS='two weeks' is not a retention period: "
            "use a positive number of days, such as 14; no old recordings are deleted",
            {"record_retention_days": None},
        ),
    ],
)
def test_an_unusable_value_names_the_variable_and_its_default_is_used(env, message, changed):
    settings, problems = Settings.read(env)
    assert problems == [message]
    assert settings == Settings(**changed)


def test_each_problem_is_logged_once_per_process(caplog):
    caplog.set_level(logging.WARNING, logger="agent_telemetry")
    env = {"AGENT_TELEMETRY_PROMETHEUS_PORT": "ninety"}
    assert Settings.from_env(env) == Settings.from_env(env) == Settings()
    assert [r.getMessage() for r in caplog.records] == [
        "agent-telemetry: AGENT_TELEMETRY_PROMETHEUS_PORT='ninety' is not a whole number; using 9464"
    ]


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("On", True), ("no", False), (" ", False), ("maybe", False)]
)
def test_a_flag_reads_like_every_other_boolean(raw, value):
    assert env_flag("AGENT_TELEMETRY_ENABLED", env={"AGENT_TELEMETRY_ENABLED": raw}) is value
