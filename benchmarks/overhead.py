"""CPU time that LLM-SDK instrumentations add per call, ours side by side with its peers.

    benchmarks/.venv/bin/python benchmarks/overhead.py --install-peers --write docs/performance.md

The orchestrator (no ``--worker``) installs the peers, then runs one fresh subprocess per contender
(``--worker KEY``) so that instrumentations never stack, plus a memory run and a profile of ours, and
writes the report. A worker times blocks of calls with ``time.process_time_ns`` (this process's CPU
only, so other work on the machine costs us less noise), alternating a bare block and an instrumented
block (switched off and on in between) and keeping the median of the paired differences.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import gc
import json
import os
import pstats
import re
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import contenders as cs
import payloads
import report
import scenarios as sc

HERE = Path(__file__).resolve().parent
STATUS_FILE = HERE / ".venv" / "peer-status.json"
RAW_FILE = HERE / ".venv" / "last-results.json"
QUICK_RAW_FILE = HERE / ".venv" / "last-only-results.json"  # the same, of the last --only run
PEER_VENVS = HERE / ".venv" / "peers"  # a venv per contender that needs one (Contender.own_venv)

# Budget: each contender's worker takes ~30-40 s of CPU; the whole run stays under ~6 minutes.
BLOCK_CPU_S = float(os.environ.get("BENCH_BLOCK_CPU_S", "0.05"))  # CPU seconds per measured block
PAIRS = int(os.environ.get("BENCH_PAIRS", "21"))  # bare/instrumented block pairs per scenario
WARMUP_CPU_S = 0.15  # per mode and scenario, before measuring
# Ours and the floor, whose ratio is the headline: this many workers each, alternating (ours, floor,
# ours, ...), their pairs pooled, so that minutes of drift on a shared machine fall on both alike.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
MEMORY_CALLS = int(os.environ.get("BENCH_MEMORY_CALLS", "100000"))
MEMORY_WARMUP = 2_000
# The many-tool-names run: this many distinct tool names over MEMORY_CALLS calls.
TOOL_NAMES = int(os.environ.get("BENCH_TOOL_NAMES", "50000"))
# The long-export-interval run: a collection every this many calls (a 60 s interval at 500 calls/s).
INTERVAL_CALLS = int(os.environ.get("BENCH_INTERVAL_CALLS", "30000"))
INTERVAL_CYCLES = 2
PROFILE_CALLS = 1_500
WORKER_TIMEOUT_S = 900  # wall clock: other work on a shared machine stretches a worker's ~60 s of CPU


# -- worker: measuring ----------------------------------------------------------------------------
class PatientReader(InMemoryMetricReader):
    """Waits as long as a collection takes: the memory runs time it rather than give up at 10 s."""

    def collect(self, timeout_millis: float = 600_000) -> None:
        super().collect(timeout_millis=timeout_millis)


@dataclass
class Recorder:
    """The in-memory pipeline every contender exports to, and what went through it."""

    exporter: InMemorySpanExporter = field(default_factory=InMemorySpanExporter)
    reader: InMemoryMetricReader = field(default_factory=InMemoryMetricReader)
    tracer_provider: TracerProvider = field(default_factory=TracerProvider)
    meter_provider: MeterProvider | None = None
    spans: int = 0
    spans_without_usage: int = 0
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)  # instrumented (sdk, kind) calls

    def __post_init__(self) -> None:
        # Simple (synchronous) export: its cost lands in the measured process, as it would in an app.
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def drain_spans(self) -> int:
        """Count (and forget) the call spans finished since the last drain (tool spans are not calls)."""
        spans = [s for s in self.exporter.get_finished_spans() if not s.name.startswith("execute_tool")]
        self.exporter.clear()
        self.spans += len(spans)
        self.spans_without_usage += sum(
            1 for s in spans if "gen_ai.usage.output_tokens" not in (s.attributes or {})
        )
        return len(spans)


class Toggle:
    """A contender's switch, made idempotent (``BaseInstrumentor`` warns on a double instrument)."""

    def __init__(self, switch: cs.Switch) -> None:
        self.switch = switch
        self.enabled = False

    def set(self, enabled: bool) -> None:
        if enabled == self.enabled:
            return
        if enabled:
            self.switch.on()
        elif self.switch.off is not None:
            self.switch.off()
        else:
            raise RuntimeError("this contender cannot be switched off")
        self.enabled = enabled


