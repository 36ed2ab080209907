"""The research agent: long multi-step runs on the OpenAI Responses API, then an Anthropic synthesis.

Each step the model asks for a web search or a page fetch and the context grows with the results;
when it has enough, Claude writes the report. In the cost-spike scenario a bad prompt change makes it
loop: many more steps on gpt-4o, a context that grows by thousands of tokens a step, and a synthesis
on claude-opus-4-1. The run budget (``max_cost_usd``) stops the longest loops: ``budget_exceeded``.
It is also the agent of the quality-drop scenario.
"""

from __future__ import annotations

import json
import time
from typing import Any

from agent_telemetry import tool
from agent_telemetry.tooling.demo.agents.base import Agent, AgentContext
from agent_telemetry.tooling.demo.models import (
    RESEARCH_RUNAWAY_STEP_MODEL,
    RESEARCH_RUNAWAY_SYNTHESIS_MODEL,
    RESEARCH_STEP_MODEL,
    RESEARCH_SYNTHESIS_MODEL,
)
from agent_telemetry.tooling.demo.scenarios import (
    BAD_DEPLOY_COST_FACTOR,
    BAD_DEPLOY_FAILURE_SHARE,
    BAD_DEPLOY_VERSION,
    RESEARCH,
)
from agent_telemetry.tooling.fake_provider import Reply, ToolCall

RUN_BUDGET_USD = 3.0
RUNAWAY_CONTEXT_CAP = 120_000  # tokens: under gpt-4o's 128k window
# The expensive-runs scenario: whole documents in the context from the first step, on the premium
# models: about 1.5 USD a run (3-6 steps at 0.15 USD on gpt-4o, the report 0.9 USD on claude-opus).
EXPENSIVE_RUN_CONTEXT = 60_000

INSTRUCTIONS = (
    "You are a research assistant. Search the web and read sources until you can answer with "
    "citations, then stop."
)
QUESTIONS = (
    "Which European cities have cut car traffic the most since 2015, and how?",
    "What is the current evidence on four-day work weeks and productivity?",
    "Compare the battery chemistries used in grid storage today.",
    "How do central banks use stress tests, and what changed after 2023?",
)
REPORT = (
    "Summary: three approaches dominate, each with measurable results. The sources agree on the main "
    "effect and disagree on its size; details and citations follow."
)

TOOL_SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "web_search",
        "description": "Search the web; returns titles and URLs.",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
    },
    {
        "type": "function",
        "name": "fetch_page",
        "description": "Fetch a page and return its main text.",
        "parameters": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]},
    },
]


@tool
def web_search(query: str, *, pause_s: float = 0.0) -> str:
    time.sleep(pause_s)
    return json.dumps([{"title": f"{query[:30]} - overview", "url": "https://example.org/a"}])


@tool
def fetch_page(url: str, *, pause_s: float = 0.0) -> str:
    time.sleep(pause_s)
    return f"Main text of {url}: figures, a table and two quotes relevant to the question."


class ResearchAgent(Agent):
    name = RESEARCH
    judge_mean = 0.82  # the mean LLM-judge score of healthy runs

    def __init__(self, context: AgentContext) -> None:
        super().__init__(context)
        import anthropic
        import openai

        link = context.link
        self.openai = openai.OpenAI(
            base_url=link.openai_base_url, api_key="demo", max_retries=0, timeout=60.0
        )
        self.anthropic = anthropic.Anthropic(
            base_url=link.anthropic_base_url, api_key="demo", max_retries=0, timeout=60.0
        )

    def close(self) -> None:
        self.openai.close()
        self.anthropic.close()

    def task(self) -> None:
        effects = self.effects  # decided per run: a run started healthy stays healthy
        runaway = effects.runaway
        expensive = effects.expensive_runs
        premium = runaway or expensive
        # The bad deploy's v2: a longer prompt (more tokens every call) and answers that fail more often.
        bad_deploy = effects.version == BAD_DEPLOY_VERSION
        more = BAD_DEPLOY_COST_FACTOR if bad_deploy else 1.0
        step_model = RESEARCH_RUNAWAY_STEP_MODEL if premium else RESEARCH_STEP_MODEL
        synthesis_model = RESEARCH_RUNAWAY_SYNTHESIS_MODEL if premium else RESEARCH_SYNTHESIS_MODEL
        steps = self.rng.randint(10, 20) if runaway else self.rng.randint(3, 6)
        question = self.rng.choice(QUESTIONS)
        with self.run(max_cost_usd=RUN_BUDGET_USD) as run:
            items: list[dict[str, Any]] = [{"role": "user", "content": question}]
            notes: list[str] = []
            context = EXPENSIVE_RUN_CONTEXT if expensive else 400
            for step in range(steps):
                wanted = (
                    ToolCall("web_search", {"query": f"{question[:50]} ({step})"})
                    if step % 2 == 0
                    else ToolCall("fetch_page", {"url": f"https://example.org/source/{step}"})
                )
                usage = self.usage(
                    "openai", round(context * more), round(60 * more), cached=round(1024 * more)
                )
                reply = Reply(tool_calls=(wanted,), usage=usage)
                response = self.llm(
                    "openai",
                    step_model,
                    reply,
                    lambda: self.openai.responses.create(
                        model=step_model,
                        instructions=INSTRUCTIONS,
                        input=items,
                        tools=TOOL_SCHEMAS,  # type: ignore[arg-type]
                    ),
                )
                calls = [item for item in response.output if item.type == "function_call"]
                if not calls:
                    break  # the model has enough (always so against an external fake server)
                for call in calls:
                    result = self._execute(call.name, call.arguments)
                    notes.append(result)
                    items.append(
                        {
                            "type": "function_call",
                            "call_id": call.call_id,
                            "name": call.name,
                            "arguments": call.arguments,
                        }
                    )
                    items.append({"type": "function_call_output", "call_id": call.call_id, "output": result})
                # Each result lands in the context; a runaway loop pulls whole pages in.
                context = min(context + (8000 if runaway else 500), RUNAWAY_CONTEXT_CAP)
            reply = Reply(
                text=REPORT,
                # The notes, summarised: the whole context only in a runaway loop.
                usage=self.usage(
                    "anthropic",
                    context if premium else round(1200 * more),
                    700 if runaway else round(250 * more),
                    cached=round(2000 * more),
                ),
                chunks=8,
            )
            self.llm(
                "anthropic",
                synthesis_model,
                reply,
                lambda: self.anthropic.messages.create(
                    model=synthesis_model,
                    max_tokens=2048,
                    system="Write a short research report with citations from the notes.",
                    messages=[{"role": "user", "content": question + "\n\nNotes:\n" + "\n".join(notes)}],
                ),
            )
            self.judge(run, mean=self.judge_mean)
            if bad_deploy and self.fault_rng.random() < BAD_DEPLOY_FAILURE_SHARE:
                run.status = "failure"  # the report did not answer the question

    def _execute(self, name: str, arguments: str) -> str:
        try:
            args = json.loads(arguments or "{}")
        except ValueError:
            return "error: arguments are not valid JSON"
        pause_s = self.rng.uniform(0.05, 0.3) * self.context.time_scale
        if name == "web_search":
            return self.run_tool(web_search, str(args.get("query")), pause_s=pause_s)[0]
        if name == "fetch_page":
            return self.run_tool(fetch_page, str(args.get("url")), pause_s=pause_s)[0]
        return f"error: unknown tool {name!r}"
