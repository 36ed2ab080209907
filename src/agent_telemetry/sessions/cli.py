"""``agent-telemetry replay FILE`` and ``agent-telemetry runs [DIR]``: recordings in the terminal.

Exit codes: 0 when something was shown (a damaged recording shows the events before the damage, with
a note on stderr), 2 when there is nothing to show (no such file or directory).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agent_telemetry.config import Settings
from agent_telemetry.sessions import naming, terminal_text
from agent_telemetry.sessions.reader import list_recordings, read_recording

_QUIT = {"q", "quit"}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    replay = subparsers.add_parser(
        "replay",
        help="Step through a recorded agent run.",
        description="Show a run recorded under AGENT_TELEMETRY_RECORD_DIR: a header, then one line per "
        "event with its time since the start of the run. With content capture on, under each LLM call "
        "the messages sent (>) and received (<), under each tool its arguments and result.",
    )
    replay.add_argument("file", type=Path, metavar="FILE", help="a recording (.jsonl)")
    replay.add_argument(
        "--step",
        action="store_true",
        help="wait for Enter between events (q then Enter quits); ignored when stdin is not a terminal",
    )
    replay.add_argument(
        "--kind",
        action="append",
        metavar="KIND",
        help="show only events of this kind, e.g. llm_call (repeat for several kinds)",
    )
    replay.set_defaults(handler=run_replay)

    runs = subparsers.add_parser(
        "runs",
        help="List recorded agent runs, newest first.",
        description="List the recordings in a directory, newest first. A run without an end (it crashed, "
        "or is still running) has status 'incomplete'.",
    )
    runs.add_argument("dir", nargs="?", type=Path, metavar="DIR", help=f"default: ${naming.RECORD_DIR_ENV}")
    runs.set_defaults(handler=run_runs)


def run_replay(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        recording = read_recording(path)
    except FileNotFoundError:
        return _error(f"{path}: no such recording")
    except IsADirectoryError:
        return _error(f"{path} is a directory; to list the recordings in it: agent-telemetry runs {path}")
    except OSError as exc:
        return _error(f"{path}: cannot be read ({exc.strerror or exc})")

    for line in terminal_text.header(recording.summary):
        print(line)
    if recording.problem:
        print(recording.problem, file=sys.stderr)
    print()
    kinds = set(args.kind or ())
    events = [event for event in recording.events if not kinds or event.get("kind") in kinds]
    if not events:
        print(f"no {' or '.join(sorted(kinds))} events" if kinds else "no events")
        return 0
    widths = terminal_text.columns(events)
    # Without a terminal to answer, waiting would hang a pipe or a script: just print everything.
    step = bool(args.step) and sys.stdin.isatty()
    if step:
        print("(Enter: next event; q then Enter: quit)")
    for number, event in enumerate(events, start=1):
        for line in terminal_text.event_lines(event, widths):
            print(line, flush=True)
        if step and number < len(events):
            try:
                answer = input()
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if answer.strip().lower() in _QUIT:
                return 0
    return 0


def run_runs(args: argparse.Namespace) -> int:
    directory = args.dir or Settings.from_env().record_dir
    if not directory:
        return _error(f"no directory: give one (agent-telemetry runs DIR) or set {naming.RECORD_DIR_ENV}")
    try:
        summaries = list_recordings(directory)
    except FileNotFoundError:
        return _error(f"{directory}: no such directory")
    except NotADirectoryError:
        return _error(f"{directory} is not a directory; to show a recording: agent-telemetry replay FILE")
    except OSError as exc:
        return _error(f"{directory}: cannot be read ({exc.strerror or exc})")
    if not summaries:
        print(f"no recordings in {directory}")
        return 0
    for line in terminal_text.runs_table(summaries):
        print(line)
    for summary in summaries:
        if summary.problem:
            print(f"note: {summary.problem}", file=sys.stderr)
    return 0


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2