def run_calls(
    scenario: sc.Scenario,
    n: int,
    loop: asyncio.AbstractEventLoop,
    then: Callable[[], object] | None = None,
) -> int:
    """CPU nanoseconds for ``n`` calls, and ``then()`` after them (a metrics collection, say).

    A garbage collection first, so that no block pays for another's garbage.
    """
    gc.collect()
    if scenario.call is not None:
        call = scenario.call
        start = time.process_time_ns()
        for _ in range(n):
            call()
        if then is not None:
            then()
        return time.process_time_ns() - start
    return loop.run_until_complete(_run_async(scenario, n, then))


async def _run_async(scenario: sc.Scenario, n: int, then: Callable[[], object] | None) -> int:
    acall = scenario.acall
    assert acall is not None
    start = time.process_time_ns()
    for _ in range(n):
        await acall()
    if then is not None:
        then()
    return time.process_time_ns() - start


@dataclass
class Measured:
    n: int
    bare_us: list[float] = field(default_factory=list)  # per call, one per block
    instr_us: list[float] = field(default_factory=list)
    spans_per_call: list[float] = field(default_factory=list)
    # Histogram values recorded per call (all scopes; counters' adds cannot be counted from a reader).
    histogram_values_per_call: list[float] = field(default_factory=list)
    bare_spans: int = 0  # spans from blocks with the instrumentation off: must stay 0


class Bench:
    """Measures the scenarios of one contender."""

    def __init__(self, toggle: Toggle, recorder: Recorder, loop: asyncio.AbstractEventLoop) -> None:
        self.toggle = toggle
        self.recorder = recorder
        self.loop = loop

    def block(self, scenario: sc.Scenario, n: int, instrumented: bool, m: Measured | None) -> None:
        self.toggle.set(instrumented)
        self.recorder.drain_spans()  # whatever came before is not this block's
        values_before = histogram_values(self.recorder.reader) if m is not None and instrumented else 0
        # Each block ends with a metrics collection, bare blocks too: work an instrumentation leaves
        # for collection time is then counted, and the collection's own cost cancels out of the pair.
        elapsed = run_calls(scenario, n, self.loop, self.recorder.reader.get_metrics_data)
        spans = self.recorder.drain_spans()
        if instrumented:
            self.recorder.calls[(scenario.sdk, scenario.kind)] += n
        if m is None:
            return
        if instrumented:
            m.instr_us.append(elapsed / n / 1000)
            m.spans_per_call.append(spans / n)
            m.histogram_values_per_call.append((histogram_values(self.recorder.reader) - values_before) / n)
        else:
            m.bare_us.append(elapsed / n / 1000)
            m.bare_spans += spans

    def calls_per_block(self, scenario: sc.Scenario) -> int:
        """As many calls as fit in BLOCK_CPU_S, judged from a short bare trial (which also warms up)."""
        trial = 20
        per_call_ns = run_calls(scenario, trial, self.loop) / trial
        return max(5, min(5000, int(BLOCK_CPU_S * 1e9 / per_call_ns)))

    def warm_up(self, scenario: sc.Scenario, n: int, instrumented: bool) -> None:
        blocks = max(1, round(WARMUP_CPU_S / BLOCK_CPU_S))
        for _ in range(blocks):
            self.block(scenario, n, instrumented, None)

    def paired(self, scenario: sc.Scenario) -> Measured:
        self.toggle.set(False)
        n = self.calls_per_block(scenario)
        self.warm_up(scenario, n, False)
        self.warm_up(scenario, n, True)
        m = Measured(n)
        for _ in range(PAIRS):
            self.block(scenario, n, False, m)
            self.block(scenario, n, True, m)
        return m


def measure_all(bench: Bench, todo: list[sc.Scenario], replayer: sc.Replayer) -> dict[str, Measured]:
    """Paired blocks where the contender can be switched off; else every bare block first."""
    results: dict[str, Measured] = {}
    if bench.toggle.switch.off is not None:
        for scenario in todo:
            replayer.replaying(scenario.replay)
            results[scenario.key] = bench.paired(scenario)
        return results
    for scenario in todo:  # bare pass
        replayer.replaying(scenario.replay)
        m = results[scenario.key] = Measured(bench.calls_per_block(scenario))
        bench.warm_up(scenario, m.n, False)
        for _ in range(PAIRS):
            bench.block(scenario, m.n, False, m)
    for scenario in todo:  # instrumented pass
        replayer.replaying(scenario.replay)
        m = results[scenario.key]
        bench.warm_up(scenario, m.n, True)
        for _ in range(PAIRS):
            bench.block(scenario, m.n, True, m)
    return results


