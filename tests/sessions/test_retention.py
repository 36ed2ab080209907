"""Retention: old recordings of ours are deleted once per process; nothing else is ever touched."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from agent_telemetry import agent_run
from agent_telemetry.config import Settings
from agent_telemetry.core.telemetry import set_active

DAY = 86_400


def make(path: Path, age_days: float, content: str = "{}\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    aged(path, age_days)
    return path


def aged(path: Path, age_days: float) -> None:
    when = time.time() - age_days * DAY
    os.utime(path, (when, when))


def names(directory: Path) -> set[str]:
    return {str(path.relative_to(directory)) for path in directory.rglob("*")}


@pytest.fixture
def populated(record_dir: Path) -> Path:
    old = "20250101T000000Z-support-bot-old"
    make(record_dir / f"{old}.jsonl", 15)
    make(record_dir / old / "screenshot-0001.png", 15)
    make(record_dir / old / "screenshot-0002.png", 15)
    aged(record_dir / old, 15)
    shared = "20250101T000001Z-support-bot-shared"  # an old run whose folder also holds a user's file
    make(record_dir / f"{shared}.jsonl", 15)
    make(record_dir / shared / "screenshot-0001.png", 15)
    make(record_dir / shared / "notes.txt", 15)
    make(record_dir / "20250101T000002Z-support-bot-orphan" / "screenshot-0001.png", 15)
    aged(record_dir / "20250101T000002Z-support-bot-orphan", 15)
    make(record_dir / "20250110T000000Z-support-bot-recent.jsonl", 13)
    record_dir.chmod(0o700)  # as the recorder makes it (a shared one is warned about)
    # A recent run whose id has a dot: its folder was last written long ago, but it is not an orphan.
    make(record_dir / "20250110T000000Z-support-bot-v1.2.jsonl", 1)
    make(record_dir / "20250110T000000Z-support-bot-v1.2" / "screenshot-0001.png", 15)
    aged(record_dir / "20250110T000000Z-support-bot-v1.2", 15)
    # Not ours, however old: other names, other suffixes, a near miss on the time stamp.
    for foreign in ("notes.txt", "backup.jsonl", "2025-01-01-support-bot-x.jsonl", "20250101T000000Z-x.json"):
        make(record_dir / foreign, 400)
    return record_dir


def test_recordings_older_than_the_retention_period_are_deleted_with_their_screenshots(populated):
    with agent_run("support-bot", run_id="new"):
        pass
    new = next(populated.glob("*-support-bot-new.jsonl")).name
    assert names(populated) == {
        new,
        "20250101T000001Z-support-bot-shared",
        "20250101T000001Z-support-bot-shared/notes.txt",
        "20250110T000000Z-support-bot-recent.jsonl",
        "20250110T000000Z-support-bot-v1.2.jsonl",
        "20250110T000000Z-support-bot-v1.2",
        "20250110T000000Z-support-bot-v1.2/screenshot-0001.png",
        "notes.txt",
        "backup.jsonl",
        "2025-01-01-support-bot-x.jsonl",
        "20250101T000000Z-x.json",
    }


def test_the_retention_period_is_read_from_the_environment(populated, monkeypatch):
    monkeypatch.setenv("AGENT_TELEMETRY_RECORD_RETENTION_DAYS", "12.5")
    set_active(None)  # the environment is read when the telemetry is made
    with agent_run("support-bot", run_id="new"):
        pass
    assert not (populated / "20250110T000000Z-support-bot-recent.jsonl").exists()


def test_the_sweep_runs_once_per_process(populated):
    with agent_run("support-bot", run_id="first"):
        pass
    later = make(populated / "20250101T000003Z-support-bot-later.jsonl", 30)
    with agent_run("support-bot", run_id="second"):
        pass
    assert later.exists()


@pytest.mark.parametrize("value", ["abc", "0", "-3", "nan", "inf"])
def test_an_unusable_retention_period_is_a_problem_naming_the_variable(value):
    settings, problems = Settings.read({"AGENT_TELEMETRY_RECORD_RETENTION_DAYS": value})
    assert problems == [
        f"AGENT_TELEMETRY_RECORD_RETENTION_DAYS={value!r} is not a retention period: "
        "use a positive number of days, such as 14; no old recordings are deleted"
    ]
    assert settings.record_retention_days is None


def test_the_default_retention_period_is_14_days():
    assert Settings.read({})[0].record_retention_days == 14
    assert Settings.read({"AGENT_TELEMETRY_RECORD_RETENTION_DAYS": " 30 "})[0].record_retention_days == 30


def test_with_an_unusable_retention_period_nothing_is_deleted_and_the_run_is_recorded(
    populated, monkeypatch, caplog
):
    caplog.set_level(logging.WARNING, logger="agent_telemetry")
    monkeypatch.setenv("AGENT_TELEMETRY_RECORD_RETENTION_DAYS", "two weeks")
    set_active(None)  # the environment is read when the telemetry is made
    before = names(populated)
    with agent_run("support-bot", run_id="new"):
        pass
    assert before < names(populated) and len(names(populated) - before) == 1
    assert [r.getMessage() for r in caplog.records] == [
        "agent-telemetry: AGENT_TELEMETRY_RECORD_RETENTION_DAYS='two weeks' is not a retention period: "
        "use a positive number of days, such as 14; no old recordings are deleted"
    ]
