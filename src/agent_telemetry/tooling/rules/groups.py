"""The rules and rule groups the generator emits, as Prometheus rule files spell them."""

from __future__ import annotations

from dataclasses import dataclass, field


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