# -- worker: the contract check (ours) ------------------------------------------------------------
def metric_totals(reader: InMemoryMetricReader, scope: str | None = None) -> dict[str, float]:
    """Each metric's total: the sum of a counter's points, the count of a histogram's."""
    totals: dict[str, float] = {}
    data = reader.get_metrics_data()
    for rm in data.resource_metrics if data else ():
        for sm in rm.scope_metrics:
            if scope is not None and sm.scope.name != scope:
                continue
            for metric in sm.metrics:
                points = metric.data.data_points
                value = sum(getattr(p, "count", None) or getattr(p, "value", 0) for p in points)
                totals[metric.name] = totals.get(metric.name, 0) + value
    return totals


def histogram_values(reader: InMemoryMetricReader) -> int:
    """How many values every histogram of every scope has recorded so far (cumulative temporality)."""
    data = reader.get_metrics_data()
    return sum(
        getattr(point, "count", 0)
        for rm in (data.resource_metrics if data else ())
        for sm in rm.scope_metrics
        for metric in sm.metrics
        if type(metric.data).__name__.endswith("Histogram")
        for point in metric.data.data_points
    )


def token_totals(reader: InMemoryMetricReader) -> dict[str, float]:
    tokens: dict[str, float] = {}
    data = reader.get_metrics_data()
    for rm in data.resource_metrics if data else ():
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.name != "agent.tokens":
                    continue
                for p in metric.data.data_points:
                    kind = str(p.attributes.get("gen_ai.token.type"))
                    tokens[kind] = tokens.get(kind, 0) + p.value
    return tokens


def contract_checks(recorder: Recorder, sampled: bool = False) -> list[tuple[str, float, float, bool]]:
    """(check, expected, actual, ok): every span and call metric of the contract, for every call.

    With traces sampled, a span exists for some calls only: its count is not checked, its content is.
    """
    from agent_telemetry import contract

    calls = recorder.calls
    total = sum(calls.values())
    streams = sum(n for (_, kind), n in calls.items() if kind == "stream")
    openai_calls = sum(n for (sdk, _), n in calls.items() if sdk == "openai")
    anthropic_calls = total - openai_calls
    totals = metric_totals(recorder.reader, "agent_telemetry")
    tokens = token_totals(recorder.reader)
    checks: list[tuple[str, float, float]] = [
        *([] if sampled else [("spans == calls", total, recorder.spans)]),
        ("spans without usage attributes", 0, recorder.spans_without_usage),
        (f"{contract.REQUESTS.otel_name} == calls", total, totals.get(contract.REQUESTS.otel_name, 0)),
        (
            f"{contract.REQUEST_DURATION.otel_name} count == calls",
            total,
            totals.get(contract.REQUEST_DURATION.otel_name, 0),
        ),
        (
            f"{contract.TIME_TO_FIRST_TOKEN.otel_name} count == stream calls",
            streams,
            totals.get(contract.TIME_TO_FIRST_TOKEN.otel_name, 0),
        ),
        (
            "agent.tokens{input}",
            openai_calls * (payloads.INPUT_TOKENS - payloads.CACHED_TOKENS)
            + anthropic_calls * payloads.INPUT_TOKENS,
            tokens.get("input", 0),
        ),
        ("agent.tokens{output}", total * payloads.OUTPUT_TOKENS, tokens.get("output", 0)),
        ("agent.tokens{cache_read}", openai_calls * payloads.CACHED_TOKENS, tokens.get("cache_read", 0)),
        (f"{contract.COST.otel_name} > 0", 1, 1 if totals.get(contract.COST.otel_name, 0) > 0 else 0),
    ]
    for metric in (
        contract.REQUEST_ERRORS,
        contract.UNPRICED_REQUESTS,
        contract.UNREPORTED_USAGE_REQUESTS,
        contract.INTERNAL_ERRORS,
    ):
        checks.append((f"{metric.otel_name} == 0", 0, totals.get(metric.otel_name, 0)))
    return [(name, exp, act, abs(exp - act) <= 1e-6 * max(1, abs(exp))) for name, exp, act in checks]


# -- worker: entry points -------------------------------------------------------------------------
def versions() -> dict[str, str]:
    names = [
        "agent-telemetry",
        "openai",
        "anthropic",
        "httpx2",
        "opentelemetry-api",
        "opentelemetry-sdk",
        "opentelemetry-instrumentation",
        "wrapt",
        "pydantic",
    ]
    names += [spec.split("==")[0] for c in cs.CONTENDERS for spec in (*c.packages, *c.needs)]
    found: dict[str, str] = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


