"""Synthetic fleets of agent processes through the real pipeline (native collector + Prometheus).

    .venv/bin/python -m benchmarks.pipeline     # 100, 1,000, 10,000, then 1,000 on Thanos: 20-30 min
    .venv/bin/python -m benchmarks.pipeline --sizes 100 --scale-out-sizes '' --interval 30 --rounds 2

For each size: a fresh `agent_telemetry.tooling.stack` (the committed collector config and Prometheus
with its rules), the fleet (``fleet.py``) exporting once per ``--interval`` (the SDK's default, 60 s),
staggered over the interval like independent processes; one warm-up round creates the series, then
``--rounds`` rounds are measured: the collector's and Prometheus's CPU and RSS from /proc, Prometheus's
own metrics (head series, samples appended, WAL size, rule-group durations), and freshness: a marker
counter sent every few seconds, polled through the query API until it reads the value sent.

Alert latency: one more agent (``AlertProbe``) starts failing half its calls with the fleet's first
round; it is timed until the committed rules' ``AgentAvailabilityErrorBudgetBurn`` (critical, the
shortest ``for:`` of the alerts on failed calls) is pending and firing in Prometheus and active in
Alertmanager (the fleet runs up to ``ALERT_EXTRA_ROUNDS`` unmeasured rounds more while it waits; at
least ``for:`` + a few evaluation intervals, so ``--interval`` x (``--rounds`` + 3) must exceed it).
Disk: after the rounds, a TSDB snapshot (Prometheus runs with --web.enable-admin-api here) writes the
head as a block; its (chunks + index) / samples is the block bytes per sample. The smallest fleet first
gets an hour of backdated history, so that its block holds full chunks.
Prints Markdown tables (docs/performance.md, "Pipeline") and writes the raw figures as JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml
from benchmarks.pipeline import fleet
from prometheus_client.parser import text_string_to_metric_families

from agent_telemetry import contract
from agent_telemetry.tooling.stack import scale_out
from agent_telemetry.tooling.stack.ports import HOST, Ports
from agent_telemetry.tooling.stack.stack import Stack

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
MIN_AVAILABLE_MB = 3000  # stop a size before the shared machine runs out of memory
MARKER_EVERY_S = 5.0
# prometheus/prometheus.yml's scrape and evaluation interval: a store keeps up while freshness and every
# rule group's evaluation stay under it.
EVALUATION_INTERVAL_S = 15.0
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# The alert the probe agent must fire: of our generated alerts on failed calls, the one with the
# shortest `for:` (2m).
ALERT_RULES = ROOT / "prometheus" / "rules" / "agent-telemetry.alerts.yml"
ALERT_NAME = "AgentAvailabilityErrorBudgetBurn"
ALERT_SEVERITY = "critical"
ALERT_REQUESTS_PER_EXPORT = 60.0  # the probe's calls per export (its guard wants >= 20 an hour)
ALERT_ERRORS_PER_EXPORT = 30.0  # half of them fail from the first breaking export on (threshold 7.2 %)
ALERT_EXTRA_ROUNDS = 2  # unmeasured fleet rounds, at most, while the alert is still on its way
ALERT_POLL_S = 0.5
# An hour of history for the smallest fleet, so that the snapshot block holds full chunks (120 samples
# a series: what a 2-hour block holds at the SDK's 60 s interval). Prometheus appends samples up to
# 1 h older than its newest, so the history is spaced closer than the export interval; chunk encoding
# depends on the number of samples and their jitter, not on the spacing.
HISTORY_ROUNDS = 118
HISTORY_SPAN_S = 55 * 60.0
HISTORY_JITTER_MS = 5  # a periodic exporter's timestamps wander by its collection time
# The generated section: kept here, where benchmarks/report.py appends it to docs/performance.md when
# it regenerates that page, and replaced at the end of docs/performance.md by each run.
RESULTS = HERE / "results.md"
PERFORMANCE_DOC = ROOT / "docs" / "performance.md"
SECTION_HEADING = "## Pipeline: synthetic agent fleets through the collector and Prometheus"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE / 2**20


def available_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def scrape(url: str) -> dict[str, float]:
    """A /metrics page summed by sample name (labels dropped), plus each rule group's last duration."""
    text = urllib.request.urlopen(url, timeout=30).read().decode()
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
            if sample.name == "prometheus_rule_group_last_duration_seconds":
                key = "rule_max"
                totals[key] = max(totals.get(key, 0.0), sample.value)
    return totals


