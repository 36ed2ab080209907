"""Native runs of the collector + Prometheus + Alertmanager stack, with the committed config files."""

from agent_telemetry.tooling.stack.binaries import MissingBinariesError, build_collector, find_binaries
from agent_telemetry.tooling.stack.paths import ProjectFiles, find_project_root
from agent_telemetry.tooling.stack.ports import Ports
from agent_telemetry.tooling.stack.stack import DEFAULT_STATE_DIR, Stack, StackError

__all__ = [
    "DEFAULT_STATE_DIR",
    "MissingBinariesError",
    "Ports",
    "ProjectFiles",
    "Stack",
    "StackError",
    "build_collector",
    "find_binaries",
    "find_project_root",
]