@dataclass
class World:
    """What every worker needs: the recording pipeline, clients, scenarios and the replayer."""

    recorder: Recorder
    clients: sc.Clients
    scenarios: list[sc.Scenario]
    replayer: sc.Replayer
    loop: asyncio.AbstractEventLoop


def make_world(recorder: Recorder | None = None) -> World:
    clients = sc.make_clients(sc.bodies())
    # Parsed by the bare SDKs, before any instrumentation is imported.
    replayer = sc.Replayer(clients)
    return World(recorder or Recorder(), clients, sc.scenarios(clients), replayer, asyncio.new_event_loop())


def instrument(world: World, contender: cs.Contender) -> Toggle:
    recorder = world.recorder
    assert recorder.meter_provider is not None
    toggle = Toggle(contender.setup(recorder.tracer_provider, recorder.meter_provider))
    # The SDKs import ~200k long-lived objects: a full collection of them takes ~0.1 s. Frozen, they
    # are out of every collection, which keeps block timings (and the run) short and steady.
    gc.collect()
    gc.freeze()
    return toggle


def switches_off_cleanly(toggle: Toggle, world: World) -> bool:
    """On, off, on again, one plain call each: off must record nothing, and on again no second layer.

    Raises if the contender cannot instrument the current SDKs at all.
    """
    plain = [s for s in world.scenarios if s.name == "plain" and s.sdk in toggle.switch.sdks]
    spans = []
    for enabled in (True, False, True):
        toggle.set(enabled)
        for scenario in plain:
            run_calls(scenario, 1, world.loop)
            if enabled:  # the probe's calls count towards the contract check like any other
                world.recorder.calls[(scenario.sdk, scenario.kind)] += 1
        spans.append(world.recorder.drain_spans())
    toggle.set(False)
    return spans[1] == 0 and spans[2] == spans[0]


