"""Finding the collector, Prometheus, Alertmanager, VictoriaLogs and Jaeger binaries, and saying how to get
a missing one.

Prometheus, Alertmanager, VictoriaLogs and Jaeger run at the versions named in versions.env (the same as
docker-compose.yml's image tags), built by scripts/build-engines.sh into the cache; a binary on PATH is
used only when it reports that version (a distribution's older package would not understand the
committed configs).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from agent_telemetry.tooling.stack.paths import ProjectFiles

COLLECTOR_ENV = "AGENT_TELEMETRY_OTELCOL"  # an explicit collector binary wins over the build cache
CACHE_ENV = "AGENT_TELEMETRY_CACHE"
COLLECTOR_NAME = "otelcol-agent-telemetry"

# Each engine tool -> (its engine: the cache directory and the versions.env key, names to look for on PATH).
# Debian names Alertmanager prometheus-alertmanager; upstream names it alertmanager.
ENGINE_TOOLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "prometheus": ("prometheus", ("prometheus",)),
    "promtool": ("prometheus", ("promtool",)),
    "alertmanager": ("alertmanager", ("alertmanager", "prometheus-alertmanager")),
    "amtool": ("alertmanager", ("amtool",)),
    "victoria-logs": ("victorialogs", ("victoria-logs",)),
    "jaeger": ("jaeger", ("jaeger",)),
    "thanos": ("thanos", ("thanos",)),  # stack up --scale-out
    # The Helm chart's tests (deploy/helm): never run by the stack, built on request by build-engines.sh.
    "helm": ("helm", ("helm",)),
    "kubeconform": ("kubeconform", ("kubeconform",)),
    "controller-gen": ("controller_gen", ("controller-gen",)),
}


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
    victorialogs: Path
    jaeger: Path | None = None  # None when traces go elsewhere (``find_binaries(..., jaeger=False)``)


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


def read_versions(files: ProjectFiles) -> dict[str, str]:
    """versions.env's KEY=VALUE lines (comments and blank lines skipped)."""
    lines = (line.strip() for line in files.versions_file.read_text().splitlines())
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def engine_version(files: ProjectFiles, engine: str) -> str:
    """The pinned version of an engine (prometheus, alertmanager, victorialogs, jaeger), e.g. "3.16.0"."""
    return read_versions(files)[f"{engine.upper()}_VERSION"]


def _reports_version(binary: str, version: str) -> bool:
    try:
        result = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return False
    # "prometheus, version 3.16.0 (...)"; "jaeger version v2.13.0"; "victoria-logs-v1.52.1-..."
    pattern = rf"(version v?|-v){re.escape(version)}\b"
    return re.search(pattern, result.stdout + result.stderr) is not None


def engine_tool(files: ProjectFiles, name: str) -> Path | None:
    """An engine tool (ENGINE_TOOLS) at the pinned version: the build cache's (the
    key of scripts/build-engines.sh: <version>-<Go version>), else one on PATH that reports that version."""
    engine, names = ENGINE_TOOLS[name]
    version = engine_version(files, engine)
    if (go_version := _go_version()) is not None:
        cached = cache_dir() / engine / f"{version}-{go_version}" / name
        if os.access(cached, os.X_OK):
            return cached
    for candidate in names:
        if (found := shutil.which(candidate)) and _reports_version(found, version):
            return Path(found)
    return None


def build_engines(files: ProjectFiles) -> None:
    """Run scripts/build-engines.sh: instant when cached, ~12 min for a cold Prometheus build."""
    subprocess.run([str(files.build_engines_script)], stdout=subprocess.DEVNULL, check=True)


def find_thanos(files: ProjectFiles) -> Path:
    """Thanos at the pinned version (stack up --scale-out), or MissingBinariesError saying how to build it."""
    thanos = engine_tool(files, "thanos")
    if thanos is None:
        version = engine_version(files, "thanos")
        hint = f"{files.build_engines_script} thanos (needs Go; ~20-30 min the first time)"
        raise MissingBinariesError([MissingBinary(f"thanos {version}", hint)])
    return thanos


def find_binaries(files: ProjectFiles, jaeger: bool = True) -> Binaries:
    """Every binary the stack runs (Jaeger only if ``jaeger``), or MissingBinariesError listing each
    missing one with how to get it."""
    collector = cached_collector(files)
    missing = []
    if collector is None:
        hint = f"{files.build_collector_script} (needs Go; or set {COLLECTOR_ENV}=/path/to/otelcol)"
        missing.append(MissingBinary(f"OpenTelemetry Collector ({COLLECTOR_NAME})", hint))
    tools = ("prometheus", "alertmanager", "victoria-logs", *(("jaeger",) if jaeger else ()))
    found: dict[str, Path] = {}
    for tool in tools:
        engine = ENGINE_TOOLS[tool][0]
        if (path := engine_tool(files, tool)) is None:
            version = engine_version(files, engine)
            hint = f"{files.build_engines_script} {engine} (needs Go)"
            missing.append(MissingBinary(f"{tool} {version}", hint))
        else:
            found[tool] = path
    if collector is None or missing:
        raise MissingBinariesError(missing)
    return Binaries(
        collector, found["prometheus"], found["alertmanager"], found["victoria-logs"], found.get("jaeger")
    )
