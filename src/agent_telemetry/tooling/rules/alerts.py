"""Alerting rules. Each reads recorded series (see ``names``) and carries severity, summary, description,
value and runbook_url. Ratio alerts always also require a minimum amount of traffic in their window."""

from __future__ import annotations

from collections.abc import Callable

from agent_telemetry.tooling.promql import num
from agent_telemetry.tooling.rules import names
from agent_telemetry.tooling.rules.config import BurnRateWindow, Thresholds
from agent_telemetry.tooling.rules.durations import seconds
from agent_telemetry.tooling.rules.groups import AlertRule, RuleGroup

A = names.AGENT
AGENT_LABEL = "{{ $labels." + A + " }}"
PERCENT = "{{ $value | humanizePercentage }}"


def _runbook(t: Thresholds, alert: str) -> str:
    return f"{t.runbook_base_url}/{alert}.md"


def _alert(
    t: Thresholds,
    alert: str,
    expr: str,
    for_: str,
    severity: str,
    summary: str,
    description: str,
    value: str,
    **labels: str,
) -> AlertRule:
    return AlertRule(alert, expr, for_, severity, summary, description, value, _runbook(t, alert), labels)


def _at_least(rate: str, window: str, minimum: int, on: str = A) -> str:
    """Guard: at least ``minimum`` events in ``window`` (rate x window seconds)."""
    return f"and on ({on})\n{rate} * {seconds(window)} >= {minimum}\n"


def error_rate_alerts(t: Thresholds) -> list[AlertRule]:
    c = t.error_rate
    levels = [("critical", c.critical)] + ([("warning", c.warning)] if c.warning is not None else [])
    return [
        _alert(
            t,
            "AgentHighErrorRate",
            f"{names.errors_ratio(c.window)} > {num(threshold)}\n"
            + _at_least(names.requests_rate(c.window), c.window, c.min_requests),
            c.for_,
            severity,
            f"Agent {AGENT_LABEL}: {PERCENT} of provider calls fail.",
            f"{PERCENT} of the provider calls made by agent {AGENT_LABEL} failed over the last {c.window} "
            f"(threshold {num(threshold * 100)}%, ignoring {', '.join(t.ignored_error_types) or 'nothing'}).",
            PERCENT,
        )
        for severity, threshold in levels
    ]


def latency_alerts(t: Thresholds) -> list[AlertRule]:
    c = t.latency
    p = f"P{num(c.quantile * 100)}"
    return [
        _alert(
            t,
            "AgentHighLatencyP95",
            f"{names.duration_quantile(c.quantile, c.window)} > {num(c.warning_seconds)}\n"
            + _at_least(names.duration_count_rate(c.window), c.window, c.min_requests),
            c.for_,
            "warning",
            f"Agent {AGENT_LABEL}: {p} provider call latency is {{{{ $value | humanizeDuration }}}}.",
            f"The {p} latency of provider calls made by agent {AGENT_LABEL} over the last {c.window} is "
            f"{{{{ $value | humanizeDuration }}}}, above {num(c.warning_seconds)} s.",
            "{{ $value | humanizeDuration }}",
        )
    ]


def budget_alerts(t: Thresholds) -> list[AlertRule]:
    c = t.daily_budget
    share = f"{names.cost_increase_1d()}\n/ on ({A})\n{names.daily_budget()}\n"
    return [
        _alert(
            t,
            alert,
            f"{share}>= {num(ratio)}\n",
            c.for_,
            severity,
            f"Agent {AGENT_LABEL} has spent {PERCENT} of its daily budget.",
            f"Agent {AGENT_LABEL} spent {PERCENT} of its daily cost budget over the last 24 hours "
            f"({verb} at {num(ratio * 100)}%).",
            PERCENT,
        )
        for alert, severity, ratio, verb in (
            ("AgentDailyBudgetWarning", "warning", c.warning_ratio, "warns"),
            ("AgentDailyBudgetExceeded", "critical", c.critical_ratio, "exceeded"),
        )
    ]


