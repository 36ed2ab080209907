"""Reading Prometheus through its HTTP API in tests."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any


def api(base_url: str, path: str, **params: str) -> Any:
    url = f"{base_url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return body["data"]


def query(base_url: str, promql: str) -> dict[frozenset[tuple[str, str]], str]:
    """Instant vector as {frozenset(labels): value string}."""
    result = api(base_url, "query", query=promql)["result"]
    return {frozenset(r["metric"].items()): r["value"][1] for r in result}


def wait_for(base_url: str, promql: str, count: int = 1, timeout: float = 60.0) -> dict[frozenset, str]:
    """Poll until the query returns at least ``count`` series (remote write lands within ~2 s)."""
    deadline = time.monotonic() + timeout
    result: dict[frozenset, str] = {}
    while time.monotonic() < deadline:
        result = query(base_url, promql)
        if len(result) >= count:
            return result
        time.sleep(0.2)
    raise AssertionError(f"{promql!r}: {len(result)} series after {timeout}s, wanted {count}: {result}")


def series_names(base_url: str, match: str) -> set[str]:
    return {s["__name__"] for s in api(base_url, "series", **{"match[]": match})}


def wait_for_rule_evaluation(base_url: str, after: float, timeout: float = 60.0) -> None:
    """Poll until every rule group has been evaluated since ``after`` (a ``time.time()``)."""
    deadline = time.monotonic() + timeout
    while True:
        groups = api(base_url, "rules")["groups"]
        last = [
            datetime.fromisoformat(g["lastEvaluation"].replace("Z", "+00:00")).timestamp() for g in groups
        ]
        if last and min(last) > after:
            return
        assert time.monotonic() < deadline, f"rule groups not evaluated within {timeout:g}s of {after}"
        time.sleep(0.2)


def exemplars(base_url: str, promql: str, timeout: float = 20.0) -> list[dict[str, Any]]:
    """The exemplars of the last hour of the series ``promql`` selects, once there are any (they land
    with the samples); an empty list after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        now = time.time()
        series = api(base_url, "query_exemplars", query=promql, start=str(now - 3600), end=str(now))
        found = [exemplar for s in series for exemplar in s["exemplars"]]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)
