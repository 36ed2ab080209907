"""The recorder: a run's listener that appends each event to a JSON Lines file as it happens.

Each line is flushed at once, so a crash leaves every event before it readable. Any failure (disk
full, permission denied) logs one warning and ends the recording of that run: recording is a
diagnostic aid and must never break or slow down the application it observes.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Protocol

from agent_telemetry.config import Settings
from agent_telemetry.redaction import image_media_type, inline_image_data
from agent_telemetry.sessions import naming, retention

logger = logging.getLogger("agent_telemetry")

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
_warned_shared: set[Path] = set()  # directories already said to be readable by others
_MAX_NAME_ATTEMPTS = 10  # the same run id reused within one second gets -2, -3, ...


class RecordableRun(Protocol):
    """What the recorder needs of a run (``agent_telemetry.Run`` is one); sessions never import agents."""

    name: str
    run_id: str

    @property
    def settings(self) -> Settings: ...

    def add_listener(self, listener: Callable[[str, dict[str, Any]], None]) -> None: ...


def attach_recorder(run: RecordableRun, settings: Settings | None = None) -> None:
    """Record ``run`` into ``settings.record_dir`` (AGENT_TELEMETRY_RECORD_DIR); on failure, warn once
    and record nothing. Without ``settings``, the run's own: those its telemetry was made with (given
    in code, or read from the environment once), not the environment again at every run start."""
    settings = settings or run.settings
    if not settings.record_dir:
        return
    directory = Path(settings.record_dir).expanduser()
    retention.sweep_once(directory, settings.record_retention_days)
    try:
        # Pixels only when asked for twice: content capture on, and screenshots wanted as well.
        keep_images = settings.capture_content and settings.record_screenshots
        recorder = Recorder.create(directory, run.name, run.run_id, keep_images=keep_images)
    except Exception as exc:
        logger.warning(
            "agent-telemetry: cannot record run %s of %s in %s (%s); the run goes on unrecorded",
            run.run_id,
            run.name,
            directory,
            exc,
        )
        return
    run.add_listener(recorder)


class Recorder:
    """``recorder(kind, fields)`` appends one event. Thread-safe: tools may run in threads."""

    def __init__(self, path: Path, file: IO[str], *, keep_images: bool = False) -> None:
        self.path = path
        self._file: IO[str] | None = file
        self._lock = threading.Lock()
        self._start = time.perf_counter()
        self._screenshots = 0
        self._keep_images = keep_images
        # The conversation so far: each call's input is written as what it adds to the previous one's.
        self._last_input: list[Any] = []
        self._last_system: Any = None

    @classmethod
    def create(cls, directory: Path, agent: str, run_id: str, *, keep_images: bool = False) -> Recorder:
        # Recordings hold prompts and replies: owner-only (0700 directory, 0600 files).
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        _warn_if_shared(directory)
        stem = naming.run_stem(datetime.now(timezone.utc), agent, run_id)
        for attempt in range(1, _MAX_NAME_ATTEMPTS + 1):
            path = directory / f"{stem}{'' if attempt == 1 else f'-{attempt}'}{naming.SUFFIX}"
            try:
                # "x": never append to (or clobber) another run's recording.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                return cls(path, open(fd, "w", encoding="utf-8", newline="\n"), keep_images=keep_images)
            except FileExistsError:
                if attempt == _MAX_NAME_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def __call__(self, kind: str, fields: dict[str, Any]) -> None:
        with self._lock:
            if self._file is None:
                return
            try:
                self._write(kind, fields)
                if kind == "run_end":
                    self._close()
            except Exception as exc:
                self._close()
                logger.warning(
                    "agent-telemetry: stopped recording to %s after an error (%s: %s); "
                    "the run goes on unrecorded",
                    self.path,
                    type(exc).__name__,
                    exc,
                )

    def _write(self, kind: str, fields: dict[str, Any]) -> None:
        assert self._file is not None
        # Timed under the lock, so that ``t`` never goes backwards down the file.
        event: dict[str, Any] = {
            "t": round(time.perf_counter() - self._start, 6),
            "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "kind": kind,
        }
        if kind == "screenshot" and "image" in fields:
            if self._keep_images:
                fields = self._save_screenshot(fields)
            else:
                fields = {key: value for key, value in fields.items() if key != "image"}
        elif kind == "llm_call" and ("input" in fields or "system" in fields):
            fields = self._new_content(fields)
        event.update((key, value) for key, value in fields.items() if key not in event)
        # default=str: an odd value in a field must not cost the whole recording.
        self._file.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
        self._file.flush()

    def _new_content(self, fields: dict[str, Any]) -> dict[str, Any]:
        """A call's input as what it adds to the previous call's (``input_from``: how many messages
        came before), and its system instructions only when they changed: an agent resends the
        whole conversation with every call, and the recording would grow with its square."""
        fields = dict(fields)
        if "system" in fields:
            if fields["system"] == self._last_system:
                del fields["system"]
            else:
                self._last_system = fields["system"]
        messages = fields.get("input")
        if isinstance(messages, list):
            known = self._last_input
            start = len(known) if len(messages) >= len(known) and messages[: len(known)] == known else 0
            self._last_input = messages
            fields["input"] = messages[start:]
            fields["input_from"] = start
        return fields

    def _save_screenshot(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Write the image to its own file; the line keeps its name and size, never the base64."""
        saved = {key: value for key, value in fields.items() if key != "image"}
        decoded = _decode_image(fields["image"])
        if decoded is None:
            saved["image_skipped"] = "not an inline base64 image"
            return saved
        data, media_type = decoded
        self._screenshots += 1
        folder = self.path.with_suffix("")
        folder.mkdir(mode=0o700, exist_ok=True)
        name = f"screenshot-{self._screenshots:04d}.{_EXTENSIONS.get(media_type, 'bin')}"
        with open(os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as image:
            image.write(data)
        saved["image_file"] = f"{folder.name}/{name}"
        saved["image_bytes"] = len(data)
        return saved

    def _close(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            # A close that fails (flushing onto a full disk) is the failure already being reported.
            with contextlib.suppress(OSError):
                file.close()


def _warn_if_shared(directory: Path) -> None:
    """A directory the application made itself may be readable by others: say so, once per process."""
    try:
        mode = directory.stat().st_mode
    except OSError:
        return
    if mode & 0o077 and directory not in _warned_shared:
        _warned_shared.add(directory)
        logger.warning(
            "agent-telemetry: the recording directory %s can be read by other users (mode %o); "
            "recordings themselves are 0600, but consider: chmod 700 %s",
            directory,
            mode & 0o777,
            directory,
        )


def _decode_image(image: object) -> tuple[bytes, str] | None:
    """(bytes, media type) of a provider's inline image part, or None if it carries no base64 data."""
    if not isinstance(image, Mapping):
        return None
    data = inline_image_data(image)
    return None if data is None else _b64(data, image_media_type(image) or "image/png")


def _b64(data: object, media_type: str) -> tuple[bytes, str] | None:
    if not isinstance(data, str):
        return None
    try:
        return base64.b64decode(data, validate=True), media_type
    except (binascii.Error, ValueError):
        return None
