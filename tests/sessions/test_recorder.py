"""The recorder: real runs written to JSON Lines, screenshots to files, failures kept from the app."""

from __future__ import annotations

import base64
import contextvars
import json
import logging
import os
import re
import stat
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import agent_telemetry
from agent_telemetry import agent_run
from agent_telemetry.sessions import read_recording
from agent_telemetry.tooling.fake_provider import Reply, TokenUsage
from tests.sessions.conftest import LLM_CALL, record_into

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # not a real image: the bytes only have to survive


def only_file(directory: Path) -> Path:
    (path,) = directory.glob("*.jsonl")
    return path


def untimed(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events without their clock fields and measured durations, which differ on every run."""
    result = []
    for event in events:
        event = {key: value for key, value in event.items() if key not in ("t", "ts")}
        if event["kind"] in ("tool", "run_end"):
            assert isinstance(event.pop("duration_s"), float)
        result.append(event)
    return result


def test_a_run_is_recorded_event_by_event_and_read_back_exactly(record_dir):
    with agent_run("support-bot", max_cost_usd=0.5, max_steps=10, run_id="run-1") as run:
        run.emit("llm_call", LLM_CALL)
        with agent_telemetry.tool_call("search"):
            pass
        with pytest.raises(LookupError), agent_telemetry.tool_call("lookup_order"):
            raise LookupError("no such order")
        agent_telemetry.record_quality(0.8, evaluator="judge")
        agent_telemetry.record_action("left_click", duration_s=0.1)

    path = only_file(record_dir)
    assert re.fullmatch(r"\d{8}T\d{6}Z-support-bot-run-1\.jsonl", path.name)
    recording = read_recording(path)
    assert recording.problem is None
    assert untimed(recording.events) == [
        {
            "kind": "run_start",
            "agent": "support-bot",
            "version": None,
            "run_id": "run-1",
            "budget": {"max_cost_usd": 0.5, "max_steps": 10},
        },
        {"kind": "llm_call", **LLM_CALL},
        {"kind": "tool", "tool": "search", "error": None},
        {"kind": "tool", "tool": "lookup_order", "error": "LookupError"},
        {"kind": "quality", "evaluator": "judge", "score": 0.8},
        {"kind": "action", "action": "click", "duration_s": 0.1, "outcome": "success"},
        # emit() does not count steps: the SDK instrumentation does (through Run.add_call).
        {"kind": "run_end", "status": "success", "steps": 0, "tokens": 0, "cost_usd": 0.0, "error": None},
    ]
    times = [event["t"] for event in recording.events]
    assert times == sorted(times) and times[0] >= 0
    for event in recording.events:
        assert datetime.fromisoformat(event["ts"].replace("Z", "+00:00")).utcoffset().total_seconds() == 0
    summary = recording.summary
    assert (summary.agent, summary.run_id, summary.status, summary.events) == (
        "support-bot",
        "run-1",
        "success",
        7,
    )


def test_an_instrumented_sdk_call_is_recorded_without_init(record_dir, recorded_with, fake, openai_client):
    # Both SDKs instrumented directly, as an application without init() would, with settings in code.
    recorded_with(record_dir=str(record_dir))
    fake.enqueue(Reply(usage=TokenUsage(input_tokens=1000, output_tokens=100)))
    with agent_run("support-bot", run_id="run-3"):
        openai_client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    (_, call, _) = read_recording(only_file(record_dir)).events
    assert {key: call[key] for key in ("kind", "provider", "operation", "model", "step", "tokens")} == {
        "kind": "llm_call",
        "provider": "openai",
        "operation": "chat",
        "model": "gpt-4o-mini",
        "step": True,
        "tokens": {"input": 1000, "output": 100, "cache_read": 0, "cache_write": 0},
    }


def test_a_failing_run_records_its_status_and_the_class_of_its_error_not_its_message(record_dir):
    with pytest.raises(RuntimeError), agent_run("support-bot", run_id="run-2"):
        raise RuntimeError("Invalid prompt: the secret merger plan")
    end = read_recording(only_file(record_dir)).events[-1]
    assert (end["kind"], end["status"], end["error"]) == ("run_end", "failure", "RuntimeError")


def test_with_content_capture_a_failing_run_records_its_message_with_keys_redacted(record_dir, recorded_with):
    recorded_with(capture_content=True, record_dir=str(record_dir))
    with pytest.raises(RuntimeError), agent_run("support-bot", run_id="run-3"):
        raise RuntimeError("Incorrect API key provided: sk-abc123def456. Bearer tok_987")
    end = read_recording(only_file(record_dir)).events[-1]
    assert end["error"] == "RuntimeError: Incorrect API key provided: [REDACTED]. Bearer [REDACTED]"


def test_settings_given_in_code_choose_the_recording_directory(tmp_path, monkeypatch, recorded_with):
    monkeypatch.delenv("AGENT_TELEMETRY_RECORD_DIR", raising=False)
    recorded_with(record_dir=str(tmp_path / "from-code"))
    with agent_run("support-bot", run_id="run-4"):
        pass
    assert [event["kind"] for event in read_recording(only_file(tmp_path / "from-code")).events] == [
        "run_start",
        "run_end",
    ]


def test_each_line_is_on_disk_while_the_run_is_still_going(record_dir):
    with agent_run("support-bot", run_id="live") as run:
        run.emit("llm_call", LLM_CALL)
        recording = read_recording(only_file(record_dir))
        assert [event["kind"] for event in recording.events] == ["run_start", "llm_call"]
        assert recording.summary.status == "incomplete"
        assert (recording.summary.steps, recording.summary.cost_usd) == (1, 0.0041)


def test_agent_names_and_run_ids_are_made_safe_for_file_names(record_dir):
    with agent_run("../support bot/é", run_id="a/b c"):
        pass
    path = only_file(record_dir)
    assert path.parent == record_dir
    assert re.fullmatch(r"\d{8}T\d{6}Z-support_bot-a_b_c\.jsonl", path.name)
    assert read_recording(path).summary.agent == "../support bot/é"  # the real name is in the file


def test_a_reused_run_id_never_overwrites_an_earlier_recording(record_dir):
    for _ in range(3):
        with agent_run("support-bot", run_id="same"):
            pass
    assert len(list(record_dir.glob("*.jsonl"))) == 3


@pytest.mark.parametrize(
    ("image", "suffix"),
    [
        (
            {
                "type": "image",
                "source": {
                    "type": "base64",
                    "media_type": "image/png",
                    "data": base64.b64encode(PNG).decode(),
                },
            },
            "png",
        ),
        (
            {
                "type": "computer_screenshot",
                "image_url": "data:image/jpeg;base64," + base64.b64encode(PNG).decode(),
            },
            "jpg",
        ),
    ],
    ids=["anthropic", "openai"],
)
def test_a_screenshot_with_its_image_is_written_to_its_own_file(record_dir, pixels, image, suffix):
    with agent_run("computer-bot", run_id="cu-1") as run:
        run.emit("screenshot", {"bytes": len(PNG), "image": image})
        run.emit("screenshot", {"bytes": len(PNG), "image": image})

    path = only_file(record_dir)
    shots = [event for event in read_recording(path).events if event["kind"] == "screenshot"]
    folder = path.with_suffix("")
    assert [(shot["image_file"], shot["image_bytes"], shot["bytes"]) for shot in shots] == [
        (f"{folder.name}/screenshot-0001.{suffix}", len(PNG), len(PNG)),
        (f"{folder.name}/screenshot-0002.{suffix}", len(PNG), len(PNG)),
    ]
    assert (record_dir / shots[0]["image_file"]).read_bytes() == PNG
    assert (record_dir / shots[1]["image_file"]).read_bytes() == PNG
    text = path.read_text()
    assert base64.b64encode(PNG).decode()[:40] not in text
    assert '"image"' not in text


def test_recordings_and_screenshots_are_private_to_their_owner(record_dir, pixels):
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": ""}}
    image["source"]["data"] = base64.b64encode(PNG).decode()
    with agent_run("computer-bot", run_id="cu-1") as run:
        run.emit("screenshot", {"bytes": len(PNG), "image": image})

    path = only_file(record_dir)
    (shot,) = path.with_suffix("").iterdir()
    modes = [stat.S_IMODE(p.stat().st_mode) for p in (record_dir, path, path.with_suffix(""), shot)]
    assert modes == [0o700, 0o600, 0o700, 0o600]


def test_a_screenshot_without_its_image_records_only_its_size(record_dir):
    with agent_run("computer-bot", run_id="cu-2") as run:
        run.emit("screenshot", {"bytes": 86221})
    path = only_file(record_dir)
    (shot,) = [event for event in read_recording(path).events if event["kind"] == "screenshot"]
    assert {key: value for key, value in shot.items() if key not in ("t", "ts")} == {
        "kind": "screenshot",
        "bytes": 86221,
    }
    assert not path.with_suffix("").exists()


def test_an_image_that_is_not_inline_base64_is_noted_and_not_written(record_dir, pixels):
    with agent_run("computer-bot", run_id="cu-3") as run:
        run.emit(
            "screenshot", {"bytes": 10, "image": {"type": "image", "source": {"type": "url", "url": "x"}}}
        )
    path = only_file(record_dir)
    shot = read_recording(path).events[1]
    assert (shot["bytes"], shot["image_skipped"]) == (10, "not an inline base64 image")
    assert not path.with_suffix("").exists()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "agent_telemetry" and r.levelno >= logging.WARNING
    ]


def test_a_recording_directory_that_cannot_be_created_warns_once_and_the_run_goes_on(
    tmp_path, monkeypatch, caplog
):
    caplog.set_level(logging.WARNING, logger="agent_telemetry")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    record_into(blocker / "recordings", monkeypatch)

    with agent_run("support-bot", run_id="run-1") as run:
        run.emit("llm_call", LLM_CALL)
        with agent_telemetry.tool_call("search"):
            result = "found"
    assert result == "found"
    (warning,) = warnings_of(caplog)
    assert warning.startswith(
        f"agent-telemetry: cannot record run run-1 of support-bot in {blocker / 'recordings'}"
    )
    assert warning.endswith("the run goes on unrecorded")


def test_a_write_failing_mid_run_warns_once_and_stops_that_recording(record_dir, pixels, caplog):
    caplog.set_level(logging.WARNING, logger="agent_telemetry")
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "aGVsbG8="}}
    with agent_run("computer-bot", run_id="cu-4") as run:
        path = only_file(record_dir)
        path.with_suffix("").write_text("a file where the screenshot folder goes")  # mkdir will fail
        run.emit("screenshot", {"bytes": 5, "image": image})
        run.emit("screenshot", {"bytes": 5, "image": image})
        with agent_telemetry.tool_call("search"):
            pass

    (warning,) = warnings_of(caplog)
    assert warning.startswith(f"agent-telemetry: stopped recording to {path} after an error (FileExistsError")
    recording = read_recording(path)
    assert [event["kind"] for event in recording.events] == ["run_start"]
    assert recording.summary.status == "incomplete"


def test_events_from_many_threads_are_whole_lines(record_dir):
    def work(thread: int) -> None:
        for _ in range(100):
            with agent_telemetry.tool_call(f"tool-{thread}"):
                pass

    with agent_run("threaded-bot", run_id="threads"):
        # Each thread runs in a copy of the run's context, as an application's executor would.
        threads = [
            threading.Thread(target=contextvars.copy_context().run, args=(work, number))
            for number in range(10)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    lines = only_file(record_dir).read_text().splitlines()
    events = [json.loads(line) for line in lines]  # every line is whole, valid JSON
    tools = [event["tool"] for event in events if event["kind"] == "tool"]
    assert len(lines) == 1002 and len(tools) == 1000
    assert {name: tools.count(name) for name in set(tools)} == {f"tool-{n}": 100 for n in range(10)}
    times = [event["t"] for event in events]
    assert times == sorted(times)


def test_recordings_stay_private_under_a_permissive_umask(record_dir, pixels):
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": ""}}
    image["source"]["data"] = base64.b64encode(PNG).decode()
    previous = os.umask(0)  # files would be world-writable if we left their mode to the umask
    try:
        with agent_run("computer-bot", run_id="cu-5") as run:
            run.emit("screenshot", {"bytes": len(PNG), "image": image})
    finally:
        os.umask(previous)

    path = only_file(record_dir)
    (shot,) = path.with_suffix("").iterdir()
    modes = [stat.S_IMODE(p.stat().st_mode) for p in (record_dir, path, path.with_suffix(""), shot)]
    assert modes == [0o700, 0o600, 0o700, 0o600]


def test_a_recording_directory_others_can_read_is_warned_about_once(record_dir, caplog):
    caplog.set_level(logging.WARNING, logger="agent_telemetry")
    record_dir.mkdir(mode=0o755)
    record_dir.chmod(0o755)
    for run_id in ("run-1", "run-2"):
        with agent_run("support-bot", run_id=run_id):
            pass

    assert warnings_of(caplog) == [
        f"agent-telemetry: the recording directory {record_dir} can be read by other users (mode 755); "
        f"recordings themselves are 0600, but consider: chmod 700 {record_dir}"
    ]
    assert {stat.S_IMODE(path.stat().st_mode) for path in record_dir.glob("*.jsonl")} == {0o600}


def test_a_recordings_header_names_the_runs_version_and_attributes(record_dir):
    with agent_run("support-bot", version="v2", attributes={"feature": "refunds"}, run_id="run-1"):
        pass
    header = read_recording(only_file(record_dir)).events[0]
    assert {key: header[key] for key in ("kind", "agent", "version", "run_id", "attributes")} == {
        "kind": "run_start",
        "agent": "support-bot",
        "version": "v2",
        "run_id": "run-1",
        "attributes": {"feature": "refunds"},
    }
