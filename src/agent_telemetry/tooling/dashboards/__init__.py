"""Grafana dashboards and provisioning, generated from code.

The dashboards are built with the Grafana Foundation SDK from the metric contract
(``agent_telemetry.contract``) and the alert thresholds (``prometheus/thresholds.yaml``), and committed
as JSON under ``grafana/``: ``python -m agent_telemetry dashboards generate [--check]``.
"""

from __future__ import annotations

# The Grafana release the JSON is written for: docker-compose.yml pins grafana/grafana:12.1.0, and the
# SDK (grafana-foundation-sdk 11.6 schema) writes schemaVersion 41, which 11.6 and 12.x load unmigrated.
GRAFANA_VERSION = "12.1.0"
SCHEMA_VERSION = 41