def cost_spike_alerts(t: Thresholds) -> list[AlertRule]:
    c = t.cost_spike
    spend = names.cost_rate(c.window)
    avg = names.cost_rate_baseline_avg(c.window, c.baseline)
    stddev = names.cost_rate_baseline_stddev(c.window, c.baseline)
    expr = (
        f"{spend} * 3600\n"
        f"> on ({A})\n3600 * ({avg} + {num(c.z_score)} * {stddev})\n"
        f"and on ({A})\n{spend} > on ({A}) {num(c.min_ratio)} * {avg}\n"
        f"and on ({A})\n{spend} * 3600 >= {num(c.min_usd_per_hour)}\n"
    )
    usd = '{{ $value | printf "%.2f" }} USD/h'
    return [
        _alert(
            t,
            "AgentCostSpike",
            expr,
            c.for_,
            "warning",
            f"Agent {AGENT_LABEL} is spending {usd}, far above its usual rate.",
            f"Agent {AGENT_LABEL} spent at {usd} over the last {c.window}: more than {num(c.z_score)} "
            f"standard deviations and {num(c.min_ratio)}x above its mean over the previous {c.baseline}.",
            usd,
        )
    ]


def rate_limit_alerts(t: Thresholds) -> list[AlertRule]:
    c = t.rate_limit_storm
    return [
        _alert(
            t,
            "AgentRateLimitStorm",
            f"{names.rate_limited_ratio(c.window)} > {num(c.ratio)}\n"
            + _at_least(names.rate_limited_rate(c.window), c.window, c.min_errors),
            c.for_,
            "warning",
            f"Agent {AGENT_LABEL} is being rate limited on {PERCENT} of its call attempts.",
            f"{PERCENT} of the provider call attempts made by agent {AGENT_LABEL} over the last {c.window} "
            f"were rejected with error_type=rate_limit, retried by the SDK or not "
            f"(threshold {num(c.ratio * 100)}%).",
            PERCENT,
        )
    ]


def tool_alerts(t: Thresholds) -> list[AlertRule]:
    c = t.tool_errors
    tool = "{{ $labels." + names.TOOL + " }}"
    return [
        _alert(
            t,
            "AgentToolErrorRate",
            f"{names.tool_errors_ratio(c.window)} > {num(c.ratio)}\n"
            + _at_least(names.tool_calls_rate(c.window), c.window, c.min_calls, on=f"{A}, {names.TOOL}"),
            c.for_,
            "warning",
            f"Agent {AGENT_LABEL}: tool {tool} fails {PERCENT} of the time.",
            f"{PERCENT} of the executions of tool {tool} by agent {AGENT_LABEL} failed over the last "
            f"{c.window} (threshold {num(c.ratio * 100)}%).",
            PERCENT,
        )
    ]


def quality_alerts(t: Thresholds) -> list[AlertRule]:
    c = t.quality_drift
    on = f"{A}, {names.EVALUATOR}"
    evaluator = "{{ $labels." + names.EVALUATOR + " }}"
    expr = (
        f"{names.quality_baseline_mean(c.baseline)}\n- on ({on})\n{names.quality_mean(c.window)}\n"
        f"> {num(c.max_drop)}\n"
        + _at_least(names.quality_count_rate(c.window), c.window, c.min_scores, on=on)
        + f"and on ({on})\n{names.quality_baseline_count(c.baseline)} >= {c.min_baseline_scores}\n"
    )
    drop = '{{ $value | printf "%.2f" }}'
    return [
        _alert(
            t,
            "AgentQualityDrift",
            expr,
            c.for_,
            "warning",
            f"Agent {AGENT_LABEL}: {evaluator} quality score dropped by {drop}.",
            f"The mean {evaluator} quality score of agent {AGENT_LABEL} over the last {c.window} is {drop} "
            f"below its mean over the previous {c.baseline} (threshold {num(c.max_drop)}).",
            drop,
        )
    ]


