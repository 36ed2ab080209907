"""The data sources Grafana is provisioned with: fixed UIDs, so dashboards and links can name them."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.models.dashboard import DataSourceRef


@dataclass(frozen=True, slots=True)
class DataSource:
    name: str
    uid: str
    type: str
    url: str


PROMETHEUS = DataSource("Prometheus", "prometheus", "prometheus", "http://prometheus:9090")
# The trace store: Jaeger v2 with jaeger/config.yaml (compose, and natively in `stack up`); its query API.
JAEGER = DataSource("Jaeger", "jaeger", "jaeger", "http://jaeger:16686")
ALERTMANAGER = DataSource("Alertmanager", "alertmanager", "alertmanager", "http://alertmanager:9093")
# The events' log store: VictoriaLogs, through its Grafana plugin (compose installs it).
VICTORIALOGS = DataSource(
    "VictoriaLogs", "victorialogs", "victoriametrics-logs-datasource", "http://victorialogs:9428"
)
ALL: tuple[DataSource, ...] = (PROMETHEUS, JAEGER, ALERTMANAGER, VICTORIALOGS)
# docker-compose.ha.yml: PROMETHEUS is replica a; this is replica b, with the same series.
PROMETHEUS_B = DataSource("Prometheus (replica b)", "prometheus-b", "prometheus", "http://prometheus-b:9090")
# docker-compose.yml's scale-out profile: the Thanos querier's Prometheus API, under PROMETHEUS's UID.
THANOS_QUERY_URL = "http://thanos-query:10902"

# Panels query the Prometheus picked in the dashboard's `datasource` variable (default: PROMETHEUS).
DATASOURCE_VARIABLE = "datasource"

# OpenTelemetry SDKs export metrics every 60 s by default (OTEL_METRIC_EXPORT_INTERVAL), so a pushed
# series has one sample a minute. Grafana makes $__rate_interval at least 4x this, so that every rate()
# window holds several samples.
SAMPLE_INTERVAL = "60s"


def prometheus_ref() -> DataSourceRef:
    return DataSourceRef(type_val=PROMETHEUS.type, uid="${" + DATASOURCE_VARIABLE + "}")


def provisioning() -> dict[str, Any]:
    """grafana/provisioning/datasources/datasources.yaml."""
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": PROMETHEUS.name,
                "uid": PROMETHEUS.uid,
                "type": PROMETHEUS.type,
                "access": "proxy",
                "url": PROMETHEUS.url,
                "isDefault": True,
                "editable": False,
                "jsonData": {
                    "httpMethod": "POST",
                    "timeInterval": SAMPLE_INTERVAL,
                    # Exemplars carry the trace id of a sampled call: a click opens that trace.
                    "exemplarTraceIdDestinations": [{"name": "trace_id", "datasourceUid": JAEGER.uid}],
                },
            },
            {
                "name": JAEGER.name,
                "uid": JAEGER.uid,
                "type": JAEGER.type,
                "access": "proxy",
                "url": JAEGER.url,
                "editable": False,
                "jsonData": {"nodeGraph": {"enabled": True}},
            },
            {
                "name": ALERTMANAGER.name,
                "uid": ALERTMANAGER.uid,
                "type": ALERTMANAGER.type,
                "access": "proxy",
                "url": ALERTMANAGER.url,
                "editable": False,
                # Prometheus's own Alertmanager: Grafana shows its alerts and silences, sends nothing.
                "jsonData": {"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
            },
            {
                "name": VICTORIALOGS.name,
                "uid": VICTORIALOGS.uid,
                "type": VICTORIALOGS.type,
                "access": "proxy",
                "url": VICTORIALOGS.url,
                "editable": False,
                # Each event's trace_id field links to its trace in Jaeger.
                "jsonData": {
                    "derivedFields": [
                        {
                            "name": "trace_id",
                            "matcherType": "label",
                            "matcherRegex": "trace_id",
                            "datasourceUid": JAEGER.uid,
                            "url": "${__value.raw}",
                            "urlDisplayLabel": "Open the trace",
                        }
                    ]
                },
            },
        ],
    }


def provisioning_ha() -> dict[str, Any]:
    """grafana/provisioning-ha/datasources/datasources.yaml (docker-compose.ha.yml): the same data sources
    plus replica b, picked in a dashboard's "Data source" menu while replica a is down.

    No query needs deduplicating: each replica stores every series once (the `replica` external label
    is attached only to what leaves a replica), and a panel queries one data source, never both.
    """
    document = provisioning()
    prometheus = document["datasources"][0]
    replica_b = {
        **copy.deepcopy(prometheus),
        "name": PROMETHEUS_B.name,
        "uid": PROMETHEUS_B.uid,
        "url": PROMETHEUS_B.url,
        "isDefault": False,
    }
    document["datasources"].insert(1, replica_b)
    return document


def provisioning_scale_out() -> dict[str, Any]:
    """grafana/provisioning-scale-out/datasources/datasources.yaml (compose profile scale-out): the same
    data sources, with the Prometheus one (same name and UID, so every dashboard works unchanged) pointing
    at the Thanos querier, which deduplicates the ingestors' copies of each series."""
    document = provisioning()
    document["datasources"][0]["url"] = THANOS_QUERY_URL
    return document
