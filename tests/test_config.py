import pytest

from agent_telemetry.config import ConfigError, Settings


def test_defaults_when_nothing_is_set():
    assert Settings.from_env({}) == Settings()


def test_reads_every_variable():
    settings = Settings.from_env(
        {
            "AGENT_TELEMETRY_ENABLED": "true",
            "AGENT_TELEMETRY_AGENT_NAME": "support-bot",
            "AGENT_TELEMETRY_PRICES": "/etc/prices.yaml",
            "AGENT_TELEMETRY_MAX_MODEL_LABELS": "7",
            "AGENT_TELEMETRY_OPENAI_STREAM_USAGE": "off",
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "TRUE",
            "AGENT_TELEMETRY_METRICS_EXPORTER": "prometheus",
            "AGENT_TELEMETRY_PROMETHEUS_HOST": "0.0.0.0",
            "AGENT_TELEMETRY_PROMETHEUS_PORT": "9999",
            "AGENT_TELEMETRY_ANTHROPIC_NATIVE_SPANS": "1",
        }
    )
    assert settings == Settings(
        enabled=True,
        agent_name="support-bot",
        prices_file="/etc/prices.yaml",
        max_model_labels=7,
        openai_stream_usage="off",
        capture_content=True,
        metrics_exporter="prometheus",
        prometheus_host="0.0.0.0",
        prometheus_port=9999,
        anthropic_native_spans=True,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"AGENT_TELEMETRY_ENABLED": "maybe"},
            "AGENT_TELEMETRY_ENABLED='maybe' is not a boolean: use true or false",
        ),
        (
            {"AGENT_TELEMETRY_MAX_MODEL_LABELS": "many"},
            "AGENT_TELEMETRY_MAX_MODEL_LABELS='many' is not a whole number",
        ),
        (
            {"AGENT_TELEMETRY_MAX_MODEL_LABELS": "0"},
            "AGENT_TELEMETRY_MAX_MODEL_LABELS='0' must be at least 1",
        ),
        (
            {"AGENT_TELEMETRY_METRICS_EXPORTER": "statsd"},
            "AGENT_TELEMETRY_METRICS_EXPORTER='statsd' is not one of: otlp, prometheus, none",
        ),
    ],
)
def test_bad_values_name_the_variable_and_what_it_accepts(env, message):
    with pytest.raises(ConfigError) as excinfo:
        Settings.from_env(env)
    assert str(excinfo.value) == message
