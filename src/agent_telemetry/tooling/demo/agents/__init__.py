"""The demo fleet's agents: support (chat + tools + streaming), research (long runs), computer use."""

from agent_telemetry.tooling.demo.agents.base import Agent, AgentContext, AgentStats, Link, Stopping
from agent_telemetry.tooling.demo.agents.computer_use import ComputerUseAgent
from agent_telemetry.tooling.demo.agents.research import ResearchAgent
from agent_telemetry.tooling.demo.agents.support import SupportAgent

AGENT_CLASSES: dict[str, type[Agent]] = {
    cls.name: cls for cls in (SupportAgent, ResearchAgent, ComputerUseAgent)
}

__all__ = [
    "AGENT_CLASSES",
    "Agent",
    "AgentContext",
    "AgentStats",
    "ComputerUseAgent",
    "Link",
    "ResearchAgent",
    "Stopping",
    "SupportAgent",
]
