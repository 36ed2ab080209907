{{/* The release-scoped name every object starts with. */}}
{{- define "agent-telemetry.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "agent-telemetry.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "agent-telemetry.monitoringLabels" -}}
{{ include "agent-telemetry.labels" . }}
{{- with .Values.monitoringLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "agent-telemetry.collectorSelector" -}}
{{ include "agent-telemetry.tierSelector" (dict "root" . "tier" "collector") }}
{{- end -}}

{{/*
Alertmanager matcher strings (alertmanager.yml's `matchers`, e.g. severity=~"info|none") as
AlertmanagerConfig matchers ({name, matchType, value}).
*/}}
{{- define "agent-telemetry.matchers" -}}
{{- $pattern := `^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(.*)"\s*$` -}}
{{- range . }}
{{- if not (regexMatch $pattern .) }}
{{- fail (printf "alertmanager.yml: matcher %q is not name<op>\"value\"; write it quoted like severity=\"critical\"" .) }}
{{- end }}
- name: {{ regexReplaceAll $pattern . "${1}" }}
  matchType: {{ regexReplaceAll $pattern . "${2}" | quote }}
  value: {{ regexReplaceAll $pattern . "${3}" | quote }}
{{- end }}
{{- end -}}

{{/* One alertmanager.yml route (and its sub-routes) as an AlertmanagerConfig route. */}}
{{- define "agent-telemetry.route" -}}
{{- $keys := dict "receiver" "receiver" "group_by" "groupBy" "group_wait" "groupWait" "group_interval" "groupInterval" "repeat_interval" "repeatInterval" "continue" "continue" "active_time_intervals" "activeTimeIntervals" "mute_time_intervals" "muteTimeIntervals" -}}
{{- range $key, $value := . }}
{{- if hasKey $keys $key }}
{{ get $keys $key }}: {{ toJson $value }}
{{- else if eq $key "matchers" }}
matchers:
{{- include "agent-telemetry.matchers" $value | trim | nindent 2 }}
{{- else if eq $key "routes" }}
routes:
{{- range $value }}
- {{ include "agent-telemetry.route" . | trim | nindent 2 | trim }}
{{- end }}
{{- else }}
{{- fail (printf "alertmanager.yml: route key %q has no AlertmanagerConfig translation in the chart" $key) }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Pod labels of the collector's pods: tier collector (the single one), agent or gateway. */}}
{{- define "agent-telemetry.tierSelector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .tier }}
{{- end -}}

{{/* Where a collector that runs otel-collector/config.yaml sends metrics, traces and events. */}}
{{- define "agent-telemetry.storeEnv" -}}
- name: PROMETHEUS_REMOTE_WRITE_URL
  value: {{ .Values.collector.prometheusRemoteWriteUrl | quote }}
- name: TRACES_OTLP_HTTP_ENDPOINT
  value: {{ .Values.collector.tracesOtlpHttpEndpoint | quote }}
- name: LOGS_OTLP_HTTP_ENDPOINT
  value: {{ .Values.collector.logsOtlpHttpEndpoint | quote }}
{{- end -}}

{{/*
The collector container: image, hardening, ports and probes shared by the single collector and both
tiers. Takes root (the chart's context), args, env (a YAML list), hostPorts (OTLP on the node) and
resources.
*/}}
{{- define "agent-telemetry.collectorContainer" -}}
{{- $collector := .root.Values.collector -}}
name: otel-collector
image: "{{ $collector.image.repository }}:{{ $collector.image.tag | default .root.Chart.AppVersion }}"
imagePullPolicy: {{ $collector.image.pullPolicy }}
args: {{ toJson .args }}
securityContext:
  runAsNonRoot: true
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: false
  capabilities:
    drop: [ALL]
env:
  {{- .env | nindent 2 }}
ports:
  - name: otlp-grpc
    containerPort: 4317
    {{- if .hostPorts }}
    hostPort: 4317
    {{- end }}
  - name: otlp-http
    containerPort: 4318
    {{- if .hostPorts }}
    hostPort: 4318
    {{- end }}
  - name: metrics
    containerPort: 8888
  - name: health
    containerPort: 13133
readinessProbe:
  httpGet:
    path: /
    port: health
livenessProbe:
  httpGet:
    path: /
    port: health
{{- with .resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumeMounts:
  - name: config
    mountPath: /etc/otelcol
    readOnly: true
{{- end -}}
