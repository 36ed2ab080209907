"""Finding the collector, Prometheus and Alertmanager binaries, and saying how to get a missing one."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from agent_telemetry.tooling.stack.paths import ProjectFiles

COLLECTOR_ENV = "AGENT_TELEMETRY_OTELCOL"  # an explicit collector binary wins over the build cache
CACHE_ENV = "AGENT_TELEMETRY_CACHE"
COLLECTOR_NAME = "otelcol-agent-telemetry"
APT_HINT = "apt-get update && apt-get install -y prometheus prometheus-alertmanager"

# Debian names Alertmanager prometheus-alertmanager; upstream tarballs name it alertmanager.
_PROMETHEUS_NAMES = ("prometheus",)
_ALERTMANAGER_NAMES = ("prometheus-alertmanager", "alertmanager")


@dataclass(frozen=True)
class MissingBinary:
    name: str
    hint: str

    def message(self) -> str:
        return f"missing: {self.name}\n  get it with: {self.hint}"


class MissingBinariesError(RuntimeError):
    def __init__(self, missing: list[MissingBinary]) -> None:
        self.missing = missing
        super().__init__("\n".join(m.message() for m in missing))


@dataclass(frozen=True)
class Binaries:
    collector: Path
    prometheus: Path
    alertmanager: Path


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "agent-telemetry")


def collector_cache_key(manifest: Path, go_version: str) -> str:
    """The same key as scripts/build-collector.sh: sha256(manifest less comment lines + GOVERSION line)."""
    lines = manifest.read_bytes().splitlines(keepends=True)
    content = b"".join(line for line in lines if not line.lstrip().startswith(b"#"))
    return hashlib.sha256(content + f"{go_version}\n".encode()).hexdigest()[:16]


def _go_version() -> str | None:
    if shutil.which("go") is None:
        return None
    result = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or None


def cached_collector(files: ProjectFiles) -> Path | None:
    """The collector binary built from the current manifest, if there is one (never builds)."""
    if env := os.environ.get(COLLECTOR_ENV):
        return Path(env) if os.access(env, os.X_OK) else None
    go_version = _go_version()
    if go_version is None:
        return None
    key = collector_cache_key(files.collector_manifest, go_version)
    binary = cache_dir() / "otelcol" / key / COLLECTOR_NAME
    return binary if os.access(binary, os.X_OK) else None


def build_collector(files: ProjectFiles) -> Path:
    """Run scripts/build-collector.sh (instant when cached); its last stdout line is the binary."""
    if env := os.environ.get(COLLECTOR_ENV):
        return Path(env)
    result = subprocess.run(
        [str(files.build_collector_script)], stdout=subprocess.PIPE, text=True, check=True
    )
    return Path(result.stdout.strip().splitlines()[-1])


def _which(names: tuple[str, ...]) -> Path | None:
    for name in names:
        if found := shutil.which(name):
            return Path(found)
    return None


def find_binaries(files: ProjectFiles) -> Binaries:
    """All three binaries, or MissingBinariesError listing each missing one with how to get it."""
    collector = cached_collector(files)
    prometheus = _which(_PROMETHEUS_NAMES)
    alertmanager = _which(_ALERTMANAGER_NAMES)
    missing = []
    if collector is None:
        hint = f"{files.build_collector_script} (needs Go; or set {COLLECTOR_ENV}=/path/to/otelcol)"
        missing.append(MissingBinary(f"OpenTelemetry Collector ({COLLECTOR_NAME})", hint))
    if prometheus is None:
        missing.append(MissingBinary("prometheus", APT_HINT))
    if alertmanager is None:
        missing.append(MissingBinary("prometheus-alertmanager (Alertmanager)", APT_HINT))
    if collector is None or prometheus is None or alertmanager is None:
        raise MissingBinariesError(missing)
    return Binaries(collector, prometheus, alertmanager)
