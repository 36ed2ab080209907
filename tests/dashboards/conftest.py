"""A real Prometheus (the version in versions.env) holding backfilled agent telemetry, for this module."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from agent_telemetry.tooling.stack.binaries import engine_tool
from agent_telemetry.tooling.stack.paths import ProjectFiles
from tests.dashboards.backfill import STEP_SECONDS, write_openmetrics
from tests.dashboards.panel_queries import REPO


def _tool(name: str) -> str:
    path = engine_tool(ProjectFiles(REPO), name)
    assert path is not None, f"{name} at the version in versions.env is missing: run scripts/setup.sh"
    return str(path)


@dataclass(frozen=True, slots=True)
class BackfilledPrometheus:
    url: str
    # The time of the last backfilled sample: queries are evaluated there, so the test never races the
    # clock (new samples cannot be appended before a backfilled block's end).
    at: float


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prometheus exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"prometheus at {url} not ready after {timeout} s")


@pytest.fixture(scope="module")
def backfilled_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackfilledPrometheus]:
    work = tmp_path_factory.mktemp("prometheus")
    end = int(time.time()) // STEP_SECONDS * STEP_SECONDS - STEP_SECONDS
    openmetrics = work / "history.om"
    write_openmetrics(openmetrics, end)
    storage = work / "data"
    storage.mkdir()
    subprocess.run(
        [_tool("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(openmetrics), str(storage)],
        check=True,
        capture_output=True,
    )
    openmetrics.unlink()
    # The real rule files are loaded, so Prometheus exports its rule-group metrics under their real names.
    rule_files = "\n".join(f"  - {p}" for p in sorted((REPO / "prometheus" / "rules").glob("*.yml")))
    config = work / "prometheus.yml"
    config.write_text(f"global:\n  evaluation_interval: 1s\nrule_files:\n{rule_files}\n", encoding="utf-8")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (work / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            _tool("prometheus"),
            f"--config.file={config}",
            f"--storage.tsdb.path={storage}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=3650d",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_ready(url, process)
        yield BackfilledPrometheus(url, float(end))
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(storage, ignore_errors=True)
