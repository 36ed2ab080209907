"""The pipeline benchmark's synthetic fleet exports exactly our metric contract (benchmarks/pipeline)."""

from __future__ import annotations

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