def worker(key: str, unpaired: bool) -> dict[str, Any]:
    """One contender's scenarios; ``KEY@sampled`` is the same under SAMPLED_ENV (set by the caller)."""
    sampled = key.endswith(cs.SAMPLED)
    contender = cs.by_key(key.removesuffix(cs.SAMPLED))
    world = make_world()
    result: dict[str, Any] = {"key": key, "versions": versions()}
    try:
        toggle = instrument(world, contender)
        if unpaired and toggle.switch.off is not None:
            toggle.switch.off = None
            toggle.switch.notes.append(
                "switching it off does not take it out (calls still make spans, or switching on again "
                "stacks a second layer): measured unpaired, every bare block before instrumenting once"
            )
        # Sampled, a probe call makes a span 1 % of the time: the check needs every call's span.
        if toggle.switch.off is not None and not sampled and not switches_off_cleanly(toggle, world):
            return {**result, "status": "unclean"}
        switch = toggle.switch
        if contender.relax:
            switch.notes.append(relaxed_note(contender))
        bench = Bench(toggle, world.recorder, world.loop)
        todo = [s for s in world.scenarios if s.sdk in switch.sdks]
        measured = measure_all(bench, todo, world.replayer)
    except Exception as exc:
        traceback.print_exc()
        return {**result, "status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
    result.update(
        status="ok",
        paired=switch.off is not None,
        sdks=list(switch.sdks),
        notes=switch.notes,
        scenarios={k: vars(m) for k, m in measured.items()},
        metrics=metric_totals(world.recorder.reader),
    )
    if contender is cs.OURS:
        result["contract"] = contract_checks(world.recorder, sampled)
    return result


def relaxed_note(contender: cs.Contender) -> str:
    """What the peer declares and what it ran against, e.g. ``openai (>=1.92.0,<3.0.0)``."""
    declared = [
        req
        for package in contender.packages
        for req in metadata.requires(requirement_name(package)) or []
        if requirement_name(req) in contender.relax
    ]
    ran = ", ".join(f"{name} {metadata.version(name)}" for name in contender.relax)
    return f"installed in its own venv with its pins {'; '.join(declared)} ignored; ran against {ran}"


def requirement_name(requirement: str) -> str:
    return re.split(r"[\s=<>!~;(\[]", requirement, maxsplit=1)[0].lower()


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


MEMORY_RUNS = ("mixed", "tool-names", "export-60s")


def memory_worker(kind: str) -> dict[str, Any]:
    """Ours over many calls (a mix of both SDKs, plain and replayed streams): does RSS stay flat?

    Spans are drained every 1,000 calls (an exporter would ship them). ``kind``:

    - ``mixed``: MEMORY_CALLS calls, no metrics collection at all (what is held between collections
      is bounded: the worst case of a long interval);
    - ``tool-names``: MEMORY_CALLS calls, each asking for a tool and running it under ``tool_call``,
      TOOL_NAMES distinct tool names in turn; metrics collected every 10 % (a periodic export);
    - ``export-60s``: INTERVAL_CYCLES collections, INTERVAL_CALLS calls before each: a 60 s export
      interval at 500 calls/s; RSS every INTERVAL_CALLS / 6 calls, so between collections too.

    RSS is read before the first call, after a warm-up, and at every checkpoint.
    """
    rss_before = rss_mb()
    world = make_world(Recorder(reader=PatientReader()))
    toggle = instrument(world, cs.OURS)
    toggle.set(True)
    by_key = {s.key: s for s in world.scenarios}
    # The cheaper calls (the run must fit in minutes), yet every path: plain and streamed, both SDKs.
    mix = [by_key[k] for k in ("anthropic.plain", "anthropic.replay50", "anthropic.plain", "openai.plain")]
    world.replayer.replaying(True)  # only the replay scenario streams, so real plain calls are unaffected
    recorder = world.recorder
    tool_names = kind == "tool-names"
    if tool_names:
        from agent_telemetry import tool_call

        tool_client = sc.tool_use_client()
    done_calls = 0

    def calls(count: int) -> None:
        nonlocal done_calls
        for i in range(count):
            if tool_names:
                name = f"tool_{done_calls % TOOL_NAMES}"
                sc.anthropic_tool_use(tool_client, name)
                recorder.calls[("anthropic", "plain")] += 1
                with tool_call(name):
                    pass
            else:
                scenario = mix[i % len(mix)]
                assert scenario.call is not None
                scenario.call()
                recorder.calls[(scenario.sdk, scenario.kind)] += 1
            done_calls += 1
            if i % 1000 == 999:
                recorder.drain_spans()
        recorder.drain_spans()

    if kind == "export-60s":
        total, step, collect_every = INTERVAL_CALLS * INTERVAL_CYCLES, INTERVAL_CALLS // 6, INTERVAL_CALLS
    else:
        total, step = MEMORY_CALLS, MEMORY_CALLS // 10
        collect_every = step if tool_names else 0
    collections: list[tuple[int, float]] = []  # (calls done, wall seconds the collection took)

    def collect() -> None:
        started = time.perf_counter()
        recorder.reader.get_metrics_data()
        collections.append((done_calls, time.perf_counter() - started))

    rss_instrumented = rss_mb()
    calls(MEMORY_WARMUP)
    if collect_every:
        collect()
    gc.collect()
    samples = [(0, rss_mb())]
    objects_start = len(gc.get_objects())
    start = time.process_time()
    step_cpu_us: list[float] = []  # CPU per call of each step's calls (collections and gc not included)
    for done in range(step, total + 1, step):
        step_start = time.process_time()
        calls(step)
        step_cpu_us.append((time.process_time() - step_start) / step * 1e6)
        collected = bool(collect_every) and done % collect_every == 0
        if collected:
            collect()
        gc.collect()
        samples.append((done, rss_mb(), collected))
    return {
        "kind": kind,
        "calls": total,
        "collect_every": collect_every,
        "tool_names": TOOL_NAMES if tool_names else 0,
        "cpu_s": time.process_time() - start,
        "rss_before_mb": rss_before,
        "rss_instrumented_mb": rss_instrumented,
        "warmup_calls": MEMORY_WARMUP,
        "rss_samples": samples,
        "step_cpu_us": step_cpu_us,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "gc_objects": [objects_start, len(gc.get_objects())],
        "collections_s": collections,
        "series": series_count(recorder.reader),
        "contract": contract_checks(recorder),
    }


def series_count(reader: InMemoryMetricReader) -> dict[str, int]:
    """Data points (series) per metric of ours at the last collection."""
    found: dict[str, int] = {}
    data = reader.get_metrics_data()
    for rm in data.resource_metrics if data else ():
        for sm in rm.scope_metrics:
            if sm.scope.name == "agent_telemetry":
                for metric in sm.metrics:
                    found[metric.name] = found.get(metric.name, 0) + len(metric.data.data_points)
    return found


def profile_worker() -> dict[str, Any]:
    """cProfile of ours: the plain openai call, and the replayed 250-chunk stream (per-chunk path)."""
    world = make_world()
    by_key = {s.key: s for s in world.scenarios}
    profiles: dict[str, Any] = {}
    toggle = instrument(world, cs.OURS)
    toggle.set(True)
    for key, calls in (
        ("openai.plain", PROFILE_CALLS),
        ("openai-responses.plain", PROFILE_CALLS),
        ("anthropic.plain", PROFILE_CALLS),
        ("openai.replay250", PROFILE_CALLS // 5),
    ):
        scenario = by_key[key]
        world.replayer.replaying(scenario.replay)
        run_calls(scenario, 200, world.loop)  # warm-up
        profiler = cProfile.Profile()
        profiler.enable()
        run_calls(scenario, calls, world.loop)
        profiler.disable()
        world.recorder.drain_spans()
        profiles[key] = report.profile_rows(pstats.Stats(profiler), calls)
    return profiles


# -- orchestrator ---------------------------------------------------------------------------------
def install_peers(only: set[str] | None = None) -> dict[str, dict[str, Any]]:
    """pip-install each peer on its own, never moving a package that is already installed.

    A peer that needs packages the others must not see, or whose pins are relaxed, gets a venv of its
    own with the same versions of everything it shares with this one (ours, the SDKs, OpenTelemetry).
    ``only``: install these contenders (by key), keep the others' last status.
    """
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    )
    status = _read_status() if only else {}
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as constraints:
        constraints.write(frozen.stdout)
    for contender in cs.CONTENDERS:
        if not contender.packages or (only and contender.key not in only):
            continue
        print(f"installing {contender.label} ...", flush=True)
        left_out: list[str] = []
        if contender.own_venv:
            failure = install_own_venv(contender, constraints.name, left_out)
        else:
            failure = pip_install(sys.executable, "-c", constraints.name, *contender.packages)
        status[contender.key] = {"installed": failure is None, "reason": failure or ""}
        if left_out:
            status[contender.key]["left_out"] = left_out
    os.unlink(constraints.name)
    STATUS_FILE.write_text(json.dumps(status, indent=2))
    return status


def pip_install(python: str | Path, *args: str) -> str | None:
    """None when pip succeeds, else the reason from its output."""
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
    )
    return None if done.returncode == 0 else install_failure(done.stdout + done.stderr)


