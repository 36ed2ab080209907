"""Small PromQL text helpers: numbers, matchers and the rule dataclasses the generator emits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def num(value: float) -> str:
    """A PromQL number literal without float noise: 0.05, 14.4, 10, 0.072."""
    text = format(round(value, 12), ".12g")
    return text


def le_regex(bound: float) -> str:
    """A regex for the ``le`` label of a bucket: ``10(\\.0)?`` matches both ``10`` and ``10.0``.

    Remote write from the collector gives ``10`` in Prometheus 2 and Prometheus 3 may store ``10.0``;
    a bucket selected by ``le`` must match both spellings exactly.
    """
    if float(bound).is_integer():
        return f"{int(bound)}(\\\\.0)?"
    return re.escape(repr(float(bound))).replace("\\", "\\\\")


def matchers(*items: str) -> str:
    present = [item for item in items if item]
    return "{" + ", ".join(present) + "}" if present else ""


def not_in(label: str, values: tuple[str, ...]) -> str:
    return f'{label}!~"{"|".join(values)}"' if values else ""


@dataclass(frozen=True)
class RecordingRule:
    record: str
    expr: str
    labels: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"record": self.record, "expr": self.expr}
        if self.labels:
            body["labels"] = dict(self.labels)
        return body


@dataclass(frozen=True)
class AlertRule:
    alert: str
    expr: str
    for_: str
    severity: str
    summary: str
    description: str
    value: str
    runbook_url: str
    labels: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"alert": self.alert, "expr": self.expr}
        if self.for_ not in ("0s", "0m", "0h"):
            body["for"] = self.for_
        body["labels"] = {"severity": self.severity, **self.labels}
        body["annotations"] = {
            "summary": self.summary,
            "description": self.description,
            "value": self.value,
            "runbook_url": self.runbook_url,
        }
        return body


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[RecordingRule | AlertRule, ...]

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "rules": [rule.as_dict() for rule in self.rules]}