AGENT_VERSION_LABEL = AGENT_LABEL + "{{ with $labels." + names.VERSION + " }} version {{ . }}{{ end }}"


def run_alerts(t: Thresholds) -> list[AlertRule]:
    """The playbook's task-level thresholds, per agent and version."""
    on = f"{A}, {names.VERSION}"
    s, d, c = t.run_success, t.run_duration, t.run_cost
    p = f"P{num(d.quantile * 100)}"
    duration = "{{ $value | humanizeDuration }}"
    usd = '{{ $value | printf "%.2f" }} USD'
    return [
        _alert(
            t,
            "AgentRunSuccessRateLow",
            f"{names.runs_success_ratio(s.window)} < {num(s.ratio)}\n"
            + _at_least(names.runs_finished_rate(s.window), s.window, s.min_runs, on=on),
            s.for_,
            "warning",
            f"Agent {AGENT_VERSION_LABEL}: only {PERCENT} of runs succeed.",
            f"Only {PERCENT} of the runs of agent {AGENT_VERSION_LABEL} that finished over the last "
            f"{s.window} succeeded (threshold {num(s.ratio * 100)}%; cancelled runs are not counted).",
            PERCENT,
        ),
        _alert(
            t,
            "AgentRunDurationHigh",
            f"{names.run_duration_quantile(d.quantile, d.window)} > {num(d.threshold_seconds)}\n"
            + _at_least(names.run_duration_count_rate(d.window), d.window, d.min_runs, on=on),
            d.for_,
            "warning",
            f"Agent {AGENT_VERSION_LABEL}: {p} run completion time is {duration}.",
            f"The {p} completion time of the runs of agent {AGENT_VERSION_LABEL} over the last {d.window} "
            f"is {duration}, above {num(d.threshold_seconds)} s.",
            duration,
        ),
        _alert(
            t,
            "AgentRunCostHigh",
            f"{names.run_cost_mean(c.window)} > {num(c.usd)}\n"
            + _at_least(names.run_cost_count_rate(c.window), c.window, c.min_runs, on=on),
            c.for_,
            "warning",
            f"Agent {AGENT_VERSION_LABEL}: a run costs {usd} on average.",
            f"The runs of agent {AGENT_VERSION_LABEL} over the last {c.window} cost {usd} each on average, "
            f"above {num(c.usd)} USD.",
            usd,
        ),
    ]


def _above_baseline(current: str, baseline: str, z_score: float, min_ratio: float) -> str:
    """``current`` more than ``z_score`` standard deviations and ``min_ratio`` times above its mean
    over ``baseline`` (both recorded by the anomaly recording rules)."""
    avg, stddev = names.baseline_avg(current, baseline), names.baseline_stddev(current, baseline)
    return (
        f"{current}\n> on ({A})\n{avg} + {num(z_score)} * {stddev}\n"
        f"and on ({A})\n{current} > on ({A}) {num(min_ratio)} * {avg}\n"
    )


