"""Prometheus durations (``5m``, ``1h30m``, ``1w``): parsed to seconds, kept verbatim for PromQL."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_UNIT_SECONDS: dict[str, int] = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
# Units largest first, each at most once: the subset of Prometheus' syntax that rules need (no ms).
_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def seconds(duration: str) -> int:
    """Seconds in a Prometheus duration; ``ValueError`` names the bad value."""
    match = _DURATION.match(duration)
    if not duration or match is None:
        raise ValueError(f"{duration!r} is not a Prometheus duration like 30s, 5m, 1h30m, 1d or 1w")
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in zip(match.groups(), "ywdhms", strict=True) if n)


def _validate(value: object) -> str:
    if isinstance(value, int) and value == 0:
        return "0s"
    if not isinstance(value, str):
        raise ValueError(f"expected a duration string like 5m, got {value!r}")
    seconds(value)
    return value


Duration = Annotated[str, BeforeValidator(_validate)]
"""A Prometheus duration string, validated on load."""
