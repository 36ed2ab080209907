"""Runs: one task of an agent, from start to outcome, with its steps, tokens, cost and budget.

``with agent_run("support-bot"):`` (or ``@agent_run("support-bot")`` on a sync or async function)
opens an ``invoke_agent support-bot`` span that parents every LLM and tool span inside it, labels every
metric recorded inside it with ``gen_ai.agent.name = "support-bot"`` (also in threads started with a
copied context and in asyncio tasks, which inherit it) and records the run's metrics when it ends.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from agent_telemetry import contract
from agent_telemetry.config import Settings
from agent_telemetry.context import _agent_name, _agent_version
from agent_telemetry.contract import Attr, Event, EventAttr, SpanAttr
from agent_telemetry.core.events import INFO, WARN
from agent_telemetry.core.telemetry import Telemetry, active_telemetry
from agent_telemetry.redaction import error_text
from agent_telemetry.usage import Usage

F = TypeVar("F", bound=Callable[..., Any])
AttributeValue = str | bool | int | float

_current_run: ContextVar[Run | None] = ContextVar("agent_telemetry_run", default=None)

# Sees each run as it starts, before its first event: e.g. session recording adds its listener there.
RunObserver = Callable[["Run"], None]
_run_observers: tuple[RunObserver, ...] = ()  # replaced, never mutated: starting runs read it unlocked
_run_observers_lock = threading.Lock()


def add_run_observer(observer: RunObserver) -> None:
    """Call ``observer(run)`` as each run starts; adding the same observer again changes nothing.

    A failing observer is our failure (counted, logged once), never the application's: the run goes on.
    """
    global _run_observers
    with _run_observers_lock:
        if observer not in _run_observers:
            _run_observers = (*_run_observers, observer)


def remove_run_observer(observer: RunObserver) -> None:
    """Stop calling ``observer`` for runs that start from now on."""
    global _run_observers
    with _run_observers_lock:
        _run_observers = tuple(o for o in _run_observers if o != observer)


class BudgetExceededError(RuntimeError):
    """Raised by agent-telemetry before an LLM call of a run that is over its budget.

    The call is not sent. ``limit`` is ``"cost"`` or ``"steps"``; ``spent`` and ``budget`` are in USD
    or steps. A run that ends with this exception has status ``budget_exceeded``.
    """

    def __init__(self, run_name: str, limit: str, spent: float, budget: float) -> None:
        unit = " USD" if limit == "cost" else " steps"
        super().__init__(
            f"agent run {run_name!r} is over its {limit} budget: {spent:g}{unit} spent of {budget:g}{unit}; "
            "the next LLM call was not sent"
        )
        self.run_name = run_name
        self.limit = limit
        self.spent = spent
        self.budget = budget


def current_run() -> Run | None:
    """The innermost run in this context, or None."""
    return _current_run.get()


class Run:
    """The state of one run; use it through ``agent_run``. Thread-safe: tools may run in threads."""

    def __init__(
        self,
        name: str,
        *,
        max_cost_usd: float | None = None,
        max_steps: int | None = None,
        run_id: str | None = None,
        version: str | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> None:
        _validate(name, max_cost_usd, max_steps, version, attributes)
        self.name = name
        self.run_id = run_id or uuid.uuid4().hex
        # The run's version: its own, else the enclosing run's, else the process's (set at start).
        self.version: str | None = version
        self.attributes: dict[str, AttributeValue] = dict(attributes or {})
        feature = self.attributes.get(contract.FEATURE_KEY)
        self.feature = str(feature) if feature is not None else contract.NO_FEATURE
        self.max_cost_usd = max_cost_usd
        self.max_steps = max_steps
        self.steps = 0
        self.cost_usd = 0.0
        self.tokens = 0
        self.status: str | None = None  # set by the application to override the outcome we infer
        self._lock = threading.Lock()
        self._telemetry: Telemetry | None = None
        self._span: trace.Span = trace.INVALID_SPAN
        self._start = 0.0
        self._tokens: list[Token[Any]] = []
        self._context_token: object | None = None
        self._listeners: list[Callable[[str, dict[str, Any]], None]] = []
        # The providers of the run's calls: the invoke_agent span names the provider when there is one
        # (semantic conventions: required; a run that used several names none).
        self._providers: set[str] = set()
        # Likewise the model its calls asked for (conditionally required): None until one, "" past one.
        self._request_model: str | None = None

    # -- what the calls inside the run report ----------------------------------------------------
    def check_budget(self) -> None:
        """Raise ``BudgetExceededError`` if the next call would start over budget."""
        limit: str | None = None
        if self.max_cost_usd is not None and self.cost_usd >= self.max_cost_usd:
            limit, spent, budget = "cost", self.cost_usd, self.max_cost_usd
        elif self.max_steps is not None and self.steps >= self.max_steps:
            limit, spent, budget = "steps", float(self.steps), float(self.max_steps)
        if limit is None:
            return
        telemetry = self._telemetry or active_telemetry()
        telemetry.instruments[contract.BUDGET_STOPS].add(
            1, telemetry.labels.bound({Attr.AGENT_NAME: self.name, Attr.LIMIT: limit})
        )
        telemetry.emit_event(
            Event.BUDGET_STOP,
            {
                Attr.AGENT_NAME: self.name,
                EventAttr.RUN_ID: self.run_id,
                EventAttr.BUDGET_LIMIT: limit,
                EventAttr.BUDGET_SPENT: spent,
                EventAttr.BUDGET_MAX: budget,
            },
            span=self._span,
            severity=WARN,
        )
        raise BudgetExceededError(self.name, limit, spent, budget)

    def add_call(
        self,
        *,
        is_step: bool,
        usage: Usage | None,
        cost_usd: float | None,
        details: dict[str, Any] | None = None,
        request_model: str = "",
    ) -> None:
        """An LLM call made inside the run has ended (called by the SDK instrumentation)."""
        with self._lock:
            if request_model and self._request_model != request_model:
                self._request_model = request_model if self._request_model is None else ""
            if is_step:
                self.steps += 1
            if usage is not None:
                self.tokens += usage.total_tokens
            if cost_usd is not None:
                self.cost_usd += cost_usd
            if details and details.get("provider"):
                self._providers.add(details["provider"])
        if self._listeners:
            self.emit(
                "llm_call",
                {
                    **(details or {}),
                    "step": is_step,
                    "tokens": usage.by_token_type() if usage is not None else None,
                    "cost_usd": cost_usd,
                },
            )

    def add_listener(self, listener: Callable[[str, dict[str, Any]], None]) -> None:
        """``listener(kind, fields)`` for each event of the run (a session recorder, say)."""
        self._listeners.append(listener)

    @property
    def has_listeners(self) -> bool:
        """Someone (a session recorder) takes this run's events: worth gathering their content."""
        return bool(self._listeners)

    def emit(self, kind: str, fields: dict[str, Any]) -> None:
        """Hand an event of the run to its listeners; a failing listener is ours, never the app's."""
        for listener in self._listeners:
            try:
                listener(kind, fields)
            except Exception as exc:
                (self._telemetry or active_telemetry()).internal_error("run.listener", exc)

    @property
    def span(self) -> trace.Span:
        return self._span

    @property
    def settings(self) -> Settings:
        """The settings of the telemetry this run records into (read once, when it was made)."""
        return (self._telemetry or active_telemetry()).settings

    # -- start and end ---------------------------------------------------------------------------
    def _start_run(self) -> None:
        telemetry = self._telemetry = active_telemetry()
        self.version = self.version or telemetry.agent_version()
        self._span = telemetry.tracer.start_span(
            f"invoke_agent {self.name}",
            kind=SpanKind.INTERNAL,
            attributes={
                Attr.OPERATION_NAME: "invoke_agent",
                Attr.AGENT_NAME: self.name,
                SpanAttr.AGENT_ID: self.run_id,
                # Every custom attribute, "feature" too, as agent.<key>: only "feature" is a label.
                **{f"agent.{key}": value for key, value in self.attributes.items()},
            },
        )
        if self.version != contract.UNKNOWN_VERSION:  # a placeholder is a label value, not a fact
            self._span.set_attribute(Attr.AGENT_VERSION, self.version)
        self._context_token = otel_context.attach(trace.set_span_in_context(self._span))
        self._tokens = [_current_run.set(self), _agent_name.set(self.name), _agent_version.set(self.version)]
        for observer in _run_observers:
            try:
                observer(self)
            except Exception as exc:
                telemetry.internal_error("run.observer", exc)
        self._start = time.perf_counter()
        known_version = self.version if self.version != contract.UNKNOWN_VERSION else None
        if telemetry.events.enabled:
            started: dict[str, Any] = {Attr.AGENT_NAME: self.name, EventAttr.RUN_ID: self.run_id}
            if known_version is not None:
                started[Attr.AGENT_VERSION] = known_version
            if self.max_cost_usd is not None:
                started[EventAttr.MAX_COST_USD] = float(self.max_cost_usd)
            if self.max_steps is not None:
                started[EventAttr.MAX_STEPS] = self.max_steps
            telemetry.emit_event(Event.RUN_START, started, span=self._span)
        header = {
            "agent": self.name,
            "version": known_version,
            "run_id": self.run_id,
            "budget": self._budget(),
        }
        if self.attributes:
            header["attributes"] = self.attributes
        self.emit("run_start", header)

    def _budget(self) -> dict[str, float] | None:
        budget = {"max_cost_usd": self.max_cost_usd, "max_steps": self.max_steps}
        return {key: value for key, value in budget.items() if value is not None} or None

    def _end_run(self, error: BaseException | None) -> None:
        elapsed = time.perf_counter() - self._start
        _agent_version.reset(self._tokens[2])
        _agent_name.reset(self._tokens[1])
        _current_run.reset(self._tokens[0])
        if self._context_token is not None:
            otel_context.detach(self._context_token)
        status = self.status or _status_of(error)
        telemetry = self._telemetry or active_telemetry()
        try:
            attributes = telemetry.labels.bound(
                {
                    Attr.AGENT_NAME: self.name,
                    Attr.AGENT_VERSION: self.version or telemetry.default_agent_version,
                    Attr.FEATURE: self.feature,
                    Attr.STATUS: status,
                }
            )
            made = telemetry.instruments
            made[contract.RUNS].add(1, attributes)
            made[contract.RUN_DURATION].record(elapsed, attributes)
            made[contract.RUN_STEPS].record(self.steps, attributes)
            made[contract.RUN_COST].record(self.cost_usd, attributes)
            made[contract.RUN_TOKENS].record(self.tokens, attributes)
            span = self._span
            span.set_attribute(SpanAttr.RUN_STATUS, status)
            span.set_attribute(SpanAttr.RUN_STEPS, self.steps)
            span.set_attribute(SpanAttr.COST_USD, self.cost_usd)
            if len(self._providers) == 1:
                span.set_attribute(Attr.PROVIDER_NAME, next(iter(self._providers)))
            if self._request_model:
                span.set_attribute(Attr.REQUEST_MODEL, self._request_model)
            if error is not None:
                span.set_attribute(Attr.ERROR_TYPE, type(error).__name__)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.end()
            if telemetry.events.enabled:
                ended: dict[str, Any] = {
                    Attr.AGENT_NAME: self.name,
                    EventAttr.RUN_ID: self.run_id,
                    SpanAttr.RUN_STATUS: status,
                    EventAttr.DURATION: elapsed,
                    SpanAttr.RUN_STEPS: self.steps,
                    EventAttr.RUN_TOKENS: self.tokens,
                    SpanAttr.COST_USD: self.cost_usd,
                }
                if error is not None:
                    ended[Attr.ERROR_TYPE] = type(error).__name__
                severity = INFO if status == "success" else WARN
                telemetry.emit_event(Event.RUN_END, ended, span=span, severity=severity)
            self.emit(
                "run_end",
                {
                    "status": status,
                    "duration_s": elapsed,
                    "steps": self.steps,
                    "tokens": self.tokens,
                    "cost_usd": self.cost_usd,
                    "error": (
                        error_text(error, capture_content=telemetry.settings.capture_content)
                        if error is not None
                        else None
                    ),
                },
            )
        except Exception as exc:
            telemetry.internal_error("run.end", exc)


