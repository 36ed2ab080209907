"""Files generated from code and committed (rules, dashboards): the ``GROUP generate [--check]`` command
that writes them, or checks them.

``files`` maps a path relative to ``root`` (a ``Path`` or a plain file name) to its content.
``owned`` is a glob (relative to ``root``) of files that only the generator makes: one it no longer
generates is stale, and removed on write.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from agent_telemetry.tooling.extras import missing_extra

Files = Mapping[Path, str] | Mapping[str, str]

# Both generators read the thresholds; paths are relative to the current directory (the checkout).
DEFAULT_THRESHOLDS = Path("prometheus/thresholds.yaml")


@dataclass(frozen=True)
class Generator:
    """One ``agent-telemetry GROUP generate`` command: where it writes, and how it makes the files.

    ``make`` gets the parsed arguments and may raise ``ThresholdsError``; it imports what it needs
    itself, so that registering the command costs nothing and needs no extra.
    """

    group: str
    group_help: str
    help: str
    description: str
    output_dir: Path
    make: Callable[[argparse.Namespace], Files]
    owned: str | None = None
    extra: str | None = None
    options: Callable[[argparse.ArgumentParser], None] | None = None

    def register(self, subparsers: Any) -> None:
        parser = subparsers.add_parser(self.group, help=self.group_help)
        commands = parser.add_subparsers(dest=f"{self.group}_command", metavar="SUBCOMMAND", required=True)
        generate = commands.add_parser("generate", help=self.help, description=self.description)
        generate.add_argument("--thresholds", type=Path, default=DEFAULT_THRESHOLDS, help="%(default)s")
        if self.options is not None:
            self.options(generate)
        generate.add_argument("--output-dir", type=Path, default=self.output_dir, help="%(default)s")
        generate.add_argument(
            "--check", action="store_true", help="write nothing; exit 1 listing files that differ"
        )
        generate.set_defaults(handler=self.run)

    def run(self, args: argparse.Namespace) -> int:
        from agent_telemetry.tooling.rules.config import ThresholdsError

        if self.extra and (problem := missing_extra(self.extra, f"{self.group} generate")):
            print(problem, file=sys.stderr)
            return 2
        try:
            files = self.make(args)
        except ThresholdsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return write_or_check(
            files,
            args.output_dir,
            check=args.check,
            regenerate=f"python -m agent_telemetry {self.group} generate",
            owned=self.owned,
        )


def stale(files: Files, root: Path, owned: str | None = None) -> list[Path]:
    """Files under ``root`` missing or different from ``files``, then owned files no longer generated."""
    outdated = [
        root / rel
        for rel, text in sorted(files.items(), key=lambda item: str(item[0]))
        if not (root / rel).is_file() or (root / rel).read_text(encoding="utf-8") != text
    ]
    return outdated + _orphans(files, root, owned)


def write(files: Files, root: Path, owned: str | None = None) -> list[Path]:
    """Writes every file that differs; removes owned files no longer generated. Returns the paths touched."""
    touched = []
    for rel, text in sorted(files.items(), key=lambda item: str(item[0])):
        path = root / rel
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        touched.append(path)
    for path in _orphans(files, root, owned):
        path.unlink()  # e.g. a dashboard no longer generated would otherwise stay provisioned
        touched.append(path)
    return touched


def write_or_check(
    files: Files,
    root: Path,
    *,
    check: bool,
    regenerate: str,
    owned: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """The ``generate [--check]`` command: 0 when written or current, 1 listing stale files."""
    out, err = out or sys.stdout, err or sys.stderr
    if check:
        outdated = stale(files, root, owned)
        for path in outdated:
            print(f"stale: {path}", file=err)
        if outdated:
            print(f"run: {regenerate}", file=err)
            return 1
        return 0
    touched = write(files, root, owned)
    for path in touched:
        print(f"wrote {path}", file=out)
    if not touched:
        print(f"up to date: {root}", file=out)
    return 0


def _orphans(files: Files, root: Path, owned: str | None) -> list[Path]:
    if owned is None:
        return []
    generated = {Path(rel) for rel in files}
    return sorted(path for path in root.glob(owned) if path.relative_to(root) not in generated)
