"""``agent-telemetry demo`` on the command line: arguments, and a real process stopping by itself or on
Ctrl-C with exit status 0 and a summary."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_telemetry.tooling.demo import cli
from agent_telemetry.tooling.demo.fleet import DEFAULT_RATE
from agent_telemetry.tooling.demo.scenarios import Scenario

ROOT = Path(__file__).parents[2]
CTRL_C_EXIT_WAIT_S = 60  # generous: Ctrl-C cuts the slow calls short, the flush is bounded at 3 s


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="agent-telemetry")
    cli.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["demo", *argv])


def test_register_adds_the_demo_command():
    args = parse()
    assert args.handler is cli.run
    config = cli.config_from(args)
    assert config.schedule.describe() == "normal"
    assert (config.rate, config.seed, config.time_scale, config.provider_url) == (DEFAULT_RATE, 0, 1.0, None)
    assert args.duration is None


def test_arguments():
    args = parse(
        "--schedule", "normal:2m,rate-limit-storm:3m", "--duration", "10m", "--rate", "3", "--seed", "7"
    )
    config = cli.config_from(args)
    assert config.schedule.describe() == "normal:2m,rate-limit-storm:3m"
    assert (args.duration, config.rate, config.seed) == (600, 3.0, 7)
    assert (
        cli.config_from(parse("--scenario", "cost-spike")).schedule.phases[0].scenario is Scenario.COST_SPIKE
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--scenario", "calm"],
        ["--schedule", "normal"],
        ["--duration", "soon"],
        ["--rate", "0"],
        ["--scenario", "normal", "--schedule", "normal:1m"],
    ],
)
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse(*argv)
    assert exit_info.value.code == 2


@contextlib.contextmanager
def sigint_at_its_default_in_children() -> Iterator[None]:
    """Children started inside get Ctrl-C (SIGINT) at its default, as a program a terminal runs does.

    A shell script's background job (``pytest ... &``, which is how a long CI run is often started)
    ignores SIGINT, children inherit an ignored signal, and Python keeps it ignored: Ctrl-C would rightly
    not stop the demo. A handled signal, in contrast, is back at its default in a child after exec; and
    unlike ``preexec_fn`` this is safe in a process with threads.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _start(*argv: str) -> subprocess.Popen[str]:
    # The interpreter's fatal-signal handler: a demo that hangs dumps its threads on SIGABRT.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agent_telemetry.tooling.demo",
            "--metrics-exporter",
            "none",
            "--rate",
            "20",
            *argv,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_child_gets_sigint_at_its_default_even_when_this_process_ignores_it():
    # As when the test run is a shell script's background job: the Ctrl-C test's premise.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with sigint_at_its_default_in_children():
            child = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)",
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # restored
    finally:
        signal.signal(signal.SIGINT, previous)
    assert child.stdout == "True\n"  # Ctrl-C raises KeyboardInterrupt in it


@pytest.mark.slow  # two demo processes, each importing the SDKs and running a fleet
def test_the_process_stops_by_itself_and_on_ctrl_c():
    # Both processes at once: most of each one's time is importing the SDKs. The interrupted one's slow
    # calls take 110 s (time scale 10): it exits within the 60 s bound only if Ctrl-C cuts them short.
    with sigint_at_its_default_in_children():
        timed = _start("--duration", "1.5s", "--progress-interval", "0.5")
        interrupted = _start(
            "--scenario", "latency-spike", "--progress-interval", "0.5", "--time-scale", "10"
        )
    try:
        # Wait for the interrupted one to show progress twice (slow calls are in flight), then Ctrl-C.
        assert interrupted.stdout is not None
        lines: list[str] = []
        while len([line for line in lines if line.startswith("[0:0")]) < 2:
            line = interrupted.stdout.readline()  # the test's timeout bounds this wait
            assert line, "".join(lines)
            lines.append(line)
        interrupted.send_signal(signal.SIGINT)
        try:
            out, err = interrupted.communicate(timeout=CTRL_C_EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(still_running_after_ctrl_c(interrupted), pytrace=False)
        timed_out, timed_err = timed.communicate(timeout=120)
    finally:
        for process in (timed, interrupted):
            if process.poll() is None:
                process.kill()

    assert interrupted.returncode == 0, err
    summary = "".join(lines) + out
    assert "agent-telemetry demo: scenario latency-spike, 20 calls/s, until Ctrl-C" in summary
    assert "agent-telemetry demo: stopped after 0:0" in out and "(Ctrl-C)" in out
    assert "Traceback" not in err

    assert timed.returncode == 0, timed_err
    assert "(--duration 1.5s reached)" in timed_out
    rows = {line.split()[0]: line.split() for line in timed_out.splitlines() if line.split()}
    assert int(rows["total"][1]) > 0  # calls
    assert rows["total"][2] == "0"  # errors
    assert "Traceback" not in timed_err


def still_running_after_ctrl_c(process: subprocess.Popen[str]) -> str:
    """What a demo still running after Ctrl-C shows: whether it ignores SIGINT, where each of its threads
    is (faulthandler's dump on SIGABRT, which ends it), and the end of its output."""
    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
        ignored = int(status.split("SigIgn:")[1].split()[0], 16) & 1 << (signal.SIGINT - 1)
        sigint = "ignored" if ignored else "not ignored"
    except (OSError, IndexError, ValueError):
        sigint = "unknown (no /proc)"
    process.send_signal(signal.SIGABRT)
    try:
        out, err = process.communicate(timeout=30)  # keeps what the first communicate() read
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return (
        f"the demo did not exit within {CTRL_C_EXIT_WAIT_S} s of Ctrl-C (SIGINT {sigint} in it)\n"
        f"--- stderr (the end: faulthandler's dump of every thread) ---\n{err[-12000:]}\n"
        f"--- stdout (the end) ---\n{out[-6000:]}"
    )