def _validate(
    name: object, max_cost_usd: object, max_steps: object, version: object = None, attributes: object = None
) -> None:
    if not name or not isinstance(name, str):
        raise ValueError("agent_run needs the agent's name, a non-empty string")
    if version is not None and (not version or not isinstance(version, str)):
        raise ValueError(f"agent_run version={version!r}: a version must be a non-empty string, or None")
    if attributes is not None:
        if not isinstance(attributes, Mapping):
            raise ValueError(f"agent_run attributes={attributes!r}: pass a dict of names to values")
        for key, value in attributes.items():
            if not key or not isinstance(key, str) or not isinstance(value, (str, bool, int, float)):
                raise ValueError(
                    f"agent_run attributes: {key!r}={value!r}: names must be non-empty strings and "
                    "values strings, numbers or booleans"
                )
    for label, limit in (("max_cost_usd", max_cost_usd), ("max_steps", max_steps)):
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit <= 0
        ):
            raise ValueError(f"agent_run {label}={limit!r}: a budget must be a positive number")


def _status_of(error: BaseException | None) -> str:
    if error is None:
        return "success"
    if isinstance(error, BudgetExceededError):
        return "budget_exceeded"
    if isinstance(error, (asyncio.CancelledError, KeyboardInterrupt)):
        return "cancelled"
    if isinstance(error, TimeoutError) or type(error).__name__ in ("APITimeoutError", "TimeoutException"):
        return "timeout"
    return "failure"


