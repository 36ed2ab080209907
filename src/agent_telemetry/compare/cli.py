"""``agent-telemetry compare``: did a change make the agent worse? Over Prometheus, or over recordings.

Exit codes: 0 compared (and no limit of ``--fail-on`` passed), 1 a significant regression passed a
limit, 2 nothing to compare (bad arguments, Prometheus unreachable, no such recording).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from agent_telemetry import contract
from agent_telemetry.compare import recordings
from agent_telemetry.compare.model import Side, compare_sides
from agent_telemetry.compare.prometheus import Prometheus, PrometheusError, Window, read_side
from agent_telemetry.compare.report import GateError, as_json, as_markdown, as_text, gate, parse_limits
from agent_telemetry.sessions.reader import Recording

EXAMPLES = """\
examples:
  agent-telemetry compare --agent research-agent --versions v1,v2 --window 24h
  agent-telemetry compare --agent research-agent --period 1h --offset 7d   # last hour vs a week before
  agent-telemetry compare --agents support-agent,research-agent
  agent-telemetry compare --agent research-agent --versions v1,v2 \\
      --fail-on 'cost_per_run:+10%,success_rate:-2pp,p95_run_seconds:+20%'
  agent-telemetry compare --recordings runs/before runs/after --format markdown
  agent-telemetry compare runs FILE_A FILE_B
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "compare",
        help="Compare two versions, periods or agents (Prometheus) or two sets of recorded runs.",
        description="Compare run success, errors, latency, cost, tokens, steps, tool errors and quality "
        "of two versions of an agent, two periods, or two agents, with a significance test for each "
        "(two-proportion z-test for rates, Mann-Whitney U on histogram buckets for distributions). "
        "With --fail-on it is a regression gate for CI.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "runs", nargs="*", metavar="runs FILE_A FILE_B", help="two recorded runs side by side"
    )
    parser.add_argument(
        "--prometheus", default="http://127.0.0.1:9090", metavar="URL", help="default: %(default)s"
    )
    parser.add_argument("--agent", metavar="NAME", help="the agent whose versions or periods to compare")
    parser.add_argument("--versions", metavar="A,B", help="two values of gen_ai_agent_version")
    parser.add_argument("--agents", metavar="A,B", help="two agents, over the same window")
    parser.add_argument(
        "--period",
        metavar="DURATION",
        help="the last DURATION against the one before it (or --offset earlier)",
    )
    parser.add_argument(
        "--offset",
        metavar="DURATION",
        help="with --period: how much earlier A's period ends (default: the period, back to back)",
    )
    parser.add_argument(
        "--window",
        default="24h",
        metavar="DURATION",
        help="the time range for --versions and --agents (%(default)s)",
    )
    parser.add_argument("--at", type=float, metavar="UNIX_TIME", help="the end of the window (default: now)")
    parser.add_argument(
        "--recordings", nargs=2, type=Path, metavar=("DIR_A", "DIR_B"), help="two sets of recordings"
    )
    parser.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (%(default)s)")
    parser.add_argument(
        "--fail-on",
        metavar="LIMITS",
        default="",
        help="exit 1 when a significant change passes a limit: 'cost_per_run:+10%%,success_rate:-2pp'",
    )
    parser.set_defaults(handler=run_compare)


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d|w)$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class UsageError(ValueError):
    pass


def duration(text: str, option: str) -> float:
    match = _DURATION.match(text.strip())
    if match is None or float(match.group(1)) <= 0:
        raise UsageError(f"{option} {text!r}: write a duration such as 30m, 6h, 7d")
    return float(match.group(1)) * _SECONDS[match.group(2)]


def _pair(text: str, option: str) -> tuple[str, str]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise UsageError(f"{option} {text!r}: name exactly two, separated by a comma, e.g. v1,v2")
    return parts[0], parts[1]


def run_compare(args: argparse.Namespace) -> int:
    if not 0 < args.alpha < 1:
        return _error(f"--alpha {args.alpha}: a significance level between 0 and 1, such as 0.05")
    try:
        if args.runs:
            return _compare_two_runs(args.runs)
        a, b = _sides(args)
        rows = compare_sides(a, b)
        limits = parse_limits(args.fail_on, {row.key for row in rows} | _GATEABLE)
    except (UsageError, GateError, PrometheusError) as error:
        return _error(str(error))
    breaches = gate(rows, limits, args.alpha)
    if args.format == "json":
        sys.stdout.write(as_json(a.label, b.label, rows, args.alpha, limits, breaches))
    elif args.format == "markdown":
        sys.stdout.write(as_markdown(a.label, b.label, rows, args.alpha, breaches))
    else:
        sys.stdout.write(as_text(a.label, b.label, rows, args.alpha, breaches))
    return 1 if breaches else 0


