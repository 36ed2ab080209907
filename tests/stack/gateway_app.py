"""An instrumented agent process for the gateway-tier test: makes the number of chat calls each stdin
line names, answers "done" after each line, and exports its cumulative metrics every second."""

import os
import sys

import openai

import agent_telemetry

agent_telemetry.init()
client = openai.OpenAI(base_url=os.environ["FAKE_OPENAI_URL"], api_key="sk-test", max_retries=0)
for line in sys.stdin:
    for _ in range(int(line)):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    print("done", flush=True)
agent_telemetry.shutdown()
