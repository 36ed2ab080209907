"""The pipeline benchmark's synthetic fleet exports exactly our metric contract (benchmarks/pipeline)."""

from __future__ import annotations

import re

import yaml
from benchmarks.pipeline import __main__ as bench
from benchmarks.pipeline import fleet
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1 import metrics_pb2

from agent_telemetry import contract

CONTRACT = {m.otel_name: m for m in contract.ALL_METRICS}


def _exported(size: int) -> list[ExportMetricsServiceRequest]:
    return [ExportMetricsServiceRequest.FromString(p.export(2_000)) for p in fleet.make_fleet(size, 1_000)]


def _metrics(requests: list[ExportMetricsServiceRequest]) -> list[metrics_pb2.Metric]:
    return [m for r in requests for rm in r.resource_metrics for sm in rm.scope_metrics for m in sm.metrics]


def test_a_fleet_exports_every_contract_metric_and_no_other() -> None:
    names = {m.name for m in _metrics(_exported(fleet.COMPUTER_USE_EVERY))}

    assert names == set(CONTRACT)


def test_every_point_carries_exactly_its_metrics_attribute_keys_and_unit() -> None:
    for metric in _metrics(_exported(fleet.COMPUTER_USE_EVERY)):
        points = metric.sum.data_points if metric.HasField("sum") else metric.histogram.data_points
        assert metric.unit == CONTRACT[metric.name].unit
        for point in points:
            assert tuple(kv.key for kv in point.attributes) == CONTRACT[metric.name].attributes


def test_histograms_have_the_contract_buckets_and_all_points_are_cumulative() -> None:
    for metric in _metrics(_exported(fleet.COMPUTER_USE_EVERY)):
        if metric.HasField("histogram"):
            assert metric.histogram.aggregation_temporality == fleet.CUMULATIVE
            assert {tuple(p.explicit_bounds) for p in metric.histogram.data_points} == {
                CONTRACT[metric.name].buckets
            }
        else:
            assert metric.sum.aggregation_temporality == fleet.CUMULATIVE
            assert metric.sum.is_monotonic


def test_each_process_is_one_resource_with_its_own_instance_id() -> None:
    requests = _exported(20)
    instance_ids = [
        kv.value.string_value
        for r in requests
        for rm in r.resource_metrics
        for kv in rm.resource.attributes
        if kv.key == contract.ResourceAttr.SERVICE_INSTANCE_ID
    ]

    assert [len(r.resource_metrics) for r in requests] == [1] * 20
    assert len(set(instance_ids)) == 20


def test_the_label_spread_stays_within_the_contract_caps() -> None:
    values: dict[str, set[str]] = {}
    for index in range(10_000):
        for key, chosen in fleet.label_values(index).items():
            values.setdefault(key, set()).update(chosen)

    assert {key: len(v) for key, v in values.items() if len(v) > 1} == {
        contract.Attr.AGENT_NAME: fleet.AGENTS,
        contract.Attr.AGENT_VERSION: fleet.VERSIONS,
        contract.Attr.FEATURE: fleet.FEATURES,
        contract.Attr.PROVIDER_NAME: 2,
        contract.Attr.REQUEST_MODEL: fleet.MODELS,
        contract.Attr.TOKEN_TYPE: len(contract.TOKEN_TYPES),
        contract.Attr.TOOL_NAME: fleet.TOOLS,
        contract.Attr.STATUS: 2,
    }


def test_a_healthy_fleet_holds_its_failed_call_counters_while_the_others_advance() -> None:
    process = fleet.make_process(0, 1_000)
    process.export(2_000)
    request = ExportMetricsServiceRequest.FromString(process.export(3_000))

    moved = {
        m.name: {p.as_double for p in m.sum.data_points} for m in _metrics([request]) if m.HasField("sum")
    }

    assert {name: values for name, values in moved.items() if name in fleet.FAILURE_METRICS} == {
        contract.REQUEST_ERRORS.otel_name: {0.0},
        contract.REQUEST_RETRIES.otel_name: {0.0},
        contract.TOOL_ERRORS.otel_name: {0.0},
        contract.LABEL_OVERFLOW.otel_name: {0.0},
        contract.INTERNAL_ERRORS.otel_name: {0.0},
    }
    assert moved[contract.REQUESTS.otel_name] == {2.0}


def test_the_timed_alert_is_the_call_error_alert_with_the_shortest_for_in_prometheus_rules() -> None:
    groups = yaml.safe_load(bench.ALERT_RULES.read_text())["groups"]
    on_call_errors = [r for g in groups for r in g["rules"] if "agent_requests_errors" in r.get("expr", "")]
    shortest = min(bench.duration_s(r["for"]) for r in on_call_errors if "alert" in r)

    rule = bench.alert_rule()

    assert (rule["alert"], rule["labels"]["severity"], rule["for"]) == (
        "AgentAvailabilityErrorBudgetBurn",
        "critical",
        "2m",
    )
    assert bench.duration_s(rule["for"]) == shortest


def test_the_alert_probe_fails_more_of_its_calls_than_the_alert_allows() -> None:
    thresholds = [float(t) for t in re.findall(r"ratio_rate\w+ > ([0-9.]+)", bench.alert_rule()["expr"])]

    assert thresholds == [0.072, 0.072]
    assert max(thresholds) < bench.ALERT_ERRORS_PER_EXPORT / bench.ALERT_REQUESTS_PER_EXPORT


def test_the_alert_probe_exports_its_calls_and_failures_under_its_own_agent() -> None:
    request = ExportMetricsServiceRequest.FromString(fleet.alert_probe_request(120.0, 30.0, 1_000, 2_000))

    points = {
        m.name: [
            (p.as_double, {kv.key: kv.value.string_value for kv in p.attributes}) for p in m.sum.data_points
        ]
        for m in _metrics([request])
    }

    assert {name: [value for value, _ in p] for name, p in points.items()} == {
        contract.REQUESTS.otel_name: [120.0],
        contract.REQUEST_ERRORS.otel_name: [30.0],
    }
    errors = points[contract.REQUEST_ERRORS.otel_name][0][1]
    assert (errors[contract.Attr.AGENT_NAME], errors[contract.Attr.ERROR_TYPE]) == (
        fleet.ALERT_AGENT,
        "probe",
    )
