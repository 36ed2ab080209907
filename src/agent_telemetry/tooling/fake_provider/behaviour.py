"""Fault injection for un-scripted requests: seeded, so a demo or load run is the same every time."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Decision:
    """What the behaviour decided for one request: an error status (or ``None``) and the added latency."""

    status: int | None
    delay_s: float
    chunk_delay_s: float


class Behaviour:
    """Error rates per HTTP status, added latency and stream pacing, mutable at runtime from any thread.

    Each request draws one number for the error and, when there is jitter, one for the latency, from a
    ``random.Random(seed)``; requests in the same order therefore meet the same faults.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        error_rates: Mapping[int, float] | None = None,
        latency_s: float = 0.0,
        latency_jitter_s: float = 0.0,
        chunk_delay_s: float = 0.0,
    ) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._random = random.Random(seed)
        self._error_rates: dict[int, float] = {}
        self._latency_s = 0.0
        self._latency_jitter_s = 0.0
        self._chunk_delay_s = 0.0
        self.update(
            error_rates=error_rates or {},
            latency_s=latency_s,
            latency_jitter_s=latency_jitter_s,
            chunk_delay_s=chunk_delay_s,
        )

    def update(
        self,
        *,
        seed: int | None = None,
        error_rates: Mapping[int | str, float] | None = None,
        latency_s: float | None = None,
        latency_jitter_s: float | None = None,
        chunk_delay_s: float | None = None,
    ) -> None:
        """Change what is given; ``seed`` restarts the random sequence. ``ValueError`` on bad values."""
        rates = None
        if error_rates is not None:
            # JSON object keys are strings: accept "429" as well as 429.
            rates = {int(status): float(rate) for status, rate in error_rates.items()}
            if any(not 400 <= status <= 599 for status in rates):
                raise ValueError("error_rates keys must be HTTP error statuses (400-599)")
            if any(rate < 0 for rate in rates.values()) or sum(rates.values()) > 1:
                raise ValueError("error_rates must be non-negative and sum to at most 1")
        for name, value in (
            ("latency_s", latency_s),
            ("latency_jitter_s", latency_jitter_s),
            ("chunk_delay_s", chunk_delay_s),
        ):
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0")
        with self._lock:
            if seed is not None:
                self._seed = seed
                self._random = random.Random(seed)
            if rates is not None:
                self._error_rates = rates
            if latency_s is not None:
                self._latency_s = latency_s
            if latency_jitter_s is not None:
                self._latency_jitter_s = latency_jitter_s
            if chunk_delay_s is not None:
                self._chunk_delay_s = chunk_delay_s

    def update_from_json(self, payload: Mapping[str, Any]) -> None:
        """The admin endpoint's body: any of seed, error_rates, latency_s, latency_jitter_s, chunk_delay_s."""
        known = {"seed", "error_rates", "latency_s", "latency_jitter_s", "chunk_delay_s"}
        unknown = set(payload) - known
        if unknown:
            raise ValueError(f"unknown behaviour fields: {sorted(unknown)}")
        # Check types as a JSON API would: "seed": "7" must fail loudly, not seed with a string.
        seed = payload.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError("seed must be an integer")
        floats = {
            name: float(payload[name])
            for name in ("latency_s", "latency_jitter_s", "chunk_delay_s")
            if name in payload
        }
        rates = payload.get("error_rates")
        if rates is not None and not isinstance(rates, Mapping):
            raise ValueError("error_rates must be an object of status -> rate")
        self.update(seed=seed, error_rates=rates, **floats)

    def decide(self) -> Decision:
        with self._lock:
            draw = self._random.random()
            status = None
            cumulative = 0.0
            for candidate, rate in sorted(self._error_rates.items()):
                cumulative += rate
                if draw < cumulative:
                    status = candidate
                    break
            delay = self._latency_s
            if self._latency_jitter_s:
                delay += self._random.uniform(0, self._latency_jitter_s)
            return Decision(status, delay, self._chunk_delay_s)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "seed": self._seed,
                "error_rates": {str(status): rate for status, rate in sorted(self._error_rates.items())},
                "latency_s": self._latency_s,
                "latency_jitter_s": self._latency_jitter_s,
                "chunk_delay_s": self._chunk_delay_s,
            }
