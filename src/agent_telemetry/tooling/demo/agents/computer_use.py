"""The computer-use agent: Claude with Anthropic's ``computer`` tool (beta), screenshots and actions.

Each step the model asks for one action (click, type, key, scroll, screenshot); the agent "executes"
it inside ``computer_action`` (so agent_action_duration_seconds gets its real duration and outcome),
takes a screenshot and sends it back as a base64 PNG in a ``tool_result`` block. agent-telemetry
counts the requested actions and the screenshots (count and size, never content) by itself.
It is the agent of the latency-spike scenario: image-heavy calls are the ones a slow provider hurts.
Now and then the model refuses a step (a payment confirmation on screen): the run fails there, and
agent-telemetry counts the step as blocked (agent_actions_blocked_total{reason="refusal"}).
"""

from __future__ import annotations

import time
from typing import Any

from agent_telemetry import computer_action
from agent_telemetry.tooling.demo.agents.base import Agent, AgentContext
from agent_telemetry.tooling.demo.models import COMPUTER_USE_MODEL
from agent_telemetry.tooling.demo.scenarios import COMPUTER_USE
from agent_telemetry.tooling.demo.screenshots import HEIGHT, WIDTH, screenshot_base64
from agent_telemetry.tooling.fake_provider import ComputerAction, Reply

BETA = "computer-use-2025-01-24"
COMPUTER_TOOL: dict[str, Any] = {
    "type": "computer_20250124",
    "name": "computer",
    "display_width_px": WIDTH,
    "display_height_px": HEIGHT,
}
TASKS = (
    "Export last month's invoices from the billing portal as CSV.",
    "Open the team calendar and move Friday's review to 3 pm.",
    "Fill in the expense form for the train ticket in the downloads folder.",
    "Find the failing build in the CI dashboard and copy its log link.",
)
DONE = "Done. The task is complete; the last screenshot shows the result."
REFUSAL = "I can't continue: the screen asks me to confirm a payment, which I won't do on your behalf."
REFUSE_EVERY = 12  # every 12th task, from the 5th on (deterministic: the end-to-end tests rely on it)
REFUSE_FIRST = 5


class ComputerUseAgent(Agent):
    name = COMPUTER_USE
    judge_mean = 0.8  # the mean LLM-judge score of healthy runs

    def __init__(self, context: AgentContext) -> None:
        super().__init__(context)
        import anthropic

        self.client = anthropic.Anthropic(
            base_url=context.link.anthropic_base_url, api_key="demo", max_retries=0, timeout=60.0
        )
        self._frame = 0
        self._tasks = 0

    def close(self) -> None:
        self.client.close()

    def _plan(self) -> list[ComputerAction]:
        """The actions the model will ask for: look, then a few clicks, typing and keys."""
        rng = self.rng
        actions = [ComputerAction.screenshot()]
        for _ in range(rng.randint(2, 5)):
            x, y = rng.randint(20, WIDTH - 20), rng.randint(20, HEIGHT - 20)
            actions.append(
                rng.choice(
                    (
                        ComputerAction.click(x, y),
                        ComputerAction.click(x, y),
                        ComputerAction.double_click(x, y),
                        ComputerAction.type_text("march invoices"),
                        ComputerAction.keypress("ctrl", "s"),
                        ComputerAction.scroll(x, y, scroll_y=3),
                    )
                )
            )
        return actions

    def task(self) -> None:
        task = self.rng.choice(TASKS)
        plan = self._plan()
        self._tasks += 1
        refuses = self._tasks % REFUSE_EVERY == REFUSE_FIRST % REFUSE_EVERY
        refuse_at = self.rng.randrange(1, len(plan)) if refuses else None
        with self.run(max_steps=len(plan) + 3) as run:
            messages: list[dict[str, Any]] = [{"role": "user", "content": task}]
            for step in range(len(plan) + 1):
                # Screenshots are a few tokens here (small PNGs); the system prompt and tool are cached.
                usage = self.usage("anthropic", 150 + 120 * step, 60, cached=1500)
                if step == refuse_at:
                    reply = Reply(text=REFUSAL, finish_reason="refusal", usage=usage)
                elif step < len(plan):
                    reply = Reply(computer_actions=(plan[step],), usage=usage)
                else:
                    reply = Reply(text=DONE, usage=usage)
                message = self.llm(
                    "anthropic",
                    COMPUTER_USE_MODEL,
                    reply,
                    lambda: self.client.beta.messages.create(
                        model=COMPUTER_USE_MODEL,
                        max_tokens=1024,
                        tools=[COMPUTER_TOOL],  # type: ignore[list-item]
                        messages=messages,  # type: ignore[arg-type]
                        betas=[BETA],
                    ),
                )
                if message.stop_reason == "refusal":
                    run.status = "failure"
                    return
                uses = [block for block in message.content if block.type == "tool_use"]
                if not uses:
                    break
                messages.append(
                    {"role": "assistant", "content": [_block(block) for block in message.content]}
                )
                messages.append({"role": "user", "content": [self._execute(use) for use in uses]})
            self.judge(run, mean=self.judge_mean)

    def _execute(self, use: Any) -> dict[str, Any]:
        """Perform the action (a short pause stands in for the real thing) and return the screenshot."""
        action = use.input.get("action") if isinstance(use.input, dict) else None
        with computer_action(str(action)):
            time.sleep(self.rng.uniform(0.02, 0.15) * self.context.time_scale)
        self._frame += 1
        return {
            "type": "tool_result",
            "tool_use_id": use.id,
            "content": [
                {
                    "type": "image",
                    "source": {
                        "type": "base64",
                        "media_type": "image/png",
                        "data": screenshot_base64(self._frame),
                    },
                }
            ],
        }


def _block(block: Any) -> dict[str, Any]:
    """An assistant content block, as the request param it came from (only the fields the API takes)."""
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    return {"type": "text", "text": getattr(block, "text", "")}
