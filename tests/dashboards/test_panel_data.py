"""Every panel query and variable returns data from a real Prometheus holding backfilled telemetry."""

from __future__ import annotations

import copy
import json
import time
import urllib.parse
import urllib.request

import pytest

from tests.dashboards.backfill import AGENTS, ERROR_RATIO, PROVIDER_MODELS, RUN_SUCCESS_RATIO
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


def instant(prometheus, expr: str) -> list[float]:
    url = f"{prometheus.url}/api/v1/query?" + urllib.parse.urlencode(
        {"query": substitute(expr, rate_interval=RATE_INTERVAL), "time": prometheus.at}
    )
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
