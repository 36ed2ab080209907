"""Settings, read from the environment (``AGENT_TELEMETRY_*`` and the standard ``OTEL_*`` variables).

This module is the one reader of the environment. A value we cannot use never switches telemetry off
and never raises: it logs one warning line naming the variable and what it accepts, and the default
is used instead.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

StreamUsagePolicy = Literal["inject", "off"]
MetricsExporter = Literal["otlp", "prometheus", "console", "none"]
TracesExporter = Literal["otlp", "console", "none"]
LogsExporter = Literal["otlp", "console", "none"]
OtlpProtocol = Literal["http/protobuf", "grpc"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})

DEFAULT_SHUTDOWN_TIMEOUT_S = 3.0
DEFAULT_RETENTION_DAYS = 14.0
DEFAULT_EVENTS_STORE_URL = "http://127.0.0.1:9428"  # VictoriaLogs, as `stack up` and compose run it

logger = logging.getLogger("agent_telemetry")
T = TypeVar("T")
_DEFAULT = object()
# The metric families AGENT_TELEMETRY_METRICS switches: agent.* (contract.CALL_METRICS, AGENT_METRICS)
# and gen_ai.client.* (contract.GEN_AI_METRICS). Our own agent.telemetry.* stay on either way: they
# count the label folds and failures of both.
METRIC_FAMILIES: tuple[str, ...] = ("agent", "gen_ai")
# Opt-in on top of gen_ai: gen_ai.client.operation.time_per_output_chunk, one histogram value per
# stream chunk (~4 µs of SDK aggregation each at collection, ~3x our per-chunk budget of 1.5 µs).
GEN_AI_CHUNKS = "gen_ai_chunks"


class ConfigError(ValueError):
    """Raised nowhere any more: an unusable setting is one warning line and its default (see above).

    Kept, and exported, so that applications that catch it keep importing.
    """


@dataclass(frozen=True, slots=True)
class Settings:
    agent_name: str | None = None
    # The version of the agent's code, prompts and models (AGENT_TELEMETRY_AGENT_VERSION): the
    # gen_ai_agent_version of runs that name none; unset, the resource's service.version is used.
    agent_version: str | None = None
    prices_file: str | None = None
    max_model_labels: int = 200
    openai_stream_usage: StreamUsagePolicy = "inject"
    capture_content: bool = False
    metrics_exporter: MetricsExporter = "otlp"
    prometheus_host: str = "127.0.0.1"
    prometheus_port: int = 9464
    anthropic_native_spans: bool = False
    # Lifecycle and exporters (OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_*_PROTOCOL).
    sdk_disabled: bool = False
    # None: "otlp", or "none" when metrics are served to Prometheus directly (no collector to send to).
    traces_exporter: TracesExporter | None = None
    otlp_traces_protocol: OtlpProtocol = "http/protobuf"
    otlp_metrics_protocol: OtlpProtocol = "http/protobuf"
    shutdown_timeout_s: float = DEFAULT_SHUTDOWN_TIMEOUT_S
    # Session recording. Retention None: the configured period was unusable, so nothing is deleted.
    record_dir: str | None = None
    record_retention_days: float | None = DEFAULT_RETENTION_DAYS
    # Label caps (core/labels.py): per-label caps on distinct values by Prometheus label name, over the
    # defaults there (AGENT_TELEMETRY_MAX_LABEL_VALUES=gen_ai_tool_name=1000,gen_ai_agent_name=50), and
    # agent names always kept as their own value (AGENT_TELEMETRY_AGENT_NAMES=support-bot,research-agent).
    max_label_values: tuple[tuple[str, int], ...] = ()
    agent_names_allowlist: tuple[str, ...] = ()
    # Content (only with capture_content): the image bytes of screenshots in session recordings
    # (AGENT_TELEMETRY_RECORD_SCREENSHOTS), and regular expressions whose matches are redacted from
    # all captured content, beside the built-in API-key patterns (AGENT_TELEMETRY_REDACT_PATTERNS).
    record_screenshots: bool = False
    redact_patterns: tuple[str, ...] = ()
    # Events (log records): AGENT_TELEMETRY_EVENTS=off switches them off; OTEL_LOGS_EXPORTER and
    # OTEL_EXPORTER_OTLP_LOGS_PROTOCOL choose where they go. None: like traces_exporter.
    events_enabled: bool = True
    logs_exporter: LogsExporter | None = None
    otlp_logs_protocol: OtlpProtocol = "http/protobuf"
    # Where `agent-telemetry events` reads them back: the log store's (VictoriaLogs') HTTP API.
    events_store_url: str = DEFAULT_EVENTS_STORE_URL
    # The metric families to export (AGENT_TELEMETRY_METRICS=agent,gen_ai): our agent.* and the GenAI
    # semantic conventions' gen_ai.client.*.
    agent_metrics: bool = True
    gen_ai_metrics: bool = True
    gen_ai_chunk_metrics: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings of ``env`` (default: this process's environment). Never raises.

        Each unusable value is logged once per process as one warning line, and its default is used.
        """
        settings, problems = cls.read(env)
        for problem in problems:
            _warn_once(problem)
        return settings

    @classmethod
    def read(cls, env: Mapping[str, str] | None = None) -> tuple[Settings, list[str]]:
        """The settings of ``env``, and one message per unusable value (whose default was used)."""
        r = _Reader(os.environ if env is None else env)
        # Ours first (it predates OTEL_METRICS_EXPORTER here), then the standard variable.
        metrics_exporter = r.choice(
            "AGENT_TELEMETRY_METRICS_EXPORTER",
            ("otlp", "prometheus", "console", "none"),
            None,
            shown="OTEL_METRICS_EXPORTER or otlp",
        ) or r.choice("OTEL_METRICS_EXPORTER", ("otlp", "prometheus", "console", "none"), "otlp")
        general_protocol = r.protocol("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        settings = cls(
            agent_name=r.text("AGENT_TELEMETRY_AGENT_NAME"),
            agent_version=r.text("AGENT_TELEMETRY_AGENT_VERSION"),
            prices_file=r.text("AGENT_TELEMETRY_PRICES"),
            max_model_labels=r.integer("AGENT_TELEMETRY_MAX_MODEL_LABELS", 200, minimum=1),
            openai_stream_usage=r.choice("AGENT_TELEMETRY_OPENAI_STREAM_USAGE", ("inject", "off"), "inject"),
            capture_content=r.boolean("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", False),
            metrics_exporter=metrics_exporter,
            prometheus_host=r.text("AGENT_TELEMETRY_PROMETHEUS_HOST") or "127.0.0.1",
            prometheus_port=r.integer("AGENT_TELEMETRY_PROMETHEUS_PORT", 9464, minimum=0),
            anthropic_native_spans=r.boolean("AGENT_TELEMETRY_ANTHROPIC_NATIVE_SPANS", False),
            sdk_disabled=r.boolean("OTEL_SDK_DISABLED", False),
            traces_exporter=r.choice(
                "OTEL_TRACES_EXPORTER", ("otlp", "console", "none"), None, shown="the default"
            ),
            otlp_traces_protocol=r.protocol("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", general_protocol),
            otlp_metrics_protocol=r.protocol("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", general_protocol),
            shutdown_timeout_s=r.positive_number(
                "AGENT_TELEMETRY_SHUTDOWN_TIMEOUT",
                DEFAULT_SHUTDOWN_TIMEOUT_S,
                what="a time in seconds",
            ),
            record_dir=r.text("AGENT_TELEMETRY_RECORD_DIR"),
            record_retention_days=r.positive_number(
                "AGENT_TELEMETRY_RECORD_RETENTION_DAYS",
                DEFAULT_RETENTION_DAYS,
                what="a retention period",
                unit="days",
                # Deleting is the one irreversible thing we do: with a doubtful period, delete nothing.
                fallback=None,
                consequence="no old recordings are deleted",
            ),
            max_label_values=r.label_caps("AGENT_TELEMETRY_MAX_LABEL_VALUES"),
            agent_names_allowlist=r.names("AGENT_TELEMETRY_AGENT_NAMES"),
            record_screenshots=r.boolean("AGENT_TELEMETRY_RECORD_SCREENSHOTS", False),
            redact_patterns=r.patterns("AGENT_TELEMETRY_REDACT_PATTERNS"),
            events_enabled=r.boolean("AGENT_TELEMETRY_EVENTS", True),
            logs_exporter=r.choice(
                "OTEL_LOGS_EXPORTER", ("otlp", "console", "none"), None, shown="the default"
            ),
            otlp_logs_protocol=r.protocol("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", general_protocol),
            events_store_url=r.text("AGENT_TELEMETRY_EVENTS_URL") or DEFAULT_EVENTS_STORE_URL,
            **r.metric_families("AGENT_TELEMETRY_METRICS"),
        )
        if settings.record_screenshots and not settings.capture_content:
            r.problems.append(
                "AGENT_TELEMETRY_RECORD_SCREENSHOTS=true has no effect without "
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true; no screenshots are recorded"
            )
        return settings, r.problems

    @property
    def spans_exporter(self) -> TracesExporter:
        """Where spans go: OTEL_TRACES_EXPORTER, else otlp unless metrics go to Prometheus directly."""
        if self.traces_exporter is not None:
            return self.traces_exporter
        return "none" if self.metrics_exporter == "prometheus" else "otlp"

    @property
    def events_exporter(self) -> LogsExporter:
        """Where events go: none when switched off, else OTEL_LOGS_EXPORTER, else as spans do."""
        if not self.events_enabled:
            return "none"
        if self.logs_exporter is not None:
            return self.logs_exporter
        return "none" if self.metrics_exporter == "prometheus" else "otlp"


