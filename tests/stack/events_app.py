"""An instrumented application for the events end-to-end test: one run of two chat calls and a tool.

Prints the run span's trace id and span id, so the test knows which ids the run's events must carry.
"""

import os

import openai

import agent_telemetry

agent_telemetry.init()
client = openai.OpenAI(base_url=os.environ["FAKE_OPENAI_URL"], api_key="sk-test", max_retries=0)


@agent_telemetry.tool
def lookup(order: str) -> str:
    return f"order {order} shipped"


with agent_telemetry.agent_run("events-bot", run_id="run-e2e-1") as run:
    for _ in range(2):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    lookup("42")
context = run.span.get_span_context()
print(f"{context.trace_id:032x} {context.span_id:016x}")
agent_telemetry.shutdown()