class agent_run:  # used like a function: ``with agent_run(...)``, ``@agent_run(...)``
    """A run of an agent: a context manager (sync or async) and a decorator (sync or async functions).

    ``max_cost_usd`` / ``max_steps`` set a budget: once the run has spent it, the next LLM call raises
    ``BudgetExceededError`` instead of being sent. Set ``run.status`` inside the block to record an
    outcome of your own (for example ``"failure"`` when the task did not succeed without raising).
    ``version`` names the agent's version (its prompts, models, code) for comparisons: the
    ``gen_ai_agent_version`` label of the run's metrics and of the tools and quality scores inside it
    (default: the enclosing run's, else ``AGENT_TELEMETRY_AGENT_VERSION``, else the resource's
    ``service.version``). ``attributes`` go onto the run's span as ``agent.<key>``; ``"feature"`` also
    becomes the ``agent_feature`` label of the run's metrics (bounded: a product area, never an id).
    """

    def __init__(
        self,
        name: str,
        *,
        max_cost_usd: float | None = None,
        max_steps: int | None = None,
        run_id: str | None = None,
        version: str | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> None:
        self._options: dict[str, Any] = {
            "max_cost_usd": max_cost_usd,
            "max_steps": max_steps,
            "run_id": run_id,
            "version": version,
            "attributes": attributes,
        }
        self._name = name
        _validate(name, max_cost_usd, max_steps, version, attributes)  # now, where the mistake is made
        self._runs: list[Run] = []

    def __enter__(self) -> Run:
        run = Run(self._name, **self._options)
        run._start_run()
        self._runs.append(run)
        return run

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._runs.pop()._end_run(exc)

    async def __aenter__(self) -> Run:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __call__(self, function: F) -> F:
        name, options = self._name, self._options
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                async with agent_run(name, **options):
                    return await function(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(function)
        def run_sync(*args: Any, **kwargs: Any) -> Any:
            with agent_run(name, **options):
                return function(*args, **kwargs)

        return run_sync  # type: ignore[return-value]
