"""Agent-level telemetry above single LLM calls: runs, tools, quality and computer use."""
