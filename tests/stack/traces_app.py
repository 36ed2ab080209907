"""An instrumented application for the trace-store end-to-end test: one call inside an agent run, with
httpx instrumented as users do (opentelemetry-instrumentation-httpx), so that the SDK's HTTP request is
a span too. Prints the run span's trace id and the call span's id (the exemplar must name both).
"""

import importlib.util
import os

import openai
from opentelemetry.instrumentation.httpx import HTTPX2ClientInstrumentor, HTTPXClientInstrumentor

import agent_telemetry

agent_telemetry.init()
# The newest SDK releases send through httpx2, older ones through httpx: instrument whichever is installed.
for library, instrumentor in (("httpx2", HTTPX2ClientInstrumentor), ("httpx", HTTPXClientInstrumentor)):
    if importlib.util.find_spec(library) is not None:
        instrumentor().instrument()

client = openai.OpenAI(base_url=os.environ["FAKE_OPENAI_URL"], api_key="sk-test", max_retries=0)
with agent_telemetry.agent_run("trace-bot") as run:
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    print(format(run.span.get_span_context().trace_id, "032x"))
agent_telemetry.shutdown()
