"""SDK -> OTLP -> collector -> Prometheus remote write / Jaeger, on a real native stack."""

from __future__ import annotations

import uuid

import pytest
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.stack import jaeger, prom

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the first run builds the collector

BUCKETS = [0.5, 1.0, 10.0, 30.0]


def _resource() -> tuple[Resource, str, str]:
    """A service of its own per test, so tests sharing the session stack never see each other's series."""
    service, instance = f"stack-test-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    return Resource.create({"service.name": service, "service.instance.id": instance}), service, instance


def _meter_provider(exporter: MetricExporter, resource: Resource) -> MeterProvider:
    # Export only on shutdown: one cumulative point per series, so values are exact.
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    views = [
        View(
            instrument_name="agent.request.duration", aggregation=ExplicitBucketHistogramAggregation(BUCKETS)
        )
    ]
    return MeterProvider(metric_readers=[reader], resource=resource, views=views)


def test_metric_names_labels_and_values(running_stack):
    resource, service, instance = _resource()
    provider = _meter_provider(
        OTLPMetricExporter(endpoint=f"{running_stack.urls['otlp_http']}/v1/metrics"), resource
    )
    meter = provider.get_meter("agent_telemetry")
    labels = {"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini"}
    requests = meter.create_counter("agent.requests", unit="{request}")
    requests.add(3, labels)
    requests.add(4, labels)
    duration = meter.create_histogram("agent.request.duration", unit="s")
    for seconds in (0.2, 2.0, 12.0):
        duration.record(seconds, labels)
    cost = meter.create_counter("agent.cost.usd", unit="{USD}")
    cost.add(0.25, labels)
    cost.add(0.5, labels)
    tokens = meter.create_counter("agent.tokens", unit="{token}")
    tokens.add(100, {**labels, "gen_ai.token.type": "input"})
    tokens.add(20, {**labels, "gen_ai.token.type": "output"})
    provider.shutdown()

    base = running_stack.urls["prometheus"]
    job = f'job="{service}"'
    prom.wait_for(
        base, f"{{{job}, __name__=~'agent_.*'}}", count=11
    )  # 1 requests, 5 buckets, count, sum, 1 cost, 2 tokens

    assert prom.series_names(base, f"{{{job}}}") == {
        "agent_requests_total",
        "agent_request_duration_seconds_bucket",
        "agent_request_duration_seconds_count",
        "agent_request_duration_seconds_sum",
        "agent_cost_usd_total",
        "agent_tokens_total",
        "target_info",  # resource attributes, joinable on job/instance
    }
    common = {
        "job": service,
        "instance": instance,
        "gen_ai_provider_name": "openai",
        "gen_ai_request_model": "gpt-4o-mini",
        "otel_scope_name": "agent_telemetry",
    }
    assert prom.query(base, f"agent_requests_total{{{job}}}") == {
        frozenset({"__name__": "agent_requests_total", **common}.items()): "7"
    }
    assert prom.query(base, f"agent_cost_usd_total{{{job}}}") == {
        frozenset({"__name__": "agent_cost_usd_total", **common}.items()): "0.75"
    }
    tokens_by_type = {
        dict(labels)["gen_ai_token_type"]: value
        for labels, value in prom.query(base, f"agent_tokens_total{{{job}}}").items()
    }
    assert tokens_by_type == {"input": "100", "output": "20"}
    # Bucket bounds come through as Go's shortest float format: le="10", not "10.0".
    buckets = {
        dict(labels)["le"]: value
        for labels, value in prom.query(base, f"agent_request_duration_seconds_bucket{{{job}}}").items()
    }
    assert buckets == {"0.5": "1", "1": "1", "10": "2", "30": "3", "+Inf": "3"}
    assert prom.query(base, f'agent_request_duration_seconds_bucket{{{job}, le="10"}}')
    assert list(prom.query(base, f"agent_request_duration_seconds_count{{{job}}}").values()) == ["3"]
    assert list(prom.query(base, f"agent_request_duration_seconds_sum{{{job}}}").values()) == ["14.2"]


def test_otlp_grpc_receiver(running_stack):
    resource, service, _ = _resource()
    endpoint = running_stack.urls["otlp_grpc"]
    provider = _meter_provider(GrpcMetricExporter(endpoint=endpoint, insecure=True), resource)
    provider.get_meter("agent_telemetry").create_counter("agent.requests", unit="{request}").add(5)
    provider.shutdown()
    result = prom.wait_for(running_stack.urls["prometheus"], f'agent_requests_total{{job="{service}"}}')
    assert list(result.values()) == ["5"]


def test_spans_reach_jaeger(running_stack):
    resource, service, _ = _resource()
    provider = TracerProvider(resource=resource)
    exporter = OTLPSpanExporter(endpoint=f"{running_stack.urls['otlp_http']}/v1/traces")
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("agent_telemetry").start_as_current_span("chat gpt-4o-mini") as span:
        span.set_attribute("gen_ai.request.model", "gpt-4o-mini")
        trace_id = format(span.get_span_context().trace_id, "032x")
    provider.shutdown()

    [received] = jaeger.trace_spans(running_stack.urls["jaeger"], trace_id)
    assert received["operationName"] == "chat gpt-4o-mini"
    assert received["process"]["serviceName"] == service
    assert jaeger.tags(received) == {
        "gen_ai.request.model": "gpt-4o-mini",
        "otel.scope.name": "agent_telemetry",
        "span.kind": "internal",
    }


def test_prometheus_scrapes_itself_the_collector_and_alertmanager(running_stack):
    base = running_stack.urls["prometheus"]
    up = prom.wait_for(base, "up == 1", count=3)
    assert {dict(labels)["job"] for labels in up} == {"prometheus", "otel-collector", "alertmanager"}
    # The collector's own metrics arrive through that scrape; collector 0.162 exposes its counters
    # without a _total suffix (otelcol_receiver_accepted_metric_points, not ..._total).
    resource, _, _ = _resource()
    provider = _meter_provider(
        OTLPMetricExporter(endpoint=f"{running_stack.urls['otlp_http']}/v1/metrics"), resource
    )
    provider.get_meter("agent_telemetry").create_counter("agent.requests", unit="{request}").add(1)
    provider.shutdown()
    prom.wait_for(base, 'otelcol_receiver_accepted_metric_points{job="otel-collector"} > 0')
    prom.wait_for(base, 'otelcol_process_uptime{job="otel-collector"}')


def test_prometheus_sends_to_alertmanager(running_stack):
    active = prom.api(running_stack.urls["prometheus"], "alertmanagers")["activeAlertmanagers"]
    assert [am["url"] for am in active] == [f"{running_stack.urls['alertmanager']}/api/v2/alerts"]
