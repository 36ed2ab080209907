"""Synthetic fleets of agent processes through the real pipeline (native collector + Prometheus).

    .venv/bin/python -m benchmarks.pipeline     # 100, 1,000, 10,000 processes, then 1,000 on Thanos: ~16 min
    .venv/bin/python -m benchmarks.pipeline --sizes 100 --scale-out-sizes 100 --interval 10 --rounds 1

For each size: a fresh `agent_telemetry.tooling.stack` (the committed collector config and Prometheus
with its rules), the fleet (``fleet.py``) exporting once per ``--interval`` (the SDK's default, 60 s),
staggered over the interval like independent processes; one warm-up round creates the series, then
``--rounds`` rounds are measured: the collector's and Prometheus's CPU and RSS from /proc, Prometheus's
own metrics (head series, samples appended, WAL size, rule-group durations), and freshness: a marker
counter sent every few seconds, polled through the query API until it reads the value sent.
Prints a Markdown table (docs/performance.md, "Pipeline") and writes the raw figures as JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

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
# The generated section: kept here, where benchmarks/report.py appends it to docs/performance.md when
# it regenerates that page, and replaced at the end of docs/performance.md by each run.
RESULTS = HERE / "results.md"
PERFORMANCE_DOC = HERE.parent.parent / "docs" / "performance.md"
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
    aborted: str = ""

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


def run_size(
    size: int, interval: float, rounds: int, state_dir: Path, scale_out_profile: bool = False
) -> Result:
    processes = fleet.make_fleet(size, time.time_ns())
    ports = Ports.free()
    traces_sink = f"http://{HOST}:{Ports.free().jaeger_otlp_http}"  # no traces are sent
    with Stack.start(
        state_dir,
        ports,
        traces_endpoint=traces_sink,
        ready_timeout=120,
        scale_out=scale_out_profile,
        scale_out_ports=scale_out.ScaleOutPorts.free() if scale_out_profile else None,
    ) as stack:
        pids = {s.name: s.pid for s in stack.services}
        store = SCALE_OUT_STORE if scale_out_profile else SINGLE_STORE
        otlp = (HOST, ports.otlp_http)
        prometheus = stack.urls["prometheus"]
        connection = http.client.HTTPConnection(*otlp, timeout=60)
        failures = 0
        lag = 0.0
        aborted = ""
        stop = threading.Event()
        marker = Marker(otlp, prometheus, stop)
        start = time.monotonic()
        before: dict[str, float] = {}
        cpu_before: dict[str, float] = {}
        for round_index in range(rounds + 1):
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
                else:
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
        remaining = start + (rounds + 1) * interval - time.monotonic()
        if remaining > 0 and not aborted:
            time.sleep(remaining)
        stop.set()
        if marker.is_alive():
            marker.join(timeout=70)
        elapsed = time.monotonic() - measured_from if before else float("nan")
        after = tsdb_metrics(stack, scale_out_profile)
        collector = scrape(stack.urls["collector_metrics"])
        dropped = sum(v for k, v in collector.items() if "send_failed_metric" in k or "refused_metric" in k)
        cpu_after = {name: cpu_seconds(pid) for name, pid in pids.items()}
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
            export_failures=failures,
            send_lag_s=round(lag, 2),
            load_avg=" ".join(Path("/proc/loadavg").read_text().split()[:3]),
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
    runs += [(int(n), True) for n in args.scale_out_sizes.split(",") if n]
    for size, on_thanos in runs:
        with tempfile.TemporaryDirectory(prefix=f"pipebench-{size}-") as state_dir:
            store = "Thanos" if on_thanos else "Prometheus"
            wait = (args.rounds + 1) * args.interval
            print(f"pipeline: {size:,} processes into {store}, ~{wait:.0f} s ...", flush=True)
            result = run_size(size, args.interval, args.rounds, Path(state_dir), on_thanos)
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
