"""Reading recordings back, and the ``replay`` and ``runs`` commands: exact output, clear failures."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent_telemetry import agent_run
from agent_telemetry.cli import main
from agent_telemetry.sessions import list_recordings, read_recording
from tests.sessions.conftest import KNOWN_EVENTS, KNOWN_NAME, write_recording

KNOWN_HEADER = """\
agent     support-bot
run id    a1b2c3
started   2025-03-01 09:30:05 UTC
status    success
duration  2.25s
steps     2
cost      $0.0041

"""
KNOWN_REPLAY = (
    KNOWN_HEADER
    + """\
  +0.000s  run_start       support-bot  run a1b2c3  budget $0.50, 10 steps
  +0.012s  llm_call        anthropic claude-sonnet-4-5  in=1200 out=85 cache_read=1000  $0.0041  0.92s
  +0.950s  tool_request    search
  +1.204s  tool            search  0.25s
  +1.310s  action_request  click
  +1.400s  action          click  success  0.10s
  +1.450s  screenshot      84.2 KiB  -> 20250301T093005Z-support-bot-a1b2c3/screenshot-0001.png
  +1.500s  action_blocked  pending_safety_check
  +2.100s  llm_call        openai computer-use-preview  0.30s  error=rate_limit
  +2.200s  quality         judge  0.80
  +2.250s  run_end         success  2.25s  steps=2 tokens=2285  $0.0041
