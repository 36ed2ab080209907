"""Settings, read from the environment (``AGENT_TELEMETRY_*`` and the standard ``OTEL_*`` variables)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

StreamUsagePolicy = Literal["inject", "off"]
MetricsExporter = Literal["otlp", "prometheus", "none"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the variable and what it accepts."""


@dataclass(frozen=True, slots=True)
class Settings:
    enabled: bool = False
    agent_name: str | None = None
    prices_file: str | None = None
    max_model_labels: int = 200
    openai_stream_usage: StreamUsagePolicy = "inject"
    capture_content: bool = False
    metrics_exporter: MetricsExporter = "otlp"
    prometheus_host: str = "127.0.0.1"
    prometheus_port: int = 9464
    anthropic_native_spans: bool = False
    # -- label caps (core/labels.py) ------------------------------------------------------------
    # Per-label caps on distinct values, by Prometheus label name, over the defaults in core/labels.py:
    # AGENT_TELEMETRY_MAX_LABEL_VALUES=gen_ai_tool_name=1000,gen_ai_agent_name=50
    max_label_values: tuple[tuple[str, int], ...] = ()
    # Agent names always kept as their own label value, however many others came first:
    # AGENT_TELEMETRY_AGENT_NAMES=support-bot,research-agent
    agent_names_allowlist: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            enabled=_bool(env, "AGENT_TELEMETRY_ENABLED", False),
            agent_name=env.get("AGENT_TELEMETRY_AGENT_NAME") or None,
            prices_file=env.get("AGENT_TELEMETRY_PRICES") or None,
            max_model_labels=_int(env, "AGENT_TELEMETRY_MAX_MODEL_LABELS", 200, minimum=1),
            openai_stream_usage=_choice(env, "AGENT_TELEMETRY_OPENAI_STREAM_USAGE", ("inject", "off")),
            capture_content=_bool(env, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", False),
            metrics_exporter=_choice(env, "AGENT_TELEMETRY_METRICS_EXPORTER", ("otlp", "prometheus", "none")),
            prometheus_host=env.get("AGENT_TELEMETRY_PROMETHEUS_HOST") or "127.0.0.1",
            prometheus_port=_int(env, "AGENT_TELEMETRY_PROMETHEUS_PORT", 9464, minimum=0),
            anthropic_native_spans=_bool(env, "AGENT_TELEMETRY_ANTHROPIC_NATIVE_SPANS", False),
            # -- label caps --
            max_label_values=_label_caps(env, "AGENT_TELEMETRY_MAX_LABEL_VALUES"),
            agent_names_allowlist=_names(env, "AGENT_TELEMETRY_AGENT_NAMES"),
        )


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean: use true or false")


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]):
    raw = env.get(name)
    if raw is None or not raw.strip():
        return choices[0]
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigError(f"{name}={raw!r} is not one of: {', '.join(choices)}")
    return value


def _names(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list; blanks around names and empty entries are ignored."""
    return tuple(dict.fromkeys(part.strip() for part in env.get(name, "").split(",") if part.strip()))


def _label_caps(env: Mapping[str, str], name: str) -> tuple[tuple[str, int], ...]:
    """``label=N,label=N``: a cap of at least 1 per Prometheus label name."""
    caps: dict[str, int] = {}
    for part in env.get(name, "").split(","):
        if not part.strip():
            continue
        label, sep, raw = part.partition("=")
        label = label.strip()
        if not sep or not label or not raw.strip():
            raise ConfigError(f"{name}={env[name]!r}: use label=N pairs, e.g. gen_ai_tool_name=1000")
        try:
            cap = int(raw)
        except ValueError:
            raise ConfigError(f"{name}: {label}={raw.strip()!r} is not a whole number") from None
        if cap < 1:
            raise ConfigError(f"{name}: {label}={raw.strip()!r} must be at least 1")
        caps[label] = cap
    return tuple(caps.items())