def query_value(prometheus: str, promql: str) -> float | None:
    url = f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    result = json.load(urllib.request.urlopen(url, timeout=30))["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def duration_s(text: str) -> float:
    """A Prometheus duration as rule files write it ("2m", "1h", "90s")."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return float(text[:-1]) * units[text[-1]]


def alert_rule() -> dict:
    """The probe's alert as generated into prometheus/rules (the rule the stack's Prometheus loads)."""
    groups = yaml.safe_load(ALERT_RULES.read_text())["groups"]
    return next(
        rule
        for group in groups
        for rule in group["rules"]
        if rule.get("alert") == ALERT_NAME and rule["labels"]["severity"] == ALERT_SEVERITY
    )


@dataclass
class Block:
    """The persisted block a TSDB snapshot of the head writes: what compaction writes to disk."""

    series: int
    samples: int
    chunks_bytes: int
    index_bytes: int


def snapshot_block(prometheus: str, data_dir: Path) -> Block:
    """POST the admin API's snapshot (head included) and sum the blocks it wrote."""
    request = urllib.request.Request(f"{prometheus}/api/v1/admin/tsdb/snapshot", method="POST")
    name = json.load(urllib.request.urlopen(request, timeout=900))["data"]["name"]
    totals = Block(0, 0, 0, 0)
    for meta in (data_dir / "snapshots" / name).glob("*/meta.json"):
        stats = json.loads(meta.read_text())["stats"]
        totals.series += stats["numSeries"]
        totals.samples += stats["numSamples"]
        totals.chunks_bytes += sum(f.stat().st_size for f in (meta.parent / "chunks").iterdir())
        totals.index_bytes += (meta.parent / "index").stat().st_size
    return totals


class AlertProbe(threading.Thread):
    """One agent whose calls start failing at ``started``: times its alert to firing and to Alertmanager.

    It exports at the fleet's interval; the export one interval before the break (0 errors) is sent
    first with its own, earlier timestamp, so that the first breaking export is the only news.
    """

    def __init__(
        self,
        otlp: tuple[str, int],
        alerts_api: str,
        alertmanager: str,
        interval: float,
        stop: threading.Event,
    ) -> None:
        super().__init__(daemon=True)
        self.otlp, self.alerts_api, self.alertmanager = otlp, alerts_api, alertmanager
        self.interval, self.stop_event = interval, stop
        self.pending_s = self.firing_s = self.alertmanager_s = float("nan")
        self.export_failures = 0
        self.started = 0.0

    @property
    def done(self) -> bool:
        return self.alertmanager_s == self.alertmanager_s  # not NaN

    def _export(self, requests: float, errors: float, start_ns: int, now_ns: int) -> None:
        try:
            post(self.otlp, fleet.alert_probe_request(requests, errors, start_ns, now_ns))
        except (OSError, http.client.HTTPException):
            self.export_failures += 1

    def _state(self) -> str:
        """The alert's state in Prometheus (or the Thanos ruler): "", "pending" or "firing"."""
        data = json.load(urllib.request.urlopen(f"{self.alerts_api}/api/v1/alerts", timeout=30))["data"]
        states = [
            a["state"]
            for a in data.get("alerts") or data.get("Alerts") or []  # the Thanos ruler capitalises it
            if a["labels"].get("alertname") == ALERT_NAME
            and a["labels"].get(contract.AGENT) == fleet.ALERT_AGENT
            and a["labels"].get("severity") == ALERT_SEVERITY
        ]
        return "firing" if "firing" in states else "pending" if states else ""

    def _in_alertmanager(self) -> bool:
        filters = [f'alertname="{ALERT_NAME}"', f'{contract.AGENT}="{fleet.ALERT_AGENT}"']
        query = urllib.parse.urlencode([("filter", f) for f in filters])
        alerts = json.load(urllib.request.urlopen(f"{self.alertmanager}/api/v2/alerts?{query}", timeout=30))
        return any(a["status"]["state"] == "active" for a in alerts)

    def run(self) -> None:
        start_ns = time.time_ns() - int(2 * self.interval * 1e9)
        requests = ALERT_REQUESTS_PER_EXPORT
        self._export(requests, 0.0, start_ns, time.time_ns() - int(self.interval * 1e9))
        self.started = time.monotonic()
        exports = 0
        while not self.stop_event.is_set() and not self.done:
            now = time.monotonic() - self.started
            if now >= exports * self.interval:
                exports += 1
                requests += ALERT_REQUESTS_PER_EXPORT
                self._export(requests, exports * ALERT_ERRORS_PER_EXPORT, start_ns, time.time_ns())
            try:
                if self.firing_s != self.firing_s:  # NaN: not firing yet
                    state = self._state()
                    seen = time.monotonic() - self.started
                    if state and self.pending_s != self.pending_s:
                        self.pending_s = seen
                    if state == "firing":
                        self.firing_s = seen
                if self._in_alertmanager():
                    self.alertmanager_s = time.monotonic() - self.started
            except OSError:  # a saturated store answers late: ask again
                pass
            self.stop_event.wait(ALERT_POLL_S)


