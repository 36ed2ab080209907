"""Where recordings live and what they are called: the one place that knows our file names.

A run is ``<dir>/<YYYYmmddTHHMMSSZ>-<agent>-<run id>.jsonl``; its screenshots go in a folder named
like the file without ``.jsonl``. Retention deletes only names that match these patterns, so the
patterns are deliberately strict.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

RECORD_DIR_ENV = "AGENT_TELEMETRY_RECORD_DIR"

SUFFIX = ".jsonl"
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_PART = 64  # keeps names well under file-system limits (255 bytes) with a long run id

RUN_STEM = re.compile(r"^(?P<stamp>\d{8}T\d{6}Z)-[A-Za-z0-9._-]+$")
SCREENSHOT_FILE = re.compile(r"^screenshot-\d{4,}\.[a-z0-9]+$")


def safe_part(text: str, fallback: str) -> str:
    """``text`` reduced to characters that are safe in a file name on every OS."""
    # Leading dots would hide the file; separators would escape the directory.
    cleaned = _UNSAFE.sub("_", text).strip("._-")[:_MAX_PART].strip("._-")
    return cleaned or fallback


def run_stem(started: datetime, agent: str, run_id: str) -> str:
    stamp = started.astimezone(timezone.utc).strftime(_STAMP_FORMAT)
    return f"{stamp}-{safe_part(agent, 'agent')}-{safe_part(run_id, 'run')}"


def is_run_file(path: Path) -> bool:
    return path.suffix == SUFFIX and RUN_STEM.match(path.stem) is not None


def is_screenshot_folder(path: Path) -> bool:
    return path.suffix != SUFFIX and RUN_STEM.match(path.name) is not None


def started_from_name(path: Path) -> datetime | None:
    """The start time encoded in a recording's name (seconds only), or None for a foreign name."""
    match = RUN_STEM.match(path.stem)
    if match is None:
        return None
    return datetime.strptime(match["stamp"], _STAMP_FORMAT).replace(tzinfo=timezone.utc)
