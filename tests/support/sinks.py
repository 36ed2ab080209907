"""Tiny HTTP servers that tests receive telemetry on: OTLP/HTTP (traces and metrics) and an alert webhook."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


class _Sink:
    """Serves POSTs on 127.0.0.1:<free port>; subclasses turn each body into records."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> _Sink:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = 60.0
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [r for r in self.records if match(r)]
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"nothing matching arrived in {timeout}s; got {len(self.records)} records")

    def parse(self, path: str, body: bytes) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":  # the collector's default
                    body = gzip.decompress(body)
                records = sink.parse(self.path, body)
                with sink._lock:
                    sink.records.extend(records)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def _attributes(key_values: Any) -> dict[str, Any]:
    return {kv.key: getattr(kv.value, kv.value.WhichOneof("value")) for kv in key_values}


class OtlpSink(_Sink):
    """OTLP/HTTP protobuf: ``records`` has one record per span (/v1/traces), ``metrics`` one per data point,
    ``logs`` one per log record (/v1/logs: events)."""

    def __init__(self) -> None:
        super().__init__()
        self.metrics: list[dict[str, Any]] = []
        self.logs: list[dict[str, Any]] = []

    @property
    def endpoint(self) -> str:
        return self.url

    @property
    def spans(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.records)

    def metric_points(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.metrics if m["name"] == name]

    def parse(self, path: str, body: bytes) -> list[dict[str, Any]]:
        if path == "/v1/metrics":
            points = _metric_points(ExportMetricsServiceRequest.FromString(body))
            with self._lock:
                self.metrics.extend(points)
            return []
        if path == "/v1/logs":
            logs = _log_records(ExportLogsServiceRequest.FromString(body))
            with self._lock:
                self.logs.extend(logs)
            return []
        if path != "/v1/traces":
            return []
        spans = []
        for resource_spans in ExportTraceServiceRequest.FromString(body).resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans.append(
                        {
                            "name": span.name,
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "attributes": _attributes(span.attributes),
                            "resource": resource,
                            "scope": scope_spans.scope.name,
                        }
                    )
        return spans


def _log_records(request: ExportLogsServiceRequest) -> list[dict[str, Any]]:
    records = []
    for resource_logs in request.resource_logs:
        resource = _attributes(resource_logs.resource.attributes)
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                attributes = _attributes(record.attributes)
                records.append(
                    {
                        "event_name": getattr(record, "event_name", "") or attributes.get("event.name", ""),
                        "attributes": attributes,
                        "trace_id": record.trace_id.hex(),
                        "span_id": record.span_id.hex(),
                        "resource": resource,
                    }
                )
    return records


def _metric_points(request: ExportMetricsServiceRequest) -> list[dict[str, Any]]:
    points = []
    for resource_metrics in request.resource_metrics:
        resource = _attributes(resource_metrics.resource.attributes)
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                data = getattr(metric, metric.WhichOneof("data"))
                for point in data.data_points:
                    points.append(
                        {
                            "name": metric.name,
                            "unit": metric.unit,
                            "attributes": _attributes(point.attributes),
                            "value": _point_value(point),
                            "resource": resource,
                        }
                    )
    return points


def _point_value(point: Any) -> Any:
    if hasattr(point, "bucket_counts"):
        return {"count": point.count, "sum": point.sum, "bounds": list(point.explicit_bounds)}
    return point.as_int if point.WhichOneof("value") == "as_int" else point.as_double


class WebhookSink(_Sink):
    """Alertmanager webhook payloads; one record per alert, with the payload's receiver and status."""

    def parse(self, path: str, body: bytes) -> list[dict[str, Any]]:
        payload = json.loads(body)
        return [{"receiver": payload.get("receiver"), "path": path, **alert} for alert in payload["alerts"]]
