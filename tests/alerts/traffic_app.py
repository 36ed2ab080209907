"""An instrumented application that keeps calling the (fake) OpenAI API until its stdin closes.

Run as a script by the alert tests, one process per scenario (``agent_telemetry.init`` sets global
providers, so scenarios must not share a process). Faults are injected on the fake provider, never here:
this app only makes steady traffic, like a real agent would.

Environment: FAKE_OPENAI_URL, TRAFFIC_MODEL, TRAFFIC_THREADS (concurrent callers), TRAFFIC_PACE_S (pause
after each call, per thread), and the usual OTEL_* / AGENT_TELEMETRY_* variables.
"""

import contextlib
import os
import sys
import threading

import openai

import agent_telemetry

agent_telemetry.init()
client = openai.OpenAI(base_url=os.environ["FAKE_OPENAI_URL"], api_key="sk-test", max_retries=0, timeout=60)
model = os.environ["TRAFFIC_MODEL"]
pace_s = float(os.environ["TRAFFIC_PACE_S"])
stop = threading.Event()


def call_forever() -> None:
    while not stop.is_set():
        # A failed call is recorded by the instrumentation; a real agent would go on too.
        with contextlib.suppress(openai.APIError):
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
        stop.wait(pace_s)


threads = [threading.Thread(target=call_forever) for _ in range(int(os.environ["TRAFFIC_THREADS"]))]
for thread in threads:
    thread.start()
print("started", flush=True)
sys.stdin.read()  # the test closes our stdin to stop us
stop.set()
for thread in threads:
    thread.join()
agent_telemetry.shutdown()
print("done", flush=True)
