"""``agent-telemetry demo``: see the product working in minutes, with no API key.

The demo starts a fake OpenAI + Anthropic provider and a small fleet of agents that use the real
``openai`` and ``anthropic`` SDK clients through agent-telemetry's instrumentation::

    agent-telemetry stack up          # collector, Prometheus, Alertmanager, Grafana (or your own)
    agent-telemetry demo              # normal traffic until Ctrl-C
    agent-telemetry demo --scenario rate-limit-storm --duration 15m
    agent-telemetry demo --schedule normal:5m,rate-limit-storm:10m,normal:5m
    agent-telemetry demo --metrics-exporter prometheus   # no collector: /metrics on :9464

The agents
----------
- ``support-agent``: OpenAI chat completions, streamed, with function tools (``lookup_order``,
  ``search_help_center``, ``issue_refund``); gpt-4o-mini-2024-07-18, 3% of tickets escalated to
  gpt-4o-2024-08-06.
- ``research-agent``: long multi-step runs on the OpenAI Responses API (gpt-4o-mini-2024-07-18, tools
  ``web_search`` and ``fetch_page``), then a report by claude-haiku-4-5 (Anthropic messages).
- ``computer-use-agent``: claude-haiku-4-5 with Anthropic's ``computer`` tool (beta); it executes each
  action inside ``computer_action`` and sends a PNG screenshot back in a ``tool_result``.

Every task is an ``agent_run`` (runs, steps, cost per run, budgets), tools are ``@tool``-decorated,
and a stand-in "LLM judge" scores each run with ``record_quality`` (evaluator ``llm-judge``; a seeded
Beta distribution around 0.8-0.86). All replies are scripted into the fake provider, token usage
included, so costs are those of the real models' prices (genai-prices).

Traffic and cost
----------------
``--rate`` (default 1.5) is LLM calls per second for the whole fleet: support 40%, research 33%,
computer use 27%. That is enough for every alert's minimum-traffic guard (20 calls in 5 min per
agent, 20 tool calls in 15 min, 20 scores an hour) and light on a 2-core machine. Normal traffic
costs about 0.7 (support) and 1.3 (research, computer use) USD per hour at the default rate, so a
demo left running for a day stays under 80% of the default 50 USD daily budget. ``--seed`` makes
every choice reproducible; ``--time-scale`` shortens the deliberate waits (for tests).

Scenarios and the alerts they trip
----------------------------------
``--scenario NAME`` runs one scenario throughout; ``--schedule NAME:DURATION,...`` runs them in turn
and **repeats the schedule** until ``--duration`` or Ctrl-C (give ``--duration`` the schedule's total
to run it once). Each fault hits one agent; the others stay healthy for comparison. Times are from
the start of the scenario with the default thresholds in ``prometheus/thresholds.yaml`` and the
stack's defaults (export every 5 s, scrape and rule evaluation every 15 s): the time for the
condition to hold (windows filling up) plus the alert's ``for``, plus up to a minute of pipeline
delay.

- ``normal`` (all agents): no faults; no alert fires.
- ``rate-limit-storm`` (support-agent): 40% of calls get HTTP 429 (retry-after 1 s; the agent
  retries, up to 3 attempts). AgentHighErrorRate (critical and warning) after ~6 min,
  AgentRateLimitStorm ~7 min, AgentAvailabilityErrorBudgetBurn (1h/5m window) ~14 min.
- ``retry-storm`` (support-agent): the same storm, hidden by retries: 40% of calls get HTTP 429
  twice (retry-after 1 s), and the agent's openai client, with the SDK's default ``max_retries=2``,
  retries them within the call, so every call succeeds, only later. No error is counted;
  ``agent_requests_retries_total{error_type="rate_limit"}`` is, and AgentRateLimitStorm (which counts
  rate-limited attempts, retried or not) fires after ~7 min.
- ``latency-spike`` (computer-use-agent): 25% of calls take 11 s (above the 10 s threshold and its
  bucket boundary). AgentHighLatencyP95 after ~12 min.
- ``cost-spike`` (research-agent): a runaway loop of 10-20 steps on gpt-4o-2024-08-06, the context
  growing 8k tokens a step, the report by claude-opus-4-1-20250805, no think time (twice the pace):
  about 10 USD a minute. The run budget (``max_cost_usd=3``) stops the longest loops (status
  ``budget_exceeded``). AgentDailyBudgetWarning after ~9 min, AgentDailyBudgetExceeded ~10 min;
  AgentCostSpike ~16 min, but only with over two hours of normal history (see below).
- ``tool-failures`` (support-agent): 45% of ``lookup_order`` executions raise
  ``OrderServiceTimeout`` (the model gets the error and answers anyway). AgentToolErrorRate after
  ~19 min.
- ``quality-drop`` (research-agent): judge scores fall by 0.35 (mean 0.82 -> 0.47).
  AgentQualityDrift after ~50 min, but only with over 65 min of normal history (see below).
- ``bad-deploy`` (research-agent): version ``v2`` rolls out (every other scenario runs ``v1``): 40%
  more tokens per call, so ~40% more cost per run, and 10% of its runs fail. No alert of its own:
  ``agent-telemetry compare --agent research-agent --versions v1,v2`` catches it, and exits 1 with
  ``--fail-on 'cost_per_run:+10%,success_rate:-2pp'``. Run normal traffic first for a v1 baseline:
  ``agent-telemetry demo --schedule normal:10m,bad-deploy:10m``.
- ``run-failures`` (support-agent): half the tickets end unresolved (the run's result fails the
  agent's own check: status ``failure``), with no failed call. AgentRunSuccessRateLow (below 90% of
  runs) after ~21 min.
- ``expensive-runs`` (research-agent): every run on gpt-4o-2024-08-06 and claude-opus-4-1-20250805
  with whole documents (60k tokens) in its context from the first step: about 1.5 USD a run, under
  its 3 USD budget. AgentRunCostHigh (over 1 USD a run on average) after ~35 min.
- ``slow-runs`` (research-agent): each run first waits 130 s on a slow backend. AgentRunDurationHigh
  (P95 run completion time over 120 s) after ~30 min; the research agent's calls almost stop, so
  AgentRequestRateDrop fires too once a week of history says this hour is usually busy.

The task-level alerts (AgentRunSuccessRateLow, AgentRunDurationHigh, AgentRunCostHigh) are per agent
and ``gen_ai_agent_version``: a new version that does worse fires on its own. The anomaly alerts
compare an agent with its own past: AgentRequestRateSpike / AgentRequestRateDrop with the same hour a
week ago, AgentLatencyAnomaly and AgentTokensPerCallAnomaly with a week's mean and standard deviation
(the cost-spike's growing context trips the latter, the latency spike the former, with enough history).

Baselines. AgentCostSpike compares the last hour's spend with the hourly rate over the previous week
*excluding the last hour*, counting only hours the agent spent through in full (its first hour, a
ramp-up from zero, would make a baseline far below its normal spend); AgentQualityDrift compares the
last hour's mean score with the week before it (and needs 100 scores there). On a fresh system there
is no baseline yet, so the cost spike shows up first as the daily-budget alerts (the runaway loop
spends 40 USD, 80% of the default budget, within about 4 minutes). To see AgentCostSpike or
AgentQualityDrift, run normal traffic first, over two hours and over an hour::

    agent-telemetry demo --schedule normal:130m,cost-spike:20m,normal:30m
    agent-telemetry demo --schedule normal:70m,quality-drop:60m,normal:30m

A long latency spike also trips the slower latency SLO burn-rate alerts (25% slow calls burn a 5%
budget at 5x: the 1d/2h window after about 3 h). Alerts resolve a few minutes after their scenario
ends (once the window no longer holds the fault); the daily-budget ones only after 24 hours.

With rules from the ``test`` profile (``AGENT_TELEMETRY_RULES_PROFILE=test scripts/run.sh``, or
``agent-telemetry rules generate --profile test --output-dir DIR`` then ``agent-telemetry stack up
--rules-dir DIR``: 1-2 min windows, ``for: 0s``), each alert typically fires a minute or so into its
scenario, the slow runs' after their 130 s stall (measured times: see the README; a busy machine is
slower), the cost spike and quality drift after 2.5 minutes of normal history; note that profile's
daily budget of 0.01 USD trips AgentDailyBudget* for every agent, even on normal traffic.

Providers
---------
By default each agent gets an in-process ``FakeProviderServer`` of its own: replies are scripted per
call (the reply queue is per server) and faults hit that agent only. ``--provider-url`` uses an
external ``agent-telemetry fake-provider`` instead: it cannot be scripted, so replies are its
defaults (no tool calls or computer actions, so fewer steps and no tool failures), and the
rate-limit storm and latency spike are set server-wide through its ``/_admin/behaviour`` endpoint,
hitting every agent (restored when the demo stops).

Telemetry
---------
The demo calls ``agent_telemetry.init(service_name="agent-telemetry-demo")``: OTLP to
``OTEL_EXPORTER_OTLP_ENDPOINT`` (default http://127.0.0.1:4318), or ``--metrics-exporter
prometheus`` (``/metrics`` on AGENT_TELEMETRY_PROMETHEUS_PORT, default 9464) or ``none``. Unless
set, ``OTEL_METRIC_EXPORT_INTERVAL`` defaults to 5000 ms (the SDK's 60 s is too slow to watch) and
``OTEL_EXPORTER_OTLP_TIMEOUT`` to 3 s (so that stopping without a collector does not wait 10 s per
signal).

Progress is a table redrawn every ``--progress-interval`` seconds on a terminal, one status line
otherwise; Ctrl-C or SIGTERM stops cleanly (in-flight calls get 1 s, then the fake servers cut them
off), prints a summary, flushes telemetry and exits 0. A second Ctrl-C exits at once (status 130).
"""

from agent_telemetry.tooling.demo.fleet import DEFAULT_RATE, Fleet, FleetConfig, Status, drive
from agent_telemetry.tooling.demo.scenarios import (
    Effects,
    Scenario,
    Schedule,
    effects,
    parse_schedule,
    target,
)

__all__ = [
    "DEFAULT_RATE",
    "Effects",
    "Fleet",
    "FleetConfig",
    "Scenario",
    "Schedule",
    "Status",
    "drive",
    "effects",
    "parse_schedule",
    "target",
]