# Keys a gate may name even when this comparison has no row for them (no calls by version, say).
_GATEABLE = {
    "success_rate",
    "call_error_rate",
    "tool_error_rate",
    "p50_call_seconds",
    "p95_call_seconds",
    "p50_run_seconds",
    "p95_run_seconds",
    "cost_per_run",
    "tokens_per_run",
    "steps_per_run",
    "quality_score",
    *(f"{status}_rate" for status in contract.RUN_STATUSES if status != "success"),
}


def _sides(args: argparse.Namespace) -> tuple[Side, Side]:
    if args.recordings:
        dir_a, dir_b = args.recordings
        return (
            recordings.side_of(str(dir_a), _read_dir(dir_a)),
            recordings.side_of(str(dir_b), _read_dir(dir_b)),
        )
    prometheus = Prometheus(args.prometheus)
    end = args.at if args.at is not None else time.time()
    agent, version_label = contract.AGENT, contract.AGENT_VERSION
    if args.versions:
        if not args.agent:
            raise UsageError("--versions needs --agent NAME: the agent whose versions to compare")
        window = Window(end, duration(args.window, "--window"))
        first, second = (
            read_side(prometheus, f"{args.agent} {version}", {agent: args.agent, version_label: version},
                      window, with_calls=False)
            for version in _pair(args.versions, "--versions")
        )  # fmt: skip
        return first, second
    if args.agents:
        window = Window(end, duration(args.window, "--window"))
        first, second = (
            read_side(prometheus, name, {agent: name}, window, with_calls=True)
            for name in _pair(args.agents, "--agents")
        )
        return first, second
    if args.period:
        if not args.agent:
            raise UsageError("--period needs --agent NAME: the agent whose periods to compare")
        seconds = duration(args.period, "--period")
        offset = duration(args.offset, "--offset") if args.offset else seconds
        labels = {agent: args.agent}
        before = read_side(
            prometheus,
            f"{args.agent} -{args.offset or args.period}",
            labels,
            Window(end - offset, seconds),
            with_calls=True,
        )
        now = read_side(
            prometheus, f"{args.agent} last {args.period}", labels, Window(end, seconds), with_calls=True
        )
        return before, now
    raise UsageError(
        "compare what? --agent NAME --versions A,B | --agent NAME --period 1h | --agents A,B | "
        "--recordings DIR_A DIR_B | runs FILE_A FILE_B (see agent-telemetry compare --help)"
    )


def _read_dir(directory: Path) -> list[Recording]:
    try:
        found = recordings.read_directory(directory)
    except OSError as error:
        raise UsageError(f"{directory}: not a directory of recordings ({error.strerror or error})") from None
    if not found:
        raise UsageError(
            f"{directory}: no recordings in it (files named like 20250301T093005Z-agent-id.jsonl)"
        )
    return found


def _compare_two_runs(items: list[str]) -> int:
    if len(items) != 3 or items[0] != "runs":
        raise UsageError("to compare two runs: agent-telemetry compare runs FILE_A FILE_B")
    facts = []
    for name in items[1:]:
        try:
            facts.append(recordings.facts_of(recordings.read_recording(Path(name))))
        except OSError as error:
            raise UsageError(f"{name}: cannot read this recording ({error.strerror or error})") from None
    a, b = facts
    lines = [
        ("", "A", "B"),
        ("file", a.path.name, b.path.name),
        ("agent", a.agent or "-", b.agent or "-"),
        ("version", a.version or "-", b.version or "-"),
        ("outcome", a.status, b.status),
        ("duration", _num(a.duration_s, "s"), _num(b.duration_s, "s")),
        ("steps", _num(a.steps), _num(b.steps)),
        ("llm calls", str(a.llm_calls), str(b.llm_calls)),
        (
            "tool calls",
            f"{a.tool_calls} ({a.tool_errors} failed)",
            f"{b.tool_calls} ({b.tool_errors} failed)",
        ),
        ("tokens", _num(a.tokens), _num(b.tokens)),
        ("cost", _num(a.cost_usd, " USD"), _num(b.cost_usd, " USD")),
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(3)]
    for line in lines:
        sys.stdout.write(
            "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() + "\n"
        )
    sys.stdout.write(f"first divergence: {recordings.first_divergence(a, b)}\n")
    for problem in (a.problem, b.problem):
        if problem:
            print(f"agent-telemetry compare: {problem}", file=sys.stderr)
    return 0


def _num(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:.6g}{unit}"


def _error(message: str) -> int:
    print(f"agent-telemetry compare: {message}", file=sys.stderr)
    return 2


__all__ = ["register", "run_compare"]
