"""Scripting, recording, behaviour (fault mode), the admin endpoints and the CLI."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

import openai
import pytest

from agent_telemetry.tooling.fake_provider import (
    DEFAULT_TEXT,
    Behaviour,
    ComputerAction,
    FakeProviderServer,
    Reply,
    TokenUsage,
    ToolCall,
    input_tokens,
)
from agent_telemetry.tooling.fake_provider.cli import parse_error_rates, register

MODEL = "gpt-4o-mini"
MESSAGES = [{"role": "user", "content": "Hello"}]


def _admin(server: FakeProviderServer, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{server.base_url}{path}", data=data, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _statuses(client: openai.OpenAI, count: int) -> list[int]:
    statuses = []
    for _ in range(count):
        try:
            client.chat.completions.create(model=MODEL, messages=MESSAGES)
            statuses.append(200)
        except openai.APIStatusError as exc:
            statuses.append(exc.status_code)
    return statuses


def test_replies_are_consumed_in_order_provider_queue_first(fake, openai_client, anthropic_client):
    fake.enqueue(Reply(text="global one"), Reply(text="global two"))
    fake.enqueue(Reply(text="openai only"), provider="openai")

    texts = [openai_client.chat.completions.create(model=MODEL, messages=MESSAGES).choices[0].message.content]
    texts.append(
        anthropic_client.messages.create(model="claude-haiku-4-5", max_tokens=8, messages=MESSAGES)
        .content[0]
        .text
    )
    texts.append(
        openai_client.chat.completions.create(model=MODEL, messages=MESSAGES).choices[0].message.content
    )
    texts.append(
        openai_client.chat.completions.create(model=MODEL, messages=MESSAGES).choices[0].message.content
    )

    assert texts == ["openai only", "global one", "global two", DEFAULT_TEXT]
    assert fake.pending() == 0
    assert fake.stats()["scripted"] == 3


def test_enqueue_rejects_unknown_provider(fake):
    with pytest.raises(ValueError, match="unknown provider"):
        fake.enqueue(Reply(), provider="gemini")  # type: ignore[arg-type]


def test_requests_record_method_path_query_headers_and_body(fake, openai_client):
    openai_client.chat.completions.create(
        model=MODEL, messages=MESSAGES, extra_query={"trace": "1"}, extra_headers={"x-custom": "v"}
    )

    (request,) = fake.requests
    assert (request.method, request.path, request.query) == ("POST", "/v1/chat/completions", {"trace": "1"})
    assert request.headers["x-custom"] == "v"
    assert request.headers["authorization"] == "<redacted>"
    assert request.body == {"model": MODEL, "messages": MESSAGES}


def test_unknown_path_is_a_provider_shaped_404(fake, openai_client):
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.models.list()

    assert caught.value.body["message"] == "Unknown path GET /v1/models"
    assert fake.last_request.endpoint is None


def test_requests_without_credentials_are_unauthorized(fake):
    request = urllib.request.Request(
        f"{fake.openai_base_url}/chat/completions",
        data=json.dumps({"model": MODEL, "messages": MESSAGES}).encode(),
        headers={"content-type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)

    assert caught.value.code == 401
    assert json.loads(caught.value.read())["error"]["code"] == "invalid_api_key"


def test_reset_forgets_requests_and_replies(fake, openai_client):
    fake.enqueue(Reply(text="never used"))
    openai_client.chat.completions.create(model=MODEL, messages=MESSAGES)
    fake.enqueue(Reply(text="dropped"))

    fake.reset()

    assert fake.requests == []
    assert fake.pending() == 0
    assert fake.stats()["requests"] == 0


def test_behaviour_is_deterministic_for_a_seed():
    runs = []
    for _ in range(2):
        behaviour = Behaviour(seed=42, error_rates={429: 0.3, 500: 0.2})
        with FakeProviderServer(behaviour=behaviour) as server:
            client = openai.OpenAI(base_url=server.openai_base_url, api_key="k", max_retries=0)
            runs.append(_statuses(client, 12))
            assert server.stats()["injected_errors"] == sum(status != 200 for status in runs[-1])

    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 429, 500}


def test_behaviour_applies_only_to_unscripted_requests():
    with FakeProviderServer(behaviour=Behaviour(error_rates={503: 1.0})) as server:
        server.enqueue(Reply(text="scripted"))
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="k", max_retries=0)

        assert _statuses(client, 3) == [200, 503, 503]


def test_behaviour_rejects_bad_values():
    with pytest.raises(ValueError, match="sum to at most 1"):
        Behaviour(error_rates={429: 0.7, 500: 0.5})
    with pytest.raises(ValueError, match="HTTP error statuses"):
        Behaviour(error_rates={200: 0.1})
    with pytest.raises(ValueError, match="latency_s"):
        Behaviour(latency_s=-1)


def test_admin_behaviour_and_stats(fake, openai_client):
    status, snapshot = _admin(fake, "/_admin/behaviour", {"error_rates": {"429": 1.0}, "seed": 7})
    assert status == 200
    assert snapshot == {
        "seed": 7,
        "error_rates": {"429": 1.0},
        "latency_s": 0.0,
        "latency_jitter_s": 0.0,
        "chunk_delay_s": 0.0,
    }

    assert _statuses(openai_client, 2) == [429, 429]
    _admin(fake, "/_admin/behaviour", {"error_rates": {}, "latency_s": 0.01})
    assert _statuses(openai_client, 1) == [200]

    status, stats = _admin(fake, "/_admin/stats")
    assert status == 200
    assert stats["requests"] == 3
    assert stats["by_endpoint"] == {"openai.chat": 3}
    assert stats["by_status"] == {"200": 1, "429": 2}
    assert stats["injected_errors"] == 2
    assert stats["behaviour"]["latency_s"] == 0.01
    assert _admin(fake, "/_admin/behaviour", {"error_rates": {"429": 2}})[0] == 400
    assert _admin(fake, "/_admin/behaviour", {"nonsense": 1})[0] == 400
    assert _admin(fake, "/_admin/behaviour", {"seed": "7"})[0] == 400
    assert _admin(fake, "/_admin/nothing")[0] == 404
    # Admin calls are not recorded as API requests.
    assert [r.endpoint for r in fake.requests] == ["openai.chat"] * 3


def test_reply_text_chunks():
    assert Reply().text_chunks() == ["Hello ", "from ", "the ", "fake ", "provider."]
    assert len(Reply(chunks=50).text_chunks()) == 50
    assert Reply(chunks=7).full_text() == "Hello from the fake provider. Hello from"
    assert Reply(text="abcdefg", chunks=3).text_chunks() == ["abc", "de", "fg"]
    assert Reply(tool_calls=[ToolCall("f")]).text_chunks() == []
    with pytest.raises(ValueError):
        Reply(text="ab", chunks=3)


def test_default_usage_formula():
    body = {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "one two"}, {"type": "image"}]}]
    }
    assert input_tokens("openai.chat", body) == 12
    assert input_tokens("anthropic.messages", {**body, "system": [{"type": "text", "text": "three"}]}) == 13
    assert input_tokens("openai.responses", {"instructions": "a b", "input": "c"}) == 13
    assert input_tokens("openai.embeddings", {"input": ["a b", "c"]}) == 13
    usage = Reply(text="four words right here", tool_calls=[ToolCall("f")]).resolved_usage(30)
    assert (usage.input_tokens, usage.output_tokens, usage.cached_tokens) == (30, 14, 0)
    scripted = Reply(usage=TokenUsage(input_tokens=5, output_tokens=6, cached_tokens=2)).resolved_usage(30)
    assert (scripted.input_tokens, scripted.output_tokens, scripted.cached_tokens) == (5, 6, 2)


@pytest.mark.parametrize(
    ("action", "openai_action", "anthropic_input"),
    [
        (
            ComputerAction.click(1, 2, "right"),
            {"type": "click", "button": "right", "x": 1, "y": 2},
            {"action": "right_click", "coordinate": [1, 2]},
        ),
        (
            ComputerAction.double_click(3, 4),
            {"type": "double_click", "x": 3, "y": 4},
            {"action": "double_click", "coordinate": [3, 4]},
        ),
        (ComputerAction.type_text("hi"), {"type": "type", "text": "hi"}, {"action": "type", "text": "hi"}),
        (
            ComputerAction.keypress("ctrl", "s"),
            {"type": "keypress", "keys": ["ctrl", "s"]},
            {"action": "key", "text": "ctrl+s"},
        ),
        (
            ComputerAction.scroll(5, 6, scroll_y=3),
            {"type": "scroll", "x": 5, "y": 6, "scroll_x": 0, "scroll_y": 3},
            {"action": "scroll", "coordinate": [5, 6], "scroll_direction": "down", "scroll_amount": 3},
        ),
        (ComputerAction.screenshot(), {"type": "screenshot"}, {"action": "screenshot"}),
    ],
)
def test_computer_action_translation(action, openai_action, anthropic_input):
    assert action.openai_action() == openai_action
    assert action.anthropic_input() == anthropic_input


def test_cli_register_and_error_rates():
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))

    args = parser.parse_args(
        [
            "fake-provider",
            "--port",
            "0",
            "--seed",
            "3",
            "--latency",
            "0.1",
            "--error-rate",
            "429=0.1,529=0.05",
        ]
    )

    assert (args.port, args.seed, args.latency, args.error_rate) == (0, 3, 0.1, {429: 0.1, 529: 0.05})
    assert callable(args.handler)
    assert parse_error_rates("0.2") == {429: 0.1, 500: 0.1}
    with pytest.raises(argparse.ArgumentTypeError):
        parse_error_rates("lots")


def test_cli_serves_until_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "agent_telemetry", "fake-provider", "--seed", "1"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        urls = dict(process.stdout.readline().strip().split("=", 1) for _ in range(2))
        client = openai.OpenAI(base_url=urls["OPENAI_BASE_URL"], api_key="k", max_retries=0)
        reply = client.chat.completions.create(model=MODEL, messages=MESSAGES)
        assert reply.choices[0].message.content == DEFAULT_TEXT
        assert urls["ANTHROPIC_BASE_URL"] + "/v1" == urls["OPENAI_BASE_URL"]
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        process.stdout.close()

    assert code == 0
