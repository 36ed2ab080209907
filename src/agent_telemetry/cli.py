"""The ``agent-telemetry`` command line.

Each command group lives in the module that does its job and registers itself here through a
``register(subparsers)`` function; modules are imported lazily so that ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module defines ``register(subparsers) -> None``.
_COMMAND_MODULES: tuple[str, ...] = (
    "agent_telemetry.tooling.stack.cli",
    "agent_telemetry.tooling.rules.cli",
    "agent_telemetry.tooling.fake_provider.cli",
    "agent_telemetry.sessions.cli",
    "agent_telemetry.tooling.dashboards.cli",
    "agent_telemetry.tooling.demo.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agent-telemetry",
        description="Production monitoring for LLM agents.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # that command group is not part of this build
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result = args.handler(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
