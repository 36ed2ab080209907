"""Background server processes: start with a log file, check liveness, stop SIGTERM-then-SIGKILL.

``down`` runs in another process than ``up``, so everything works from a pid alone; the binary
path is checked against /proc before signalling so that a recycled pid is never killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agent_telemetry.tooling.stack.private import open_private


@dataclass(frozen=True)
class Launch:
    """A server to start: its name (log file, state), command, environment, and when it is ready."""

    name: str
    argv: list[str]
    ready_url: str
    env: Mapping[str, str] = field(default_factory=dict)


def start(argv: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None) -> int:
    """Start argv detached (own session: Ctrl-C on the caller's terminal does not reach it)."""
    with open(open_private(log_path, append=True), "ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    return proc.pid


def _reap(pid: int) -> None:
    """Collect our own exited child so it does not linger as a zombie (no-op for others' pids)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def is_running(pid: int, executable: str | None = None) -> bool:
    """Whether pid is alive (not a zombie) and, if given, runs ``executable``."""
    _reap(pid)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    if stat.rsplit(")", 1)[-1].split()[0] == "Z":
        return False
    if executable is None:
        return True
    try:
        return os.path.realpath(f"/proc/{pid}/exe") == os.path.realpath(executable)
    except OSError:
        return False


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # exited between the check and the signal
        os.kill(pid, sig)


def stop(pid: int, executable: str | None = None, timeout: float = 10.0) -> bool:
    """SIGTERM, wait up to ``timeout`` s, then SIGKILL. True if the process had to be killed."""
    if not is_running(pid, executable):
        return False
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running(pid):
            return False
        time.sleep(0.05)
    _signal(pid, signal.SIGKILL)
    while is_running(pid):
        time.sleep(0.05)
    return True


def kill(pid: int, executable: str | None = None) -> None:
    """SIGKILL (no chance to shut down cleanly) and wait until the process is gone."""
    if not is_running(pid, executable):
        return
    _signal(pid, signal.SIGKILL)
    while is_running(pid):
        time.sleep(0.05)


def log_tail(log_path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