def anomaly_alerts(t: Thresholds) -> list[AlertRule]:
    r, lat, tok = t.request_rate_anomaly, t.latency_anomaly, t.tokens_anomaly
    now, then = names.requests_rate(r.window), names.requests_rate_offset(r.window, r.offset)
    change = f"{now}\n/ on ({A})\n{then}\n"
    times = '{{ $value | printf "%.2f" }}x'
    p95 = names.duration_quantile(lat.quantile, lat.window)
    p = f"P{num(lat.quantile * 100)}"
    duration = "{{ $value | humanizeDuration }}"
    per_request = names.tokens_per_request(tok.window)
    tokens = '{{ $value | printf "%.0f" }} tokens'
    return [
        _alert(
            t,
            "AgentRequestRateSpike",
            f"{change}> {num(r.spike_ratio)}\n" + _at_least(now, r.window, r.min_requests),
            r.for_,
            "warning",
            f"Agent {AGENT_LABEL} makes {times} as many provider calls as {r.offset} ago.",
            f"Agent {AGENT_LABEL} made {times} as many provider calls over the last {r.window} as over the "
            f"same {r.window} {r.offset} ago (threshold {num(r.spike_ratio)}x): a loop, a retry storm, or "
            "traffic nobody planned for.",
            times,
        ),
        _alert(
            t,
            "AgentRequestRateDrop",
            f"{change}< {num(r.drop_ratio)}\n" + _at_least(then, r.window, r.min_requests),
            r.for_,
            "warning",
            f"Agent {AGENT_LABEL} makes only {times} of its provider calls of {r.offset} ago.",
            f"Agent {AGENT_LABEL} made {times} the provider calls over the last {r.window} that it made over "
            f"the same {r.window} {r.offset} ago (threshold {num(r.drop_ratio)}x): its users or its "
            "upstream stopped sending work, or it is stuck.",
            times,
        ),
        _alert(
            t,
            "AgentLatencyAnomaly",
            _above_baseline(p95, lat.baseline, lat.z_score, lat.min_ratio)
            + f"and on ({A})\n{p95} >= {num(lat.min_seconds)}\n"
            + _at_least(names.duration_count_rate(lat.window), lat.window, lat.min_requests),
            lat.for_,
            "warning",
            f"Agent {AGENT_LABEL}: {p} provider call latency is {duration}, far above its usual.",
            f"The {p} latency of the provider calls of agent {AGENT_LABEL} over the last {lat.window} is "
            f"{duration}: more than {num(lat.z_score)} standard deviations and {num(lat.min_ratio)}x above "
            f"its mean over the previous {lat.baseline}.",
            duration,
        ),
        _alert(
            t,
            "AgentTokensPerCallAnomaly",
            _above_baseline(per_request, tok.baseline, tok.z_score, tok.min_ratio)
            + _at_least(names.requests_rate(tok.window), tok.window, tok.min_requests),
            tok.for_,
            "warning",
            f"Agent {AGENT_LABEL} uses {tokens} per provider call, far above its usual.",
            f"The provider calls of agent {AGENT_LABEL} used {tokens} each on average over the last "
            f"{tok.window} (every token type): more than {num(tok.z_score)} standard deviations and "
            f"{num(tok.min_ratio)}x above the mean over the previous {tok.baseline}.",
            tokens,
        ),
    ]


def _burn_alert(
    t: Thresholds,
    alert: str,
    slo: str,
    target: float,
    ratio: Callable[[str], str],
    guard: Callable[[str], str],
    b: BurnRateWindow,
) -> AlertRule:
    budget = 1 - target
    threshold = num(b.factor * budget)
    expr = f"{ratio(b.long)} > {threshold}\nand on ({A})\n{ratio(b.short)} > {threshold}\n" + _at_least(
        guard(b.long), b.long, t.slo.min_requests
    )
    return _alert(
        t,
        alert,
        expr,
        b.for_,
        b.severity,
        f"Agent {AGENT_LABEL} is burning its {slo} error budget {num(b.factor)}x too fast.",
        f"{PERCENT} of the calls of agent {AGENT_LABEL} missed the {slo} SLO over the last {b.long} (and "
        f"{b.short}); the {num(target * 100)}% objective allows {num(budget * 100)}%, so the budget burns "
        f"at over {num(b.factor)}x the sustainable rate.",
        PERCENT,
        long_window=b.long,
        short_window=b.short,
    )


def slo_alerts(t: Thresholds) -> list[AlertRule]:
    return [
        _burn_alert(
            t,
            "AgentAvailabilityErrorBudgetBurn",
            "availability",
            t.slo.availability.target,
            names.errors_ratio,
            names.requests_rate,
            b,
        )
        for b in t.slo.burn_rates
    ] + [
        _burn_alert(
            t,
            "AgentLatencyErrorBudgetBurn",
            "latency",
            t.slo.latency.target,
            names.duration_slow_ratio,
            names.duration_count_rate,
            b,
        )
        for b in t.slo.burn_rates
    ]


