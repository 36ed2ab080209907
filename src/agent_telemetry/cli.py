"""The ``agent-telemetry`` command line.

Each command lives in the module that does its job and registers itself through a
``register(subparsers)`` function. Only the module of the command being run is imported: the
repository tooling (``agent_telemetry.tooling``) stays out of ``--help``, ``runs`` and ``replay``, and
a tooling command whose extra is missing says so in one line when it is run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# The module that registers each command, with the one-line help the command list shows.
COMMANDS: dict[str, tuple[str, str]] = {
    "stack": (
        "agent_telemetry.tooling.stack.cli",
        "run the collector, Prometheus, Alertmanager and Jaeger natively (no Docker; needs a checkout)",
    ),
    "rules": ("agent_telemetry.tooling.rules.cli", "Prometheus alerting and recording rules."),
    "fake-provider": (
        "agent_telemetry.tooling.fake_provider.cli",
        "run a fake OpenAI + Anthropic API server for demos and tests",
    ),
    "replay": ("agent_telemetry.sessions.cli", "Step through a recorded agent run."),
    "runs": ("agent_telemetry.sessions.cli", "List recorded agent runs, newest first."),
    "compare": (
        "agent_telemetry.compare.cli",
        "Compare two versions, periods or agents (Prometheus) or two sets of recorded runs.",
    ),
    "events": ("agent_telemetry.event_store", "Show an agent's recent events from the log store."),
    "dashboards": ("agent_telemetry.tooling.dashboards.cli", "Grafana dashboards and provisioning."),
    "demo": (
        "agent_telemetry.tooling.demo.cli",
        "run a fleet of demo agents against a fake provider (no API key needed)",
    ),
}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: the module of the chosen command registers it (with every command of
    that module); the other commands are only listed. Without ``argv``, every module registers."""
    parser = argparse.ArgumentParser(
        prog="agent-telemetry",
        description="Production monitoring for LLM agents.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = None if argv is None else next((arg for arg in argv if not arg.startswith("-")), "")
    by_module: dict[str, list[str]] = {}
    for command, (module_name, _) in COMMANDS.items():
        by_module.setdefault(module_name, []).append(command)
    for module_name, commands in by_module.items():
        if chosen is None or chosen in commands:
            importlib.import_module(module_name).register(subparsers)
        else:
            for command in commands:
                subparsers.add_parser(command, help=COMMANDS[command][1], add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    result = args.handler(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