def peer_python(contender: cs.Contender) -> Path:
    return PEER_VENVS / contender.key / "bin" / "python"


def install_own_venv(contender: cs.Contender, constraints: str, left_out: list[str]) -> str | None:
    """The contender's venv: ours and the SDKs as pinned here, what it needs, then the contender.

    With relaxed pins, a requirement of the contender that no release satisfies beside the versions
    pinned here is left out and added to ``left_out`` as "requirement: pip's reason".
    """
    python = peer_python(contender)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(python.parent.parent)], check=True)
    # What it needs may be pinned differently here (another peer's requirement): its own pin wins.
    needed = {requirement_name(need) for need in contender.needs}
    pins = Path(constraints).read_text().splitlines()
    own_constraints = python.parent.parent / "constraints.txt"
    own_constraints.write_text("\n".join(p for p in pins if requirement_name(p) not in needed) + "\n")
    constraints = str(own_constraints)
    root = str(HERE.parent)
    failure = pip_install(python, "-c", constraints, "-e", root, "openai", "anthropic", *contender.needs)
    if failure is not None or not contender.relax:
        return failure or pip_install(python, "-c", constraints, *contender.packages)
    failure = pip_install(python, "--no-deps", *contender.packages)
    if failure is not None:
        return failure
    # The rest of its requirements, as it declares them, minus the relaxed ones.
    listed = subprocess.run(
        [str(python), "-c", _LIST_REQUIREMENTS, *(requirement_name(p) for p in contender.packages)],
        capture_output=True,
        text=True,
        check=True,
    )
    rest = [
        req
        for req in listed.stdout.splitlines()
        if req and requirement_name(req) not in contender.relax and "extra ==" not in req
    ]
    if pip_install(python, "-c", constraints, *rest) is None:
        return None
    for requirement in rest:  # one at a time: which of them cannot be had here, and why
        failure = pip_install(python, "-c", constraints, requirement)
        if failure is not None:
            left_out.append(f"{requirement}: {failure}")
    return None


_LIST_REQUIREMENTS = (
    "import sys, importlib.metadata as m\n"
    "for name in sys.argv[1:]:\n"
    "    print(*(m.requires(name) or []), sep='\\n')"
)


