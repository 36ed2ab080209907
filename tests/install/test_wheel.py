"""The built wheel, installed with a plain ``pip install`` into a fresh virtual environment.

Every command meant for users works there; a tooling command that needs an extra says so in one line
and exits non-zero; every module imports with the declared dependencies alone, or misses only the
optional SDKs of an extra.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import environ_without_telemetry

pytestmark = [pytest.mark.install, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
# What a plain install may lack: the optional extras' modules (agent_telemetry.tooling.extras).
EXTRA_MODULES = {"openai", "anthropic", "grafana_foundation_sdk"}


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """bin/ of a fresh venv with only the wheel and its declared dependencies (from PyPI or pip's cache)."""
    work = tmp_path_factory.mktemp("install")
    dist = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        check=True,
        timeout=600,
    )
    (wheel,) = dist.glob("agent_telemetry-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True, timeout=300)
    bin_dir = work / "venv" / "bin"
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=600
    )
    yield bin_dir


def run(bin_dir: Path, *argv: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = environ_without_telemetry()
    env.pop("AGENT_TELEMETRY_ROOT", None)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)  # nothing of the checkout: only what the wheel installed
    return subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_extras_are_not_installed(venv: Path) -> None:
    listed = run(venv, "python", "-m", "pip", "list", "--format=json")
    installed = {package["name"].lower() for package in json.loads(listed.stdout)}
    assert installed & {"openai", "anthropic", "grafana-foundation-sdk", "pytest"} == set()
    assert run(venv, "python", "-m", "pip", "check").returncode == 0


def test_help_lists_every_command(venv: Path) -> None:
    done = run(venv, "agent-telemetry", "--help")
    assert (done.returncode, done.stderr) == (0, "")
    for command in (
        "stack",
        "rules",
        "fake-provider",
        "replay",
        "runs",
        "compare",
        "events",
        "dashboards",
        "demo",
    ):
        assert f"    {command}" in done.stdout, command


def test_runs_and_replay_show_a_recording(venv: Path, tmp_path: Path) -> None:
    events = [
        {"t": 0.0, "ts": "2025-03-01T09:30:05.000Z", "kind": "run_start", "agent": "support-bot", "run_id": "a1"},
        {"t": 0.5, "ts": "2025-03-01T09:30:05.500Z", "kind": "tool", "tool": "search", "error": None},
        {"t": 1.0, "ts": "2025-03-01T09:30:06.000Z", "kind": "run_end", "status": "success", "steps": 1},
    ]  # fmt: skip
    recording = tmp_path / "20250301T093005Z-support-bot-a1.jsonl"
    recording.write_text("".join(json.dumps(event) + "\n" for event in events))

    runs = run(venv, "agent-telemetry", "runs", str(tmp_path))
    assert (runs.returncode, runs.stderr) == (0, "")
    assert "support-bot" in runs.stdout and "success" in runs.stdout
    replay = run(venv, "agent-telemetry", "replay", str(recording))
    assert (replay.returncode, replay.stderr) == (0, "")
    assert "search" in replay.stdout and "run_end" in replay.stdout


def test_compare_shows_two_recorded_runs_side_by_side(venv: Path, tmp_path: Path) -> None:
    paths = []
    for run_id, status in (("a1", "success"), ("b1", "failure")):
        events = [
            {"t": 0.0, "kind": "run_start", "agent": "support-bot", "version": run_id[0], "run_id": run_id},
            {"t": 1.0, "kind": "run_end", "status": status, "steps": 1, "duration_s": 1.0, "cost_usd": 0.01},
        ]  # fmt: skip
        paths.append(tmp_path / f"20250301T093005Z-support-bot-{run_id}.jsonl")
        paths[-1].write_text("".join(json.dumps(event) + "\n" for event in events))
    done = run(venv, "agent-telemetry", "compare", "runs", *map(str, paths))
    assert (done.returncode, done.stderr) == (0, "")
    assert "outcome     success" in done.stdout and "failure" in done.stdout


def test_events_without_a_log_store_is_one_line_saying_what_to_do(venv: Path) -> None:
    done = run(venv, "agent-telemetry", "events", "--agent", "support-bot", "--url", "http://127.0.0.1:9")
    assert (done.returncode, done.stdout) == (2, "")
    (line,) = done.stderr.splitlines()
    assert line.startswith("agent-telemetry events: cannot reach the log store at http://127.0.0.1:9 ")


def test_importing_the_library_imports_no_tooling(venv: Path) -> None:
    code = "import agent_telemetry, sys; print(sorted(m for m in sys.modules if 'tooling' in m))"
    done = run(venv, "python", "-c", code, cwd=Path("/"))
    assert (done.returncode, done.stdout.strip()) == (0, "[]"), done.stderr


@pytest.mark.parametrize(
    ("argv", "extra"),
    [
        (("dashboards", "generate", "--check"), "dashboards"),
        (("demo", "--duration", "1s"), "demo"),
    ],
    ids=["dashboards", "demo"],
)
def test_a_command_whose_extra_is_missing_says_so_in_one_line(
    venv: Path, argv: tuple[str, ...], extra: str
) -> None:
    done = run(venv, "agent-telemetry", *argv)
    assert done.returncode != 0
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.rstrip().endswith(f"pip install 'agent-telemetry[{extra}]'")


def test_the_stack_says_in_one_line_that_it_needs_a_checkout(venv: Path, tmp_path: Path) -> None:
    done = run(venv, "agent-telemetry", "stack", "up", "--state-dir", str(tmp_path / ".stack"), cwd=tmp_path)
    assert done.returncode != 0
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert "run from a checkout" in done.stderr
    assert not (tmp_path / ".stack").exists()


def test_the_rule_generator_works_from_a_checkout_without_extras(venv: Path) -> None:
    done = run(venv, "agent-telemetry", "rules", "generate", "--check")
    assert (done.returncode, done.stderr) == (0, "")


def test_every_module_imports_with_the_declared_dependencies_or_misses_only_an_extra(venv: Path) -> None:
    code = """
import importlib, json, pkgutil, agent_telemetry
missing = {}
for module in pkgutil.walk_packages(agent_telemetry.__path__, "agent_telemetry."):
    if module.name.endswith("__main__"):
        continue
    try:
        importlib.import_module(module.name)
    except ModuleNotFoundError as error:
        missing[module.name] = error.name.split(".")[0]
print(json.dumps(missing))
"""
    done = run(venv, "python", "-c", code, cwd=Path("/"))
    assert done.returncode == 0, done.stderr
    missing = json.loads(done.stdout)
    assert set(missing.values()) <= EXTRA_MODULES, missing
    # The library itself needs no extra; only the instrumentation of an SDK needs that SDK.
    assert [name for name in missing if ".tooling." not in name and ".instrumentation." not in name] == []
