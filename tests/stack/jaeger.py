"""Reading traces from Jaeger's query API in tests: the endpoint Grafana's Jaeger data source reads."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any


def trace_spans(base_url: str, trace_id: str, count: int = 1, timeout: float = 60.0) -> list[dict[str, Any]]:
    """The spans of one trace (GET /api/traces/{id}), once Jaeger holds at least ``count`` of them.

    The collector batches for a second before it exports, and a trace's spans may arrive in more than
    one batch: poll until they are all there.
    """
    deadline = time.monotonic() + timeout
    spans: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/api/traces/{trace_id}", timeout=5) as response:
                (trace,) = json.load(response)["data"]
            spans = trace["spans"]
            if len(spans) >= count:
                for span in spans:
                    span["process"] = trace["processes"][span["processID"]]
                return spans
        except urllib.error.HTTPError as error:
            if error.code != 404:  # 404: not (yet) stored
                raise
        time.sleep(0.2)
    raise AssertionError(f"trace {trace_id}: {len(spans)} spans in Jaeger after {timeout}s, wanted {count}")


def tags(span: dict[str, Any]) -> dict[str, Any]:
    """A span's tags (its OpenTelemetry attributes, as Jaeger lists them) as a dict."""
    return {tag["key"]: tag["value"] for tag in span["tags"]}


def parent_id(span: dict[str, Any]) -> str | None:
    """The id of the span's parent in its trace (Jaeger's CHILD_OF reference), None for a root."""
    parents = [r["spanID"] for r in span["references"] if r["refType"] == "CHILD_OF"]
    return parents[0] if parents else None


def otlp_spans(base_url: str, trace_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(instrumentation scope name, span) of each span of a stored trace, from Jaeger's OTLP-shaped API
    (GET /api/v3/traces/{id}): parents as ``parentSpanId``, absent for a root."""
    with urllib.request.urlopen(f"{base_url}/api/v3/traces/{trace_id}", timeout=5) as response:
        resource_spans = json.load(response)["result"]["resourceSpans"]
    return [
        (scope_spans["scope"]["name"], span)
        for resource in resource_spans
        for scope_spans in resource["scopeSpans"]
        for span in scope_spans["spans"]
    ]
