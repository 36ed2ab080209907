"""An instrumented application for the exemplar end-to-end test: fast calls, then one slow call.

The slow call runs inside a span of the application's own ("slow-request"); its trace id is printed, so
the test knows which trace the slow latency point's exemplar must name.
"""

import os

import openai
from opentelemetry import trace

import agent_telemetry

agent_telemetry.init()
chat = [{"role": "user", "content": "hi"}]
client = openai.OpenAI(base_url=os.environ["FAKE_OPENAI_URL"], api_key="sk-test", max_retries=0)

for _ in range(3):
    client.chat.completions.create(model="gpt-4o-mini", messages=chat)
with trace.get_tracer("exemplar-app").start_as_current_span("slow-request") as span:
    client.chat.completions.create(model="gpt-4o-mini", messages=chat)  # the fake provider delays this one
    print(trace.format_trace_id(span.get_span_context().trace_id))
agent_telemetry.shutdown()
