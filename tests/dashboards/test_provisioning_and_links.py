"""Grafana's provisioning, the variables, the links and the thresholds drawn on panels."""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import yaml

from agent_telemetry.tooling.dashboards import cost, overview, runs
from agent_telemetry.tooling.rules.config import load_thresholds, parse_thresholds
from tests.dashboards.panel_queries import REPO, load_dashboards

DASHBOARDS = load_dashboards()
PROVISIONING = REPO / "grafana" / "provisioning"


def read_yaml(relative: str) -> Any:
    return yaml.safe_load((PROVISIONING / relative).read_text(encoding="utf-8"))


def datasources() -> dict[str, dict[str, Any]]:
    return {ds["uid"]: ds for ds in read_yaml("datasources/datasources.yaml")["datasources"]}


def walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def panel(uid: str, title: str, dashboards: list[dict[str, Any]] = DASHBOARDS) -> dict[str, Any]:
    return next(p for d in dashboards if d["uid"] == uid for p in d["panels"] if p["title"] == title)


def steps(p: dict[str, Any]) -> list[float | None]:
    return [s["value"] for s in p["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def test_datasources_have_fixed_uids_types_and_urls():
    assert {uid: (ds["type"], ds["url"]) for uid, ds in datasources().items()} == {
        "prometheus": ("prometheus", "http://prometheus:9090"),
        "jaeger": ("jaeger", "http://jaeger:16686"),
        "alertmanager": ("alertmanager", "http://alertmanager:9093"),
        "victorialogs": ("victoriametrics-logs-datasource", "http://victorialogs:9428"),
    }


def test_prometheus_is_the_default_and_links_exemplars_to_jaeger():
    prometheus = datasources()["prometheus"]
    assert prometheus["isDefault"] is True
    assert prometheus["jsonData"]["exemplarTraceIdDestinations"] == [
        {"name": "trace_id", "datasourceUid": "jaeger"}
    ]
    assert prometheus["jsonData"]["timeInterval"] == "60s"
    assert [ds["uid"] for ds in datasources().values() if ds.get("isDefault")] == ["prometheus"]


def test_victorialogs_links_each_events_trace_id_to_jaeger():
    (derived,) = datasources()["victorialogs"]["jsonData"]["derivedFields"]
    assert (derived["matcherType"], derived["matcherRegex"], derived["datasourceUid"]) == (
        "label",
        "trace_id",
        "jaeger",
    )


def test_compose_installs_the_victorialogs_data_source_plugin():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    plugins = compose["services"]["grafana"]["environment"]["GF_PLUGINS_PREINSTALL"]
    assert "victoriametrics-logs-datasource" in plugins.split(",")


def test_alertmanager_is_the_prometheus_implementation():
    assert datasources()["alertmanager"]["jsonData"] == {
        "implementation": "prometheus",
        "handleGrafanaManagedAlerts": False,
    }


def test_dashboard_provider_loads_the_mounted_directory_into_the_agent_telemetry_folder():
    (provider,) = read_yaml("dashboards/dashboards.yaml")["providers"]
    assert provider["type"] == "file"
    assert provider["folder"] == "Agent telemetry"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


def test_every_datasource_referenced_is_provisioned_or_the_datasource_variable():
    provisioned = set(datasources())
    for d in DASHBOARDS:
        for node in walk(d):
            ref = node.get("datasource")
            if isinstance(ref, dict):
                assert ref["uid"] in provisioned | {"${datasource}", "-- Grafana --"}, (d["uid"], ref)
            if "datasourceUid" in node:
                assert node["datasourceUid"] in provisioned
        for link in _urls(d):
            for uid in re.findall(r'"datasource":"([^"]+)"', urllib.parse.unquote(link)):
                assert uid in provisioned, (d["uid"], uid)


def test_every_dashboard_has_the_datasource_agent_provider_and_model_variables():
    for d in DASHBOARDS:
        variables = {v["name"]: v for v in d["templating"]["list"]}
        own = {
            "agent-events": ["run"],  # the run id its events panel shows
            "agent-compare": ["version_a", "version_b", "compare_offset"],
        }.get(d["uid"], [])
        assert list(variables) == ["datasource", "agent", "provider", "model", *own], d["uid"]
        assert variables["datasource"]["type"] == "datasource"
        assert variables["datasource"]["query"] == "prometheus"
        for name in ("agent", "provider", "model"):
            assert variables[name]["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert (variables[name]["multi"], variables[name]["includeAll"], variables[name]["allValue"]) == (
                True,
                True,
                ".*",
            )


def test_variables_are_label_values_of_a_contract_metric_and_narrow_each_other():
    (overview,) = (d for d in DASHBOARDS if d["uid"] == "agent-overview")
    shared = overview["templating"]["list"]
    variables = {v["name"]: v["query"] for v in shared if v["type"] == "query"}
    assert variables == {
        "agent": "label_values(agent_requests_total, gen_ai_agent_name)",
        "provider": 'label_values(agent_requests_total{gen_ai_agent_name=~"$agent"}, gen_ai_provider_name)',
        "model": 'label_values(agent_requests_total{gen_ai_agent_name=~"$agent", gen_ai_provider_name=~"$provider"}, '
        "gen_ai_request_model)",
    }
    assert all(d["templating"]["list"][: len(shared)] == shared for d in DASHBOARDS)


def test_the_compare_dashboard_picks_two_versions_of_the_runs_and_an_offset():
    (compare,) = (d for d in DASHBOARDS if d["uid"] == "agent-compare")
    own = {v["name"]: v for v in compare["templating"]["list"][4:]}
    runs_versions = 'label_values(agent_runs_total{gen_ai_agent_name=~"$agent"}, gen_ai_agent_version)'
    assert own["version_a"]["query"] == own["version_b"]["query"] == runs_versions
    assert (own["compare_offset"]["type"], own["compare_offset"]["query"]) == ("custom", "1d,1w")
    assert own["compare_offset"]["current"]["value"] == "1w"


def _urls(d: dict[str, Any]) -> list[str]:
    return [node["url"] for node in walk(d) if isinstance(node.get("url"), str)]


def test_dashboards_link_to_each_other_and_to_traces():
    uids = {d["uid"] for d in DASHBOARDS}
    for d in DASHBOARDS:
        assert d["links"][0] | {"tags": ["agent-telemetry"]} == d["links"][0]
        assert (d["links"][0]["type"], d["links"][0]["keepTime"], d["links"][0]["includeVars"]) == (
            "dashboards",
            True,
            True,
        )
        assert d["links"][1]["title"] == "Traces" and "/explore?" in d["links"][1]["url"]
        for url in _urls(d):
            target = re.match(r"/d/([^?]+)", url)
            assert target is None or target.group(1) in uids, url
    error_rate = panel("agent-overview", "Error rate by agent")
    (traces,) = error_rate["fieldConfig"]["defaults"]["links"]
    query = json.loads(urllib.parse.unquote(traces["url"].split("panes=", 1)[1]))["traces"]["queries"][0]
    agent = "${__field.labels.gen_ai_agent_name:percentencode}"
    assert query == {
        "refId": "A",
        "queryType": "search",
        "service": agent,
        "tags": f'gen_ai.agent.name="{agent}" error=true',
        "datasource": {"type": "jaeger", "uid": "jaeger"},
    }


def test_thresholds_on_panels_are_the_alert_thresholds():
    # prometheus/thresholds.yaml: error_rate 2% / 5%, latency 10 s, budget $50 at 80% / 100%, tools 10%.
    assert steps(panel("agent-overview", "Error rate (5m)")) == [None, 0.02, 0.05]
    assert steps(panel("agent-overview", "Error rate by agent")) == [None, 0.02, 0.05]
    assert steps(panel("agent-overview", "P95 latency (5m)")) == [None, 10]
    assert steps(panel("agent-overview", "Latency P50 / P95 / P99")) == [None, 10]
    assert steps(panel("agent-overview", "Tool error rate")) == [None, 0.1]
    assert steps(panel("agent-runs", "Tool error rate")) == [None, 0.1]
    assert steps(panel("agent-cost", "Spend vs daily budget")) == [None, 0.8, 1]
    assert steps(panel("agent-cost", "Spend, rolling 24 h")) == [None, 40, 50]
    assert steps(panel("agent-cost", "Rolling 24 h spend by agent")) == [None, 40, 50]
    assert steps(panel("agent-pipeline", "Telemetry freshness by agent")) == [None, 300, 900]
    lines = panel("agent-overview", "Error rate by agent")["fieldConfig"]["defaults"]["custom"][
        "thresholdsStyle"
    ]
    assert lines == {"mode": "dashed"}


def test_thresholds_follow_the_thresholds_file():
    document = yaml.safe_load((REPO / "prometheus" / "thresholds.yaml").read_text(encoding="utf-8"))
    document["error_rate"] |= {"warning": None, "critical": 0.2}
    document["latency"]["warning_seconds"] = 30
    document["daily_budget"] |= {"usd": 10, "agents": {"research-agent": 200}}
    t = parse_thresholds(document)
    models = [
        json.loads(json.dumps(b(t), default=lambda o: o.to_json())) for b in (overview.build, cost.build)
    ]
    assert steps(panel("agent-overview", "Error rate (5m)", models)) == [None, 0.2]
    assert steps(panel("agent-overview", "P95 latency (5m)", models)) == [None, 30]
    assert steps(panel("agent-cost", "Spend, rolling 24 h", models)) == [None, 8, 10]
    budget_expr = panel("agent-cost", "Spend vs daily budget", models)["targets"][0]["expr"]
    assert 'label_replace(vector(200), "gen_ai_agent_name", "research-agent", "", "")' in budget_expr
    assert "+ 10)" in budget_expr


def test_error_rate_panels_exclude_the_ignored_error_types_like_the_alert():
    t = load_thresholds(REPO / "prometheus" / "thresholds.yaml")
    assert t.ignored_error_types == ("cancelled",)
    expr = panel("agent-overview", "Error rate (5m)")["targets"][0]["expr"]
    assert 'error_type!~"cancelled"' in expr and "[5m]" in expr
    assert runs.build(t).uid == "agent-runs"


def test_generated_files_are_committed_under_grafana():
    assert sorted(p.name for p in (REPO / "grafana" / "dashboards").glob("*.json")) == [
        "agent-compare.json",
        "agent-computer-use.json",
        "agent-cost.json",
        "agent-events.json",
        "agent-overview.json",
        "agent-pipeline.json",
        "agent-runs.json",
    ]
    assert Path(PROVISIONING / "datasources" / "datasources.yaml").is_file()
