"""The committed dashboards are valid Grafana 12.1 dashboard models (schemaVersion 41)."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from grafana_foundation_sdk.models import units

from agent_telemetry import contract
from agent_telemetry.tooling.dashboards import GRAFANA_VERSION, SCHEMA_VERSION
from tests.dashboards.panel_queries import load_dashboards, panel_queries

DASHBOARDS = load_dashboards()
BY_UID = {d["uid"]: d for d in DASHBOARDS}

# Core panel plugins of Grafana 12.1 that these dashboards use (public/app/plugins/panel/*).
GRAFANA_12_PANEL_TYPES = {"row", "timeseries", "stat", "bargauge", "heatmap", "table", "logs"}
# Every unit id the Grafana Foundation SDK knows (generated from Grafana's value formats).
GRAFANA_UNITS = {
    value for name, value in vars(units).items() if not name.startswith("_") and isinstance(value, str)
}
REQUIRED_FIELDS = {
    "uid",
    "title",
    "panels",
    "schemaVersion",
    "templating",
    "time",
    "annotations",
    "tags",
    "links",
}


def all_panels() -> list[tuple[str, dict[str, Any]]]:
    return [(d["uid"], p) for d in DASHBOARDS for p in d["panels"]]


def test_the_six_dashboards_have_stable_uids_and_titles():
    assert {d["uid"]: d["title"] for d in DASHBOARDS} == {
        "agent-overview": "Agent overview",
        "agent-cost": "Agent cost",
        "agent-runs": "Agent runs and tools",
        "agent-computer-use": "Agent computer use",
        "agent-pipeline": "Agent telemetry pipeline",
        "agent-events": "Agent events",
        "agent-compare": "Agent compare",
    }


def test_targets_grafana_12_1_with_schema_version_41():
    assert (GRAFANA_VERSION, SCHEMA_VERSION) == ("12.1.0", 41)
    for d in DASHBOARDS:
        assert d["schemaVersion"] == 41, d["uid"]
        assert d.keys() >= REQUIRED_FIELDS, (d["uid"], REQUIRED_FIELDS - d.keys())
        assert "id" not in d, "a provisioned dashboard must not carry a database id"
        assert d["tags"] == ["agent-telemetry"]


@pytest.mark.parametrize("uid", sorted(BY_UID))
def test_panel_ids_are_unique_within_a_dashboard(uid):
    ids = [p["id"] for p in BY_UID[uid]["panels"]]
    assert len(ids) == len(set(ids))
    assert ids == list(range(1, len(ids) + 1))


@pytest.mark.parametrize("uid", sorted(BY_UID))
def test_panels_fit_the_24_column_grid_without_overlapping(uid):
    boxes = [(p["title"], p["gridPos"]) for p in BY_UID[uid]["panels"]]
    for title, g in boxes:
        assert g["x"] >= 0 and g["y"] >= 0 and g["w"] >= 1 and g["h"] >= 1, title
        assert g["x"] + g["w"] <= 24, f"{title} overflows the grid: {g}"
    for (a, ga), (b, gb) in itertools.combinations(boxes, 2):
        apart = (
            ga["x"] + ga["w"] <= gb["x"]
            or gb["x"] + gb["w"] <= ga["x"]
            or ga["y"] + ga["h"] <= gb["y"]
            or gb["y"] + gb["h"] <= ga["y"]
        )
        assert apart, f"{a!r} {ga} overlaps {b!r} {gb}"


def test_panel_types_exist_in_grafana_12():
    used = {p["type"] for _, p in all_panels()}
    assert used <= GRAFANA_12_PANEL_TYPES, used - GRAFANA_12_PANEL_TYPES


def test_every_data_panel_sets_a_known_grafana_unit():
    for uid, p in all_panels():
        if p["type"] == "row":
            continue
        unit = p["fieldConfig"]["defaults"].get("unit")
        assert unit in GRAFANA_UNITS, f"{uid}/{p['title']}: unit {unit!r}"


def test_units_match_what_the_panel_shows():
    units_by_title = {
        (uid, p["title"]): p["fieldConfig"]["defaults"]["unit"]
        for uid, p in all_panels()
        if p["type"] != "row"
    }
    assert units_by_title[("agent-overview", "Error rate (5m)")] == "percentunit"
    assert units_by_title[("agent-overview", "P95 latency (5m)")] == "s"
    assert units_by_title[("agent-overview", "Cost, last hour")] == "currencyUSD"
    assert units_by_title[("agent-overview", "Tokens per second")] == "short"
    assert units_by_title[("agent-computer-use", "Screenshot size P50 / P95")] == "bytes"


def test_every_non_row_panel_has_a_description_and_queries():
    for uid, p in all_panels():
        if p["type"] != "row":
            assert p["description"], f"{uid}/{p['title']}"
            assert p["targets"], f"{uid}/{p['title']}"


def test_rate_windows_are_the_rate_interval_or_a_named_window():
    # $__rate_interval on graphs; the alert's own window where a panel shows what an alert sees.
    windows = {w for q in panel_queries(DASHBOARDS) for w in re.findall(r"\[([^\]]+)\]", q.expr)}
    assert windows == {"$__rate_interval", "$__range", "5m", "1h", "1d", "7d", "6h:15s"}


def test_exemplars_are_on_the_latency_quantiles():
    latency = next(p for _, p in all_panels() if p["title"] == "Latency P50 / P95 / P99")
    assert [t.get("exemplar") for t in latency["targets"]] == [True, True, True]


def test_every_agent_metric_queried_is_in_the_contract():
    contract_series = {
        m.prometheus_name + suffix
        for m in contract.ALL_METRICS
        for suffix in (("_bucket", "_sum", "_count") if m.kind is contract.Kind.HISTOGRAM else ("",))
    }
    for q in panel_queries(DASHBOARDS):
        unquoted = re.sub(r'"[^"]*"', '""', q.expr)
        unquoted = re.sub(r"\b(by|on|without) \([^)]*\)", "", unquoted)  # label names, not metrics
        for name in re.findall(r"\b(agent_[a-z_]+)\b", unquoted):
            assert name in contract_series, f"{q.key}: {name} is not in the metric contract"
