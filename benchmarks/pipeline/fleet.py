"""A synthetic fleet of agent processes as OTLP: ExportMetricsServiceRequest messages built on the protobufs.

Every metric, attribute key and bucket boundary comes from ``agent_telemetry.contract``, so the traffic
is exactly what our SDK exports; one resource per process (its own ``service.instance.id``), cumulative
temporality (the SDK default). One Python process plays the whole fleet: each synthetic process keeps
its request message and, at each export, has its points restamped and their values advanced in place.

The label spread (bounded, like the contract's caps): ``AGENTS`` agents, each with one model of
``MODELS`` (two providers), three tools of ``TOOLS``, one version of ``VERSIONS`` per process and one
feature of ``FEATURES``; one process in ``COMPUTER_USE_EVERY`` is a computer-use agent (actions,
screenshots). Per process: two run statuses, one error type, every token type.

The fleet is healthy: its failure counters (call errors, retries, tool errors, folded labels, our own
internal errors) exist but do not move, so no error-rate alert fires for it. The alert probe
(``alert_probe_request``) is the one agent that fails.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from agent_telemetry import contract
from agent_telemetry.contract import Attr, Kind

AGENTS = 50
MODELS = 12
TOOLS = 60
VERSIONS = 3
FEATURES = 8
TOOLS_PER_AGENT = 3
COMPUTER_USE_EVERY = 10
PROVIDERS = ("openai", "anthropic")
SCOPE = "agent_telemetry"
CUMULATIVE = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE
# Only computer-use agents record these.
COMPUTER_USE_METRICS = frozenset(
    m.otel_name
    for m in (
        contract.ACTIONS,
        contract.ACTIONS_BLOCKED,
        contract.ACTION_DURATION,
        contract.SCREENSHOTS,
        contract.SCREENSHOT_SIZE,
    )
)
# Held at 0: a healthy fleet's calls do not fail (the alert probe's do) and no label is folded.
FAILURE_METRICS = frozenset(
    m.otel_name
    for m in (
        contract.REQUEST_ERRORS,
        contract.REQUEST_RETRIES,
        contract.TOOL_ERRORS,
        contract.LABEL_OVERFLOW,
        contract.INTERNAL_ERRORS,
    )
)
MARKER_AGENT = "pipebench-marker"
ALERT_AGENT = "pipebench-alert"


def label_values(index: int) -> dict[str, tuple[str, ...]]:
    """The values process ``index`` records for each attribute key of the contract."""
    agent = index % AGENTS
    model = agent % MODELS
    return {
        Attr.AGENT_NAME: (f"agent-{agent:02d}",),
        Attr.AGENT_VERSION: (f"v{(index // AGENTS) % VERSIONS + 1}",),
        Attr.FEATURE: (f"feature-{index % FEATURES}",),
        Attr.PROVIDER_NAME: (PROVIDERS[model % len(PROVIDERS)],),
        Attr.OPERATION_NAME: ("chat",),
        Attr.REQUEST_MODEL: (f"model-{model:02d}",),
        Attr.TOKEN_TYPE: contract.TOKEN_TYPES,
        Attr.ERROR_TYPE: ("rate_limit",),
        Attr.TOOL_NAME: tuple(
            f"tool-{(agent * TOOLS_PER_AGENT + j) % TOOLS:02d}" for j in range(TOOLS_PER_AGENT)
        ),
        Attr.EVALUATION_NAME: ("llm_judge",),
        Attr.STATUS: ("success", "failure"),
        Attr.LIMIT: ("cost",),
        Attr.ACTION: ("click",),
        Attr.OUTCOME: ("success",),
        Attr.REASON: ("safety_check",),
        Attr.LABEL: (contract.TOOL,),
        Attr.COMPONENT: ("openai.chat.observe_request",),
    }


def metrics_of(index: int) -> tuple[contract.Metric, ...]:
    computer_use = index % COMPUTER_USE_EVERY == 0
    return tuple(m for m in contract.ALL_METRICS if computer_use or m.otel_name not in COMPUTER_USE_METRICS)


def attribute_sets(metric: contract.Metric, values: Mapping[str, Sequence[str]]) -> Iterator[dict[str, str]]:
    """Every combination of the process's values over the metric's attribute keys."""
    for combo in itertools.product(*(values[key] for key in metric.attributes)):
        yield dict(zip(metric.attributes, combo, strict=True))


def _key_values(attributes: Mapping[str, str]) -> list[KeyValue]:
    return [KeyValue(key=k, value=AnyValue(string_value=v)) for k, v in attributes.items()]


def prometheus_series(metric: contract.Metric) -> int:
    """Series one data point of ``metric`` makes in Prometheus: a bucket per boundary and +Inf, sum, count."""
    return len(metric.buckets) + 3 if metric.kind is Kind.HISTOGRAM else 1


@dataclass
class Process:
    """One synthetic agent process: its export request, kept and advanced in place."""

    index: int
    request: ExportMetricsServiceRequest
    sums: list[metrics_pb2.NumberDataPoint] = field(default_factory=list)
    failures: list[metrics_pb2.NumberDataPoint] = field(default_factory=list)  # restamped, held
    histograms: list[metrics_pb2.HistogramDataPoint] = field(default_factory=list)
    series: int = 0  # Prometheus series of its points, without target_info

    @property
    def points(self) -> int:
        return len(self.sums) + len(self.failures) + len(self.histograms)

    def export(self, now_ns: int) -> bytes:
        """The next export: every point restamped at ``now_ns``, counters and histograms advanced."""
        step = 1 + self.index % 7
        for point in self.sums:
            point.time_unix_nano = now_ns
            point.as_double += step
        for point in self.failures:
            point.time_unix_nano = now_ns
        for point in self.histograms:
            point.time_unix_nano = now_ns
            point.count += 1
            point.sum += point.explicit_bounds[step % len(point.explicit_bounds)]
            point.bucket_counts[step % len(point.bucket_counts)] += 1
        return self.request.SerializeToString()


def make_process(index: int, start_ns: int, service_prefix: str = "agent-svc") -> Process:
    values = label_values(index)
    request = ExportMetricsServiceRequest()
    resource_metrics = request.resource_metrics.add()
    agent = values[Attr.AGENT_NAME][0]
    resource_metrics.resource.CopyFrom(
        Resource(
            attributes=_key_values(
                {
                    contract.ResourceAttr.SERVICE_NAME: f"{service_prefix}-{agent}",
                    contract.ResourceAttr.SERVICE_INSTANCE_ID: f"proc-{index:06d}",
                }
            )
        )
    )
    scope_metrics = resource_metrics.scope_metrics.add()
    scope_metrics.scope.CopyFrom(InstrumentationScope(name=SCOPE))
    process = Process(index, request)
    for metric in metrics_of(index):
        out = scope_metrics.metrics.add(
            name=metric.otel_name, unit=metric.unit, description=metric.description
        )
        for attributes in attribute_sets(metric, values):
            process.series += prometheus_series(metric)
            if metric.kind is Kind.COUNTER:
                out.sum.aggregation_temporality = CUMULATIVE
                out.sum.is_monotonic = True
                point = out.sum.data_points.add(start_time_unix_nano=start_ns, as_double=0.0)
                point.attributes.extend(_key_values(attributes))
                held = metric.otel_name in FAILURE_METRICS
                (process.failures if held else process.sums).append(point)
            else:
                out.histogram.aggregation_temporality = CUMULATIVE
                point = out.histogram.data_points.add(
                    start_time_unix_nano=start_ns,
                    explicit_bounds=metric.buckets,
                    bucket_counts=[0] * (len(metric.buckets) + 1),
                )
                point.attributes.extend(_key_values(attributes))
                process.histograms.append(point)
    return process


def make_fleet(size: int, start_ns: int) -> list[Process]:
    return [make_process(index, start_ns) for index in range(size)]


def _single_agent_request(
    service: str, agent: str, counters: Sequence[tuple[contract.Metric, float]], start_ns: int, now_ns: int
) -> bytes:
    """One process of its own (``service``) exporting a point of each counter, labelled ``agent``."""
    request = ExportMetricsServiceRequest()
    resource_metrics = request.resource_metrics.add()
    resource_metrics.resource.attributes.extend(
        _key_values(
            {
                contract.ResourceAttr.SERVICE_NAME: service,
                contract.ResourceAttr.SERVICE_INSTANCE_ID: service,
            }
        )
    )
    scope_metrics = resource_metrics.scope_metrics.add()
    for counter, value in counters:
        metric = scope_metrics.metrics.add(name=counter.otel_name, unit=counter.unit)
        metric.sum.aggregation_temporality = CUMULATIVE
        metric.sum.is_monotonic = True
        point = metric.sum.data_points.add(
            start_time_unix_nano=start_ns, time_unix_nano=now_ns, as_double=value
        )
        point.attributes.extend(
            _key_values({key: agent if key == Attr.AGENT_NAME else "probe" for key in counter.attributes})
        )
    return request.SerializeToString()


def marker_request(value: float, start_ns: int, now_ns: int) -> bytes:
    """A single counter point on its own resource: the freshness probe (its value identifies it)."""
    return _single_agent_request(
        "pipebench-marker", MARKER_AGENT, [(contract.REQUESTS, value)], start_ns, now_ns
    )


def alert_probe_request(requests: float, errors: float, start_ns: int, now_ns: int) -> bytes:
    """The alert probe's export: its calls and failed calls so far (``error_type`` "probe", not cancelled)."""
    return _single_agent_request(
        "pipebench-alert",
        ALERT_AGENT,
        [(contract.REQUESTS, requests), (contract.REQUEST_ERRORS, errors)],
        start_ns,
        now_ns,
    )
