"""An instrumented application for the end-to-end contract test: every metric of the contract, once.

Run as a script by the test, with the fake provider's URLs in the environment; calls are scripted on the
fake provider by the test, in this order.
"""

import base64
import contextlib
import os

import anthropic
import openai

import agent_telemetry

agent_telemetry.init()
chat = [{"role": "user", "content": "hi"}]
oa = openai.OpenAI(base_url=os.environ["FAKE_OPENAI_URL"], api_key="sk-test", max_retries=0)
an = anthropic.Anthropic(base_url=os.environ["FAKE_ANTHROPIC_URL"], api_key="sk-ant-test", max_retries=0)

# Outside any run: the agent is the service name.
oa.chat.completions.create(model="gpt-4o-mini", messages=chat)
for _ in oa.chat.completions.create(model="gpt-4o-mini", messages=chat, stream=True):
    pass
with contextlib.suppress(openai.RateLimitError):
    oa.chat.completions.create(model="gpt-4o-mini", messages=chat)
oa.embeddings.create(model="text-embedding-3-small", input="refunds")
oa.chat.completions.create(model="my-finetune", messages=chat)  # no price known
stream = oa.chat.completions.create(model="gpt-4o-mini", messages=chat, stream=True)
next(iter(stream))
stream.close()  # closed before its usage arrived


@agent_telemetry.tool
def lookup_order(order_id: int) -> str:
    return f"order {order_id}: shipped"


@agent_telemetry.tool
def broken_tool() -> None:
    raise ValueError("backend down")


with agent_telemetry.agent_run("contract-run", version="2025-11-rc2", attributes={"feature": "refunds"}):
    an.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=chat)
    lookup_order(7)
    with contextlib.suppress(ValueError):
        broken_tool()
    agent_telemetry.record_quality(0.9, evaluator="judge")

screenshot = base64.b64encode(bytes(758)).decode()
with agent_telemetry.agent_run("computer-bot"):
    an.beta.messages.create(
        model="claude-haiku-4-5",
        max_tokens=100,
        messages=[
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": screenshot}}]}]}
        ],
    )  # fmt: skip
    with agent_telemetry.computer_action("left_click"):
        pass
    an.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=chat)  # a refusal

try:
    with agent_telemetry.agent_run("looping-bot", max_steps=1):
        for _ in range(2):
            oa.chat.completions.create(model="gpt-4o-mini", messages=chat)
except agent_telemetry.BudgetExceededError:
    pass

oa.chat.completions.create(model="overflow-model", messages=chat)  # the 5th model, past the limit: _other

# The SDK's own retries: a 429 and a 503 absorbed, the third attempt succeeds.
with agent_telemetry.agent_name("retrying-bot"):
    oa.with_options(max_retries=2).chat.completions.create(model="gpt-4o-mini", messages=chat)

agent_telemetry.shutdown()
print("done")
