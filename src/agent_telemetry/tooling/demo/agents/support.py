"""The support chat agent: OpenAI chat completions, streamed, with function tools.

A customer writes in; the model looks the order up (and sometimes the help centre), maybe issues a
refund, then streams its answer. A few hard tickets escalate to a bigger model. Its flaky tool is
``lookup_order`` (the tool-failures scenario), and it is the agent of the rate-limit storm.
"""

from __future__ import annotations

import json
import time
from typing import Any

from agent_telemetry import tool
from agent_telemetry.tooling.demo.agents.base import Agent, AgentContext, ToolFailure
from agent_telemetry.tooling.demo.models import SUPPORT_ESCALATION_MODEL, SUPPORT_MODEL
from agent_telemetry.tooling.demo.scenarios import SDK_RETRIES, SUPPORT
from agent_telemetry.tooling.fake_provider import Reply, ToolCall

ESCALATION_SHARE = 0.03  # tickets the cheap model hands to the big one

SYSTEM = (
    "You are the support assistant of an online shop. Look orders up before answering, be brief and "
    "friendly, and refund only damaged or missing items."
)
TICKETS = (
    ("Where is my order {order}? It was supposed to arrive on Monday.", False),
    ("Order {order} arrived with a cracked screen. I want my money back.", True),
    ("Can I still change the delivery address of {order}?", False),
    ("I was charged twice for order {order}.", True),
    ("How do I return the shoes from order {order}? They are too small.", False),
)
ANSWERS = (
    "Your order is on its way and should arrive tomorrow. You can follow it with the tracking link "
    "in your confirmation email.",
    "I'm sorry about that! I have issued a full refund; it will show on your statement within 3-5 days.",
    "Done: the delivery address is updated. The carrier will use it for this delivery.",
    "You can return it for free from your account page within 30 days; the label is attached there.",
)

TOOL_SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": list(properties)},
        },
    }
    for name, description, properties in (
        ("lookup_order", "Status, items and payment of an order.", {"order_id": {"type": "string"}}),
        ("search_help_center", "Search the help-centre articles.", {"query": {"type": "string"}}),
        (
            "issue_refund",
            "Refund an order, fully or partly.",
            {"order_id": {"type": "string"}, "amount": {"type": "number"}},
        ),
    )
]


class OrderServiceTimeout(ToolFailure):
    """The orders database did not answer (the tool-failures scenario)."""


@tool
def lookup_order(order_id: str, *, fail: bool = False, pause_s: float = 0.0) -> str:
    time.sleep(pause_s)
    if fail:
        raise OrderServiceTimeout(f"orders-db did not answer for {order_id} within 2 s")
    return json.dumps({"order_id": order_id, "status": "shipped", "items": 2, "total": 89.90})


@tool
def search_help_center(query: str, *, pause_s: float = 0.0) -> str:
    time.sleep(pause_s)
    return json.dumps({"query": query, "articles": ["Returns and refunds", "Delivery times"]})


@tool
def issue_refund(order_id: str, amount: float = 0.0, *, pause_s: float = 0.0) -> str:
    time.sleep(pause_s)
    return json.dumps({"order_id": order_id, "refunded": amount, "status": "ok"})


class SupportAgent(Agent):
    name = SUPPORT
    judge_mean = 0.86  # the mean LLM-judge score of healthy runs

    def __init__(self, context: AgentContext) -> None:
        super().__init__(context)
        import openai  # here, not at import: the demo's dependencies are optional for the package

        self.client = openai.OpenAI(
            base_url=context.link.openai_base_url, api_key="demo", max_retries=0, timeout=60.0
        )
        # The retry-storm's client: the SDK's default retries, absorbing the scripted 429s.
        self.retrying_client = self.client.with_options(max_retries=SDK_RETRIES)

    def close(self) -> None:
        self.client.close()

    def task(self) -> None:
        ticket, refund = self.rng.choice(TICKETS)
        order_id = f"A{self.rng.randint(10000, 99999)}"
        model = SUPPORT_ESCALATION_MODEL if self.rng.random() < ESCALATION_SHARE else SUPPORT_MODEL
        # What the model will ask for, turn by turn (scripted into the fake provider).
        first = [ToolCall("lookup_order", {"order_id": order_id})]
        if self.rng.random() < 0.3:
            first.append(ToolCall("search_help_center", {"query": ticket.split("?")[0][:40]}))
        plan: list[list[ToolCall]] = [first]
        if refund:
            plan.append([ToolCall("issue_refund", {"order_id": order_id, "amount": 89.90})])
        plan.append([])  # the answer
        with self.run(max_cost_usd=0.5) as run:
            messages: list[dict[str, Any]] = [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": ticket.format(order=order_id)},
            ]
            for turn, calls in enumerate(plan):
                usage = self.usage(
                    "openai", uncached=300 + 250 * turn, output=40 if calls else 110, cached=1024
                )
                reply = (
                    Reply(tool_calls=tuple(calls), usage=usage)
                    if calls
                    else Reply(text=self.rng.choice(ANSWERS), usage=usage, chunks=12)
                )
                text, tool_calls = self.llm("openai", model, reply, lambda: self._stream(model, messages))
                if not tool_calls:
                    break
                messages.append({"role": "assistant", "content": text or None, "tool_calls": tool_calls})
                for call in tool_calls:
                    result = self._execute(call["function"]["name"], call["function"]["arguments"])
                    messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
            self.judge(run, mean=self.judge_mean)

    def _stream(self, model: str, messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
        """Stream a reply to its end: its text and the tool calls assembled from their deltas."""
        client = self.retrying_client if self.sdk_retries else self.client
        stream = client.chat.completions.create(
            model=model,
            messages=messages,
            tools=TOOL_SCHEMAS,
            stream=True,
            temperature=0.3,  # type: ignore[arg-type]
        )
        text: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        for chunk in stream:
            if not chunk.choices:
                continue
            delta = chunk.choices[0].delta
            if delta.content:
                text.append(delta.content)
            for part in delta.tool_calls or ():
                call = calls.setdefault(
                    part.index, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
                )
                call["id"] = part.id or call["id"]
                if part.function is not None:
                    call["function"]["name"] += part.function.name or ""
                    call["function"]["arguments"] += part.function.arguments or ""
        return "".join(text), [calls[index] for index in sorted(calls)]

    def _execute(self, name: str, arguments: str) -> str:
        try:
            args = json.loads(arguments or "{}")
        except ValueError:
            return "error: arguments are not valid JSON"
        pause_s = self.rng.uniform(0.02, 0.12) * self.context.time_scale
        if name == "lookup_order":
            result, _ = self.run_tool(
                lookup_order, str(args.get("order_id")), fail=self.tool_fails(), pause_s=pause_s
            )
        elif name == "search_help_center":
            result, _ = self.run_tool(search_help_center, str(args.get("query")), pause_s=pause_s)
        elif name == "issue_refund":
            result, _ = self.run_tool(
                issue_refund, str(args.get("order_id")), float(args.get("amount") or 0), pause_s=pause_s
            )
        else:
            result = f"error: unknown tool {name!r}"
        return result
