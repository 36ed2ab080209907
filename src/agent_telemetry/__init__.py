"""agent-telemetry: production monitoring for LLM agents."""
