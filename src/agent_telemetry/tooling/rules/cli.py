"""``agent-telemetry rules generate``: write (or ``--check``) the rule files from the thresholds."""

from __future__ import annotations

import argparse
from pathlib import Path

from agent_telemetry.tooling.generated import Files, Generator
from agent_telemetry.tooling.rules.config import DEFAULT_PROFILE, load_thresholds, profile_names


def _rule_files(args: argparse.Namespace) -> Files:
    from agent_telemetry.tooling.rules.rule_files import render

    # Validate every profile, so a broken test profile fails here and not in an end-to-end run.
    for name in profile_names(args.thresholds):
        load_thresholds(args.thresholds, name)
    return render(load_thresholds(args.thresholds, args.profile), args.profile)


def _profile_option(generate: argparse.ArgumentParser) -> None:
    generate.add_argument(
        "--profile", default=DEFAULT_PROFILE, help="a profile of the thresholds file, e.g. test (%(default)s)"
    )


GENERATOR = Generator(
    group="rules",
    group_help="Prometheus alerting and recording rules.",
    help="Generate prometheus/rules/*.yml from prometheus/thresholds.yaml.",
    description="Generate the recording and alerting rule files from the thresholds file. "
    "Paths are relative to the current directory (the repository root).",
    output_dir=Path("prometheus/rules"),
    make=_rule_files,
    options=_profile_option,
)
register = GENERATOR.register
run_generate = GENERATOR.run
