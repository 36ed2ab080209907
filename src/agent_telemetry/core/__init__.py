"""The ground the instrumentation and the agent API stand on: the telemetry state (instruments, tracer,
bounded labels) and the in-process aggregation of the hot path. Imports nothing above it."""
