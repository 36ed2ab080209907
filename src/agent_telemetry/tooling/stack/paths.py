"""Where the committed stack files live: the project root holding otel-collector/ and prometheus/."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT_ENV = "AGENT_TELEMETRY_ROOT"


class ProjectRootNotFoundError(RuntimeError):
    pass


@dataclass(frozen=True)
class ProjectFiles:
    """The committed configuration files that compose mounts and native runs use as they are."""

    root: Path

    @property
    def collector_config(self) -> Path:
        return self.root / "otel-collector" / "config.yaml"

    @property
    def collector_ha_config(self) -> Path:
        """The overlay that adds the second Prometheus replica's exporter (stack up --ha)."""
        return self.root / "otel-collector" / "ha.yaml"

    @property
    def jaeger_config(self) -> Path:
        """Jaeger v2's config (the trace store), run as it is natively and in compose."""
        return self.root / "jaeger" / "config.yaml"

    @property
    def collector_agent_config(self) -> Path:
        """The agent collector in front of a gateway tier (docs/scaling.md)."""
        return self.root / "otel-collector" / "agent.yaml"

    @property
    def collector_gateways_static_config(self) -> Path:
        """The overlay that lists the gateways statically (stack up --gateways; docs/scaling.md)."""
        return self.root / "otel-collector" / "gateways-static.yaml"

    @property
    def collector_short_lived_config(self) -> Path:
        """The overlay that sums short-lived processes' deltas (each gateway runs it; docs/scaling.md)."""
        return self.root / "otel-collector" / "short-lived.yaml"

    @property
    def collector_manifest(self) -> Path:
        return self.root / "otel-collector" / "builder-config.yaml"

    @property
    def build_collector_script(self) -> Path:
        return self.root / "scripts" / "build-collector.sh"

    @property
    def build_engines_script(self) -> Path:
        return self.root / "scripts" / "build-engines.sh"

    @property
    def versions_file(self) -> Path:
        """versions.env: the engines' and the collector's versions, native and in compose."""
        return self.root / "versions.env"

    @property
    def prometheus_config(self) -> Path:
        return self.root / "prometheus" / "prometheus.yml"

    @property
    def prometheus_ha_config(self) -> Path:
        return self.root / "prometheus" / "prometheus-ha.yml"

    @property
    def prometheus_scale_out_config(self) -> Path:
        """Prometheus in agent mode for the scale-out profile: scrapes, remote-writes to Thanos receive."""
        return self.root / "prometheus" / "prometheus-scale-out.yml"

    @property
    def thanos_hashring(self) -> Path:
        """The receive router's hashring (scale-out profile): the three ingestors."""
        return self.root / "prometheus" / "thanos" / "hashring.json"

    @property
    def alertmanager_config(self) -> Path:
        return self.root / "prometheus" / "alertmanager" / "alertmanager.yml"


def _is_root(path: Path) -> bool:
    return (path / "otel-collector" / "config.yaml").is_file() and (path / "prometheus").is_dir()


def find_project_root(start: Path | None = None) -> ProjectFiles:
    """$AGENT_TELEMETRY_ROOT, else the nearest parent of ``start`` (cwd), else of this source file."""
    if env := os.environ.get(ROOT_ENV):
        if not _is_root(Path(env)):
            raise ProjectRootNotFoundError(f"{ROOT_ENV}={env} has no otel-collector/config.yaml")
        return ProjectFiles(Path(env).resolve())
    for origin in (start or Path.cwd(), Path(__file__)):
        for candidate in (origin.resolve(), *origin.resolve().parents):
            if _is_root(candidate):
                return ProjectFiles(candidate)
    raise ProjectRootNotFoundError(
        "cannot find the agent-telemetry project files (otel-collector/config.yaml, prometheus/); "
        f"run from a checkout or set {ROOT_ENV}"
    )
