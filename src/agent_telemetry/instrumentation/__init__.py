"""OpenTelemetry instrumentations of the provider SDKs, one ``BaseInstrumentor`` per library."""
