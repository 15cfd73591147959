{{/* Chart name, cut to the 63 characters a label value allows. */}}
{{- define "swr-sync-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, followed by the chart name unless it already holds it. */}}
{{- define "swr-sync-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "swr-sync-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "swr-sync-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "swr-sync-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "swr-sync-exporter.labels" -}}
helm.sh/chart: {{ include "swr-sync-exporter.chart" . }}
{{ include "swr-sync-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: exporter
app.kubernetes.io/part-of: swr-sync-exporter
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "swr-sync-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "swr-sync-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "swr-sync-exporter.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret that holds the credentials: the user's, or the one this chart makes. */}}
{{- define "swr-sync-exporter.secretName" -}}
{{- default (include "swr-sync-exporter.fullname" .) .Values.credentials.existingSecret }}
{{- end }}

{{/*
The credentials the auth method needs, as a list of
{value, secretKey, file, env}: value is what the chart would store, secretKey the key in the
Secret, file the name under credentials.mountPath, env the variable the exporter reads.
*/}}
{{- define "swr-sync-exporter.credentialItems" -}}
{{- $c := .Values.credentials }}
{{- $items := list }}
{{- if eq .Values.auth.method "aksk" }}
{{- $items = append $items (dict "name" "accessKey" "value" $c.accessKey "secretKey" $c.secretKeys.accessKey "file" "access-key" "env" "HUAWEICLOUD_SDK_AK" "tomlKey" "access_key_file") }}
{{- $items = append $items (dict "name" "secretKey" "value" $c.secretKey "secretKey" $c.secretKeys.secretKey "file" "secret-key" "env" "HUAWEICLOUD_SDK_SK" "tomlKey" "secret_key_file") }}
{{- else if eq .Values.auth.method "password" }}
{{- $items = append $items (dict "name" "password" "value" $c.password "secretKey" $c.secretKeys.password "file" "password" "env" "SWR_EXPORTER_PASSWORD" "tomlKey" "password_file") }}
{{- else if eq .Values.auth.method "token" }}
{{- $items = append $items (dict "name" "token" "value" $c.token "secretKey" $c.secretKeys.token "file" "token" "env" "" "tomlKey" "token_file") }}
{{- else }}
{{- fail (printf "auth.method %q is not one of aksk, password, token" .Values.auth.method) }}
{{- end }}
{{- toJson $items }}
{{- end }}

{{/* Stops the render on values that cannot work, with what to set instead. */}}
{{- define "swr-sync-exporter.validate" -}}
{{- if not .Values.targets }}
{{- fail "targets is empty: list at least one {organization, repositories} to watch" }}
{{- end }}
{{- if and (eq .Values.auth.method "token") (eq .Values.credentials.mountAs "env") }}
{{- fail "credentials.mountAs=env does not work with auth.method=token: the exporter reads the token from a file" }}
{{- end }}
{{- if eq .Values.auth.method "password" }}
{{- if or (not .Values.auth.domainName) (not .Values.auth.userName) }}
{{- fail "auth.method=password needs auth.domainName and auth.userName" }}
{{- end }}
{{- end }}
{{- if not .Values.credentials.existingSecret }}
{{- range (include "swr-sync-exporter.credentialItems" . | fromJsonArray) }}
{{- if not .value }}
{{- fail (printf "credentials.%s is empty: set it, or name a Secret of yours in credentials.existingSecret (key %q)" .name .secretKey) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* config.toml, rendered from values; it names secret files, never holds a secret. */}}
{{- define "swr-sync-exporter.configToml" -}}
{{- $hc := .Values.huaweicloud -}}
# Rendered by the swr-sync-exporter Helm chart from its values.
[huaweicloud]
region = {{ $hc.region | toJson }}
{{- with $hc.swrEndpoint }}
swr_endpoint = {{ toJson . }}
{{- end }}
{{- with $hc.iamEndpoint }}
iam_endpoint = {{ toJson . }}
{{- end }}
{{- with $hc.projectId }}
project_id = {{ toJson . }}
{{- end }}
{{- with $hc.caFile }}
ca_file = {{ toJson . }}
{{- end }}

[auth]
method = {{ .Values.auth.method | toJson }}
{{- if eq .Values.auth.method "password" }}
domain_name = {{ .Values.auth.domainName | toJson }}
user_name = {{ .Values.auth.userName | toJson }}
{{- with .Values.auth.projectName }}
project_name = {{ toJson . }}
{{- end }}
{{- end }}
{{- if eq .Values.credentials.mountAs "file" }}
{{- range (include "swr-sync-exporter.credentialItems" . | fromJsonArray) }}
{{ .tomlKey }} = {{ printf "%s/%s" ($.Values.credentials.mountPath | trimSuffix "/") .file | toJson }}
{{- end }}
{{- end }}

[scrape]
interval = {{ .Values.scrape.interval | toJson }}
timeout = {{ .Values.scrape.timeout | toJson }}
page_size = {{ .Values.scrape.pageSize | int }}
concurrency = {{ .Values.scrape.concurrency | int }}

[metrics]
duration_buckets = {{ .Values.metrics.durationBuckets | toJson }}
duration_labels = {{ .Values.metrics.durationLabels | toJson }}
{{- range .Values.targets }}

[[targets]]
organization = {{ .organization | toJson }}
repositories = {{ .repositories | toJson }}
{{- end }}
{{- end }}
