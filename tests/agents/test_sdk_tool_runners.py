"""The SDKs' own tool runners, measured with no code of the application's: anthropic's
``beta.messages.tool_runner`` and openai's Responses tool runner and computer toolset."""

import anthropic
import anthropic.tools
import pytest
from opentelemetry.trace import StatusCode

from agent_telemetry import agent_run
from agent_telemetry.tooling.fake_provider import ComputerAction, Reply, ToolCall

MODEL = "claude-haiku-4-5"
MESSAGES = [{"role": "user", "content": "Where is order 7?"}]


@anthropic.beta_tool
def lookup_order(order_id: int) -> str:
    """Look up an order by its number."""
    return f"order {order_id}: shipped"


@anthropic.beta_tool
def cancel_order(order_id: int) -> str:
    """Cancel an order."""
    raise RuntimeError("the order service is down")


@anthropic.beta_async_tool
async def track_parcel(order_id: int) -> str:
    """Where the parcel of an order is."""
    return "in Oslo"


def run_anthropic_tools(fake, client, *calls: ToolCall, tools: list) -> None:
    fake.enqueue(Reply(tool_calls=list(calls)), Reply(text="Done."), provider="anthropic")
    client.beta.messages.tool_runner(model=MODEL, max_tokens=256, messages=MESSAGES, tools=tools).until_done()


def test_a_tool_run_by_the_anthropic_tool_runner_is_counted_and_timed(recorded, fake, anthropic_client):
    run_anthropic_tools(
        fake, anthropic_client, ToolCall("lookup_order", {"order_id": 7}), tools=[lookup_order]
    )

    assert recorded.value("agent.tools.calls", gen_ai__tool__name="lookup_order") == 1
    assert recorded.count("agent.tool.duration") == 1
    assert recorded.points("agent.tools.errors") == []


def test_the_anthropic_tool_runner_tool_gets_an_execute_tool_span_between_the_two_calls(
    recorded, fake, anthropic_client
):
    run_anthropic_tools(
        fake, anthropic_client, ToolCall("lookup_order", {"order_id": 7}), tools=[lookup_order]
    )

    assert [span.name for span in recorded.spans()] == [
        f"chat {MODEL}",
        "execute_tool lookup_order",
        f"chat {MODEL}",
    ]


def test_a_tool_that_raises_inside_the_anthropic_tool_runner_is_a_tool_error(
    recorded, fake, anthropic_client
):
    run_anthropic_tools(
        fake, anthropic_client, ToolCall("cancel_order", {"order_id": 7}), tools=[cancel_order]
    )

    assert (
        recorded.value("agent.tools.errors", gen_ai__tool__name="cancel_order", error__type="tool_error") == 1
    )
    (tool_span,) = [span for span in recorded.spans() if span.name == "execute_tool cancel_order"]
    assert (tool_span.status.status_code, tool_span.attributes["error.type"]) == (
        StatusCode.ERROR,
        "tool_error",
    )


def test_anthropic_tool_runner_tools_inside_a_run_carry_the_run_agent_name(recorded, fake, anthropic_client):
    with agent_run("order-bot"):
        run_anthropic_tools(
            fake, anthropic_client, ToolCall("lookup_order", {"order_id": 7}), tools=[lookup_order]
        )

    assert (
        recorded.value(
            "agent.tools.calls", gen_ai__agent__name="order-bot", gen_ai__tool__name="lookup_order"
        )
        == 1
    )


@pytest.mark.anyio
async def test_an_async_tool_run_by_the_async_anthropic_tool_runner(recorded, fake, async_anthropic_client):
    fake.enqueue(
        Reply(tool_calls=[ToolCall("track_parcel", {"order_id": 7})]),
        Reply(text="Done."),
        provider="anthropic",
    )
    runner = async_anthropic_client.beta.messages.tool_runner(
        model=MODEL, max_tokens=256, messages=MESSAGES, tools=[track_parcel]
    )
    await runner.until_done()

    assert recorded.value("agent.tools.calls", gen_ai__tool__name="track_parcel") == 1


def test_the_anthropic_tool_runner_keeps_its_own_tool_span_with_native_spans_on(
    recorded_with, fake, anthropic_client
):
    recorded = recorded_with(anthropic_native_spans=True)
    run_anthropic_tools(
        fake, anthropic_client, ToolCall("lookup_order", {"order_id": 7}), tools=[lookup_order]
    )

    assert recorded.value("agent.tools.calls", gen_ai__tool__name="lookup_order") == 1
    assert [span.name for span in recorded.spans() if "execute_tool" in span.name] == []


# -- openai ----------------------------------------------------------------------------------------
LOOKUP_ORDER_TOOL = {
    "type": "function",
    "name": "lookup_order",
    "description": "Look up an order by its number.",
    "strict": True,
    "parameters": {
        "type": "object",
        "properties": {"order_id": {"type": "integer"}},
        "required": ["order_id"],
        "additionalProperties": False,
    },
}


def run_openai_function(fake, client, execute) -> None:
    from openai.lib.responses_tool_runner import RegisteredFunction, ResponsesToolRunner

    fake.enqueue(
        Reply(tool_calls=[ToolCall("lookup_order", {"order_id": 7})]), Reply(text="Done."), provider="openai"
    )
    runner = ResponsesToolRunner(functions=[RegisteredFunction(tool=LOOKUP_ORDER_TOOL, execute=execute)])
    runner.run(client, {"model": "gpt-4o-mini", "input": "Where is order 7?"})


