"""A quick before/after check of ours against the floor on one scenario, for work on the hot path.

    .venv/bin/python benchmarks/quick.py anthropic.plain --rounds 5 [--sampled] [--profile] [--base DIR]
        [--contender ours-agent-only]

Runs the harness of overhead.py on one scenario (``PATH.NAME`` as in the report, e.g. ``openai.plain``,
``openai-responses.async``, ``anthropic.replay250``), alternating fresh workers of ours and of the
floor, ``--rounds`` times each, and prints each round's added µs and the median ratio ours / floor. On
a shared machine read the ratio (and repeat it), not the µs. Not the published figures: those come
from ``bash benchmarks/run.sh`` (every scenario, the peers, more pairs).

``--base DIR`` also runs ours from another source tree in each round (e.g. the ``src`` of
``git archive main src | tar -x -C /tmp/base``, put first on PYTHONPATH), for before/after ratios
measured side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def worker(key: str, scenario_key: str, pairs: int, profile: bool) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    import contenders as cs
    import overhead as oh

    world = oh.make_world()
    toggle = oh.instrument(world, cs.by_key(key))
    bench = oh.Bench(toggle, world.recorder, world.loop)
    scenario = next(s for s in world.scenarios if s.key == scenario_key)
    world.replayer.replaying(scenario.replay)
    if profile:
        import cProfile
        import pstats

        toggle.set(True)
        oh.run_calls(scenario, 200, world.loop)
        profiler = cProfile.Profile()
        profiler.enable()
        oh.run_calls(scenario, 1000, world.loop)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats("agent_telemetry|opentelemetry|wrapt|re/", 40)
    m = oh.Measured(bench.calls_per_block(scenario))
    bench.warm_up(scenario, m.n, False)
    bench.warm_up(scenario, m.n, True)
    for _ in range(pairs):
        bench.block(scenario, m.n, False, m)
        bench.block(scenario, m.n, True, m)
    added = [i - b for b, i in zip(m.bare_us, m.instr_us, strict=True)]
    return {"added": statistics.median(added), "bare": statistics.median(m.bare_us)}


def run(
    key: str, scenario: str, pairs: int, sampled: bool, profile: bool, src: str | None = None
) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    import contenders as cs

    env = {**os.environ, **cs.CONTENT_OFF_ENV, "PYTHONWARNINGS": "ignore"}
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (src, env.get("PYTHONPATH"))))
    if sampled:
        env.update(cs.SAMPLED_ENV)
    args = [sys.executable, __file__, scenario, "--worker", key, "--pairs", str(pairs)]
    if profile:
        args.append("--profile")
    out = subprocess.run(args, env=env, check=True, capture_output=not profile, text=True)
    if profile:
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ratio(ours: dict[str, Any], floor: dict[str, Any]) -> float:
    return ours["added"] / floor["added"] if floor["added"] > 0 else float("nan")


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x" if values else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("scenario", help="PATH.NAME, e.g. openai.plain")
    parser.add_argument("--rounds", type=int, default=5, help="worker pairs (ours, floor) to run")
    parser.add_argument("--pairs", type=int, default=9, help="bare/instrumented block pairs per worker")
    parser.add_argument("--sampled", action="store_true", help="traces sampled at 1 %% in both")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of ours, then measure")
    parser.add_argument("--base", help="also measure ours from this src directory (before/after)")
    parser.add_argument(
        "--contender",
        default="ours",
        help="which of ours to measure: ours, or ours-agent-only (AGENT_TELEMETRY_METRICS=agent)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.scenario, args.pairs, args.profile)))
        return 0
    if args.profile:
        run(args.contender, args.scenario, 1, args.sampled, True)
    ratios: list[float] = []
    base_ratios: list[float] = []
    for round_ in range(args.rounds):
        ours = run(args.contender, args.scenario, args.pairs, args.sampled, False)
        key, pairs = args.contender, args.pairs
        base = run(key, args.scenario, pairs, args.sampled, False, args.base) if args.base else None
        floor = run("span-floor", args.scenario, args.pairs, args.sampled, False)
        ratios.append(_ratio(ours, floor))
        line = f"round {round_ + 1}: ours {ours['added']:7.1f} µs ({ratios[-1]:.2f}x)"
        if base is not None:
            base_ratios.append(_ratio(base, floor))
            line += f", base {base['added']:7.1f} µs ({base_ratios[-1]:.2f}x)"
        print(f"{line}, floor {floor['added']:7.1f} µs", flush=True)
    summary = f"{args.scenario}{' sampled' if args.sampled else ''}: ours / floor, median {_median(ratios)}"
    if base_ratios:
        summary += f"; base / floor, median {_median(base_ratios)}"
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
