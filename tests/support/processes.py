"""What tests that run our code in a subprocess share."""

from __future__ import annotations

import os
import subprocess

# Generous: what a test bounds is seconds; this only stops a hung test.
EXIT_WAIT_S = 60

# A user's agent, as the README and the zero-code tests run it: one chat call to the fake provider.
MY_AGENT = """\
import os
import subprocess

# Generous: what a test bounds is seconds; this only stops a hung test.
EXIT_WAIT_S = 60

import openai

client = openai.OpenAI(base_url=os.environ["FAKE_OPENAI_URL"], api_key="sk-test", max_retries=0)
reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
"""


def environ_without_telemetry() -> dict[str, str]:
    """This process's environment without OTEL_* and AGENT_TELEMETRY_* variables: a subprocess gets
    only the telemetry settings its test gives it, whatever the developer's shell has."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENT_TELEMETRY_"))}


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
