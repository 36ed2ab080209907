"""`agent-telemetry dashboards generate [--check]`: the committed JSON is what the code generates."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess

from agent_telemetry.tooling.dashboards import cli
from tests.dashboards.conftest import _tool
from tests.dashboards.panel_queries import REPO, load_dashboards, panel_queries, substitute

THRESHOLDS = REPO / "prometheus" / "thresholds.yaml"


def run(output_dir, check):
    return cli.run_generate(argparse.Namespace(thresholds=THRESHOLDS, output_dir=output_dir, check=check))


def test_committed_grafana_files_are_not_stale(capsys):
    assert run(REPO / "grafana", check=True) == 0
    assert capsys.readouterr().err == ""


def test_check_names_every_stale_file_and_writes_nothing(tmp_path, capsys):
    shutil.copytree(REPO / "grafana", tmp_path / "grafana")
    (tmp_path / "grafana" / "dashboards" / "agent-cost.json").write_text("{}\n")
    (tmp_path / "grafana" / "dashboards" / "old.json").write_text("{}\n")
    assert run(tmp_path / "grafana", check=True) == 1
    err = capsys.readouterr().err
    assert f"stale: {tmp_path}/grafana/dashboards/agent-cost.json" in err
    assert f"stale: {tmp_path}/grafana/dashboards/old.json" in err
    assert "run: python -m agent_telemetry dashboards generate" in err
    assert (tmp_path / "grafana" / "dashboards" / "agent-cost.json").read_text() == "{}\n"


def test_generate_writes_the_committed_files_and_removes_dashboards_no_longer_generated(tmp_path):
    (tmp_path / "dashboards").mkdir()
    (tmp_path / "dashboards" / "old.json").write_text("{}\n")
    assert run(tmp_path, check=False) == 0
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        str(p.relative_to(REPO / "grafana")) for p in (REPO / "grafana").rglob("*") if p.is_file()
    )
    assert written == committed
    for rel in written:
        assert (tmp_path / rel).read_text() == (REPO / "grafana" / rel).read_text(), rel


def test_a_bad_thresholds_file_is_exit_code_2(tmp_path, capsys):
    bad = tmp_path / "thresholds.yaml"
    bad.write_text("error_rate: {}\n")
    args = argparse.Namespace(thresholds=bad, output_dir=tmp_path, check=False)
    assert cli.run_generate(args) == 2
    assert "error_rate.window: required key is missing" in capsys.readouterr().err


def test_the_subcommand_registers_with_a_handler():
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["dashboards", "generate", "--check"])
    assert (args.check, args.handler) == (True, cli.run_generate)
    assert str(args.output_dir) == "grafana" and str(args.thresholds) == "prometheus/thresholds.yaml"


def test_every_panel_query_parses_with_promtool(tmp_path):
    # Each query becomes a recording rule: `promtool check rules` parses every expression.
    queries = panel_queries(load_dashboards())
    assert len(queries) == 121
    rules = [
        f"      - record: dashboard:query:{i}\n        expr: {json.dumps(substitute(q.expr))}\n"
        for i, q in enumerate(queries)
    ]
    path = tmp_path / "queries.yml"
    path.write_text("groups:\n  - name: dashboards\n    rules:\n" + "".join(rules))
    result = subprocess.run([_tool("promtool"), "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout
