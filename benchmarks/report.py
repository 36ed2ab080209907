"""Turns the workers' raw block timings into docs/performance.md."""

from __future__ import annotations

import os
import platform
import pstats
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import contenders as cs
import scenarios as sc

# Targets (project guide): per plain call, ≤ 2x the one-empty-span floor of the same run and ≤ 0.5x
# the best peer, on every path; per stream chunk ≤ 1.5 µs.
TARGET_FLOOR_RATIO = 2.0
TARGET_PEER_RATIO = 0.5
TARGET_CHUNK_US = 1.5
CHUNK_SPAN = sc.REPLAY_LONG - sc.REPLAY_SHORT
PATHS = tuple(sc.PATHS)
SAMPLED = cs.SAMPLED
OBSERVATIONS = Path(__file__).resolve().parent / "observations.md"
PIPELINE = Path(__file__).resolve().parent / "pipeline" / "results.md"  # python -m benchmarks.pipeline
WATCHED = ("agent_telemetry", "opentelemetry", "wrapt")  # where instrumentation time is spent


METHOD = f"""## How this is measured

- **Added µs per call** = CPU time (`time.process_time_ns`, this process only) of an instrumented call
  minus that of a bare call, same client, same canned response, in-memory `httpx2.MockTransport`. Each
  scenario runs {{pairs}} pairs of blocks, a bare block then an instrumented block (the instrumentation is
  switched off and on between them with `uninstrument()`/`instrument()`), each block as many calls as
  fit in ~{{block}} s of CPU after a warm-up of both modes; a block's cost is divided by its calls, and the
  figure is the median of the pair differences (± half their interquartile range). Pairing cancels
  most of the drift of a busy machine; xbare is instrumented / bare. The last table also gives
  fastest instrumented block - fastest bare block, the estimate least sensitive to other work on the
  machine (which only ever adds time): where the two disagree, the machine was busy. A contender
  whose own way back does not take it out (OpenLLMetry's `uninstrument()` leaves spans on; OpenLIT has
  none) is switched on once, then off and on by putting back the SDK attributes it replaced, and its
  replacements. Every worker first checks that a contender switched off makes no span and, switched on
  again, no second layer; one that fails is measured unpaired, all bare blocks first, its figure the
  fastest - fastest estimate, as a median across minutes of drift means little (its notes say so).
  Ours and the floor, whose ratio is the verdict, each run in {{rounds}} fresh workers, alternating
  (ours, the floor, ours, ...), their pairs pooled: drift over the minutes of a run falls on both.
- **Paths**, one table each: openai `chat.completions.create`; openai `responses.create` (the
  Responses API: a string input, a one-message output, its own event stream); anthropic
  `messages.create` twice. The anthropic SDK makes a span of its own around each call (its native
  tracing, on by default; here non-recording, as no global tracer provider is set, yet it builds its
  attributes, and with another span current it propagates a trace context). Ours switches it off
  while it instruments (documented; `AGENT_TELEMETRY_ANTHROPIC_NATIVE_SPANS=true` keeps it and we
  record metrics only). **anthropic** (the headline figure) measures every contender against a bare
  client whose native tracing is off too (`open_telemetry=False`), so that nobody is credited with
  removing the SDK's own work. **anthropic, SDK tracing on** keeps the SDK's default in the bare client
  (the way an application that installs us finds it): there ours is credited with the SDK work it
  switches off, and the peers, which leave it on, pay for its trace propagation under their span.
- **plain**: a sync, non-streaming call. **async**: the same on
  the async client. **stream of 50**: a sync `stream=True` call reading all 50 chunks (openai: 48 text
  deltas, a finish chunk, a usage chunk; `include_usage` asked by the app so that all contenders see the
  same chunks; Responses: created, in_progress, item and part added, 42 text deltas, three dones,
  completed; anthropic: message_start, content_block_start, 45 deltas, stop, message_delta,
  message_stop), with real SSE decoding and parsing.
- **per chunk** = marginal CPU per streamed chunk
  = (added({sc.REPLAY_LONG}-chunk stream) - added({sc.REPLAY_SHORT}-chunk stream)) / {CHUNK_SPAN},
  on *replayed* streams: the SDK's `Stream.__stream__` yields chunks it parsed
  once (for bare and instrumented alike), because the SDKs' own parsing (~100 µs a chunk for openai)
  would drown a 1 µs signal. Fixed per-call costs cancel out of the difference. The naive estimate
  (stream-of-50 added - plain added) / 50 is in the last table for comparison.
- **histogram values/plain call**: the values a plain call adds to every histogram of every
  contender's scope (read from the metric reader around each instrumented block; counters' adds
  cannot be counted that way). A contender with 0 records no latency or token histogram for that path:
  its cost is a span's, with attributes, and no metrics.
- **vs best peer** = ours (or that peer) / the lowest figure among the peers that ran and make a span
  for that path's calls (spans/call ≥ 0.5); below 1 is better. A peer's plain figure below the floor
  of the same run (possible only for an unpaired measurement on a busy machine) is left out of "best
  peer". **vs floor** = ours / the floor row.
- **Traces sampled at 1 %**: ours and the floor again, each in a fresh worker with
  `OTEL_TRACES_SAMPLER=parentbased_traceidratio`, `OTEL_TRACES_SAMPLER_ARG=0.01` (read by the SDK's
  `TracerProvider`), as production fleets run: 99 % of the calls get a non-recording span, and
  metrics are recorded for all. Such a call should cost little more than its metrics.
- A peer that makes no span on a path's calls is not measured there, whatever its wrapper costs: its
  row says so; where it makes none for one kind of call only, that cell says "no span" and the
  figure counts in no ratio. A peer that needs a
  package the others must not see, or whose pins clash with the SDKs measured, runs in a venv of its
  own with the same versions of everything shared; the Notes say what was relaxed or left out.
- Every contender exports to an `InMemorySpanExporter` through a `SimpleSpanProcessor` (export cost is
  in the measured process) and an `InMemoryMetricReader`; content capture is off for all
  (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false`, `TRACELOOP_TRACE_CONTENT=false`). Each
  contender runs in its own fresh interpreter.
- Every measured block, bare and instrumented, ends with a metrics collection
  (`InMemoryMetricReader.get_metrics_data()`) inside the timing: work an instrumentation leaves for
  collection time (ours sums counters in-process and hands histogram values to the SDK then) is
  counted, and the collection's own cost cancels out of each pair.
- **reference: one empty SDK span per call** is not a peer: a `wrapt` wrapper (on
  `chat.completions.create`, `responses.create`, `messages.create`, sync and async) that makes one empty
  span, current during the call, and nothing else. It is the floor for any instrumentation that
  makes a span per call, measured in the same run.
- Targets (project guide), on every path: added CPU per plain call ≤ {TARGET_FLOOR_RATIO:g}x the floor
  measured in the same run and ≤ {TARGET_PEER_RATIO:g}x the best peer; ≤ {TARGET_CHUNK_US} µs per stream
  chunk; flat memory over 100k calls, also with tens of thousands of distinct label values. On a
  shared machine the µs move from run to run by ±30 %; the ratios, measured side by side in one
  run, are the figures to read.
"""


@dataclass(frozen=True, slots=True)
class RunInfo:
    command: str
    seconds: float
    load: tuple[tuple[float, float, float], tuple[float, float, float]]
    settings: dict[str, float]


@dataclass(frozen=True, slots=True)
class Figures:
    """One contender on one SDK, in µs of CPU per call (or per chunk)."""

    bare: dict[str, float]  # scenario -> bare µs per call
    added: dict[str, float]  # scenario -> added µs per call
    spread: dict[str, float]  # scenario -> half the interquartile range of the added µs
    added_min: dict[str, float]  # scenario -> fastest instrumented block - fastest bare block
    spans_per_call: float  # the median over the scenarios
    spans: dict[str, float]  # scenario -> spans per instrumented call
    histogram_values: dict[str, float]  # scenario -> histogram values recorded per instrumented call

    def traced(self, *names: str) -> bool:
        """Whether these scenarios' calls got a span (a peer that made none did not instrument them)."""
        return all(self.spans.get(name, 0.0) >= 0.5 for name in names)

    @property
    def per_chunk(self) -> float | None:
        long, short = f"replay{sc.REPLAY_LONG}", f"replay{sc.REPLAY_SHORT}"
        if long not in self.added or short not in self.added:
            return None
        return (self.added[long] - self.added[short]) / CHUNK_SPAN

    @property
    def per_chunk_naive(self) -> float | None:
        """The simple estimate: (stream call added - plain call added) / items, on real SSE streams."""
        stream = f"stream{sc.STREAM_ITEMS}"
        if stream not in self.added or "plain" not in self.added:
            return None
        return (self.added[stream] - self.added["plain"]) / sc.STREAM_ITEMS


def _quartile_spread(values: list[float]) -> float:
    if len(values) < 4:
        return 0.0
    q1, _, q3 = statistics.quantiles(values, n=4)
    return (q3 - q1) / 2


def figures(result: dict[str, Any], path: str) -> Figures | None:
    if result.get("status") != "ok" or sc.PATHS[path][0] not in result.get("sdks", ()):
        return None
    bare: dict[str, float] = {}
    added: dict[str, float] = {}
    spread: dict[str, float] = {}
    added_min: dict[str, float] = {}
    spans: dict[str, float] = {}
    values: dict[str, float] = {}
    for key, m in result["scenarios"].items():
        scenario_path, name = key.split(".", 1)
        if scenario_path != path:
            continue
        bare[name] = statistics.median(m["bare_us"])
        added_min[name] = min(m["instr_us"]) - min(m["bare_us"])
        if result.get("paired"):
            diffs = [i - b for i, b in zip(m["instr_us"], m["bare_us"], strict=True)]
            added[name] = statistics.median(diffs)
            spread[name] = _quartile_spread(diffs)
        else:
            # Unpaired, the bare and the instrumented blocks ran minutes apart; other work on the
            # machine only ever adds time, so the fastest block of each is the steadier estimate.
            added[name] = added_min[name]
            spread[name] = 0.0
        spans[name] = statistics.median(m["spans_per_call"])
        if m.get("histogram_values_per_call"):  # results of runs before the column have none
            values[name] = statistics.median(m["histogram_values_per_call"])
    if not added:
        return None
    return Figures(bare, added, spread, added_min, statistics.median(spans.values()), spans, values)


_CHUNK_SCENARIOS = (f"replay{sc.REPLAY_SHORT}", f"replay{sc.REPLAY_LONG}")


# -- rendering ------------------------------------------------------------------------------------
def _us(value: float | None, spread: float | None = None) -> str:
    if value is None:
        return "-"
    text = f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return f"{text} ±{spread:.1f}" if spread else text


def _ratio(value: float | None, best: float | None) -> str:
    if value is None or best is None or best <= 0:
        return "-"
    return f"{value / best:.2f}x"


def _best_peer(all_figures: dict[str, Figures], pick: str) -> float | None:
    """The lowest figure among the peers that make a span for this path's calls.

    A peer that makes a span per call cannot cost less per plain call than the floor (one empty span)
    measured in the same run: a plain figure below it is noise of an unpaired measurement, not a
    figure to compare with, and is left out."""
    peers = {c.key for c in cs.CONTENDERS if c.peer}
    floor = all_figures.get(cs.SPAN_FLOOR.key)
    least = floor.added["plain"] if pick == "plain" and floor is not None else None
    values = [
        value
        for key, f in all_figures.items()
        if key in peers
        and f.traced(*(_CHUNK_SCENARIOS if pick == "chunk" else (pick,)))
        and (value := _pick(f, pick)) is not None
        and (least is None or value >= least)
    ]
    return min(values) if values else None


def _pick(f: Figures, what: str) -> float | None:
    return f.per_chunk if what == "chunk" else f.added.get(what)


def sdk_table(results: dict[str, dict[str, Any]], path: str) -> list[str]:
    all_figures = {k: f for k, r in results.items() if (f := figures(r, path)) is not None}
    sdk = sc.PATHS[path][0]
    stream = f"stream{sc.STREAM_ITEMS}"
    lines = [
        "| contender | plain | xbare | async | xbare | stream of 50 (whole call) | xbare "
        "| per chunk | plain vs floor | plain vs best peer | chunk vs best peer | spans/call "
        "| histogram values/plain call |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    best = {what: _best_peer(all_figures, what) for what in ("plain", "chunk")}
    floor = all_figures.get(cs.SPAN_FLOOR.key)
    floor_plain = floor.added.get("plain") if floor is not None else None
    for contender in cs.CONTENDERS:
        result = results.get(contender.key, {})
        f = all_figures.get(contender.key)
        if f is None:
            lines.append(_missing_row(contender, result, sdk))
            continue
        if contender.peer and not any(f.traced(name) for name in f.spans):
            # Its figures would read as a cheap peer: it does not instrument this call at all.
            lines.append(_row(contender.label, _uninstrumented(f, path)))
            continue
        # A peer's figure for calls it made no span for is not an instrumentation's cost.
        shown = {name: not contender.peer or f.traced(name) for name in f.added}
        cells = [f"**{contender.label}**" if contender is cs.OURS else contender.label]
        if f.spans_per_call >= 1.5:  # a span of someone else's in its calls, or a second layer
            cells[0] += f" ({f.spans_per_call:.0f} spans per call: see Notes)"
        for name in ("plain", "async", stream):
            cells += (
                [_us(f.added[name], f.spread[name]), f"{(f.bare[name] + f.added[name]) / f.bare[name]:.3f}"]
                if shown[name]
                else [NO_SPAN, "-"]
            )
        plain = f.added["plain"] if shown["plain"] else None
        chunk_shown = all(shown[name] for name in _CHUNK_SCENARIOS)
        chunk = f.per_chunk if chunk_shown else None
        cells += [
            _us(chunk) if chunk_shown else NO_SPAN,
            _ratio(plain, floor_plain),
            _ratio(plain, best["plain"]),
            _ratio(chunk, best["chunk"]),
            f"{f.spans_per_call:.2f}",
            f"{f.histogram_values['plain']:.2f}" if "plain" in f.histogram_values else "-",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    bare = next(iter(all_figures.values()), None)
    if bare is not None:
        lines.append("")
        lines.append(
            f"Bare client ({sdk}), µs of CPU per call (median, from the first contender's worker): "
            + ", ".join(f"{name} {value:.0f}" for name, value in bare.bare.items())
            + "."
        )
    return lines


NO_SPAN = "no span: not instrumented"


def _missing_row(contender: cs.Contender, result: dict[str, Any], sdk: str) -> str:
    status = result.get("status", "not run")
    if status == "ok":
        reason = f"does not instrument the {sdk} SDK"
    else:
        reason = f"{status}: {result['reason']}" if result.get("reason") else status
    return _row(contender.label, reason)


def _row(label: str, reason: str) -> str:
    """A contender's row with no figures: the one line that says why, across the table."""
    escaped = reason.replace("|", "\\|")
    return f"| {label} | {escaped} |" + " |" * 12


def _uninstrumented(f: Figures, path: str) -> str:
    return (
        f"does not instrument {sc.PATHS[path][1]}: {f.spans_per_call:.2f} spans per call "
        f"(its figures, {_us(f.added['plain'])} µs per plain call, are not an instrumentation's cost)"
    )


def detail_table(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| contender | scenario | bare µs | added µs (median ± IQR/2) | added µs (min - min) | calls/block "
        "| pairs |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for key, label in _all_contenders():
        result = results.get(key, {})
        for path in PATHS:
            f = figures(result, path)
            if f is None:
                continue
            for name in f.added:
                m = result["scenarios"][f"{path}.{name}"]
                lines.append(
                    f"| {label} | {path}.{name} | {f.bare[name]:.1f} | "
                    f"{_us(f.added[name], f.spread[name])} | {_us(f.added_min[name])} | {m['n']} "
                    f"| {len(m['instr_us'])} |"
                )
            lines.append(
                f"| {label} | {path} per chunk, naive (stream50 - plain)/50 | | "
                f"{_us(f.per_chunk_naive)} | | | |"
            )
    return lines


def _all_contenders() -> list[tuple[str, str]]:
    """(result key, label) of every worker: the contenders, then the sampled runs."""
    keys = [(c.key, c.label) for c in cs.CONTENDERS]
    return keys + [(c.key + SAMPLED, f"{c.label}, traces sampled 1 %") for c in (cs.OURS, cs.SPAN_FLOOR)]


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def verdict(results: dict[str, dict[str, Any]]) -> list[str]:
    ours = results.get(cs.OURS.key, {})
    lines = []
    for path in PATHS:
        f = figures(ours, path)
        title = sc.PATHS[path][1]
        if f is None:
            lines.append(f"- {title}: ours did not run ({ours.get('reason', '')})")
            continue
        plain, chunk = f.added["plain"], f.per_chunk
        all_figures = {k: g for k, r in results.items() if (g := figures(r, path)) is not None}
        floor = all_figures.get(cs.SPAN_FLOOR.key)
        best = _best_peer(all_figures, "plain")
        parts = [f"**{plain:.1f} µs** added per plain call (async {f.added['async']:.1f})"]
        if floor is not None and floor.added["plain"] > 0:
            ratio = plain / floor.added["plain"]
            parts.append(
                f"**{ratio:.2f}x the floor** ({floor.added['plain']:.1f} µs; "
                f"target ≤ {TARGET_FLOOR_RATIO:g}x: {_met(ratio <= TARGET_FLOOR_RATIO)})"
            )
        if best is not None and best > 0:
            ratio = plain / best
            parts.append(
                f"**{ratio:.2f}x the best peer** ({best:.1f} µs; target ≤ {TARGET_PEER_RATIO:g}x: "
                f"{_met(ratio <= TARGET_PEER_RATIO)})"
            )
        parts.append(
            f"**{_us(chunk)} µs** per stream chunk (target ≤ {TARGET_CHUNK_US}: "
            f"{_met(chunk is not None and chunk <= TARGET_CHUNK_US)})"
        )
        lines.append(f"- {title}: " + ", ".join(parts) + ".")
        agent_only = figures(results.get(cs.OURS_AGENT_ONLY.key, {}), path)
        if agent_only is not None and floor is not None and floor.added["plain"] > 0:
            lines.append(
                f"  Without the gen_ai.client.* metrics (AGENT_TELEMETRY_METRICS=agent): "
                f"{agent_only.added['plain']:.1f} µs per plain call, "
                f"{agent_only.added['plain'] / floor.added['plain']:.2f}x the floor; "
                f"they cost {plain - agent_only.added['plain']:.1f} µs per plain call."
            )
        sampled = figures(results.get(cs.OURS.key + SAMPLED, {}), path)
        if sampled is not None:
            sampled_floor = figures(results.get(cs.SPAN_FLOOR.key + SAMPLED, {}), path)
            floor_text = (
                f", the floor {sampled_floor.added['plain']:.1f} µs" if sampled_floor is not None else ""
            )
            lines.append(
                f"  Traces sampled at 1 %: ours {sampled.added['plain']:.1f} µs per plain call "
                f"({_ratio(sampled.added['plain'], plain)} of ours unsampled{floor_text})."
            )
    return lines


def sampled_table(results: dict[str, dict[str, Any]]) -> list[str]:
    """Ours and the floor with traces sampled at 1 %, next to ours unsampled, per path."""
    lines = [
        "| path | ours, sampled 1 %: plain | async | per chunk | floor, sampled 1 %: plain "
        "| ours unsampled: plain | sampled / unsampled | sampled - floor sampled |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path in PATHS:
        sampled = figures(results.get(cs.OURS.key + SAMPLED, {}), path)
        floor = figures(results.get(cs.SPAN_FLOOR.key + SAMPLED, {}), path)
        full = figures(results.get(cs.OURS.key, {}), path)
        if sampled is None:
            reason = results.get(cs.OURS.key + SAMPLED, {}).get("reason", "not run")
            lines.append(f"| {path} | {reason} |" + " |" * 6)
            continue
        floor_plain = floor.added["plain"] if floor is not None else None
        full_plain = full.added["plain"] if full is not None else None
        lines.append(
            f"| {path} | {_us(sampled.added['plain'], sampled.spread['plain'])} "
            f"| {_us(sampled.added['async'])} | {_us(sampled.per_chunk)} | {_us(floor_plain)} "
            f"| {_us(full_plain)} | {_ratio(sampled.added['plain'], full_plain)} "
            f"| {_us(sampled.added['plain'] - floor_plain if floor_plain is not None else None)} |"
        )
    return lines


def contract_lines(title: str, checks: list[list[Any]] | None) -> list[str]:
    if not checks:
        return [f"{title}: not run."]
    lines = [title, "", "| check | expected | actual | ok |", "|---|---:|---:|---|"]
    for name, expected, actual, ok in checks:
        lines.append(f"| {name} | {expected:g} | {actual:g} | {'✅' if ok else '❌ FAIL'} |")
    return lines


def contract_ok(results: dict[str, dict[str, Any]], memory: dict[str, Any]) -> bool:
    checks = list(results.get(cs.OURS.key, {}).get("contract", []))
    checks += results.get(cs.OURS.key + SAMPLED, {}).get("contract", [])
    for run in memory.values():
        checks += run.get("contract", [])
    return bool(checks) and all(ok for *_, ok in checks)


_MEMORY_TITLES = {
    "mixed": "{calls:,} calls, no metrics collection during the run",
    "tool-names": (
        "{calls:,} calls with {tool_names:,} distinct tool names, a collection every {collect_every:,}"
    ),
    "export-60s": (
        "{calls:,} calls, a collection every {collect_every:,} (a 60 s export interval at 500 calls/s)"
    ),
}


def memory_table(memory: dict[str, Any]) -> list[str]:
    lines = [
        "| run | RSS: SDKs loaded | instrumented, before the first call | after the warm-up | end "
        "| growth after the warm-up | over the second half | peak | GC objects | series at the end "
        "(largest metric) | CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, run in memory.items():
        if "rss_samples" not in run:
            lines.append(f"| {kind} | failed: {run.get('reason', '')} |" + " |" * 9)
            continue
        samples = run["rss_samples"]
        start, end = samples[0][1], samples[-1][1]
        second_half = samples[len(samples) // 2][1]
        objects = run["gc_objects"]
        series = run.get("series", {})
        largest = max(series.items(), key=lambda item: item[1], default=("-", 0))
        lines.append(
            f"| {_MEMORY_TITLES[kind].format(**run)} | {run['rss_before_mb']:.1f} MB "
            f"| {run['rss_instrumented_mb']:.1f} MB | {start:.1f} MB "
            f"| {end:.1f} MB | **{end - start:+.1f} MB** | {end - second_half:+.1f} MB "
            f"| {run['max_rss_mb']:.1f} MB | {objects[0]:,} → {objects[1]:,} "
            f"| {largest[1]:,} ({largest[0]}) | {run['cpu_s']:.0f} s |"
        )
    return lines


def memory_lines(memory: dict[str, Any]) -> list[str]:
    """The table, then each run's RSS at every checkpoint (``*`` = right after a collection)."""
    lines = [
        "Ours, each run in a fresh worker: a warm-up of 2,000 calls, then RSS at every checkpoint "
        "(after a `gc.collect()`); spans drained every 1,000 calls. The mix cycles anthropic plain, "
        "anthropic replayed 50-event stream, anthropic plain, openai plain; the tool-names run makes "
        "anthropic calls whose response asks for a tool, then runs that tool under `tool_call(name)`.",
        "",
        *memory_table(memory),
        "",
    ]
    for kind, run in memory.items():
        if "rss_samples" not in run:
            continue
        points = ", ".join(
            f"{point[0]:,}: {point[1]:.1f}{'*' if len(point) > 2 and point[2] else ''}"
            for point in run["rss_samples"]
        )
        lines.append(f"- {kind}, RSS in MB after N calls (* right after a collection): {points}")
        if run.get("step_cpu_us"):
            # Held values must not make later calls dearer: flat, also far from the last collection.
            per_step = ", ".join(f"{us:.0f}" for us in run["step_cpu_us"])
            lines.append(f"  CPU per call (bare SDK call included) in each step, µs: {per_step}")
        if run.get("collections_s"):
            slowest = max(seconds for _, seconds in run["collections_s"])
            lines.append(
                f"  Its {len(run['collections_s'])} metrics collections took up to {slowest:.2f} s of wall "
                "time each (the OpenTelemetry SDK gives a collection 10 s by default; this run waits)."
            )
    return lines


_WRAPPED_FILES = (
    "openai/resources/chat/completions/completions.py",
    "openai/resources/responses/responses.py",
    "anthropic/resources/messages/messages.py",
)


def profile_rows(stats: pstats.Stats, calls: int) -> dict[str, Any]:
    """Where the time of the wrapped call goes under cProfile, in µs per call (cProfile inflates them)."""
    rows = []
    wrapper_cum = wrapped_cum = 0.0
    for (filename, line, func), (_, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        path = filename.replace(os.sep, "/")
        if path.endswith("agent_telemetry/instrumentation/_wrap.py") and func == "wrapper":
            wrapper_cum = cumtime
        if path.endswith(_WRAPPED_FILES) and func == "create":
            wrapped_cum = max(wrapped_cum, cumtime)
        package = next((p for p in WATCHED if f"/{p}/" in path), None)
        if package is None:
            continue
        short = path.split(f"/{package}/", 1)[1]
        rows.append(
            {
                "function": f"{package}/{short}:{line} {func}",
                "calls_per_call": ncalls / calls,
                "self_us": tottime / calls * 1e6,
                "cum_us": cumtime / calls * 1e6,
            }
        )
    rows.sort(key=lambda r: r["self_us"], reverse=True)
    return {"rows": rows[:22], "wrapper_excl_sdk_us": (wrapper_cum - wrapped_cum) / calls * 1e6}


def profile_lines(profile: dict[str, Any]) -> list[str]:
    if "openai.plain" not in profile:
        return [f"Profile failed: {profile.get('reason', '')}"]
    profile = {key: data for key, data in profile.items() if isinstance(data, dict) and "rows" in data}
    lines: list[str] = []
    for key, data in profile.items():
        lines += [
            f"**{key}** — cProfile, µs per call (inflated by the profiler; read the ranking, not the values)."
        ]
        if key.endswith(".plain"):
            lines.append(
                f"Time inside our wrapper but outside the SDK call: {data['wrapper_excl_sdk_us']:.1f} µs."
            )
        lines += ["", "| function | calls/call | self µs | cumulative µs |", "|---|---:|---:|---:|"]
        for row in data["rows"][:15]:
            lines.append(
                f"| `{row['function']}` | {row['calls_per_call']:.1f} "
                f"| {row['self_us']:.1f} | {row['cum_us']:.1f} |"
            )
        lines.append("")
    return lines


def machine_lines(results: dict[str, dict[str, Any]], run: RunInfo) -> list[str]:
    merged: dict[str, str] = {}
    for result in results.values():  # ours first: a version that differs in a peer's venv is its note
        for name, version in result.get("versions", {}).items():
            merged.setdefault(name, version)
    load = " / ".join(f"{a:.2f}" for a in run.load[0]) + " → " + " / ".join(f"{a:.2f}" for a in run.load[1])
    return [
        f"- CPU: {cpu_model()} x {os.cpu_count()} (nproc {nproc()})",
        f"- Python {platform.python_version()} ({platform.python_implementation()}), {platform.platform()}",
        f"- load average (1/5/15 min) at start → end: {load}",
        f"- run took {run.seconds:.0f} s wall; blocks of {run.settings['block_cpu_s']} s CPU, "
        f"{run.settings['pairs']:.0f} pairs per scenario per worker "
        f"({run.settings.get('rounds', 1):.0f} workers each for ours and the floor), "
        f"{run.settings['warmup_cpu_s']} s CPU warm-up per mode",
        "- packages: " + ", ".join(f"{k} {v}" for k, v in sorted(merged.items())),
    ]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def nproc() -> str:
    try:
        return subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def notes_lines(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for key, label in _all_contenders():
        result = results.get(key, {})
        for note in result.get("notes", []):
            lines.append(f"- {label}: {note}")
        if result.get("status") == "ok":
            for scenario, m in result["scenarios"].items():
                if m["bare_spans"]:
                    lines.append(f"- {label}: {m['bare_spans']} spans while switched off in {scenario}")
    return lines


def render(
    results: dict[str, dict[str, Any]], memory: dict[str, Any], profile: dict[str, Any], run: RunInfo
) -> str:
    out = ["# Performance: CPU overhead of the instrumentation", "", f"Reproduce: `{run.command}`", ""]
    out += ["## Verdict (ours)", "", *verdict(results), ""]
    for path in PATHS:
        out += [f"## {sc.PATHS[path][1]}: µs of CPU added per call", "", *sdk_table(results, path), ""]
    out += ["## Traces sampled at 1 % (ours and the floor): µs of CPU added per call", ""]
    out += [*sampled_table(results), ""]
    out += [
        METHOD.format(
            pairs=int(run.settings["pairs"]),
            block=run.settings["block_cpu_s"],
            rounds=int(run.settings.get("rounds", 1)),
        ),
        "",
    ]
    out += ["## Contract check (ours, every instrumented call of the timing run)", ""]
    out += [*contract_lines("", results.get(cs.OURS.key, {}).get("contract")), ""]
    sampled_checks = results.get(cs.OURS.key + SAMPLED, {}).get("contract")
    title = "Contract check, traces sampled at 1 % (the span count is not checked):"
    out += [*contract_lines(title, sampled_checks), ""]
    out += ["## Memory (ours)", "", *memory_lines(memory), ""]
    for kind, memory_run in memory.items():
        out += [*contract_lines(f"Contract check of the memory run {kind}:", memory_run.get("contract")), ""]
    out += ["## Where our time goes (profile)", "", *profile_lines(profile)]
    out += ["## All measurements", "", *detail_table(results), ""]
    notes = notes_lines(results)
    if notes:
        out += ["## Notes", "", *notes, ""]
    out += ["## Machine", "", *machine_lines(results, run), ""]
    if OBSERVATIONS.exists():  # hand-written analysis of a run, kept across regenerations
        out += [OBSERVATIONS.read_text().rstrip(), ""]
    if PIPELINE.exists():  # the pipeline benchmark's section, from its own last run
        out += [PIPELINE.read_text().rstrip(), ""]
    return "\n".join(out)
