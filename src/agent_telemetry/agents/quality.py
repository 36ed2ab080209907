"""Quality scores from any evaluator, as a histogram and as a span event."""

from __future__ import annotations

import math
from numbers import Real

from opentelemetry import trace

from agent_telemetry import contract
from agent_telemetry.agents.runs import Run, current_run
from agent_telemetry.contract import Attr, SpanAttr
from agent_telemetry.core.telemetry import active_telemetry


def record_quality(
    score: float, *, evaluator: str, run: Run | None = None, explanation: str | None = None
) -> None:
    """Record a quality score in [0, 1] from ``evaluator`` (an LLM judge, user feedback, a test suite).

    It goes to ``agent_quality_score`` under the agent of ``run`` (default: the current run, else the
    current agent) and, as a ``gen_ai.evaluation.result`` event, onto the run's span (default: the
    current span). A score outside [0, 1] or not a number raises ``ValueError``: never a corrupt series.
    """
    if (
        isinstance(score, bool)
        or not isinstance(score, Real)
        or not math.isfinite(score)
        or not 0 <= score <= 1
    ):
        raise ValueError(f"record_quality: score must be a number from 0 to 1, got {score!r}")
    if not evaluator or not isinstance(evaluator, str):
        raise ValueError("record_quality: evaluator must name who scored, as a non-empty string")
    telemetry = active_telemetry()
    run = run or current_run()
    agent = run.name if run is not None else telemetry.agent_name()
    version = (run.version if run is not None else None) or telemetry.agent_version()
    attributes = telemetry.labels.bound(
        {Attr.AGENT_NAME: agent, Attr.AGENT_VERSION: version, Attr.EVALUATION_NAME: evaluator}
    )
    telemetry.instruments[contract.QUALITY].record(float(score), attributes)
    span = run.span if run is not None else trace.get_current_span()
    event = {Attr.EVALUATION_NAME: evaluator, SpanAttr.EVALUATION_SCORE: float(score)}
    if explanation:
        event[SpanAttr.EVALUATION_EXPLANATION] = explanation
    span.add_event(SpanAttr.EVALUATION_RESULT, event)
    if run is not None:
        run.emit("quality", {"evaluator": evaluator, "score": float(score)})
