"""Copies of the committed Prometheus and Alertmanager configs adapted to a native run.

Only what must differ natively changes; everything else is the committed file's content:

- prometheus.yml: each target written as a compose ``service:port`` (see ``COMPOSE_TARGETS``)
  becomes ``127.0.0.1:<port of this run>``; ``rule_files`` become absolute (the copy lives in the
  state dir, and Prometheus resolves relative paths against the config file's directory);
  ``global.evaluation_interval`` and ``global.scrape_interval`` may be overridden (fast tests), and so
  may ``rule_files`` (tests load rules generated for another thresholds profile). ``${NAME}`` in
  ``global.external_labels`` values is written in from ``label_env`` (prometheus-ha.yml's ``replica``:
  Prometheus 3 expands it from its environment, 2.x only behind a feature flag).
- alertmanager.yml: every ``webhook_configs`` entry gets ``url: <webhook_url>`` (a ``url_file`` is
  dropped: Alertmanager 0.25 does not know it; without a webhook_url such an entry gets
  ``NO_WEBHOOK_URL``); a ``{path}`` in webhook_url becomes the path of the entry's committed url (so one
  test server tells /alerts from /heartbeat). Relative ``templates`` and ``*_file`` paths become absolute
  against the committed file's directory. The root route's group_wait, group_interval and
  repeat_interval may be overridden (fast tests); routes that set their own keep them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from agent_telemetry.tooling.stack.ports import HOST, Ports
from agent_telemetry.tooling.stack.private import write_private_text

# Compose target in prometheus/prometheus.yml -> the Ports field that replaces its port natively.
COMPOSE_TARGETS: dict[str, str] = {
    "localhost:9090": "prometheus",
    "otel-collector:8888": "collector_metrics",
    "alertmanager:9093": "alertmanager",
    # prometheus/prometheus-ha.yml (stack up --ha, docker-compose.ha.yml)
    "prometheus:9090": "prometheus",
    "prometheus-b:9090": "prometheus_b",
    "alertmanager-b:9093": "alertmanager_b",
    "alertmanager-c:9093": "alertmanager_c",
}

# Where a webhook that reads its URL from a file points when no --webhook-url is given: a closed
# local port (discard), so notifications fail visibly in Alertmanager's log and leave no machine.
NO_WEBHOOK_URL = "http://127.0.0.1:9/webhook-url-not-configured"

# The root-route timings a native run may override (see ``alertmanager_config``).
ROUTE_TIMINGS = frozenset({"group_wait", "group_interval", "repeat_interval"})


# Used when prometheus/alertmanager/alertmanager.yml does not exist (yet): everything to the webhook.
FALLBACK_ALERTMANAGER_CONFIG: dict[str, Any] = {
    "route": {"receiver": "webhook", "group_by": ["alertname"], "group_wait": "1s"},
    "receivers": [{"name": "webhook", "webhook_configs": [{"url": NO_WEBHOOK_URL}]}],
}


# ${NAME} or $NAME, as Prometheus expands them in external label values.
_ENV_REFERENCE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


class RenderError(ValueError):
    pass


def _native_target(target: str, ports: Ports) -> str:
    field = COMPOSE_TARGETS.get(target)
    if field is None:
        raise RenderError(
            f"prometheus.yml target {target!r} has no native port; known: {sorted(COMPOSE_TARGETS)}"
        )
    return f"{HOST}:{getattr(ports, field)}"


def _rewrite_static_targets(configs: list[dict[str, Any]], ports: Ports) -> None:
    for static in configs:
        static["targets"] = [_native_target(t, ports) for t in static.get("targets", [])]


def _absolute(path: str, base: Path) -> str:
    return path if Path(path).is_absolute() else str(base / path)


def prometheus_config(
    source: Path,
    ports: Ports,
    evaluation_interval: str | None = None,
    scrape_interval: str | None = None,
    rule_files: Sequence[str | Path] | None = None,
    label_env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``rule_files`` (paths or globs) replace the committed ones; relative ones are taken from the cwd.

    ``label_env``: the variables that ``${NAME}`` in ``global.external_labels`` values stand for (as
    Prometheus 3 expands them from its environment, which 2.x does only behind a feature flag), e.g.
    ``{"PROMETHEUS_REPLICA": "b"}`` for prometheus-ha.yml.
    """
    config = yaml.safe_load(source.read_text())
    labels = (config.get("global") or {}).get("external_labels") or {}
    for name, value in labels.items():
        labels[name] = _ENV_REFERENCE.sub(lambda m: (label_env or {}).get(m[1] or m[2], ""), str(value))
    overrides = {"evaluation_interval": evaluation_interval, "scrape_interval": scrape_interval}
    config.setdefault("global", {}).update({k: v for k, v in overrides.items() if v})
    if rule_files is not None:
        config["rule_files"] = [str(Path(p).absolute()) for p in rule_files]
    else:
        config["rule_files"] = [_absolute(p, source.parent) for p in config.get("rule_files") or []]
    for am in (config.get("alerting") or {}).get("alertmanagers", []):
        _rewrite_static_targets(am.get("static_configs", []), ports)
    for job in config.get("scrape_configs") or []:
        _rewrite_static_targets(job.get("static_configs", []), ports)
    return config


def _absolute_files(node: Any, base: Path) -> None:
    """Every ``*_file`` string value under node, made absolute against base (in place)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and key.endswith("_file"):
                node[key] = _absolute(value, base)
            else:
                _absolute_files(value, base)
    elif isinstance(node, list):
        for item in node:
            _absolute_files(item, base)


def _webhook_url(webhook_url: str, committed: str | None) -> str:
    if "{path}" not in webhook_url:
        return webhook_url
    return webhook_url.replace("{path}", urlsplit(committed).path if committed else "")


def alertmanager_config(
    source: Path, webhook_url: str | None, route_timings: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``route_timings``: e.g. ``{"group_wait": "1s"}``, over the root route's (keys in ROUTE_TIMINGS)."""
    if unknown := set(route_timings or {}) - ROUTE_TIMINGS:
        raise RenderError(f"unknown route timings {sorted(unknown)}; known: {sorted(ROUTE_TIMINGS)}")
    if source.is_file():
        config = yaml.safe_load(source.read_text())
    else:
        config = copy.deepcopy(FALLBACK_ALERTMANAGER_CONFIG)
    base = source.parent
    config["templates"] = [_absolute(p, base) for p in config.get("templates") or []]
    if not config["templates"]:
        del config["templates"]
    _absolute_files(config, base)
    for receiver in config.get("receivers") or []:
        for webhook in receiver.get("webhook_configs") or []:
            if webhook_url:
                webhook.pop("url_file", None)
                webhook["url"] = _webhook_url(webhook_url, webhook.get("url"))
            elif webhook.pop("url_file", None) is not None:
                webhook["url"] = NO_WEBHOOK_URL
    config.setdefault("route", {}).update(route_timings or {})
    return config


def write_yaml(config: dict[str, Any], dest: Path, source: Path | None) -> Path:
    header = f"# Rendered by agent-telemetry stack from {source}; do not edit.\n" if source else ""
    write_private_text(dest, header + yaml.safe_dump(config, sort_keys=False))
    return dest