def env_flag(name: str, default: bool = False, env: Mapping[str, str] | None = None) -> bool:
    """One boolean variable (true/false, 1/0, yes/no, on/off); an unusable one warns, gives ``default``."""
    reader = _Reader(os.environ if env is None else env)
    value = reader.boolean(name, default)
    for problem in reader.problems:
        _warn_once(problem)
    return value


class _Reader:
    """Reads variables from ``env``; each unusable value adds one message to ``problems``."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def _raw(self, name: str) -> str | None:
        raw = self.env.get(name)
        return None if raw is None or not raw.strip() else raw

    def _bad(self, name: str, raw: str, problem: str, consequence: str) -> None:
        self.problems.append(f"{name}={raw!r} {problem}; {consequence}")

    def text(self, name: str) -> str | None:
        raw = self._raw(name)
        return None if raw is None else raw.strip()

    def boolean(self, name: str, default: bool) -> bool:
        raw = self._raw(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in _TRUE or value in _FALSE:
            return value in _TRUE
        self._bad(name, raw, "is not a boolean: use true or false", f"using {str(default).lower()}")
        return default

    def integer(self, name: str, default: int, *, minimum: int) -> int:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            self._bad(name, raw, "is not a whole number", f"using {default}")
            return default
        if value < minimum:
            self._bad(name, raw, f"must be at least {minimum}", f"using {default}")
            return default
        return value

    def positive_number(
        self,
        name: str,
        default: float,
        *,
        what: str,
        unit: str = "seconds",
        fallback: float | object | None = _DEFAULT,
        consequence: str | None = None,
    ) -> float | None:
        """A positive finite number; an unusable one gives ``fallback`` (by default, ``default``)."""
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value > 0:
            return value
        problem = f"is not {what}: use a positive number of {unit}, such as {default:g}"
        self._bad(name, raw, problem, consequence or f"using {default:g}")
        return default if fallback is _DEFAULT else fallback  # type: ignore[return-value]

    def choice(self, name: str, choices: tuple[str, ...], default: T, shown: str | None = None) -> str | T:
        raw = self._raw(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in choices:
            return value
        shown = shown or str(default)
        self._bad(name, raw, f"is not one of: {', '.join(choices)}", f"using {shown}")
        return default

    def names(self, name: str) -> tuple[str, ...]:
        """A comma-separated list; blanks around names and empty entries are ignored."""
        raw = self._raw(name) or ""
        return tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))

    def patterns(self, name: str) -> tuple[str, ...]:
        """One regular expression, or a JSON list of them; each invalid one is left out."""
        raw = self._raw(name)
        if raw is None:
            return ()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        listed = isinstance(parsed, list) and all(isinstance(item, str) for item in parsed)
        valid: list[str] = []
        for pattern in parsed if listed else [raw.strip()]:
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                self._bad(name, pattern, f"is not a valid regular expression ({exc})", "ignored")
                continue
            if compiled.fullmatch(""):  # it would insert [REDACTED] between every two characters
                self._bad(name, pattern, "matches the empty string", "ignored")
            else:
                valid.append(pattern)
        return tuple(valid)

    def metric_families(self, name: str) -> dict[str, bool]:
        """``agent,gen_ai`` (default: both) as ``agent_metrics`` / ``gen_ai_metrics``; ``gen_ai_chunks``
        adds the per-chunk histogram (and implies gen_ai)."""
        raw = self._raw(name)
        families = self.names(name) or METRIC_FAMILIES
        known = (*METRIC_FAMILIES, GEN_AI_CHUNKS)
        if raw is not None and not set(families) <= set(known):
            self._bad(name, raw, f"is not a list of {', '.join(known)}", "agent,gen_ai are exported")
            families = METRIC_FAMILIES
        return {
            "agent_metrics": "agent" in families,
            "gen_ai_metrics": "gen_ai" in families or GEN_AI_CHUNKS in families,
            "gen_ai_chunk_metrics": GEN_AI_CHUNKS in families,
        }

    def label_caps(self, name: str) -> tuple[tuple[str, int], ...]:
        """``label=N,label=N``: a cap of at least 1 per Prometheus label name; bad pairs are left out."""
        caps: dict[str, int] = {}
        for part in (self._raw(name) or "").split(","):
            if not part.strip():
                continue
            label, sep, raw = (item.strip() for item in part.partition("="))
            if not sep or not label or not raw:
                self._bad(name, part.strip(), "is not a label=N pair, e.g. gen_ai_tool_name=1000", "ignored")
            elif not raw.isdigit() or int(raw) < 1:
                self._bad(name, part.strip(), "needs a whole number of at least 1", "ignored")
            else:
                caps[label] = int(raw)
        return tuple(caps.items())

    def protocol(self, name: str, default: OtlpProtocol) -> OtlpProtocol:
        raw = self._raw(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in ("http/protobuf", "http"):
            return "http/protobuf"
        if value == "grpc":
            return "grpc"
        problem = "is not a supported OTLP protocol: use http/protobuf or grpc"
        self._bad(name, raw, problem, f"using {default}")
        return default


_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(message: str) -> None:
    """Settings are read by init() and again by instrumentors: say each problem once per process."""
    with _warned_lock:
        if message in _warned:
            return
        _warned.add(message)
    logger.warning("agent-telemetry: %s", message)
