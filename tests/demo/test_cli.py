"""``agent-telemetry demo`` on the command line: arguments, and a real process stopping by itself or on
Ctrl-C with exit status 0 and a summary."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from agent_telemetry.tooling.demo import cli
from agent_telemetry.tooling.demo.fleet import DEFAULT_RATE
from agent_telemetry.tooling.demo.scenarios import Scenario

ROOT = Path(__file__).parents[2]


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


def _start(*argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
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


@pytest.mark.slow  # two demo processes, each importing the SDKs and running a fleet
def test_the_process_stops_by_itself_and_on_ctrl_c():
    # Both processes at once: most of each one's time is importing the SDKs. The interrupted one's slow
    # calls take 110 s (time scale 10): it exits within the 60 s bound only if Ctrl-C cuts them short.
    timed = _start("--duration", "1.5s", "--progress-interval", "0.5")
    interrupted = _start("--scenario", "latency-spike", "--progress-interval", "0.5", "--time-scale", "10")
    try:
        # Wait for the interrupted one to show progress twice (slow calls are in flight), then Ctrl-C.
        assert interrupted.stdout is not None
        lines: list[str] = []
        while len([line for line in lines if line.startswith("[0:0")]) < 2:
            line = interrupted.stdout.readline()  # the test's timeout bounds this wait
            assert line, "".join(lines)
            lines.append(line)
        interrupted.send_signal(signal.SIGINT)
        out, err = interrupted.communicate(timeout=60)
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
