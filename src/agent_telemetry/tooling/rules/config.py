"""``prometheus/thresholds.yaml``: the typed, validated thresholds every rule is generated from.

The models carry no defaults: the YAML file is the one place a threshold is written, and a missing or
misspelt key is an error that names it. A profile (``profiles.<name>``) is a partial document deep-merged
over the top level, so the test profile changes numbers, never expressions.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agent_telemetry import contract
from agent_telemetry.tooling.rules.durations import Duration, seconds

DEFAULT_PROFILE = "default"

Ratio = Annotated[float, Field(gt=0, le=1)]
Positive = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=1)]


class ThresholdsError(ValueError):
    """The thresholds file is unreadable or invalid; the message names every bad key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ErrorRate(_Model):
    window: Duration
    warning: Ratio | None
    critical: Ratio
    min_requests: Count
    for_: Duration = Field(alias="for")

    @model_validator(mode="after")
    def _warning_below_critical(self) -> ErrorRate:
        if self.warning is not None and self.warning >= self.critical:
            raise ValueError(f"warning ({self.warning}) must be below critical ({self.critical})")
        return self


class _OnBucketBoundary(_Model):
    """A threshold (the field named ``threshold_field``) that a quantile of ``histogram`` is compared with,
    or that selects one of its buckets: exact only if the threshold is one of its bucket boundaries."""

    threshold_field: ClassVar[str]
    histogram: ClassVar[contract.Metric] = contract.REQUEST_DURATION

    @model_validator(mode="after")
    def _threshold_on_bucket(self) -> _OnBucketBoundary:
        value, buckets = getattr(self, self.threshold_field), self.histogram.buckets or ()
        if value not in buckets:
            raise ValueError(
                f"{self.threshold_field} {value} is not a bucket boundary of "
                f"{self.histogram.prometheus_name} {list(buckets)}"
            )
        return self


class Latency(_OnBucketBoundary):
    threshold_field: ClassVar[str] = "warning_seconds"

    window: Duration
    quantile: Annotated[float, Field(gt=0, lt=1)]
    warning_seconds: Positive
    min_requests: Count
    for_: Duration = Field(alias="for")


class DailyBudget(_Model):
    usd: Positive
    agents: dict[str, Positive]
    warning_ratio: Ratio
    critical_ratio: Positive
    for_: Duration = Field(alias="for")

    @model_validator(mode="after")
    def _warning_below_critical(self) -> DailyBudget:
        if self.warning_ratio >= self.critical_ratio:
            raise ValueError(
                f"warning_ratio ({self.warning_ratio}) must be below critical_ratio ({self.critical_ratio})"
            )
        return self


class CostSpike(_Model):
    window: Duration
    baseline: Duration
    z_score: Positive
    min_ratio: Annotated[float, Field(gt=1)]
    min_usd_per_hour: Positive
    for_: Duration = Field(alias="for")


class RateLimitStorm(_Model):
    window: Duration
    ratio: Ratio
    min_errors: Count
    for_: Duration = Field(alias="for")


class ToolErrors(_Model):
    window: Duration
    ratio: Ratio
    min_calls: Count
    for_: Duration = Field(alias="for")


class QualityDrift(_Model):
    window: Duration
    baseline: Duration
    max_drop: Annotated[float, Field(gt=0, lt=1)]
    min_scores: Count
    min_baseline_scores: Count
    for_: Duration = Field(alias="for")


class RunSuccess(_Model):
    window: Duration
    ratio: Ratio  # fires below it
    min_runs: Count
    for_: Duration = Field(alias="for")


class RunDuration(_OnBucketBoundary):
    threshold_field: ClassVar[str] = "threshold_seconds"
    histogram: ClassVar[contract.Metric] = contract.RUN_DURATION

    window: Duration
    quantile: Annotated[float, Field(gt=0, lt=1)]
    threshold_seconds: Positive
    min_runs: Count
    for_: Duration = Field(alias="for")


class RunCost(_Model):
    window: Duration
    usd: Positive
    min_runs: Count
    for_: Duration = Field(alias="for")


class RequestRateAnomaly(_Model):
    window: Duration
    offset: Duration
    spike_ratio: Annotated[float, Field(gt=1)]
    drop_ratio: Annotated[float, Field(gt=0, lt=1)]
    min_requests: Count
    for_: Duration = Field(alias="for")


class LatencyAnomaly(_Model):
    window: Duration
    baseline: Duration
    quantile: Annotated[float, Field(gt=0, lt=1)]
    z_score: Positive
    min_ratio: Annotated[float, Field(gt=1)]
    min_seconds: Positive
    min_requests: Count
    for_: Duration = Field(alias="for")


