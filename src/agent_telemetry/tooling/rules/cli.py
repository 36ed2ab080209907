"""``agent-telemetry rules generate``: write (or ``--check``) the rule files from the thresholds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agent_telemetry.tooling.generated import write_or_check
from agent_telemetry.tooling.rules.config import (
    DEFAULT_PROFILE,
    ThresholdsError,
    load_thresholds,
    profile_names,
)
from agent_telemetry.tooling.rules.render import render

DEFAULT_THRESHOLDS = Path("prometheus/thresholds.yaml")
DEFAULT_OUTPUT_DIR = Path("prometheus/rules")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    rules = subparsers.add_parser("rules", help="Prometheus alerting and recording rules.")
    commands = rules.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", required=True)
    generate = commands.add_parser(
        "generate",
        help="Generate prometheus/rules/*.yml from prometheus/thresholds.yaml.",
        description="Generate the recording and alerting rule files from the thresholds file. "
        "Paths are relative to the current directory (the repository root).",
    )
    generate.add_argument("--thresholds", type=Path, default=DEFAULT_THRESHOLDS, help="%(default)s")
    generate.add_argument(
        "--profile", default=DEFAULT_PROFILE, help="a profile of the thresholds file, e.g. test (%(default)s)"
    )
    generate.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR, help="%(default)s")
    generate.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 listing files that differ"
    )
    generate.set_defaults(handler=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    try:
        # Validate every profile, so a broken test profile fails here and not in an end-to-end run.
        for name in profile_names(args.thresholds):
            load_thresholds(args.thresholds, name)
        files = render(load_thresholds(args.thresholds, args.profile), args.profile)
    except ThresholdsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return write_or_check(
        files, args.output_dir, check=args.check, regenerate="python -m agent_telemetry rules generate"
    )
