"""The state dir is the owner's alone: logs, alerts and data name agents and what they did.

Directories 0700, files 0600, whatever the umask; a state dir made by an older version is tightened.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    path.chmod(DIR_MODE)
    return path


def open_private(path: Path, *, append: bool = False) -> int:
    """A file descriptor for writing ``path`` (created 0600; truncated unless ``append``)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # an existing file keeps its mode through os.open
    return fd


def write_private_text(path: Path, text: str) -> None:
    with open(open_private(path), "w", encoding="utf-8") as file:
        file.write(text)
