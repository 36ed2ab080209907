"""agent-telemetry: production monitoring for LLM agents.

Turn it on with ``AGENT_TELEMETRY_ENABLED=true`` (no code change), with ``opentelemetry-instrument``,
or in code::

    import agent_telemetry

    agent_telemetry.init(service_name="support-bot")
    ...
    agent_telemetry.shutdown()  # flushes
"""

from agent_telemetry._setup import init, shutdown
from agent_telemetry.config import ConfigError, Settings
from agent_telemetry.context import agent_name
from agent_telemetry.instrumentation.anthropic import AnthropicInstrumentor
from agent_telemetry.instrumentation.openai import OpenAIInstrumentor
from agent_telemetry.usage import Usage
from agent_telemetry.version import __version__

__all__ = [
    "AnthropicInstrumentor",
    "ConfigError",
    "OpenAIInstrumentor",
    "Settings",
    "Usage",
    "__version__",
    "agent_name",
    "init",
    "shutdown",
]
