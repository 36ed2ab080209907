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
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: collector
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