def install_failure(output: str) -> str:
    """The lines of pip's output that say why: the conflicting requirements, or its last error."""
    lines = [line.strip() for line in output.splitlines()]
    causes = [line for line in lines if " depends on " in line or "The user requested" in line]
    if causes:
        return "; ".join(dict.fromkeys(causes[:3]))
    errors = [line for line in lines if line.startswith("ERROR")]
    return errors[-1] if errors else (lines[-1] if lines else "pip failed")


def venv_differences(theirs: dict[str, str]) -> list[str]:
    """A note for each package whose version in a contender's own venv is not the one here."""
    ours = versions()
    return [
        f"its venv has {name} {version} (the others: {ours[name]})"
        for name, version in theirs.items()
        if name in ours and ours[name] != version
    ]


def run_worker(
    args: list[str], extra_env: dict[str, str] | None = None, python: str | Path = sys.executable
) -> dict[str, Any]:
    """One fresh interpreter; its result comes back as JSON in a file (stdout is the peers' to spam)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    env = {**os.environ, **cs.CONTENT_OFF_ENV, "PYTHONWARNINGS": "ignore", **(extra_env or {})}
    started = time.monotonic()
    try:
        done = subprocess.run(
            [str(python), str(Path(__file__).resolve()), *args, "--out", path],
            capture_output=True,
            text=True,
            env=env,
            timeout=WORKER_TIMEOUT_S,
        )
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            return {"status": "failed", "reason": f"worker exited {done.returncode}: {tail}"}
        print(f"  done in {time.monotonic() - started:.0f} s", flush=True)
        return json.loads(Path(path).read_text())
    except subprocess.TimeoutExpired:
        return {"status": "failed", "reason": f"worker timed out after {WORKER_TIMEOUT_S} s"}
    finally:
        Path(path).unlink(missing_ok=True)


def orchestrate(install: bool, write: Path | None, command: str, only: set[str] | None = None) -> int:
    """Every contender, ours and the floor sampled, the memory runs and the profile; with ``only``
    (a quick check of some contenders), those contenders and nothing else."""
    started = time.monotonic()
    load_start = os.getloadavg()
    status = install_peers(only) if install else _read_status()
    results: dict[str, dict[str, Any]] = {}
    alternating = [c for c in (cs.OURS, cs.SPAN_FLOOR) if not only or c.key in only]
    for round_ in range(ROUNDS):
        for contender in alternating:
            print(f"measuring {contender.label} (round {round_ + 1} of {ROUNDS}) ...", flush=True)
            result = run_worker(["--worker", contender.key])
            results[contender.key] = pooled(results.get(contender.key), result)
    for contender in cs.CONTENDERS:
        if (only and contender.key not in only) or contender in alternating:
            continue
        peer = status.get(contender.key, {"installed": True})
        if not peer.get("installed", False):
            results[contender.key] = {"status": "not installed", "reason": peer.get("reason", "")}
            print(f"{contender.label}: not installed ({results[contender.key]['reason']})", flush=True)
            continue
        print(f"measuring {contender.label} ...", flush=True)
        python = peer_python(contender) if contender.own_venv else sys.executable
        result = run_worker(["--worker", contender.key], python=python)
        if result.get("status") == "unclean":
            print(f"{contender.label}: does not switch off cleanly; measuring it unpaired", flush=True)
            result = run_worker(["--worker", contender.key, "--unpaired"], python=python)
        if contender.own_venv and result.get("status") == "ok":
            if contender.needs:
                result["notes"].append(f"runs in its own venv, with {', '.join(contender.needs)} added")
            result["notes"] += venv_differences(result["versions"])
            if peer.get("left_out"):
                names = ", ".join(requirement_name(left) for left in peer["left_out"])
                why = peer["left_out"][0].split(":", 1)[1].split(";", 1)[0].strip()
                result["notes"].append(
                    f"left out of its venv, as no release installs beside the versions pinned here "
                    f"(e.g. {why}): {names}"
                )
        results[contender.key] = result
    if only:
        run = report.RunInfo(command, time.monotonic() - started, (load_start, os.getloadavg()), settings())
        # Kept apart from the last full run's raw results, which --render uses.
        QUICK_RAW_FILE.write_text(json.dumps({"results": results, "run": dataclasses.asdict(run)}, indent=1))
        return publish(results, {}, {}, run, write, contract=cs.OURS.key in only)
    for contender in (cs.OURS, cs.SPAN_FLOOR):  # the same, with traces sampled at 1 %
        print(f"measuring {contender.label}, traces sampled at 1 % ...", flush=True)
        key = contender.key + cs.SAMPLED
        results[key] = run_worker(["--worker", key], cs.SAMPLED_ENV)
    # Side by side: they measure memory, not time, and together they take minutes less.
    print(f"memory runs (ours): {', '.join(MEMORY_RUNS)} ...", flush=True)
    with ThreadPoolExecutor(len(MEMORY_RUNS)) as pool:
        done = pool.map(lambda kind: run_worker(["--memory", kind]), MEMORY_RUNS)
        memory = dict(zip(MEMORY_RUNS, done, strict=True))
    print("profiling ours ...", flush=True)
    profile = run_worker(["--profile"])
    run = report.RunInfo(
        command=command,
        seconds=time.monotonic() - started,
        load=(load_start, os.getloadavg()),
        settings=settings(),
    )
    # The raw block timings, for a second look or --render (kept in the gitignored venv folder).
    raw = {"results": results, "memory": memory, "profile": profile, "run": dataclasses.asdict(run)}
    RAW_FILE.write_text(json.dumps(raw, indent=1))
    return publish(results, memory, profile, run, write)


def pooled(earlier: dict[str, Any] | None, result: dict[str, Any]) -> dict[str, Any]:
    """One contender's results over its rounds: each scenario's block timings appended in order (the
    pairs stay pairs); a failed round, or a round whose contract check failed, is what is reported."""
    if earlier is None or earlier.get("status") != "ok":
        return result if earlier is None else earlier
    if result.get("status") != "ok":
        return result
    for key, measured in result["scenarios"].items():
        into = earlier["scenarios"][key]
        for field_name in ("bare_us", "instr_us", "spans_per_call", "histogram_values_per_call"):
            into[field_name] += measured[field_name]
        into["bare_spans"] += measured["bare_spans"]
    if not all(check[-1] for check in result.get("contract", [])):
        earlier["contract"] = result["contract"]
    return earlier


def settings() -> dict[str, float]:
    return {"block_cpu_s": BLOCK_CPU_S, "pairs": PAIRS, "warmup_cpu_s": WARMUP_CPU_S, "rounds": ROUNDS}


def publish(
    results: dict[str, dict[str, Any]],
    memory: dict[str, Any],
    profile: dict[str, Any],
    run: report.RunInfo,
    write: Path | None,
    contract: bool = True,
) -> int:
    """Print and write the report; non-zero if ``contract`` and our contract check failed."""
    text = report.render(results, memory, profile, run)
    print(text)
    if write is not None:
        write.write_text(text)
        print(f"wrote {write}", flush=True)
    return 0 if not contract or report.contract_ok(results, memory) else 1


def rerender(write: Path | None) -> int:
    """The report again from the last run's raw results (after editing observations.md, say)."""
    raw = json.loads(RAW_FILE.read_text())
    run = raw["run"]
    info = report.RunInfo(run["command"], run["seconds"], tuple(map(tuple, run["load"])), run["settings"])
    return publish(raw["results"], raw["memory"], raw["profile"], info, write)


