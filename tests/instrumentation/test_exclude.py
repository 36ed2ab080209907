"""``agent_telemetry.exclude(client)``: one real SDK client left uninstrumented, the others recorded."""

import gc
import logging

import anthropic
import openai
import pytest

import agent_telemetry
from agent_telemetry import agent_run
from agent_telemetry.instrumentation import _exclusion
from agent_telemetry.tooling.fake_provider import Reply, ToolCall

OPENAI_MODEL = "gpt-4o-mini"
ANTHROPIC_MODEL = "claude-haiku-4-5"
MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture(autouse=True)
def no_exclusions_left():
    yield
    _exclusion._excluded.clear()  # a test's clients may outlive it until the next collection


def _openai(fake, cls=openai.OpenAI):
    return cls(base_url=fake.openai_base_url, api_key="sk-test", max_retries=0)


def _anthropic(fake, cls=anthropic.Anthropic):
    return cls(base_url=fake.anthropic_base_url, api_key="sk-ant-test", max_retries=0)


# SDK -> (how to make its sync and async clients, how to call one with a model).
SDKS = {
    "openai": (
        _openai,
        (openai.OpenAI, openai.AsyncOpenAI),
        lambda client, model: client.chat.completions.create(model=model, messages=MESSAGES),
    ),
    "anthropic": (
        _anthropic,
        (anthropic.Anthropic, anthropic.AsyncAnthropic),
        lambda client, model: client.messages.create(model=model, max_tokens=64, messages=MESSAGES),
    ),
}


def _chat(client):
    return client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES)


def _recorded_models(recorded):
    """The request model of each span and of each agent.requests point: what was instrumented."""
    spans = sorted(span.attributes["gen_ai.request.model"] for span in recorded.spans())
    points = sorted(attrs["gen_ai.request.model"] for attrs in recorded.attributes("agent.requests"))
    return spans, points


def test_exclude_returns_the_client(fake):
    with _openai(fake) as client:
        assert agent_telemetry.exclude(client) is client


@pytest.mark.parametrize("sdk", SDKS)
def test_an_excluded_client_records_nothing_while_another_is_recorded(recorded, fake, sdk):
    make, (sync_client, _), call = SDKS[sdk]
    with agent_telemetry.exclude(make(fake, sync_client)) as excluded, make(fake, sync_client) as other:
        call(excluded, "excluded-model")
        call(other, "other-model")
    assert len(fake.requests) == 2  # both calls reached the provider
    assert _recorded_models(recorded) == (["other-model"], ["other-model"])
    assert recorded.count("agent.request.duration") == 1


@pytest.mark.anyio
@pytest.mark.parametrize("sdk", SDKS)
async def test_an_excluded_async_client_records_nothing_while_another_is_recorded(recorded, fake, sdk):
    make, (_, async_client), call = SDKS[sdk]
    async with (
        agent_telemetry.exclude(make(fake, async_client)) as excluded,
        make(fake, async_client) as other,
    ):
        await call(excluded, "excluded-model")
        await call(other, "other-model")
    assert len(fake.requests) == 2
    assert _recorded_models(recorded) == (["other-model"], ["other-model"])
    assert recorded.count("agent.request.duration") == 1


def test_an_excluded_openai_clients_stream_is_the_sdks_own(recorded, fake):
    fake.enqueue(Reply(text="a b c"))
    with agent_telemetry.exclude(_openai(fake)) as excluded:
        stream = excluded.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES, stream=True)
        assert type(stream) is openai.Stream
        chunks = list(stream)
    # Not even the usage request that instrumented streams add: the provider got what the app sent.
    assert "stream_options" not in fake.requests[0].body
    assert chunks[-1].usage is None
    assert _recorded_models(recorded) == ([], [])


def test_an_excluded_anthropic_clients_message_stream_records_nothing(recorded, fake):
    fake.enqueue(Reply(text="a b c"))
    with (
        agent_telemetry.exclude(_anthropic(fake)) as excluded,
        excluded.messages.stream(model=ANTHROPIC_MODEL, max_tokens=64, messages=MESSAGES) as stream,
    ):
        assert stream.get_final_text() == "a b c"
    assert _recorded_models(recorded) == ([], [])


def test_an_excluded_clients_calls_are_not_steps_of_the_run_nor_against_its_budget(recorded, fake):
    with (
        agent_telemetry.exclude(_openai(fake)) as excluded,
        _openai(fake) as other,
        agent_run("bot", max_steps=1) as run,
    ):
        _chat(other)
        for _ in range(3):
            _chat(excluded)  # the run is at its budget: an instrumented client would be stopped
    assert run.steps == 1
    assert len(fake.requests) == 4


def test_an_excluded_clients_tool_runner_calls_are_not_recorded_but_its_tools_are(recorded, fake):
    @anthropic.beta_tool
    def lookup_order(order_id: int) -> str:
        """Look up an order by its number."""
        return f"order {order_id}: shipped"

    fake.enqueue(
        Reply(tool_calls=[ToolCall("lookup_order", {"order_id": 7})]),
        Reply(text="Done."),
        provider="anthropic",
    )
    with agent_telemetry.exclude(_anthropic(fake)) as excluded:
        runner = excluded.beta.messages.tool_runner(
            model=ANTHROPIC_MODEL, max_tokens=64, messages=MESSAGES, tools=[lookup_order]
        )
        runner.until_done()
    assert len(fake.requests) == 2
    assert [span.name for span in recorded.spans()] == ["execute_tool lookup_order"]
    assert recorded.points("agent.requests") == []


def test_a_copy_of_an_excluded_client_is_instrumented(recorded, fake):
    with agent_telemetry.exclude(_openai(fake)) as excluded:
        copy = excluded.with_options(timeout=30)
        _chat(copy)
    assert _recorded_models(recorded) == ([OPENAI_MODEL], [OPENAI_MODEL])


def test_exclusion_ends_with_the_client(recorded, fake):
    client = agent_telemetry.exclude(_openai(fake))
    client.close()
    del client
    gc.collect()
    assert _exclusion._excluded == {}


def test_excluding_something_that_is_not_a_client_logs_why_and_returns_it(caplog):
    with caplog.at_level(logging.WARNING, logger="agent_telemetry"):
        assert agent_telemetry.exclude("openai") == "openai"
    assert caplog.messages == [
        "agent_telemetry.exclude: str is not an SDK client (it cannot be weakly referenced); "
        "pass the openai or anthropic client object"
    ]