def test_a_function_run_by_the_openai_responses_tool_runner_is_counted_and_timed(
    recorded, fake, openai_client
):
    run_openai_function(fake, openai_client, lambda arguments: "shipped")

    assert recorded.value("agent.tools.calls", gen_ai__tool__name="lookup_order") == 1
    assert recorded.count("agent.tool.duration") == 1
    assert recorded.points("agent.tools.errors") == []


def test_the_openai_tool_runner_function_gets_an_execute_tool_span_between_the_two_calls(
    recorded, fake, openai_client
):
    run_openai_function(fake, openai_client, lambda arguments: "shipped")

    spans = sorted(recorded.spans(), key=lambda span: span.start_time)
    assert [span.name for span in spans] == [
        "chat gpt-4o-mini",
        "execute_tool lookup_order",
        "chat gpt-4o-mini",
    ]


def test_a_function_that_raises_inside_the_openai_tool_runner_is_a_driver_failed_tool_error(
    recorded, fake, openai_client
):
    from openai.lib.responses_tool_runner import ToolRunnerError

    def execute(arguments):
        raise RuntimeError("the order service is down")

    with pytest.raises(ToolRunnerError):
        run_openai_function(fake, openai_client, execute)

    assert (
        recorded.value("agent.tools.errors", gen_ai__tool__name="lookup_order", error__type="driver_failed")
        == 1
    )


class ScriptedScreen:
    """A computer driver over a pretend screen: it remembers what it was asked to do."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.done: list[str] = []
        self.fail_on = fail_on

    def _act(self, name: str) -> None:
        if name == self.fail_on:
            raise OSError(f"{name} failed")
        self.done.append(name)

    def click(self, action) -> None:
        self._act("click")

    def double_click(self, action) -> None:
        self._act("double_click")

    def drag(self, action) -> None:
        self._act("drag")

    def keypress(self, action) -> None:
        self._act("keypress")

    def move(self, action) -> None:
        self._act("move")

    def scroll(self, action) -> None:
        self._act("scroll")

    def type(self, action) -> None:
        self._act("type")

    def wait(self, action) -> None:
        self._act("wait")

    def screenshot(self) -> dict:
        self.done.append("screenshot")
        return {"type": "computer_screenshot", "image_url": "data:image/png;base64,iVBORw0KGgo="}


def run_computer_toolset(fake, client, screen: ScriptedScreen) -> None:
    from openai.lib.computer import ComputerToolset

    fake.enqueue(
        Reply(computer_actions=[ComputerAction.click(10, 20), ComputerAction.type_text("hello")]),
        Reply(text="Done."),
        provider="openai",
    )
    ComputerToolset(screen).run(
        client, {"model": "gpt-4o-mini", "input": "Fill in the form", "tools": [{"type": "computer"}]}
    )


def test_actions_executed_by_the_openai_computer_toolset_are_timed_by_type_and_outcome(
    recorded, fake, openai_client
):
    screen = ScriptedScreen()
    run_computer_toolset(fake, openai_client, screen)

    executed = sorted(
        (a["action"], a["outcome"], p.count) for a, p in recorded.points("agent.action.duration")
    )
    # The fake provider sends one computer_call per action; the toolset screenshots after each call.
    assert (screen.done, executed) == (
        ["click", "screenshot", "type", "screenshot"],
        [("click", "success", 1), ("screenshot", "success", 2), ("type", "success", 1)],
    )


def test_a_driver_failure_in_the_openai_computer_toolset_is_a_failed_action(recorded, fake, openai_client):
    with pytest.raises(OSError):
        run_computer_toolset(fake, openai_client, ScriptedScreen(fail_on="type"))

    executed = sorted(
        (a["action"], a["outcome"], p.count) for a, p in recorded.points("agent.action.duration")
    )
    assert executed == [("click", "success", 1), ("screenshot", "success", 1), ("type", "failure", 1)]


class ScriptedDesktop(anthropic.tools.BetaAbstractComputerToolset20260801):
    """A computer toolset over a pretend desktop that can click and take screenshots."""

    def __init__(self, fail_clicks: bool = False) -> None:
        super().__init__()
        self.fail_clicks = fail_clicks

    def left_click(self, context, input) -> None:
        if self.fail_clicks:
            raise OSError("the pointer is stuck")

    def screenshot(self, context, input) -> anthropic.tools.BetaScreenshotResult:
        return anthropic.tools.BetaScreenshotResult(data="iVBORw0KGgo=")


def run_anthropic_desktop(fake, client, desktop: ScriptedDesktop) -> None:
    run_anthropic_tools(
        fake,
        client,
        ToolCall("left_click", {"coordinate": [10, 20]}, toolset="computer"),
        ToolCall("screenshot", {}, toolset="computer"),
        tools=[desktop],
    )


def test_actions_run_by_the_anthropic_computer_toolset_are_timed_by_type_and_outcome(
    recorded, fake, anthropic_client
):
    run_anthropic_desktop(fake, anthropic_client, ScriptedDesktop())

    executed = sorted(
        (a["action"], a["outcome"], p.count) for a, p in recorded.points("agent.action.duration")
    )
    assert executed == [("click", "success", 1), ("screenshot", "success", 1)]
    assert recorded.points("agent.tools.calls") == []


def test_a_failing_action_of_the_anthropic_computer_toolset_is_a_failure(recorded, fake, anthropic_client):
    run_anthropic_desktop(fake, anthropic_client, ScriptedDesktop(fail_clicks=True))

    executed = sorted(
        (a["action"], a["outcome"], p.count) for a, p in recorded.points("agent.action.duration")
    )
    # A failed member stops the rest of its toolset's calls in that turn: the screenshot never ran.
    assert executed == [("click", "failure", 1)]
