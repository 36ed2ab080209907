"""The stack's state dir holds logs, alerts and data about agents: only its owner can read them."""

from __future__ import annotations

import stat
import sys
import time
from pathlib import Path

from agent_telemetry.tooling.stack import native_configs, process
from agent_telemetry.tooling.stack.ports import Ports
from agent_telemetry.tooling.stack.private import private_dir
from agent_telemetry.tooling.stack.state import STATE_FILE, StackState


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_state_dir_is_created_0700_and_an_existing_one_is_tightened(tmp_path: Path) -> None:
    created = private_dir(tmp_path / "new" / ".stack")
    old = tmp_path / "old"
    old.mkdir(mode=0o755)
    old.chmod(0o755)
    private_dir(old)
    assert (mode(created), mode(old)) == (0o700, 0o700)


def test_the_state_file_is_0600(tmp_path: Path) -> None:
    StackState(Ports(), {}, []).write(tmp_path)
    assert mode(tmp_path / STATE_FILE) == 0o600


def test_rendered_configs_are_0600(tmp_path: Path) -> None:
    dest = native_configs.write_yaml({"global": {}}, tmp_path / "prometheus.yml", None)
    assert mode(dest) == 0o600


def test_a_server_log_is_0600_even_when_it_existed_before(tmp_path: Path) -> None:
    log = tmp_path / "prometheus.log"
    log.write_text("an earlier run\n")
    log.chmod(0o644)
    pid = process.start([sys.executable, "-c", "print('started')"], log)
    deadline = time.monotonic() + 60
    while process.is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mode(log) == 0o600
    assert log.read_text() == "an earlier run\nstarted\n"