@dataclass
class Result:
    processes: int
    store: str
    otlp_points_per_s: float
    expected_series: int
    collector_cpu_per_1k_points: float  # CPU seconds per second, per 1,000 points/s
    collector_rss_mb: float
    collector_rss_per_1k_points_mb: float
    prometheus_head_series: float
    dropped_points: float  # refused by the collector's receiver or failed in its exporter
    prometheus_rss_mb: float
    prometheus_cpu_cores: float
    samples_per_s: float
    wal_bytes_per_sample: float
    rule_eval_sum_s: float
    rule_eval_max_s: float
    rule_iterations_missed: float  # evaluations skipped because the previous one overran the interval
    freshness_median_s: float
    freshness_max_s: float
    markers_lost: int
    export_failures: int
    send_lag_s: float  # how far the generator fell behind its schedule (its own saturation)
    load_avg: str
    alert_pending_s: float  # from the probe's first breaking export to the alert pending in Prometheus
    alert_firing_s: float  # ... to firing in Prometheus (or the Thanos ruler)
    alert_in_alertmanager_s: float  # ... to active in Alertmanager's API
    history_rounds: int  # exports of history before the warm-up (backdated, spaced closer)
    history_dropped: float  # points of that history the collector dropped (not in `dropped_points`)
    block_series: int = 0  # the snapshot's block (0: no snapshot, e.g. on Thanos)
    block_samples: int = 0
    block_chunks_bytes: int = 0
    block_index_bytes: int = 0
    aborted: str = ""

    @property
    def block_bytes_per_sample(self) -> float:
        return (
            (self.block_chunks_bytes + self.block_index_bytes) / self.block_samples
            if self.block_samples
            else float("nan")
        )

    @property
    def keeps_up(self) -> str:
        """The store kept up ("yes"), or what shows it (or the generator) falling behind."""
        behind = [
            f"freshness {self.freshness_max_s:.0f} s"
            if not self.freshness_max_s < EVALUATION_INTERVAL_S
            else "",
            f"a rule group {self.rule_eval_max_s:.0f} s"
            if self.rule_eval_max_s >= EVALUATION_INTERVAL_S
            else "",
            f"{self.rule_iterations_missed:.0f} evaluations missed" if self.rule_iterations_missed else "",
            f"{self.dropped_points + self.export_failures:.0f} lost"
            if self.dropped_points + self.export_failures
            else "",
            f"{self.markers_lost} markers never seen" if self.markers_lost else "",
            f"generator {self.send_lag_s:.0f} s late" if self.send_lag_s > EVALUATION_INTERVAL_S else "",
            self.aborted,
        ]
        return "; ".join(b for b in behind if b) or "yes"

    @property
    def prometheus_bytes_per_series(self) -> float:
        return self.prometheus_rss_mb * 2**20 / max(self.prometheus_head_series, 1)


