"""agent-telemetry: production monitoring for LLM agents.

Turn it on with ``AGENT_TELEMETRY_ENABLED=true`` (no code change), with ``opentelemetry-instrument``,
or in code::

    import agent_telemetry

    agent_telemetry.init(service_name="support-bot")
    ...
    agent_telemetry.shutdown()  # flushes

``agent_telemetry.exclude(client)`` leaves one SDK client's calls uninstrumented.
"""

from agent_telemetry._setup import init, shutdown
from agent_telemetry.agents.computer_use import computer_action, record_action
from agent_telemetry.agents.quality import record_quality
from agent_telemetry.agents.runs import BudgetExceededError, Run, agent_run, current_run
from agent_telemetry.agents.runs import add_run_observer as _add_run_observer
from agent_telemetry.agents.tools import tool, tool_call
from agent_telemetry.config import ConfigError, Settings
from agent_telemetry.context import agent_name
from agent_telemetry.instrumentation._exclusion import exclude
from agent_telemetry.instrumentation.anthropic import AnthropicInstrumentor
from agent_telemetry.instrumentation.openai import OpenAIInstrumentor
from agent_telemetry.redaction import set_redactor
from agent_telemetry.sessions.writer import attach_recorder as _attach_recorder
from agent_telemetry.usage import Usage
from agent_telemetry.version import __version__

# Session recording (AGENT_TELEMETRY_RECORD_DIR) attaches to each run through the run-start hook;
# agents/ never imports sessions/. It is registered here, in the package root, because every way of
# starting a run runs this module first: init(), an instrumentor used without init(), agent_run alone.
_add_run_observer(_attach_recorder)

__all__ = [
    "AnthropicInstrumentor",
    "BudgetExceededError",
    "ConfigError",
    "OpenAIInstrumentor",
    "Run",
    "Settings",
    "Usage",
    "__version__",
    "agent_name",
    "agent_run",
    "computer_action",
    "current_run",
    "exclude",
    "init",
    "record_action",
    "record_quality",
    "set_redactor",
    "shutdown",
    "tool",
    "tool_call",
]
