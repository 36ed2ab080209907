"""The files Alertmanager's receivers read their secrets from, found on the host as compose mounts them.

Alertmanager reads ``api_url_file``, ``routing_key_file``, ``url_file`` and the like only when it sends a
notification, so a missing file shows up hours later as a failed notification. ``agent-telemetry stack
check`` finds it first: each ``*_file`` in the config of every Alertmanager service of the compose file,
resolved through that service's bind mounts to a path on the host.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ALERTMANAGER_IMAGE = "prom/alertmanager"
# Alertmanager's default when a service's command has no --config.file.
DEFAULT_CONTAINER_CONFIG = "/etc/alertmanager/alertmanager.yml"

# What goes into the file each key names; a key not listed here gets a generic description.
_CONTENT: dict[str, str] = {
    "api_url_file": "the Slack incoming-webhook URL (https://hooks.slack.com/services/...)",
    "slack_api_url_file": "the Slack incoming-webhook URL (https://hooks.slack.com/services/...)",
    "routing_key_file": "the PagerDuty Events API v2 integration key",
    "service_key_file": "the PagerDuty Events API v1 service key",
    "url_file": "the URL the webhook receiver posts alerts to",
    "webhook_url_file": "the incoming-webhook URL",
    "api_key_file": "the receiver's API key",
    "opsgenie_api_key_file": "the Opsgenie API key",
    "bot_token_file": "the Telegram bot token",
    "auth_password_file": "the SMTP password",
    "smtp_auth_password_file": "the SMTP password",
    "password_file": "the HTTP basic-auth password",
    "bearer_token_file": "the bearer token",
    "credentials_file": "the credentials (token) for the Authorization header",
    "ca_file": "the CA certificate (PEM)",
    "cert_file": "the client certificate (PEM)",
    "key_file": "the client private key (PEM)",
}


class ComposeFileError(ValueError):
    pass


@dataclass(frozen=True)
class ReceiverFile:
    """One ``*_file`` setting: where Alertmanager reads it and where compose takes it from."""

    key: str  # e.g. api_url_file
    where: str  # e.g. receivers[slack].slack_configs[0]
    container_path: str  # as Alertmanager sees it
    host_path: Path | None  # None: no bind mount of the service covers container_path

    @property
    def content(self) -> str:
        return _CONTENT.get(self.key, f"the value for {self.key.removesuffix('_file')}")


def _walk_files(node: Any, where: str) -> Iterator[tuple[str, str, str]]:
    """(key, where, value) for every ``*_file`` string under node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and str(key).endswith("_file"):
                yield str(key), where, value
            else:
                yield from _walk_files(value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            label = item.get("name") if isinstance(item, dict) and "name" in item else index
            yield from _walk_files(item, f"{where}[{label}]")


def _bind_mounts(service: dict[str, Any], base: Path) -> dict[str, Path]:
    """Container path -> host path for each bind mount (short or long syntax) of a compose service."""
    mounts: dict[str, Path] = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            source, _, rest = volume.partition(":")
            target = rest.split(":")[0]
        else:
            if volume.get("type", "volume") != "bind":
                continue
            source, target = volume.get("source", ""), volume.get("target", "")
        if not source.startswith((".", "/", "~")):
            continue  # a named volume: nothing on the host to check
        mounts[posixpath.normpath(target)] = (base / Path(source).expanduser()).resolve()
    return mounts


def _host_path(container_path: str, mounts: dict[str, Path]) -> Path | None:
    """The host path a container path maps to through the deepest bind mount that covers it."""
    path = posixpath.normpath(container_path)
    for target in sorted(mounts, key=len, reverse=True):
        if path == target or path.startswith(target.rstrip("/") + "/"):
            return mounts[target].joinpath(posixpath.relpath(path, target))
    return None


def _container_config(service: dict[str, Any]) -> str:
    command = service.get("command") or []
    args = command.split() if isinstance(command, str) else [str(a) for a in command]
    for index, arg in enumerate(args):
        if arg.startswith("--config.file="):
            return arg.split("=", 1)[1]
        if arg == "--config.file" and index + 1 < len(args):
            return args[index + 1]
    return DEFAULT_CONTAINER_CONFIG


def _volume_target(volume: Any) -> str:
    return volume.split(":")[1] if isinstance(volume, str) else str(volume.get("target", ""))


class _ComposeLoader(yaml.SafeLoader):
    """YAML as compose writes it: ``!override`` and ``!reset`` (merge directives of override files) are
    read as the plain value they tag, which is what ``docker compose -f A -f B`` ends up with."""


for _tag in ("!override", "!reset"):
    _ComposeLoader.add_constructor(
        _tag,
        lambda loader, node: (
            loader.construct_sequence(node)
            if isinstance(node, yaml.SequenceNode)
            else loader.construct_mapping(node)
            if isinstance(node, yaml.MappingNode)
            else loader.construct_scalar(node)
        ),
    )


def load_compose_file(path: Path) -> dict[str, Any]:
    """A compose file's content (``{}`` for an empty one), override tags included."""
    return yaml.load(path.read_text(), Loader=_ComposeLoader) or {}


def _merged_services(compose_files: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """The services of ``docker compose -f A -f B``: later files override keys, and volumes by target."""
    merged: dict[str, dict[str, Any]] = {}
    for compose_file in compose_files:
        services = load_compose_file(compose_file).get("services") or {}
        for name, service in services.items():
            into = merged.setdefault(name, {})
            for key, value in (service or {}).items():
                if key == "volumes" and "volumes" in into:
                    targets = {_volume_target(v) for v in value}
                    value = [v for v in into["volumes"] if _volume_target(v) not in targets] + list(value)
                into[key] = value
    return merged


def receiver_files(compose_files: Sequence[Path]) -> list[ReceiverFile]:
    """Every ``*_file`` of each Alertmanager service's config (any profile), one entry per host path.

    ``compose_files`` as given to ``docker compose -f``; relative paths resolve against the first one's
    directory.
    """
    base = compose_files[0].resolve().parent
    shown = " + ".join(str(f) for f in compose_files)
    found: dict[Path | str, ReceiverFile] = {}
    alertmanagers = {
        name: s
        for name, s in _merged_services(compose_files).items()
        if str(s.get("image", "")).startswith(ALERTMANAGER_IMAGE)
    }
    if not alertmanagers:
        raise ComposeFileError(f"{shown}: no service runs the {ALERTMANAGER_IMAGE} image")
    for name, service in alertmanagers.items():
        mounts = _bind_mounts(service, base)
        container_config = _container_config(service)
        config_path = _host_path(container_config, mounts)
        if config_path is None or not config_path.is_file():
            raise ComposeFileError(
                f"{shown}: service {name} reads {container_config}, which no bind mount provides"
            )
        config = yaml.safe_load(config_path.read_text()) or {}
        config_dir = posixpath.dirname(container_config)
        for key, where, value in _walk_files(config, ""):
            # Alertmanager resolves a relative path against its config file's directory.
            container_path = posixpath.normpath(posixpath.join(config_dir, value))
            host = _host_path(container_path, mounts)
            found.setdefault(host or container_path, ReceiverFile(key, where, container_path, host))
    return list(found.values())
