"""Every generated alert links to a runbook that exists and explains meaning, first checks and fixes."""

from __future__ import annotations

import yaml

from agent_telemetry.tooling.rules import ALERTS_FILE, generate

from ._tools import RUNBOOKS, THRESHOLDS
from .test_generator import ALERTS

BASE = "https://github.com/agent-telemetry/agent-telemetry/blob/main/docs/runbooks/"


def _alerts() -> list[dict]:
    groups = yaml.safe_load(generate(THRESHOLDS)[ALERTS_FILE])["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_every_alert_has_a_runbook_file_its_url_points_to():
    for alert in _alerts():
        url = alert["annotations"]["runbook_url"]
        assert url == f"{BASE}{alert['alert']}.md"
        assert (RUNBOOKS / url.removeprefix(BASE)).is_file(), url


def test_runbooks_have_the_standard_sections():
    for name in ALERTS:
        text = (RUNBOOKS / f"{name}.md").read_text()
        assert text.startswith(f"# {name}\n")
        for section in ("## Meaning", "## Impact", "## What to check first", "## How to fix"):
            assert section in text, f"{name}.md lacks {section}"


def test_no_runbook_without_an_alert():
    assert {p.stem for p in RUNBOOKS.glob("*.md")} == ALERTS