"""
)
CRASHED_NAME = "20250302T101500Z-research-bot-d4e5f6.jsonl"
CRASHED_EVENTS = [
    {**KNOWN_EVENTS[0], "agent": "research-bot", "run_id": "d4e5f6", "ts": "2025-03-02T10:15:00.000Z"},
    {**KNOWN_EVENTS[1], "t": 0.5},
]
CUT_OFF = '{"t": 0.9, "ts": "2025-03-02T10:15:00.900Z", "kind": "to'  # the process died mid-write


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    write_recording(tmp_path / KNOWN_NAME, KNOWN_EVENTS)
    write_recording(tmp_path / CRASHED_NAME, CRASHED_EVENTS, tail=CUT_OFF)
    (tmp_path / "notes.txt").write_text("not a recording")
    return tmp_path


def test_replay_shows_a_header_and_one_line_per_event(recordings, capsys):
    assert main(["replay", str(recordings / KNOWN_NAME)]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (KNOWN_REPLAY, "")


def test_replay_can_show_only_some_kinds(recordings, capsys):
    assert main(["replay", "--kind", "llm_call", "--kind", "tool", str(recordings / KNOWN_NAME)]) == 0
    assert capsys.readouterr().out == KNOWN_HEADER + (
        "  +0.012s  llm_call  anthropic claude-sonnet-4-5  in=1200 out=85 cache_read=1000  $0.0041  0.92s\n"
        "  +1.204s  tool      search  0.25s\n"
        "  +2.100s  llm_call  openai computer-use-preview  0.30s  error=rate_limit\n"
    )
    assert main(["replay", "--kind", "nothing", str(recordings / KNOWN_NAME)]) == 0
    assert capsys.readouterr().out == KNOWN_HEADER + "no nothing events\n"


def test_replay_step_does_not_wait_when_stdin_is_not_a_terminal(recordings, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # input() would raise EOFError if it were called
    assert main(["replay", "--step", str(recordings / KNOWN_NAME)]) == 0
    assert capsys.readouterr().out == KNOWN_REPLAY


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_replay_step_waits_for_enter_and_quits_on_q(recordings, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", Terminal("\nq\n"))
    assert main(["replay", "--step", str(recordings / KNOWN_NAME)]) == 0
    assert capsys.readouterr().out == KNOWN_HEADER + (
        "(Enter: next event; q then Enter: quit)\n"
        "  +0.000s  run_start       support-bot  run a1b2c3  budget $0.50, 10 steps\n"
        "  +0.012s  llm_call        anthropic claude-sonnet-4-5  in=1200 out=85 cache_read=1000  $0.0041  0.92s\n"
    )


def test_runs_lists_recordings_newest_first_and_a_crashed_run_as_incomplete(recordings, capsys):
    assert main(["runs", str(recordings)]) == 0
    out, err = capsys.readouterr()
    assert out == (
        "STARTED (UTC)        AGENT         STATUS      DURATION  STEPS     COST  FILE\n"
        "2025-03-02 10:15:00  research-bot  incomplete     0.50s      1  $0.0041  " + CRASHED_NAME + "\n"
        "2025-03-01 09:30:05  support-bot   success        2.25s      2  $0.0041  " + KNOWN_NAME + "\n"
    )
    assert err == f"note: {CRASHED_NAME}: line 3 is not valid JSON; showing the 2 events before it\n"


def test_runs_reads_the_directory_from_the_environment(recordings, capsys, monkeypatch):
    monkeypatch.setenv("AGENT_TELEMETRY_RECORD_DIR", str(recordings))
    assert main(["runs"]) == 0
    assert KNOWN_NAME in capsys.readouterr().out


def test_runs_of_real_recordings(record_dir, capsys):
    with agent_run("support-bot", run_id="r1"):
        pass
    assert main(["runs", str(record_dir)]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:4] == ["STARTED", "(UTC)", "AGENT", "STATUS"]
    cells = row.split()
    assert (cells[2:4], cells[5:7]) == (["support-bot", "success"], ["0", "$0.0000"])
    assert cells[7].endswith("-support-bot-r1.jsonl")


def test_a_crashed_recording_reads_up_to_the_cut_off_line(recordings):
    recording = read_recording(recordings / CRASHED_NAME)
    assert recording.events == CRASHED_EVENTS
    assert recording.problem == f"{CRASHED_NAME}: line 3 is not valid JSON; showing the 2 events before it"
    summary = recording.summary
    assert (summary.status, summary.duration_s, summary.steps, summary.cost_usd, summary.events) == (
        "incomplete",
        0.5,
        1,
        0.0041,
        2,
    )


def test_a_corrupt_line_stops_replay_there_with_a_clear_message(tmp_path, capsys):
    path = tmp_path / "recording.jsonl"
    lines = [json.dumps(event) for event in KNOWN_EVENTS]
    path.write_text("\n".join([*lines[:6], "@@@", *lines[6:]]) + "\n")
    assert main(["replay", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == "recording.jsonl: line 7 is not valid JSON; showing the 6 events before it\n"
    assert out.splitlines()[3] == "status    incomplete"
    assert out.splitlines()[-1] == "  +1.400s  action          click  success  0.10s"


def test_a_line_that_is_json_but_not_an_event_is_reported(tmp_path):
    path = write_recording(tmp_path / "recording.jsonl", KNOWN_EVENTS[:1], tail='[1, 2]\n{"kind": "tool"}\n')
    recording = read_recording(path)
    assert len(recording.events) == 1
    assert (
        recording.problem == "recording.jsonl: line 2 is not a recorded event; showing the 1 event before it"
    )


def test_an_empty_recording_has_no_events_and_no_problem(tmp_path, capsys):
    path = tmp_path / "20250301T093005Z-support-bot-empty.jsonl"
    path.write_text("")
    recording = read_recording(path)
    assert (recording.events, recording.problem, recording.summary.status) == ([], None, "incomplete")
    assert recording.summary.started == "2025-03-01T09:30:05.000Z"  # from the file name
    assert main(["replay", str(path)]) == 0
    assert capsys.readouterr().out.endswith("\nno events\n")


def test_unexpected_field_types_are_shown_raw_rather_than_failing(tmp_path, capsys):
    path = write_recording(
        tmp_path / "odd.jsonl", [{"t": "soon", "kind": "tool", "tool": "x", "duration_s": "slow"}]
    )
    path.write_text(path.read_text() + '{"t": 1, "kind": "custom", "n": [1, 2]}\n')
    assert main(["replay", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "       +?  tool    x  -",
        "  +1.000s  custom  n=[1, 2]",
    ]


def test_a_missing_file_or_directory_is_a_clear_error_with_exit_code_2(tmp_path, capsys, monkeypatch):
    assert main(["replay", str(tmp_path / "gone.jsonl")]) == 2
    assert capsys.readouterr() == ("", f"error: {tmp_path / 'gone.jsonl'}: no such recording\n")
    assert main(["replay", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path} is a directory; to list the recordings in it: agent-telemetry runs {tmp_path}\n"
    )
    assert main(["runs", str(tmp_path / "gone")]) == 2
    assert capsys.readouterr() == ("", f"error: {tmp_path / 'gone'}: no such directory\n")
    monkeypatch.delenv("AGENT_TELEMETRY_RECORD_DIR", raising=False)
    assert main(["runs"]) == 2
    assert capsys.readouterr().err == (
        "error: no directory: give one (agent-telemetry runs DIR) or set AGENT_TELEMETRY_RECORD_DIR\n"
    )
    with pytest.raises(FileNotFoundError):
        list_recordings(tmp_path / "gone")


def test_an_empty_directory_lists_no_recordings(tmp_path, capsys):
    assert main(["runs", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"no recordings in {tmp_path}\n"


def test_the_agent_telemetry_command_runs_replay(recordings, tmp_path):
    command = [sys.executable, "-m", "agent_telemetry", "replay"]
    done = subprocess.run(
        [*command, str(recordings / KNOWN_NAME)], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, KNOWN_REPLAY, "")
    missing = subprocess.run(
        [*command, str(tmp_path / "gone.jsonl")], capture_output=True, text=True, check=False
    )
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == f"error: {tmp_path / 'gone.jsonl'}: no such recording\n"
