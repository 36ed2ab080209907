"""Retention: recordings older than ``AGENT_TELEMETRY_RECORD_RETENTION_DAYS`` (default 14) are deleted.

The sweep runs when the first recorder of a process is attached, and only once per process: it lists
the whole directory, which is not something to do at the start of every run.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from agent_telemetry.sessions import naming

logger = logging.getLogger("agent_telemetry")

_DAY_S = 86_400.0

_lock = threading.Lock()
_swept_in_pid: int | None = None  # a forked worker is a new process and sweeps again


def delete_expired(directory: Path, days: float, now: float | None = None) -> list[Path]:
    """Delete our recordings (and screenshot folders) last written more than ``days`` ago.

    Returns what was deleted. Anything whose name is not ours is left alone, also inside our folders.
    """
    cutoff = (time.time() if now is None else now) - days * _DAY_S
    deleted: list[Path] = []
    for entry in sorted(directory.iterdir()):
        try:
            if naming.is_run_file(entry) and entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink()
                deleted.append(entry)
                folder = entry.with_suffix("")
                if folder.is_dir() and _delete_folder(folder):
                    deleted.append(folder)
            elif (
                naming.is_screenshot_folder(entry)
                and entry.is_dir()
                # An orphan: its recording is gone. (Not with_suffix: a run id may contain a dot.)
                and not entry.with_name(entry.name + naming.SUFFIX).exists()
                and entry.stat().st_mtime < cutoff
                and _delete_folder(entry)
            ):
                deleted.append(entry)
        except FileNotFoundError:
            continue  # another process swept it first
    return deleted


def _delete_folder(folder: Path) -> bool:
    """Delete our screenshots in ``folder``, and the folder if nothing else is left in it."""
    for item in folder.iterdir():
        if naming.SCREENSHOT_FILE.match(item.name) and item.is_file() and not item.is_symlink():
            item.unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        return False  # someone else's files are in there: keep them, and so the folder
    return True


def sweep_once(directory: Path, days: float | None) -> None:
    """``delete_expired`` the first time it is called in this process; never raises.

    ``days`` None: the configured period was unusable (``Settings`` said so in one warning line),
    and deleting is the one irreversible thing we do, so nothing is deleted.
    """
    global _swept_in_pid
    with _lock:
        if _swept_in_pid == os.getpid():
            return
        _swept_in_pid = os.getpid()
    if days is None:
        return
    try:
        if directory.is_dir():  # not yet created: nothing to delete
            delete_expired(directory, days)
    except OSError as exc:
        logger.warning("agent-telemetry: could not delete old recordings in %s: %s", directory, exc)


def _reset() -> None:
    """Forget the sweep of this process (for tests)."""
    global _swept_in_pid
    with _lock:
        _swept_in_pid = None
