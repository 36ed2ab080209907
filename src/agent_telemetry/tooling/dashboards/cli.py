"""``agent-telemetry dashboards generate``: write (or ``--check``) grafana/ from code and thresholds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agent_telemetry.tooling.dashboards.render import render
from agent_telemetry.tooling.generated import write_or_check
from agent_telemetry.tooling.rules.config import ThresholdsError, load_thresholds

DEFAULT_THRESHOLDS = Path("prometheus/thresholds.yaml")
DEFAULT_OUTPUT_DIR = Path("grafana")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    dashboards = subparsers.add_parser("dashboards", help="Grafana dashboards and provisioning.")
    commands = dashboards.add_subparsers(dest="dashboards_command", metavar="SUBCOMMAND", required=True)
    generate = commands.add_parser(
        "generate",
        help="Generate grafana/dashboards/*.json and grafana/provisioning/ from code.",
        description="Generate the Grafana dashboards and provisioning files; thresholds drawn on panels come "
        "from the thresholds file. Paths are relative to the current directory (the repository root).",
    )
    generate.add_argument("--thresholds", type=Path, default=DEFAULT_THRESHOLDS, help="%(default)s")
    generate.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR, help="%(default)s")
    generate.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 listing files that differ"
    )
    generate.set_defaults(handler=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    try:
        # Panels draw the production thresholds (the default profile), never a test profile's.
        files = render(load_thresholds(args.thresholds))
    except ThresholdsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return write_or_check(
        files,
        args.output_dir,
        check=args.check,
        regenerate="python -m agent_telemetry dashboards generate",
        owned="dashboards/*.json",
    )
