"""promtool unit tests (prometheus/tests) cover every alert, and pass against the committed rules."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from agent_telemetry.tooling.generated import write
from agent_telemetry.tooling.rules import ALERTS_FILE, RECORDING_FILE, parse_thresholds
from agent_telemetry.tooling.rules.rule_files import render

from ._tools import PROMTOOL_TESTS, RULES_DIR, THRESHOLDS, run, tool
from .test_generator import ALERTS


@pytest.mark.slow  # about 40 s of promtool evaluating multi-day series
def test_promtool_unit_tests_pass():
    files = sorted(PROMTOOL_TESTS.glob("*.test.yml"))
    assert len(files) >= 5
    promtool = tool("promtool")
    # One process per file, in parallel: the multi-day cases take a while each.
    procs = {
        f.name: subprocess.Popen(
            [promtool, "test", "rules", f.name],
            cwd=PROMTOOL_TESTS,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for f in files
    }
    failures = {name: p.communicate(timeout=240)[0] for name, p in procs.items()}
    assert {name: out for name, out in failures.items() if procs[name].returncode != 0} == {}


def test_promtool_tests_run_against_the_generated_rule_files():
    for path in PROMTOOL_TESTS.glob("*.test.yml"):
        spec = yaml.safe_load(path.read_text())
        assert [(path.parent / f).resolve() for f in spec["rule_files"]] == [
            RULES_DIR / RECORDING_FILE,
            RULES_DIR / ALERTS_FILE,
        ], path.name


def test_every_alert_has_a_firing_and_a_silent_promtool_case():
    fires: set[str] = set()
    silent: set[str] = set()
    for path in PROMTOOL_TESTS.glob("*.test.yml"):
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fires if check.get("exp_alerts") else silent).add(check["alertname"])
    assert fires == ALERTS
    assert silent == ALERTS - {"Watchdog"}


def test_promtool_checks_both_spellings_of_the_10s_bucket():
    text = "".join(p.read_text() for p in PROMTOOL_TESTS.glob("*.test.yml"))
    assert re.search(r'le="10"', text) and re.search(r'le="10\.0"', text)


BUDGET_OVERRIDE_TEST = """
rule_files: [agent-telemetry.recording.yml, agent-telemetry.alerts.yml]
evaluation_interval: 1m
group_eval_order: [agent-telemetry.cost.rules, agent-telemetry.cost.alerts]
tests:
  - interval: 1m
    input_series:
      - {series: 'agent_cost_usd_total{gen_ai_agent_name="research"}', values: 0+10x30}
      - {series: 'agent_cost_usd_total{gen_ai_agent_name="support"}', values: 0+10x30}
    promql_expr_test:
      - expr: gen_ai_agent_name:agent_cost_usd:daily_budget
        eval_time: 30m
        exp_samples:
          - {labels: 'gen_ai_agent_name:agent_cost_usd:daily_budget{gen_ai_agent_name="research"}', value: 1000}
          - {labels: 'gen_ai_agent_name:agent_cost_usd:daily_budget{gen_ai_agent_name="support"}', value: 50}
          - {labels: 'gen_ai_agent_name:agent_cost_usd:daily_budget{gen_ai_agent_name="unused"}', value: 5}
    alert_rule_test:
      - eval_time: 30m
        alertname: AgentDailyBudgetExceeded
        exp_alerts:
          - exp_labels: {severity: critical, gen_ai_agent_name: support}
            exp_annotations:
              summary: Agent support has spent 600% of its daily budget.
              description: Agent support spent 600% of its daily cost budget over the last 24 hours (exceeded at 100%).
              value: 600%
              runbook_url: https://runbooks.example/AgentDailyBudgetExceeded.md
"""


def test_per_agent_budget_overrides_and_runbook_base_url(tmp_path: Path):
    document = yaml.safe_load(THRESHOLDS.read_text())
    document["daily_budget"]["agents"] = {"research": 1000, "unused": 5}
    document["runbook_base_url"] = "https://runbooks.example"
    write(render(parse_thresholds(document), "default"), tmp_path)
    (tmp_path / "budget.test.yml").write_text(BUDGET_OVERRIDE_TEST)
    result = run(tool("promtool"), "test", "rules", "budget.test.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
