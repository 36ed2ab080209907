"""Files generated from code and committed (rules, dashboards, doc tables): write them, or check them.

``files`` maps a path relative to ``root`` (a ``Path`` or a plain file name) to its content.
``owned`` is a glob (relative to ``root``) of files that only the generator makes: one it no longer
generates is stale, and removed on write.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

Files = Mapping[Path, str] | Mapping[str, str]


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
