"""Message content only on opt-in, and images never, not even then."""

import base64
import json

from agent_telemetry.tooling.fake_provider import Reply

SCREENSHOT = base64.b64encode(bytes(300)).decode()
MESSAGES = [
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is on the screen?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{SCREENSHOT}"}},
        ],
    }
]


def test_no_content_by_default(recorded, fake, openai_client):
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    attributes = recorded.span().attributes
    assert "gen_ai.input.messages" not in attributes
    assert "gen_ai.output.messages" not in attributes


def test_no_api_key_or_header_anywhere(recorded, fake, openai_client):
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    everything = json.dumps({k: str(v) for k, v in recorded.span().attributes.items()})
    assert "sk-test-secret" not in everything
    assert "Bearer" not in everything


def test_opt_in_records_messages_with_images_replaced_by_their_size(fake, openai_client, recorded_with):
    recorded = recorded_with(capture_content=True)
    fake.enqueue(Reply(text="A settings dialog."))
    openai_client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    attributes = recorded.span().attributes
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is on the screen?"},
                {"type": "image_url", "bytes": 300},
            ],
        }
    ]
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "content": "A settings dialog.", "annotations": []}
    ]
    assert SCREENSHOT not in str(dict(attributes))


def test_opt_in_records_streamed_output(fake, anthropic_client, recorded_with):
    recorded = recorded_with(capture_content=True)
    fake.enqueue(Reply(text="one two three", chunks=3))
    with anthropic_client.messages.stream(
        model="claude-haiku-4-5",
        max_tokens=64,
        system="Be brief.",
        messages=[{"role": "user", "content": "Count."}],
    ) as stream:
        stream.until_done()
    attributes = recorded.span().attributes
    assert json.loads(attributes["gen_ai.input.messages"]) == [{"role": "user", "content": "Count."}]
    assert json.loads(attributes["gen_ai.system_instructions"]) == "Be brief."
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "content": "one two three"}
    ]
