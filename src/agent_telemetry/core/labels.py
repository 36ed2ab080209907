"""Bounded label values: values that come from the application or the provider must not blow up Prometheus.

Every label whose values we do not choose ourselves (agent, model, tool, error type, evaluation,
computer-use action, blocked reason, run status, response model, server address and port) has a cap
on its distinct values: the first ones seen are kept, later new ones become ``_other``, and each fold
is counted in
``agent_telemetry_label_overflow_total{label=...}``. Values our own code produces for such a label
(the provider error types, our run statuses) and allow-listed agents are always kept, uncounted: the
alerts select them, so the application's values must never push them out.

``LABELS`` is the table; a new dimension is bounded by adding a row to it (a test checks that every
label of the metric contract is either here or in ``FIXED_LABELS``, whose values our code chooses).

Per-label caps bound each label, not their combinations: with the defaults, agent x model alone allows
20,000 combinations per provider and operation. The aggregation (``aggregation.MAX_SERIES``) bounds the
combinations each metric reports, below the OpenTelemetry SDK's own cardinality limit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from agent_telemetry import contract

OTHER = "_other"
UNKNOWN = "_unknown"
SERIES = "_series"  # the overflow counter's label for attribute sets folded by the series cap

logger = logging.getLogger("agent_telemetry")


@dataclass(frozen=True, slots=True)
class LabelSpec:
    attribute: str  # the OpenTelemetry attribute key
    label: str  # the Prometheus label name: what the overflow counter and the settings call it
    default_limit: int
    # Values our own code produces, always kept and not counted against the cap: the alerts select
    # them (error_type="rate_limit", status="failure"), so no application value may push them out.
    always: tuple[str, ...] = ()


AGENT_ATTRIBUTE = contract.Attr.AGENT_NAME
MODEL_ATTRIBUTE = contract.Attr.REQUEST_MODEL
VERSION_ATTRIBUTE = contract.Attr.AGENT_VERSION

# Defaults: a service runs a handful of agents (100 leaves room for a fleet reporting through one
# collector identity); models: the provider catalogues plus fine-tunes (200, as before); tools: MCP
# servers expose dozens each (500); error types: 17 provider classes plus exception class names (100);
# evaluators, actions, reasons and statuses are short, code-defined lists. Versions: one per deploy,
# and a comparison needs only the last few (50); features: the application's own dimension, meant for
# a dozen product areas, never for ids (20).
LABELS: tuple[LabelSpec, ...] = (
    LabelSpec(AGENT_ATTRIBUTE, contract.AGENT, 100),
    LabelSpec(MODEL_ATTRIBUTE, contract.MODEL, 200),
    LabelSpec(contract.Attr.TOOL_NAME, contract.TOOL, 500),
    LabelSpec(contract.Attr.ERROR_TYPE, contract.ERROR_TYPE, 100, contract.ERROR_TYPES),
    LabelSpec(contract.Attr.EVALUATION_NAME, contract.EVALUATOR, 100),
    LabelSpec(contract.Attr.ACTION, contract.ACTION, 50),
    LabelSpec(contract.Attr.REASON, contract.REASON, 50),
    LabelSpec(contract.Attr.STATUS, contract.STATUS, 20, contract.RUN_STATUSES),
    LabelSpec(contract.Attr.AGENT_VERSION, contract.AGENT_VERSION, 50),
    LabelSpec(contract.Attr.FEATURE, contract.FEATURE, 20, (contract.NO_FEATURE,)),
    # The gen_ai.client.* metrics' own: the model that answered, the server the client talks to.
    LabelSpec(contract.Attr.RESPONSE_MODEL, contract.RESPONSE_MODEL, 200),
    LabelSpec(contract.Attr.SERVER_ADDRESS, contract.SERVER_ADDRESS, 20),
    LabelSpec(contract.Attr.SERVER_PORT, contract.SERVER_PORT, 20),
)
LABEL_NAMES: tuple[str, ...] = tuple(spec.label for spec in LABELS)

# Labels whose values only our code chooses, with how many it can produce: they need no cap, and they
# are what a fully folded series still has (see aggregation.MAX_SERIES).
FIXED_LABELS: dict[str, int] = {
    contract.PROVIDER: 2,  # openai, anthropic
    contract.OPERATION: 4,  # chat, embeddings, retrieve, count_tokens
    contract.TOKEN_TYPE: len(contract.TOKEN_TYPES),
    contract.OUTCOME: 3,  # success, failure, blocked
    contract.LIMIT: 2,  # cost, steps
    contract.LABEL: len(LABELS) + 1,  # the overflow counter's own: one per bounded label, and _series
    # internal error components: the names our code passes to internal_error (34 today: 14 fixed ones,
    # and start/finish/parse/observe_request for each of the 5 provider operations)
    contract.COMPONENT: 40,
}


class BoundedLabel:
    """Passes the first ``limit`` distinct values through; folds every later new value into ``_other``.

    ``always`` values (an allow-list, our own placeholders) pass without counting against the limit.
    ``on_overflow`` is called once for each folded value so that a counter can say how often it happened.
    The seen-set is only ever added to under a lock; reads need none (a set lookup is atomic in CPython).
    """

    __slots__ = ("_limit", "_lock", "_on_overflow", "_seen")

    def __init__(self, limit: int, on_overflow: Callable[[], None], always: Iterable[str] = ()) -> None:
        self._seen: set[str] = {OTHER, UNKNOWN, *always}
        self._limit = limit + len(self._seen)
        self._lock = threading.Lock()
        self._on_overflow = on_overflow

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        with self._lock:
            if value in self._seen:
                return value
            if len(self._seen) < self._limit:
                self._seen.add(value)
                return value
        self._on_overflow()
        return OTHER

    @property
    def kept(self) -> set[str]:
        """The values passed through so far (only ever added to)."""
        return self._seen


class LabelLimits:
    """One ``BoundedLabel`` per row of ``LABELS``, applied to an attribute set by ``bound()``.

    ``limits`` (by Prometheus label name) override the defaults; ``agent_names`` are always kept, and
    so is ``agent_version``, the process's own version.
    ``on_fold(label)`` is called for every fold (``label`` is the Prometheus label name, or ``_series``).
    """

    def __init__(
        self,
        on_fold: Callable[[str], None],
        limits: Mapping[str, int] | None = None,
        agent_names: Iterable[str] = (),
        agent_version: str | None = None,
    ) -> None:
        limits = limits or {}
        self._on_fold = on_fold
        self._agent_names = frozenset(agent_names)
        self._limits = {spec.label: limits.get(spec.label, spec.default_limit) for spec in LABELS}
        kept_always = {
            AGENT_ATTRIBUTE: self._agent_names,
            VERSION_ATTRIBUTE: (agent_version,) if agent_version else (),
        }
        self._by_attribute: dict[str, BoundedLabel] = {
            spec.attribute: BoundedLabel(
                self._limits[spec.label],
                _bind(self._folded, spec.label),
                (*spec.always, *kept_always.get(spec.attribute, ())),
            )
            for spec in LABELS
        }
        # Each label's kept values, read without a call on the hot path (the BoundedLabel owns the set).
        self._kept: dict[str, set[str]] = {key: label.kept for key, label in self._by_attribute.items()}
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        unknown = sorted(set(limits) - set(LABEL_NAMES))
        if unknown:
            logger.warning(
                "agent-telemetry: AGENT_TELEMETRY_MAX_LABEL_VALUES names unknown labels %s; known: %s",
                ", ".join(unknown),
                ", ".join(LABEL_NAMES),
            )

    def bound(self, attributes: dict[str, str]) -> dict[str, str]:
        """``attributes`` with every bounded value past its cap as ``_other``; the same dict if none is."""
        changed: dict[str, str] | None = None
        kept_values = self._kept
        for key, value in attributes.items():
            known = kept_values.get(key)
            if known is None or value in known:
                continue  # not a bounded label, or a value already kept: the common case
            kept = self._by_attribute[key](value)
            if kept is not value:
                if changed is None:
                    changed = dict(attributes)
                changed[key] = kept
        return attributes if changed is None else changed

    def fold_series(self, attributes: Mapping[str, str], *, keep_listed_agent: bool) -> dict[str, str]:
        """The series an attribute set past the series cap goes to: every bounded label ``_other``.

        An agent on the allow-list keeps its name while ``keep_listed_agent``.
        """
        by_attribute = self._by_attribute
        folded = {key: OTHER if key in by_attribute else value for key, value in attributes.items()}
        agent = attributes.get(AGENT_ATTRIBUTE)
        if keep_listed_agent and agent in self._agent_names:
            folded[AGENT_ATTRIBUTE] = agent
        return folded

    def series_folded(self, metric: str, limit: int) -> None:
        self._folded(SERIES, metric=metric, limit=limit)

    def _folded(self, label: str, *, metric: str | None = None, limit: int | None = None) -> None:
        try:
            self._on_fold(label)
        except Exception:  # counting a fold must never cost the application's call
            logger.debug("agent-telemetry: a label fold could not be counted", exc_info=True)
        if label in self._warned:
            return
        with self._lock:
            first = label not in self._warned
            self._warned.add(label)
        if first:
            logger.warning("%s", self._warning(label, metric, limit))

    def _warning(self, label: str, metric: str | None, limit: int | None) -> str:
        counted = f'counted in agent_telemetry_label_overflow_total{{label="{label}"}}'
        if label == SERIES:
            return (
                f"agent-telemetry: metric {metric} reached {limit} label combinations; new combinations "
                f"are recorded with their bounded labels as {OTHER} ({counted}); lower the label caps "
                "(AGENT_TELEMETRY_MAX_LABEL_VALUES) or the number of distinct values the application uses"
            )
        hint = f"raise it with AGENT_TELEMETRY_MAX_LABEL_VALUES={label}=N"
        if label == contract.AGENT:
            hint += " or list the agents to keep in AGENT_TELEMETRY_AGENT_NAMES"
        elif label == contract.MODEL:
            hint += " (or AGENT_TELEMETRY_MAX_MODEL_LABELS)"
        return (
            f"agent-telemetry: label {label} passed its cap of {self._limits[label]} distinct values; "
            f"new values are recorded as {OTHER} ({counted}); {hint}"
        )


def _bind(folded: Callable[..., None], label: str) -> Callable[[], None]:
    return lambda: folded(label)