class Marker(threading.Thread):
    """Sends the freshness marker every few seconds and times until the query API returns it."""

    def __init__(self, otlp: tuple[str, int], prometheus: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.otlp, self.prometheus, self.stop_event = otlp, prometheus, stop
        self.latencies: list[float] = []
        self.lost = 0
        self.start_ns = time.time_ns()

    def run(self) -> None:
        promql = f'{contract.REQUESTS.prometheus_name}{{{contract.AGENT}="{fleet.MARKER_AGENT}"}}'
        value = 0.0
        while not self.stop_event.wait(MARKER_EVERY_S):
            value += 1
            body = fleet.marker_request(value, self.start_ns, time.time_ns())
            sent = time.monotonic()
            try:
                post(self.otlp, body)
            except (OSError, http.client.HTTPException):  # refused by a saturated collector
                self.lost += 1
                continue
            while time.monotonic() - sent < 60:
                try:
                    seen = query_value(self.prometheus, promql)
                except OSError:  # a query that times out on a saturated store: ask again
                    seen = None
                if seen is not None and seen >= value:
                    self.latencies.append(time.monotonic() - sent)
                    break
                time.sleep(0.1)
            else:
                self.lost += 1


def post(otlp: tuple[str, int], body: bytes, connection: http.client.HTTPConnection | None = None) -> bool:
    conn = connection or http.client.HTTPConnection(*otlp, timeout=30)
    try:
        conn.request("POST", "/v1/metrics", body, {"Content-Type": "application/x-protobuf"})
        response = conn.getresponse()
        response.read()
        return response.status == 200
    finally:
        if connection is None:
            conn.close()


# The store's processes: single Prometheus, or the whole Thanos scale-out profile.
SINGLE_STORE = ("prometheus",)
SCALE_OUT_STORE = (
    *scale_out.INGESTORS,
    scale_out.ROUTER,
    scale_out.QUERY,
    scale_out.RULE,
    scale_out.PROMETHEUS_AGENT,
)


def tsdb_metrics(stack: Stack, scale_out_profile: bool) -> dict[str, float]:
    """TSDB figures (Thanos: summed over the ingestors, each a replica) and the rule evaluator's."""
    if not scale_out_profile:
        return scrape(f"{stack.urls['prometheus']}/metrics")
    totals: dict[str, float] = {}
    for name in scale_out.INGESTORS:
        for key, value in scrape(f"{stack.urls[name.replace('-', '_')]}/metrics").items():
            if key.startswith("prometheus_tsdb_"):
                totals[key] = totals.get(key, 0.0) + value
    rules = scrape(f"{stack.urls['thanos_rule']}/metrics")
    totals.update({k: v for k, v in rules.items() if k.startswith("prometheus_rule_") or k == "rule_max"})
    return totals


def dropped_points(collector: dict[str, float]) -> float:
    """Refused by the collector's receiver or failed in its exporter."""
    return sum(v for k, v in collector.items() if "send_failed_metric" in k or "refused_metric" in k)


def unexported_points(collector_metrics: str) -> float:
    """Points the collector took in and has not yet sent (or failed to send) to the store."""
    totals = scrape(collector_metrics)

    def total(part: str) -> float:
        return sum(v for k, v in totals.items() if part in k)

    return (
        total("receiver_accepted_metric_points")
        - total("exporter_sent_metric_points")
        - total("exporter_send_failed_metric_points")
    )


def wait_exported(collector_metrics: str, timeout: float = 60.0) -> None:
    """Until the collector has passed on everything it took in, at most ``timeout``."""
    deadline = time.monotonic() + timeout
    while unexported_points(collector_metrics) > 0 and time.monotonic() < deadline:
        time.sleep(0.1)


def send_history(processes: list[fleet.Process], otlp: tuple[str, int], collector_metrics: str) -> int:
    """``HISTORY_ROUNDS`` backdated exports of every process over the last ``HISTORY_SPAN_S``; failures.

    Paced round by round by the collector's progress: sent as fast as it goes, the history overran
    the remote-write timeout on this machine, and the collector dropped what timed out.
    """
    jitter = random.Random(0)
    first_ns = time.time_ns() - int(HISTORY_SPAN_S * 1e9)
    spacing_s = HISTORY_SPAN_S / HISTORY_ROUNDS
    connection = http.client.HTTPConnection(*otlp, timeout=60)
    failures = 0
    for round_index in range(HISTORY_ROUNDS):
        for position, process in enumerate(processes):
            offset_s = (round_index + position / len(processes)) * spacing_s
            stamp = first_ns + int(offset_s * 1e9) + jitter.randrange(HISTORY_JITTER_MS * 10**6)
            try:
                failures += not post(otlp, process.export(stamp), connection)
            except (OSError, http.client.HTTPException):
                failures += 1
                connection = http.client.HTTPConnection(*otlp, timeout=60)
        wait_exported(collector_metrics)
    connection.close()
    return failures


def run_size(
    size: int,
    interval: float,
    rounds: int,
    state_dir: Path,
    scale_out_profile: bool = False,
    history: bool = False,
) -> Result:
    processes = fleet.make_fleet(size, time.time_ns() - int(2 * HISTORY_SPAN_S * 1e9 * history))
    ports = Ports.free()
    traces_sink = f"http://{HOST}:{Ports.free().jaeger_otlp_http}"  # no traces are sent
    with Stack.start(
        state_dir,
        ports,
        traces_endpoint=traces_sink,
        ready_timeout=120,
        scale_out=scale_out_profile,
        scale_out_ports=scale_out.ScaleOutPorts.free() if scale_out_profile else None,
        prometheus_args=() if scale_out_profile else ("--web.enable-admin-api",),  # the snapshot
    ) as stack:
        pids = {s.name: s.pid for s in stack.services}
        store = SCALE_OUT_STORE if scale_out_profile else SINGLE_STORE
        otlp = (HOST, ports.otlp_http)
        prometheus = stack.urls["prometheus"]
        failures = send_history(processes, otlp, stack.urls["collector_metrics"]) if history else 0
        history_dropped = dropped_points(scrape(stack.urls["collector_metrics"]))
        connection = http.client.HTTPConnection(*otlp, timeout=60)
        lag = 0.0
        aborted = ""
        stop_marker, stop_probe = threading.Event(), threading.Event()
        marker = Marker(otlp, prometheus, stop_marker)
        probe = AlertProbe(
            otlp,
            stack.urls["thanos_rule"] if scale_out_profile else prometheus,
            stack.urls["alertmanager"],
            interval,
            stop_probe,
        )
        before: dict[str, float] = {}
        cpu_before: dict[str, float] = {}
        after: dict[str, float] = {}
        cpu_after: dict[str, float] = {}
        elapsed = float("nan")
        start = time.monotonic()
        probe.start()  # its first breaking export goes out with the fleet's first round

        def measure() -> None:
            """The measured rounds are over: stop the marker and read every figure."""
            nonlocal elapsed, after, cpu_after
            stop_marker.set()
            if marker.is_alive():
                marker.join(timeout=70)
            elapsed = time.monotonic() - measured_from if before else float("nan")
            after = tsdb_metrics(stack, scale_out_profile)
            cpu_after = {name: cpu_seconds(pid) for name, pid in pids.items()}

        for round_index in range(rounds + 1 + ALERT_EXTRA_ROUNDS):
            if round_index == rounds + 1:
                delay = start + round_index * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                measure()
            if round_index > rounds and probe.done:
                break
            if round_index == 1:  # the warm-up round created the series: measure from here
                before = tsdb_metrics(stack, scale_out_profile)
                cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                measured_from = time.monotonic()
                marker.start()
            for position, process in enumerate(processes):
                due = start + (round_index + position / size) * interval
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                elif round_index <= rounds:
                    lag = max(lag, -delay)
                try:
                    failures += not post(otlp, process.export(time.time_ns()), connection)
                except (OSError, http.client.HTTPException):
                    failures += 1
                    connection = http.client.HTTPConnection(*otlp, timeout=60)
                if position % 500 == 0 and available_mb() < MIN_AVAILABLE_MB:
                    aborted = f"stopped at round {round_index}: under {MIN_AVAILABLE_MB} MB of memory left"
                    break
            if aborted:
                break
        if not after:  # aborted, or no extra round ran
            remaining = start + (rounds + 1) * interval - time.monotonic()
            if remaining > 0 and not aborted:
                time.sleep(remaining)
            measure()
        deadline = start + (rounds + 1 + ALERT_EXTRA_ROUNDS) * interval
        while not probe.done and time.monotonic() < deadline and not aborted:
            time.sleep(ALERT_POLL_S)
        stop_probe.set()
        probe.join(timeout=60)
        dropped = dropped_points(scrape(stack.urls["collector_metrics"])) - history_dropped
        block = Block(0, 0, 0, 0)
        if not scale_out_profile and not aborted:
            try:
                block = snapshot_block(prometheus, state_dir / "prometheus-data")
            except OSError as exc:  # report the rest of the size all the same
                aborted = f"no snapshot: {exc}"
        points_per_s = sum(p.points for p in processes) / interval
        collector_cpu = (cpu_after["otel-collector"] - cpu_before.get("otel-collector", 0)) / elapsed
        samples = after["prometheus_tsdb_head_samples_appended_total"] - before.get(
            "prometheus_tsdb_head_samples_appended_total", 0
        )
        wal = after["prometheus_tsdb_wal_storage_size_bytes"] - before.get(
            "prometheus_tsdb_wal_storage_size_bytes", 0
        )
        collector_rss = rss_mb(pids["otel-collector"])
        latencies = marker.latencies or [float("nan")]
        return Result(
            processes=size,
            store="Thanos, 3 ingestors RF 3" if scale_out_profile else "Prometheus",
            otlp_points_per_s=round(points_per_s, 1),
            expected_series=sum(p.series for p in processes) + size,  # + target_info per process
            collector_cpu_per_1k_points=round(collector_cpu / (points_per_s / 1000), 4),
            collector_rss_mb=round(collector_rss, 1),
            collector_rss_per_1k_points_mb=round(collector_rss / (points_per_s / 1000), 1),
            prometheus_head_series=after["prometheus_tsdb_head_series"],
            dropped_points=dropped,
            prometheus_rss_mb=round(sum(rss_mb(pids[name]) for name in store), 1),
            prometheus_cpu_cores=round(sum(cpu_after[n] - cpu_before.get(n, 0) for n in store) / elapsed, 3),
            samples_per_s=round(samples / elapsed, 1),
            wal_bytes_per_sample=round(wal / samples, 2) if samples else float("nan"),
            rule_eval_sum_s=round(after.get("prometheus_rule_group_last_duration_seconds", 0.0), 4),
            rule_eval_max_s=round(after.get("rule_max", 0.0), 4),
            rule_iterations_missed=after.get("prometheus_rule_group_iterations_missed_total", 0.0),
            freshness_median_s=round(statistics.median(latencies), 2),
            freshness_max_s=round(max(latencies), 2),
            markers_lost=marker.lost,
            export_failures=failures + probe.export_failures,
            send_lag_s=round(lag, 2),
            load_avg=" ".join(Path("/proc/loadavg").read_text().split()[:3]),
            alert_pending_s=round(probe.pending_s, 1),
            alert_firing_s=round(probe.firing_s, 1),
            alert_in_alertmanager_s=round(probe.alertmanager_s, 1),
            history_rounds=HISTORY_ROUNDS if history else 0,
            history_dropped=history_dropped,
            block_series=block.series,
            block_samples=block.samples,
            block_chunks_bytes=block.chunks_bytes,
            block_index_bytes=block.index_bytes,
            aborted=aborted,
        )


def markdown(results: list[Result]) -> str:
    head = (
        "| processes | store | points/s (OTLP) | series (expected / head) "
        "| collector CPU s/s per 1k points/s | collector RSS MB | store RSS MB (KB/series) | store CPU cores "
        "| samples/s "
        "| WAL bytes/sample | rule groups eval s (sum / max) | freshness s (median / max) "
        "| lost (points / markers) | keeps up | load avg |\n"
        "| ---: | --- |" + " ---: |" * 11 + " --- | --- |"
    )
    rows = [
        f"| {r.processes:,} | {r.store} | {r.otlp_points_per_s:,.0f} "
        f"| {r.expected_series:,} / {r.prometheus_head_series:,.0f} "
        f"| {r.collector_cpu_per_1k_points:.3f} | {r.collector_rss_mb:,.0f} "
        f"| {r.prometheus_rss_mb:,.0f} ({r.prometheus_bytes_per_series / 1024:.1f}) "
        f"| {r.prometheus_cpu_cores:.2f} | {r.samples_per_s:,.0f} | {r.wal_bytes_per_sample:.2f} "
        f"| {r.rule_eval_sum_s:.3f} / {r.rule_eval_max_s:.3f} "
        f"| {r.freshness_median_s:.1f} / {r.freshness_max_s:.1f} "
        f"| {r.dropped_points + r.export_failures:,.0f} / {r.markers_lost} "
        f"| {r.keeps_up} | {r.load_avg} |"
        for r in results
    ]
    return "\n".join([head, *rows])


def _seconds(value: float) -> str:
    return "not seen" if value != value else f"{value:.0f}"  # NaN: not within the wait


def alert_and_disk_markdown(results: list[Result], for_s: float) -> str:
    head = (
        "| processes | store | alert s: pending / firing / in Alertmanager | firing beyond `for:` s "
        "| bytes/sample: head (WAL) / block | block: series / samples (per series) "
        "| block MB: chunks / index |\n"
        "| ---: | --- |" + " ---: |" * 5
    )
    rows = []
    for r in results:
        beyond = r.alert_firing_s - for_s
        block = (
            f"{r.block_series:,} / {r.block_samples:,} ({r.block_samples / max(r.block_series, 1):.0f})"
            if r.block_samples
            else "no snapshot"
        )
        sizes = (
            f"{r.block_chunks_bytes / 2**20:,.1f} / {r.block_index_bytes / 2**20:,.1f}"
            if r.block_samples
            else "-"
        )
        rows.append(
            f"| {r.processes:,} | {r.store} "
            f"| {_seconds(r.alert_pending_s)} / {_seconds(r.alert_firing_s)} / "
            f"{_seconds(r.alert_in_alertmanager_s)} | {_seconds(beyond)} "
            f"| {r.wal_bytes_per_sample:.2f} / {r.block_bytes_per_sample:.2f} | {block} | {sizes} |"
        )
    return "\n".join([head, *rows])


def report(results: list[Result], args: argparse.Namespace, wall_s: float) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        "?",
    )
    memory_gb = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    for_s = duration_s(alert_rule()["for"])
    return "\n".join(
        [
            SECTION_HEADING,
            "",
            f"Reproduce: `.venv/bin/python -m benchmarks.pipeline --sizes {args.sizes} --scale-out-sizes "
            f"'{args.scale_out_sizes}' --interval {args.interval:g} --rounds {args.rounds}` "
            "(benchmarks/pipeline; this section is generated, do not edit).",
            "",
            f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {cpu} x {os.cpu_count()}, "
            f"{memory_gb:.0f} GB; {wall_s:.0f} s wall; load average (1/5/15 min) at the end of each size "
            "in the last column. One warm-up export round per size, then the figures over the measured "
            f"rounds; export interval {args.interval:g} s, staggered; cumulative temporality; one resource "
            "per process. Series = the fleet's series + one `target_info` per process (expected) and what "
            "Prometheus's head holds (the stack's own series and recording rules on top).",
            "",
            markdown(results),
            "",
            f"**Alert latency and disk.** One more synthetic agent (`{fleet.ALERT_AGENT}`, its own process) "
            f"makes {ALERT_REQUESTS_PER_EXPORT:.0f} calls per export; from the fleet's first round on, "
            f"{ALERT_ERRORS_PER_EXPORT / ALERT_REQUESTS_PER_EXPORT:.0%} of them fail. The clock starts "
            "when its first breaking export is sent and stops when `GET /api/v1/alerts` of Prometheus "
            "(the Thanos ruler on the scale-out profile) shows "
            f"`{ALERT_NAME}` (severity {ALERT_SEVERITY}, from prometheus/rules as the stack loads them: "
            "the shortest `for:` of our alerts on failed calls) pending, then firing, and when "
            "Alertmanager's `GET /api/v2/alerts` has it. Its floor is the rule's "
            f"`for:` {for_s:.0f} s; on top come freshness (export to queryable, above), up to one "
            f"evaluation interval ({EVALUATION_INTERVAL_S:.0f} s) for the recording group and one for the "
            f"alerting group, and, in a real incident, up to one export interval ({args.interval:g} s) "
            "from the first failure to the export that carries it (0 here: the break is timed at an "
            "export). Head bytes/sample: WAL growth over the measured rounds / samples appended. Block "
            "bytes/sample: `POST /api/v1/admin/tsdb/snapshot` (head included, written as compaction "
            "writes a block) after the run, (chunks + index) / the block's `numSamples`. "
            f"The smallest fleet first gets {HISTORY_ROUNDS} exports of history (backdated over the "
            f"last {HISTORY_SPAN_S / 60:.0f} min, timestamps jittered by up to {HISTORY_JITTER_MS} ms), "
            "so its block holds ~120 samples per series, a 2-hour block's worth at a 60 s interval: "
            "that is the figure for disk per day. The larger fleets' blocks hold a few samples per "
            "series, so their bytes/sample is mostly index and first-sample cost (an upper bound).",
            "",
            alert_and_disk_markdown(results, for_s),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pipeline", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--sizes", default="100,1000,10000", help="comma-separated fleet sizes")
    parser.add_argument("--interval", type=float, default=60.0, help="export interval, s (SDK default 60)")
    parser.add_argument("--rounds", type=int, default=2, help="measured export rounds after the warm-up one")
    parser.add_argument(
        "--scale-out-sizes",
        default="1000",
        help="fleet sizes also run on the Thanos scale-out profile ('' for none)",
    )
    parser.add_argument(
        "--no-history",
        dest="history",
        action="store_false",
        help="skip the hour of backdated history for the smallest fleet (its block then holds few samples)",
    )
    parser.add_argument("--json", type=Path, default=HERE / "last-run.json", help="raw figures")
    parser.add_argument(
        "--write",
        type=Path,
        default=RESULTS,
        help="the Markdown section (the default also updates docs/performance.md)",
    )
    args = parser.parse_args()
    results: list[Result] = []
    started = time.monotonic()
    runs = [(int(n), False) for n in args.sizes.split(",") if n]
    history_size = min((n for n, _ in runs), default=None) if args.history else None
    runs += [(int(n), True) for n in args.scale_out_sizes.split(",") if n]
    for size, on_thanos in runs:
        with tempfile.TemporaryDirectory(prefix=f"pipebench-{size}-") as state_dir:
            store = "Thanos" if on_thanos else "Prometheus"
            wait = (args.rounds + 1) * args.interval
            history = size == history_size and not on_thanos
            if history:
                print(f"pipeline: {HISTORY_ROUNDS} rounds of history (backdated) first, ~3 min", flush=True)
            print(f"pipeline: {size:,} processes into {store}, ~{wait:.0f} s ...", flush=True)
            result = run_size(size, args.interval, args.rounds, Path(state_dir), on_thanos, history)
            history_size = None if history else history_size
            print(json.dumps(asdict(result)), flush=True)
            results.append(result)
    args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    section = report(results, args, time.monotonic() - started)
    args.write.write_text(section)
    if args.write == RESULTS:
        page = PERFORMANCE_DOC.read_text().split(SECTION_HEADING)[0].rstrip()
        PERFORMANCE_DOC.write_text(f"{page}\n\n{section}")
    print(section)


if __name__ == "__main__":
    main()
