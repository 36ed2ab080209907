"""An instrumented application for the compare end-to-end test: two versions of one agent with known
outcomes, so that every count compare reports is known exactly.

v1: 12 runs, 1 failed, 1 call each, no tool errors, judge 0.9.
v2: 12 runs, 5 failed, 2 calls each (twice the steps and the cost), 3 tool errors, judge 0.6.
"""

import contextlib
import os

import openai

import agent_telemetry

agent_telemetry.init()
client = openai.OpenAI(base_url=os.environ["FAKE_OPENAI_URL"], api_key="sk-test", max_retries=0)
chat = [{"role": "user", "content": "hi"}]


@agent_telemetry.tool
def lookup_order(broken: bool) -> str:
    if broken:
        raise LookupError("backend down")
    return "shipped"


class TaskFailed(Exception):
    pass


for version, failures, calls, broken_tools, score in (("v1", 1, 1, 0, 0.9), ("v2", 5, 2, 3, 0.6)):
    for index in range(12):
        try:
            with agent_telemetry.agent_run("compare-bot", version=version, attributes={"feature": "refunds"}):
                for _ in range(calls):
                    client.chat.completions.create(model="gpt-4o-mini", messages=chat)
                with contextlib.suppress(LookupError):
                    lookup_order(index < broken_tools)
                agent_telemetry.record_quality(score, evaluator="judge")
                if index < failures:
                    raise TaskFailed
        except TaskFailed:
            pass

agent_telemetry.shutdown()
print("done")