class TokensAnomaly(_Model):
    window: Duration
    baseline: Duration
    z_score: Positive
    min_ratio: Annotated[float, Field(gt=1)]
    min_requests: Count
    for_: Duration = Field(alias="for")


class BurnRateWindow(_Model):
    severity: str = Field(pattern="^(critical|warning)$")
    long: Duration
    short: Duration
    factor: Positive
    for_: Duration = Field(alias="for")

    @model_validator(mode="after")
    def _short_within_long(self) -> BurnRateWindow:
        if seconds(self.short) >= seconds(self.long):
            raise ValueError(f"short window ({self.short}) must be shorter than long ({self.long})")
        return self


class AvailabilitySLO(_Model):
    target: Annotated[float, Field(gt=0, lt=1)]


class LatencySLO(_OnBucketBoundary):
    threshold_field: ClassVar[str] = "threshold_seconds"

    target: Annotated[float, Field(gt=0, lt=1)]
    threshold_seconds: Positive


class SLO(_Model):
    availability: AvailabilitySLO
    latency: LatencySLO
    min_requests: Count
    burn_rates: tuple[BurnRateWindow, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _reachable(self) -> SLO:
        targets = (("availability", self.availability.target), ("latency", self.latency.target))
        for slo_name, target in targets:
            for w in self.burn_rates:
                if w.factor * (1 - target) > 1:
                    raise ValueError(
                        f"burn rate {w.factor} over {w.long} can never fire for the {slo_name} target "
                        f"{target}: it needs an error ratio above 100%"
                    )
        return self


class TelemetryAbsent(_Model):
    lookback: Duration
    for_: Duration = Field(alias="for")


class LabelsFolded(_Model):
    window: Duration
    for_: Duration = Field(alias="for")


class Collector(_Model):
    job: str = Field(min_length=1)
    down_for: Duration
    dropping_window: Duration
    dropping_for: Duration


class Thresholds(_Model):
    runbook_base_url: str = Field(pattern=r"^https?://\S+[^/]$")
    ignored_error_types: tuple[str, ...]
    error_rate: ErrorRate
    latency: Latency
    daily_budget: DailyBudget
    cost_spike: CostSpike
    rate_limit_storm: RateLimitStorm
    tool_errors: ToolErrors
    quality_drift: QualityDrift
    run_success: RunSuccess
    run_duration: RunDuration
    run_cost: RunCost
    request_rate_anomaly: RequestRateAnomaly
    latency_anomaly: LatencyAnomaly
    tokens_anomaly: TokensAnomaly
    slo: SLO
    telemetry_absent: TelemetryAbsent
    labels_folded: LabelsFolded
    collector: Collector

    @model_validator(mode="after")
    def _known_error_types(self) -> Thresholds:
        unknown = sorted(set(self.ignored_error_types) - set(contract.ERROR_TYPES))
        if unknown:
            raise ValueError(f"ignored_error_types: unknown {unknown}; known: {list(contract.ERROR_TYPES)}")
        return self


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: Mapping[str, Any]) -> str:
    location = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{location}: unknown key"
    if error["type"] == "missing":
        return f"{location}: required key is missing"
    return f"{location}: {error['msg'].removeprefix('Value error, ')}"


def _read(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThresholdsError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ThresholdsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise ThresholdsError(f"{path}: expected a mapping at the top level")
    return document


def profile_names(path: Path) -> tuple[str, ...]:
    profiles = _read(path).get("profiles") or {}
    return (DEFAULT_PROFILE, *sorted(profiles))


def parse_thresholds(
    document: Mapping[str, Any], profile: str = DEFAULT_PROFILE, source: str = ""
) -> Thresholds:
    """Validate a thresholds document (already parsed) under ``profile``."""
    base = dict(document)
    profiles = base.pop("profiles", None) or {}
    where = f"{source} (profile {profile})" if source else f"profile {profile}"
    if not isinstance(profiles, Mapping):
        raise ThresholdsError(f"{where}: profiles: expected a mapping of profile name to overrides")
    if profile != DEFAULT_PROFILE:
        if profile not in profiles:
            raise ThresholdsError(f"{where}: no such profile; known: {[DEFAULT_PROFILE, *sorted(profiles)]}")
        if not isinstance(profiles[profile], Mapping):
            raise ThresholdsError(f"{where}: profiles.{profile}: expected a mapping of overrides")
        base = _deep_merge(base, profiles[profile])
    try:
        return Thresholds.model_validate(base)
    except ValidationError as exc:
        problems = "\n".join(f"  {_describe(e)}" for e in exc.errors())
        raise ThresholdsError(f"{where}: invalid thresholds:\n{problems}") from None


def load_thresholds(path: Path, profile: str = DEFAULT_PROFILE) -> Thresholds:
    return parse_thresholds(_read(path), profile, str(path))
