"""Redaction of captured content: the built-in key patterns, the application's patterns and function."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

import agent_telemetry
from agent_telemetry import agent_run
from agent_telemetry.config import Settings
from agent_telemetry.contract import SpanAttr
from agent_telemetry.redaction import redact, redact_content, use_patterns
from agent_telemetry.sessions import read_recording
from agent_telemetry.tooling.fake_provider import Reply

GPT = "gpt-4o-mini"
EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"


@pytest.fixture(autouse=True)
def no_redaction_of_our_own() -> Iterator[None]:
    """Each test starts and ends with the built-in patterns only."""
    use_patterns(())
    agent_telemetry.set_redactor(None)
    yield
    use_patterns(())
    agent_telemetry.set_redactor(None)


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "agent_telemetry" and r.levelno >= logging.WARNING
    ]


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("key sk-proj-Ab12_cd34-EF56", "key [REDACTED]"),
        ("key sk-ant-api03-Ab12cd34", "key [REDACTED]"),
        ("Authorization: Bearer eyJhbGciOi.J9.x", "Authorization: Bearer [REDACTED]"),
        ("id AKIAIOSFODNN7EXAMPLE here", "id [REDACTED] here"),
        ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG", "aws_secret_access_key=[REDACTED]"),
        (
            "https://api.example.com/v1?api_key=abc123&x=1",
            "https://api.example.com/v1?api_key=[REDACTED]&x=1",
        ),
        ("no secrets in this sentence", "no secrets in this sentence"),
    ],
    ids=["openai", "anthropic", "bearer", "aws-key-id", "aws-secret", "api-key-param", "none"],
)
def test_api_keys_are_redacted_by_default(text, redacted):
    assert redact(text) == redacted


def test_the_applications_patterns_are_redacted_too():
    use_patterns([EMAIL, r"\b\d{4}(?: \d{4}){3}\b"])
    assert redact("mail ann@example.com, card 4111 1111 1111 1111") == "mail [REDACTED], card [REDACTED]"


def test_content_is_redacted_string_by_string_and_keeps_its_shape():
    use_patterns([EMAIL])
    message = {"role": "user", "content": [{"type": "text", "text": "I am ann@example.com"}], "n": 3}
    assert redact_content(message) == {
        "role": "user",
        "content": [{"type": "text", "text": "I am [REDACTED]"}],
        "n": 3,
    }


def test_the_applications_function_runs_after_the_patterns():
    agent_telemetry.set_redactor(lambda text: text.replace("Ann", "<name>"))
    assert redact("Ann's key is sk-abc123456") == "<name>'s key is [REDACTED]"


def test_a_failing_redactor_function_redacts_everything_and_warns_once(caplog):
    caplog.set_level(logging.WARNING, logger="agent_telemetry")

    def broken(text: str) -> str:
        raise RuntimeError(f"cannot handle {text}")

    agent_telemetry.set_redactor(broken)
    assert [redact("Ann's address"), redact("Bob's address")] == ["[REDACTED]", "[REDACTED]"]
    assert warnings_of(caplog) == [
        "agent-telemetry: the redactor set with set_redactor() raised RuntimeError"
    ]


def test_a_redactor_function_that_returns_no_string_redacts_everything():
    agent_telemetry.set_redactor(lambda text: None)  # type: ignore[arg-type,return-value]
    assert redact("Ann's address") == "[REDACTED]"


def test_set_redactor_refuses_what_is_not_a_function():
    with pytest.raises(TypeError, match="set_redactor needs a function from str to str, got str"):
        agent_telemetry.set_redactor("[REDACTED]")  # type: ignore[arg-type]


# -- configuration ----------------------------------------------------------------------------------
def test_one_pattern_is_read_from_the_environment():
    settings, problems = Settings.read({"AGENT_TELEMETRY_REDACT_PATTERNS": r"\d{3,4}-\d{4}"})
    assert (settings.redact_patterns, problems) == ((r"\d{3,4}-\d{4}",), [])


def test_several_patterns_are_read_as_a_json_list():
    raw = json.dumps([EMAIL, r"\bORD-\d+\b"])
    settings, problems = Settings.read({"AGENT_TELEMETRY_REDACT_PATTERNS": raw})
    assert (settings.redact_patterns, problems) == ((EMAIL, r"\bORD-\d+\b"), [])


def test_an_invalid_pattern_is_one_warning_line_and_the_others_are_kept():
    settings, problems = Settings.read(
        {"AGENT_TELEMETRY_REDACT_PATTERNS": json.dumps(["(unclosed", EMAIL, "x*"])}
    )
    assert settings.redact_patterns == (EMAIL,)
    assert problems == [
        "AGENT_TELEMETRY_REDACT_PATTERNS='(unclosed' is not a valid regular expression "
        "(missing ), unterminated subpattern at position 0); ignored",
        "AGENT_TELEMETRY_REDACT_PATTERNS='x*' matches the empty string; ignored",
    ]


def test_record_screenshots_without_content_capture_says_it_has_no_effect():
    settings, problems = Settings.read({"AGENT_TELEMETRY_RECORD_SCREENSHOTS": "true"})
    assert settings.record_screenshots is True
    assert problems == [
        "AGENT_TELEMETRY_RECORD_SCREENSHOTS=true has no effect without "
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true; no screenshots are recorded"
    ]


def test_a_pattern_given_in_code_that_does_not_compile_is_one_warning_and_ignored(caplog):
    caplog.set_level(logging.WARNING, logger="agent_telemetry")
    use_patterns(["[oops", EMAIL])
    assert redact("ann@example.com [oops") == "[REDACTED] [oops"
    assert warnings_of(caplog) == [
        "agent-telemetry: redact pattern '[oops' is not a valid regular expression "
        "(unterminated character set at position 0); ignored"
    ]


# -- where it applies ---------------------------------------------------------------------------------
def test_configured_patterns_apply_to_span_content_and_recordings_alike(
    tmp_path, recorded_with, fake, openai_client
):
    recorded = recorded_with(capture_content=True, redact_patterns=(EMAIL,), record_dir=str(tmp_path))
    fake.enqueue(Reply(text="Mailed ann@example.com."))
    with agent_run("mailer"):
        openai_client.chat.completions.create(
            model=GPT, messages=[{"role": "user", "content": "Mail ann@example.com"}]
        )

    (call_span,) = [span for span in recorded.spans() if span.name == f"chat {GPT}"]
    assert json.loads(call_span.attributes[SpanAttr.INPUT_MESSAGES]) == [
        {"role": "user", "content": "Mail [REDACTED]"}
    ]
    assert json.loads(call_span.attributes[SpanAttr.OUTPUT_MESSAGES])[0]["content"] == "Mailed [REDACTED]."
    (path,) = tmp_path.glob("*.jsonl")
    assert "ann@example.com" not in path.read_text()
    (call,) = [event for event in read_recording(path).events if event["kind"] == "llm_call"]
    assert call["output"][0]["content"] == "Mailed [REDACTED]."


def test_a_failing_redactor_function_never_reaches_the_application(
    tmp_path, recorded_with, fake, openai_client
):
    recorded_with(capture_content=True, record_dir=str(tmp_path))
    agent_telemetry.set_redactor(lambda text: 1 / 0)  # type: ignore[arg-type,return-value]
    fake.enqueue(Reply(text="Fine."))
    with agent_run("mailer"):
        reply = openai_client.chat.completions.create(
            model=GPT, messages=[{"role": "user", "content": "Mail ann@example.com"}]
        )

    assert reply.choices[0].message.content == "Fine."
    (path,) = tmp_path.glob("*.jsonl")
    (call,) = [event for event in read_recording(path).events if event["kind"] == "llm_call"]
    assert (call["input"], call["output"][0]["content"]) == (
        [{"role": "user", "content": "[REDACTED]"}],
        "[REDACTED]",
    )
