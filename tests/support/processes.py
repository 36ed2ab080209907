"""What tests that run our code in a subprocess share."""

from __future__ import annotations

import os
import subprocess

# Generous: what a test bounds is seconds; this only stops a hung test.
EXIT_WAIT_S = 60

# A user's agent, as the README and the zero-code tests run it: one chat call to the fake provider.
MY_AGENT = """\
import os

import openai

client = openai.OpenAI(base_url=os.environ["FAKE_OPENAI_URL"], api_key="sk-test", max_retries=0)
reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
"""


def environ_without_telemetry() -> dict[str, str]:
    """This process's environment without OTEL_* and AGENT_TELEMETRY_* variables: a subprocess gets
    only the telemetry settings its test gives it, whatever the developer's shell has."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENT_TELEMETRY_"))}


def exporting_once_at_exit(fake_openai_url: str, otlp_endpoint: str, service: str) -> dict[str, str]:
    """The settings of an agent process that calls the fake provider and exports to ``otlp_endpoint``
    once, at exit: one cumulative export, so a counter's stored value is exactly its calls."""
    return {
        "AGENT_TELEMETRY_ENABLED": "true",
        "FAKE_OPENAI_URL": fake_openai_url,
        "OTEL_SERVICE_NAME": service,
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint,
        "OTEL_METRIC_EXPORT_INTERVAL": "600000",
    }


def run_python(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``args`` (an interpreter and what it runs) as a user runs it: with the telemetry settings of
    ``env`` only, output captured, bounded by EXIT_WAIT_S."""
    return subprocess.run(
        args,
        env={**environ_without_telemetry(), **env},
        capture_output=True,
        text=True,
        timeout=EXIT_WAIT_S,
        check=False,
    )
