"""Runs around real SDK calls: steps, tokens, cost, budgets, parenting, and no cross-talk."""

import asyncio
import contextvars
import threading

import pytest

from agent_telemetry import BudgetExceededError, agent_run, tool
from agent_telemetry.tooling.fake_provider import Reply, TokenUsage

MESSAGES = [{"role": "user", "content": "next step?"}]
USAGE = TokenUsage(input_tokens=1000, output_tokens=100)
CALL_COST = (1000 * 1.0 + 100 * 4.0) / 1e6  # gpt-4o-mini at the test prices


def chat(client):
    return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def test_a_run_counts_its_steps_tokens_and_cost(recorded, fake, openai_client):
    for _ in range(3):
        fake.enqueue(Reply(usage=USAGE))
    with agent_run("research-bot") as run:
        for _ in range(3):
            chat(openai_client)
        openai_client.embeddings.create(model="text-embedding-3-small", input="x")  # not a step
    assert run.steps == 3
    ((_attrs, steps),) = recorded.points("agent.run.steps")
    assert (steps.count, steps.sum) == (1, 3)
    ((_, cost),) = recorded.points("agent.run.cost.usd")
    assert cost.sum == pytest.approx(3 * CALL_COST + 11 * 0.02 / 1e6, rel=1e-12)
    ((_, tokens),) = recorded.points("agent.run.tokens")
    assert tokens.sum == 3 * 1100 + 11


def test_calls_inside_a_run_carry_its_agent_name_and_its_span_as_parent(recorded, fake, openai_client):
    with agent_run("research-bot"):
        chat(openai_client)
    assert recorded.attributes("agent.requests")[0]["gen_ai.agent.name"] == "research-bot"
    call_span, run_span = recorded.spans()
    assert call_span.parent.span_id == run_span.context.span_id
    assert call_span.attributes["gen_ai.agent.name"] == "research-bot"


def test_tool_spans_inside_a_run_are_its_children(recorded, fake, openai_client):
    @tool
    def search(q: str) -> str:
        return q

    with agent_run("research-bot"):
        search("x")
    tool_span, run_span = recorded.spans()
    assert tool_span.parent.span_id == run_span.context.span_id
    assert recorded.attributes("agent.tools.calls") == [
        {
            "gen_ai.agent.name": "research-bot",
            "gen_ai.agent.version": "_unknown",
            "gen_ai.tool.name": "search",
        }
    ]


def test_a_step_budget_stops_the_next_call_before_it_is_sent(recorded, fake, openai_client):
    with pytest.raises(BudgetExceededError) as excinfo, agent_run("looping-bot", max_steps=2):
        for _ in range(5):
            chat(openai_client)
    assert (excinfo.value.limit, excinfo.value.spent, excinfo.value.budget) == ("steps", 2, 2)
    assert len(fake.requests) == 2
    assert recorded.value("agent.runs", status="budget_exceeded") == 1
    assert recorded.value("agent.run.budget_stops", gen_ai__agent__name="looping-bot", limit="steps") == 1


def test_a_cost_budget_stops_the_run_once_spent(recorded, fake, openai_client):
    for _ in range(3):
        fake.enqueue(Reply(usage=USAGE))
    with (
        pytest.raises(BudgetExceededError) as excinfo,
        agent_run("pricey-bot", max_cost_usd=2 * CALL_COST - 1e-9),
    ):
        for _ in range(3):
            chat(openai_client)
    assert excinfo.value.limit == "cost"
    assert len(fake.requests) == 2


def test_concurrent_runs_in_threads_do_not_mix_agent_names(recorded, fake, openai_client):
    def work(name: str) -> None:
        with agent_run(name):
            for _ in range(5):
                chat(openai_client)

    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(work, f"agent-{i}")) for i in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = {a["gen_ai.agent.name"]: p.value for a, p in recorded.points("agent.requests")}
    assert counts == {"agent-0": 5, "agent-1": 5, "agent-2": 5, "agent-3": 5}
    steps = {a["gen_ai.agent.name"]: p.sum for a, p in recorded.points("agent.run.steps")}
    assert steps == {"agent-0": 5, "agent-1": 5, "agent-2": 5, "agent-3": 5}


@pytest.mark.anyio
async def test_concurrent_runs_in_asyncio_tasks_do_not_mix_agent_names(recorded, fake, async_openai_client):
    async def work(name: str) -> None:
        async with agent_run(name):
            for _ in range(3):
                await async_openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
                await asyncio.sleep(0)

    await asyncio.gather(*(work(f"agent-{i}") for i in range(4)))
    counts = {a["gen_ai.agent.name"]: p.value for a, p in recorded.points("agent.requests")}
    assert counts == {"agent-0": 3, "agent-1": 3, "agent-2": 3, "agent-3": 3}
