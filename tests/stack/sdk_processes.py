"""What one short-lived process's SDK sends, simulated cheaply: a MeterProvider with its own
service.instance.id that exports twice (mid-run and at exit); ``run_processes`` runs many of them 8 at a
time so that their exports interleave at the collector."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

PROCESSES = 200
DELTA = {Counter: AggregationTemporality.DELTA, Histogram: AggregationTemporality.DELTA}
LABELS = {"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini"}


def one_process(otlp_http: str, service: str, temporality: dict | None) -> None:
    """One process's SDK: a request and a duration mid-run, another at exit; two exports."""
    resource = Resource.create({"service.name": service, "service.instance.id": uuid.uuid4().hex})
    exporter = OTLPMetricExporter(endpoint=f"{otlp_http}/v1/metrics", preferred_temporality=temporality)
    provider = MeterProvider(
        metric_readers=[PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)],
        resource=resource,
    )
    meter = provider.get_meter("agent_telemetry")
    requests = meter.create_counter("agent.requests", unit="{request}")
    duration = meter.create_histogram("agent.request.duration", unit="s")
    for _ in range(2):
        requests.add(1, LABELS)
        duration.record(0.5, LABELS)
        provider.force_flush()
    provider.shutdown()


def run_processes(otlp_http: str, service: str, temporality: dict | None) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        for result in [pool.submit(one_process, otlp_http, service, temporality) for _ in range(PROCESSES)]:
            result.result()
