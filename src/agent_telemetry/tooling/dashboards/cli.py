"""``agent-telemetry dashboards generate``: write (or ``--check``) grafana/ from code and thresholds.

Needs the ``dashboards`` extra (the Grafana Foundation SDK); without it the command says so.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agent_telemetry.tooling.generated import Files, Generator


def _grafana_files(args: argparse.Namespace) -> Files:
    from agent_telemetry.tooling.dashboards.grafana_files import render
    from agent_telemetry.tooling.rules.config import load_thresholds

    # Panels draw the production thresholds (the default profile), never a test profile's.
    return render(load_thresholds(args.thresholds))


GENERATOR = Generator(
    group="dashboards",
    group_help="Grafana dashboards and provisioning.",
    help="Generate grafana/dashboards/*.json and grafana/provisioning/ from code.",
    description="Generate the Grafana dashboards and provisioning files; thresholds drawn on panels come "
    "from the thresholds file. Paths are relative to the current directory (the repository root).",
    output_dir=Path("grafana"),
    make=_grafana_files,
    owned="dashboards/*.json",
    extra="dashboards",
)
register = GENERATOR.register
run_generate = GENERATOR.run
