"""The state file (<state dir>/stack.json) that lets `stack down` and `stack status` find a stack."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from agent_telemetry.tooling.stack.ports import Ports
from agent_telemetry.tooling.stack.private import write_private_text

STATE_FILE = "stack.json"


@dataclass(frozen=True)
class ServiceState:
    name: str
    pid: int
    executable: str  # checked against /proc/<pid>/exe before signalling
    log: str
    ready_url: str


@dataclass(frozen=True)
class StackState:
    ports: Ports
    urls: dict[str, str]
    services: list[ServiceState]

    def write(self, state_dir: Path) -> None:
        data = {
            "ports": self.ports.as_dict(),
            "urls": self.urls,
            "services": [dataclasses.asdict(s) for s in self.services],
        }
        tmp = state_dir / f"{STATE_FILE}.tmp"
        write_private_text(tmp, json.dumps(data, indent=2) + "\n")
        tmp.replace(state_dir / STATE_FILE)

    @classmethod
    def read(cls, state_dir: Path) -> StackState | None:
        path = state_dir / STATE_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        return cls(
            ports=Ports(**data["ports"]),
            urls=dict(data["urls"]),
            services=[ServiceState(**s) for s in data["services"]],
        )

    @staticmethod
    def remove(state_dir: Path) -> None:
        (state_dir / STATE_FILE).unlink(missing_ok=True)
