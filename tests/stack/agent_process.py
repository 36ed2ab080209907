"""An instrumented agent process (gateway_app.py: the real openai client against the fake provider) that
makes chat calls when told to, for tests of the collector tiers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.processes import environ_without_telemetry


class AgentProcess:
    """One instrumented agent process that makes calls when told to."""

    def __init__(self, app: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(app)],
            env={**environ_without_telemetry(), **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def calls(self, count: int) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{count}\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline() == "done\n"

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