def pipeline_alerts(t: Thresholds) -> list[AlertRule]:
    c, job = t.collector, t.collector.job
    series = names.reporting_series()
    return [
        _alert(
            t,
            "AgentTelemetryAbsent",
            f"max_over_time({series}[{t.telemetry_absent.lookback}])\nunless on ({A})\n{series}\n",
            t.telemetry_absent.for_,
            "warning",
            f"Agent {AGENT_LABEL} stopped reporting telemetry.",
            f"Agent {AGENT_LABEL} reported metrics within the last {t.telemetry_absent.lookback} but has "
            "sent none for several minutes: the process stopped, or its exports no longer arrive.",
            "absent",
        ),
        _alert(
            t,
            "TelemetryLabelsFolded",
            names.labels_folded(t.labels_folded.window),
            t.labels_folded.for_,
            "warning",
            "Service {{ $labels.job }}: values of label {{ $labels.label }} are being folded into _other.",
            "agent-telemetry in service {{ $labels.job }} recorded {{ $value | humanize }} values of label "
            f"{{{{ $labels.label }}}} as _other over the last {t.labels_folded.window}: the label passed its "
            "cap of distinct values (or a metric its cap of label combinations, label=_series), so new "
            "agents, tools or models are no longer told apart. Raise the cap or allow-list the agents.",
            "{{ $value | humanize }} folds",
        ),
        _alert(
            t,
            "CollectorDown",
            f'up{{job="{job}"}} == 0\nor\nabsent(up{{job="{job}"}})\n',
            c.down_for,
            "critical",
            "The OpenTelemetry Collector is down.",
            f'Prometheus cannot scrape the collector (job="{job}"): agent telemetry is not arriving and '
            "no agent alert can fire.",
            "down",
        ),
        _alert(
            t,
            "CollectorDroppingData",
            f"{names.collector_lost_points(c.dropping_window)} > 0\n",
            c.dropping_for,
            "warning",
            "The OpenTelemetry Collector is losing metric points ({{ $labels.reason }}).",
            "The collector {{ $labels.instance }} loses {{ $value | humanize }} metric points per second at "
            "{{ $labels.reason }}: alerts and dashboards are working from incomplete data.",
            "{{ $value | humanize }} points/s",
        ),
    ]


def meta_alerts(t: Thresholds) -> list[AlertRule]:
    return [
        _alert(
            t,
            "Watchdog",
            "vector(1)\n",
            "0s",
            "none",
            "Alerting pipeline heartbeat: always firing.",
            "This alert always fires so that the heartbeat receiver can detect a broken Prometheus to "
            "Alertmanager to receiver path by its absence.",
            "heartbeat",
        )
    ]


def alert_groups(t: Thresholds) -> tuple[RuleGroup, ...]:
    return (
        RuleGroup(
            "agent-telemetry.calls.alerts", (*error_rate_alerts(t), *latency_alerts(t), *rate_limit_alerts(t))
        ),
        RuleGroup("agent-telemetry.cost.alerts", (*budget_alerts(t), *cost_spike_alerts(t))),
        RuleGroup("agent-telemetry.agents.alerts", (*tool_alerts(t), *quality_alerts(t))),
        RuleGroup("agent-telemetry.runs.alerts", tuple(run_alerts(t))),
        RuleGroup("agent-telemetry.anomaly.alerts", tuple(anomaly_alerts(t))),
        RuleGroup("agent-telemetry.slo.alerts", tuple(slo_alerts(t))),
        RuleGroup("agent-telemetry.pipeline.alerts", tuple(pipeline_alerts(t))),
        RuleGroup("agent-telemetry.meta.alerts", tuple(meta_alerts(t))),
    )
