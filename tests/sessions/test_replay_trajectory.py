"""``agent-telemetry replay`` of a full trajectory: messages, tool calls with arguments and results,
actions with parameters and screenshot metadata, step by step, exact output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent_telemetry import agent_run, tool
from agent_telemetry.cli import main
from agent_telemetry.tooling.fake_provider import Reply, ToolCall
from tests.sessions.conftest import write_recording

NAME = "20250301T093005Z-computer-bot-t1.jsonl"


def at(t: float, kind: str, **fields: Any) -> dict[str, Any]:
    return {"t": t, "ts": "2025-03-01T09:30:05.000Z", "kind": kind, **fields}


CALL = {"provider": "anthropic", "operation": "chat", "model": "claude-sonnet-4-5", "duration_s": 0.5}
TOKENS = {"input": 100, "output": 20, "cache_read": 0, "cache_write": 0}
EVENTS = [
    at(0.0, "run_start", agent="computer-bot", run_id="t1", budget=None),
    at(0.5, "tool_request", tool="lookup_order"),
    at(
        0.5,
        "llm_call",
        **CALL,
        step=True,
        tokens=TOKENS,
        cost_usd=0.001,
        system="You help customers.",
        input=[{"role": "user", "content": "Where is order 7?\nIt was due Monday."}],
        input_from=0,
        output=[
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me check."},
                    {"type": "tool_use", "id": "tu1", "name": "lookup_order", "input": {"order_id": 7}},
                ],
            }
        ],
    ),
    at(
        0.75,
        "tool",
        tool="lookup_order",
        duration_s=0.25,
        error=None,
        arguments={"order_id": 7},
        result="shipped",
    ),
    at(0.8, "action_request", action="click", parameters={"action": "left_click", "coordinate": [100, 200]}),
    at(
        0.9,
        "action",
        action="click",
        duration_s=0.1,
        outcome="success",
        parameters={"coordinate": [100, 200]},
    ),
    at(1.0, "screenshot", bytes=86221, media_type="image/png", width=1280, height=800),
    at(
        1.5,
        "llm_call",
        **CALL,
        step=True,
        tokens=TOKENS,
        cost_usd=0.001,
        input=[
            {"role": "assistant", "content": [{"type": "text", "text": "Let me check."}]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "tu1", "content": "shipped"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "tu2",
                        "content": [{"type": "image", "bytes": 86221}],
                    },
                ],
            },
        ],
        input_from=1,
        output=[{"role": "assistant", "content": [{"type": "text", "text": "It shipped, key [REDACTED]."}]}],
    ),
    at(1.6, "run_end", status="success", duration_s=1.6, steps=2, tokens=240, cost_usd=0.002, error=None),
]

REPLAY = """\
agent     computer-bot
run id    t1
started   2025-03-01 09:30:05 UTC
status    success
duration  1.60s
steps     2
cost      $0.0020

  +0.000s  run_start       computer-bot  run t1
  +0.500s  tool_request    lookup_order
  +0.500s  llm_call        anthropic claude-sonnet-4-5  in=100 out=20  $0.0010  0.50s
                           > system: You help customers.
                           > user: Where is order 7?
                               It was due Monday.
                           < assistant: Let me check.
                           < assistant: lookup_order({"order_id":7})
  +0.750s  tool            lookup_order  0.25s
                           arguments: {"order_id":7}
                           result: shipped
  +0.800s  action_request  click  {"action":"left_click","coordinate":[100,200]}
  +0.900s  action          click  success  0.10s  {"coordinate":[100,200]}
  +1.000s  screenshot      84.2 KiB  image/png 1280x800
  +1.500s  llm_call        anthropic claude-sonnet-4-5  in=100 out=20  $0.0010  0.50s
                           > (1 earlier message, as sent before)
                           > assistant: Let me check.
                           > tool result tu1: shipped
                           > tool result tu2: [image 86221 B]
                           < assistant: It shipped, key [REDACTED].
  +1.600s  run_end         success  1.60s  steps=2 tokens=240  $0.0020
