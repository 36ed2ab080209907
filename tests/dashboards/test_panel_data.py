"""Every panel query and variable returns data from a real Prometheus holding backfilled telemetry."""

from __future__ import annotations

import copy
import json
import time
import urllib.parse
import urllib.request

import pytest

from tests.dashboards.backfill import AGENTS, ERROR_RATIO, PROVIDER_MODELS, RUN_SUCCESS_RATIO, V2_COST_FACTOR
from tests.dashboards.panel_queries import (
    MAY_BE_EMPTY_WITHOUT_FAILURES,
    assert_every_panel_returns_data,
    assert_every_variable_resolves,
    load_dashboards,
    substitute,
    variable_values,
)
from tests.dashboards.test_provisioning_and_links import panel

pytestmark = pytest.mark.e2e  # a real Prometheus, loaded with backfilled series

# The backfill has every metric: no panel may stay empty (rate windows of 4 samples at 30 s).
ALLOWED_EMPTY: dict[str, str] = {}
RATE_INTERVAL = "2m"


def instant(prometheus, expr: str, versions: dict[str, str] | None = None) -> list[float]:
    query = substitute(expr, rate_interval=RATE_INTERVAL, versions=versions)
    url = f"{prometheus.url}/api/v1/query?" + urllib.parse.urlencode({"query": query, "time": prometheus.at})
    with urllib.request.urlopen(url) as response:
        return [float(r["value"][1]) for r in json.load(response)["data"]["result"]]


def test_every_panel_query_returns_data(backfilled_prometheus):
    assert_every_panel_returns_data(
        backfilled_prometheus.url, ALLOWED_EMPTY, at=backfilled_prometheus.at, rate_interval=RATE_INTERVAL
    )


def test_an_empty_query_is_reported_with_its_panel_and_expression(backfilled_prometheus):
    dashboards = copy.deepcopy(load_dashboards()[:1])
    dashboards[0]["panels"][1]["targets"][0]["expr"] = "rate(no_such_metric_total[$__rate_interval])"
    title = dashboards[0]["panels"][1]["title"]
    with pytest.raises(
        AssertionError, match=rf"{dashboards[0]['uid']}/{title}/A: rate\(no_such_metric_total\[2m\]\)"
    ):
        assert_every_panel_returns_data(
            backfilled_prometheus.url,
            {},
            at=backfilled_prometheus.at,
            rate_interval="2m",
            dashboards=dashboards,
        )


def test_allowed_empty_must_name_real_panels(backfilled_prometheus):
    with pytest.raises(AssertionError, match="allowed_empty names no such panel"):
        assert_every_panel_returns_data(backfilled_prometheus.url, {"agent-cost/No such panel": "typo"})


def test_the_may_be_empty_table_names_real_panels_and_says_why(backfilled_prometheus):
    # Every key names a real panel (or query), so the end-to-end test can pass it as is.
    assert_every_panel_returns_data(
        backfilled_prometheus.url,
        MAY_BE_EMPTY_WITHOUT_FAILURES,
        at=backfilled_prometheus.at,
        rate_interval=RATE_INTERVAL,
    )
    assert all(MAY_BE_EMPTY_WITHOUT_FAILURES.values())


def test_every_variable_resolves_to_the_backfilled_values(backfilled_prometheus):
    assert_every_variable_resolves(backfilled_prometheus.url, at=backfilled_prometheus.at)
    variables = {v["name"]: v for v in load_dashboards()[0]["templating"]["list"]}
    at = backfilled_prometheus.at
    assert variable_values(backfilled_prometheus.url, variables["agent"], at) == sorted(AGENTS)
    assert variable_values(backfilled_prometheus.url, variables["provider"], at) == ["anthropic", "openai"]
    assert variable_values(backfilled_prometheus.url, variables["model"], at) == sorted(
        m for _, m in PROVIDER_MODELS
    )


def test_ratio_panels_compute_the_exact_ratio(backfilled_prometheus):
    (error_rate,) = instant(
        backfilled_prometheus, panel("agent-overview", "Error rate (5m)")["targets"][0]["expr"]
    )
    assert error_rate == pytest.approx(ERROR_RATIO)
    (success,) = instant(backfilled_prometheus, panel("agent-runs", "Success rate")["targets"][0]["expr"])
    assert success == pytest.approx(RUN_SUCCESS_RATIO)
    budget = instant(
        backfilled_prometheus, panel("agent-cost", "Spend vs daily budget")["targets"][0]["expr"]
    )
    assert len(budget) == len(AGENTS)


def test_the_version_variables_list_the_versions_of_the_runs(backfilled_prometheus):
    (compare,) = (d for d in load_dashboards() if d["uid"] == "agent-compare")
    variables = {v["name"]: v for v in compare["templating"]["list"]}
    for name in ("version_a", "version_b"):
        assert variable_values(backfilled_prometheus.url, variables[name], backfilled_prometheus.at) == [
            "v1",
            "v2",
        ]


def test_compare_shows_the_known_change_between_two_versions(backfilled_prometheus):
    versions = {"version_a": "v1", "version_b": "v2"}
    expr = panel("agent-compare", "Cost per run: B vs A")["targets"][0]["expr"]
    assert instant(backfilled_prometheus, expr, versions) == [pytest.approx(V2_COST_FACTOR - 1)]
    expr = panel("agent-compare", "Run success rate: B vs A")["targets"][0]["expr"]
    assert instant(backfilled_prometheus, expr, versions) == [pytest.approx(0)]  # same in both
    # Two samples of one version: no change.
    same = {"version_a": "v1", "version_b": "v1"}
    expr = panel("agent-compare", "Cost per run: B vs A")["targets"][0]["expr"]
    assert instant(backfilled_prometheus, expr, same) == [pytest.approx(0)]


def test_compare_with_the_previous_period_reads_the_same_steady_rate_as_no_change(backfilled_prometheus):
    # The backfill grows linearly: the last hour against the hour before it is no change at all.
    expr = panel("agent-compare", "Cost per run vs $compare_offset before")["targets"][0]["expr"]
    assert instant(backfilled_prometheus, expr) == [pytest.approx(0)]


def test_cost_by_feature_and_token_efficiency_read_the_backfill(backfilled_prometheus):
    by_feature = panel("agent-cost", "Cost per run by feature")["targets"][1]["expr"]
    assert len(instant(backfilled_prometheus, by_feature)) == len(AGENTS) * 2  # agents x features
    cache = panel("agent-cost", "Cache hit ratio by agent")["targets"][0]["expr"]
    # Every token type grows alike in the backfill: cache reads are 1 of the 3 input types.
    assert instant(backfilled_prometheus, cache) == [pytest.approx(1 / 3)] * len(AGENTS)


def exported_metric_names(url: str) -> set[str]:
    with urllib.request.urlopen(f"{url}/metrics") as response:
        return {line.split("{")[0].split(" ")[0] for line in response.read().decode().splitlines()}


def test_prometheus_itself_exports_the_metrics_the_pipeline_dashboard_reads(backfilled_prometheus):
    expected = {
        "prometheus_tsdb_head_samples_appended_total",
        "prometheus_tsdb_head_series",
        "prometheus_http_requests_total",
        "prometheus_rule_evaluation_failures_total",
        "prometheus_rule_group_last_duration_seconds",
        "prometheus_rule_group_interval_seconds",
    }
    # Samples-appended appears with the first append: the first rule evaluation (every second here).
    deadline = time.monotonic() + 120
    while not expected <= (exported := exported_metric_names(backfilled_prometheus.url)):
        assert time.monotonic() < deadline, f"never exported: {sorted(expected - exported)}"
        time.sleep(0.5)