def _read_status() -> dict[str, dict[str, Any]]:
    return json.loads(STATUS_FILE.read_text()) if STATUS_FILE.exists() else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--install-peers", action="store_true", help="pip-install the peers first")
    parser.add_argument("--write", type=Path, help="write the markdown report here")
    parser.add_argument(
        "--command", default="bash benchmarks/run.sh", help="the command quoted in the report"
    )
    parser.add_argument("--render", action="store_true", help="only re-render the last run's results")
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        help="a quick check: set up (with --install-peers) and measure only these contenders, "
        f"comma-separated ({', '.join(c.key for c in cs.CONTENDERS)}); no sampled, memory or "
        "profile runs, and the last full run's raw results are kept",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--unpaired", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--memory", choices=MEMORY_RUNS, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    job: Callable[[], Any] | None = None
    if args.worker:
        job = lambda: worker(args.worker, args.unpaired)  # noqa: E731
    elif args.memory:
        job = lambda: memory_worker(args.memory)  # noqa: E731
    elif args.profile:
        job = profile_worker
    if job is None and args.render:
        return rerender(args.write)
    if job is None:
        unknown = (args.only or set()) - {c.key for c in cs.CONTENDERS}
        if unknown:
            parser.error(f"--only: unknown contender(s) {', '.join(sorted(unknown))}")
        return orchestrate(args.install_peers, args.write, args.command, args.only)
    args.out.write_text(json.dumps(job()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