"""


def test_replay_shows_the_conversation_step_by_step(tmp_path: Path, capsys):
    path = write_recording(tmp_path / NAME, EVENTS)
    assert main(["replay", str(path)]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (REPLAY, "")


def test_replay_of_openai_shapes_shows_tool_calls_results_and_computer_actions(tmp_path: Path, capsys):
    chat_call = {**CALL, "provider": "openai", "model": "gpt-4o-mini", "step": True, "tokens": None}
    path = write_recording(
        tmp_path / NAME,
        [
            at(
                0.1,
                "llm_call",
                **chat_call,
                input=[
                    {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
                    {"role": "tool", "tool_call_id": "c0", "content": "18C"},
                ],
                input_from=0,
                output=[
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {"id": "c1", "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}
                        ],
                    }
                ],
            ),
            at(
                0.2,
                "llm_call",
                **chat_call,
                input=[
                    {"type": "function_call_output", "call_id": "c1", "output": "18C"},
                    {
                        "type": "computer_call_output",
                        "call_id": "c2",
                        "output": {"type": "computer_screenshot", "bytes": 512},
                    },
                ],
                input_from=3,
                output=[
                    {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Click the button."}]},
                    {"type": "computer_call", "call_id": "c3", "action": {"type": "click", "x": 1, "y": 2}},
                    {"type": "function_call", "call_id": "c4", "name": "search", "arguments": '{"q":"x"}'},
                    {
                        "type": "message",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": "Done."}],
                    },
                ],
            ),
        ],
    )
    assert main(["replay", "--kind", "llm_call", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[lines.index("") + 1 :] == [
        "  +0.100s  llm_call  openai gpt-4o-mini  0.50s",
        "                     > user: Weather?",
        "                     > tool result c0: 18C",
        '                     < assistant: get_weather({"city":"Oslo"})',
        "  +0.200s  llm_call  openai gpt-4o-mini  0.50s",
        "                     > (3 earlier messages, as sent before)",
        "                     > tool result c1: 18C",
        "                     > tool result c2: [computer_screenshot 512 B]",
        "                     < assistant reasoning: Click the button.",
        '                     < assistant: computer {"type":"click","x":1,"y":2}',
        '                     < assistant: search({"q":"x"})',
        "                     < assistant: Done.",
    ]


def test_a_recorded_run_of_real_calls_replays_with_its_conversation(
    record_dir, recorded_with, fake, openai_client, capsys
):
    recorded_with(capture_content=True, record_dir=str(record_dir))

    @tool
    def get_weather(city: str) -> str:
        return "18C"

    fake.enqueue(
        Reply(tool_calls=[ToolCall("get_weather", {"city": "Oslo"}, id="c1")]), Reply(text="It is 18C.")
    )
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather in Oslo?"}]
    with agent_run("weather-bot", run_id="w1"):
        first = (
            openai_client.chat.completions.create(model="gpt-4o-mini", messages=messages).choices[0].message
        )
        messages.append(first.model_dump(exclude_none=True))
        messages.append({"role": "tool", "tool_call_id": "c1", "content": get_weather("Oslo")})
        openai_client.chat.completions.create(model="gpt-4o-mini", messages=messages)

    (path,) = record_dir.glob("*.jsonl")
    assert main(["replay", str(path)]) == 0
    content = [line.strip() for line in capsys.readouterr().out.splitlines() if line.startswith(" " * 10)]
    assert content == [
        "> user: Weather in Oslo?",
        '< assistant: get_weather({"city":"Oslo"})',
        'arguments: {"city":"Oslo"}',
        "result: 18C",
        "> (1 earlier message, as sent before)",
        '> assistant: get_weather({"city":"Oslo"})',
        "> tool result c1: 18C",
        "< assistant: It is 18C.",
    ]
