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
{{- $shards := int .Values.shards }}
{{- if gt $shards 1 }}
{{- if gt (int .Values.replicaCount) 1 }}
{{- fail (printf "replicaCount=%d with shards=%d: a sharded exporter runs one pod per shard; leave replicaCount at 1" (int .Values.replicaCount) $shards) }}
{{- end }}
{{- if semverCompare "<1.28.0-0" .Capabilities.KubeVersion.Version }}
{{- fail (printf "shards=%d needs Kubernetes 1.28 or later (the pod label apps.kubernetes.io/pod-index gives each pod its shard); this cluster is %s" $shards .Capabilities.KubeVersion.Version) }}
{{- end }}
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
max_requests_per_second = {{ .Values.scrape.maxRequestsPerSecond | toJson }}
full_resync_interval = {{ .Values.scrape.fullResyncInterval | toJson }}
recheck_interval = {{ .Values.scrape.recheckInterval | toJson }}

[metrics]
duration_buckets = {{ .Values.metrics.durationBuckets | toJson }}
duration_labels = {{ .Values.metrics.durationLabels | toJson }}

[discovery]
{{- with .Values.discovery.include }}
include = {{ toJson . }}
{{- end }}
{{- with .Values.discovery.exclude }}
exclude = {{ toJson . }}
{{- end }}
interval = {{ .Values.discovery.interval | toJson }}
only_with_sync_rules = {{ .Values.discovery.onlyWithSyncRules }}
{{- range .Values.targets }}

[[targets]]
organization = {{ .organization | toJson }}
{{- if hasKey . "repositories" }}
repositories = {{ .repositories | toJson }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The pod template, shared by the Deployment (shards: 1) and the StatefulSet (shards > 1). With
shards > 1 each pod reads its ordinal from the label apps.kubernetes.io/pod-index (Kubernetes
1.28+) through the downward API and passes it as --shard=$(SWR_EXPORTER_SHARD_ORDINAL): the
kubelet expands $(VAR) in args, so no shell is needed.
*/}}
{{- define "swr-sync-exporter.podTemplate" -}}
{{- $items := include "swr-sync-exporter.credentialItems" . | fromJsonArray }}
{{- $fileMode := eq .Values.credentials.mountAs "file" }}
{{- $sharded := gt (int .Values.shards) 1 -}}
metadata:
  annotations:
    checksum/config: {{ include "swr-sync-exporter.configToml" . | sha256sum }}
    {{- if not .Values.credentials.existingSecret }}
    checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  labels:
    {{- include "swr-sync-exporter.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "swr-sync-exporter.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: exporter
      image: {{ include "swr-sync-exporter.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - --config=/etc/swr-sync-exporter/config.toml
        - --web.listen-address=:10220
        - --web.telemetry-path={{ .Values.web.telemetryPath }}
        - --log.level={{ .Values.log.level }}
        - --log.format={{ .Values.log.format }}
        {{- if $sharded }}
        - --shard=$(SWR_EXPORTER_SHARD_ORDINAL)
        - --total-shards={{ int .Values.shards }}
        {{- end }}
        {{- range .Values.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      ports:
        - name: http
          containerPort: 10220
          protocol: TCP
      {{- if or $sharded (not $fileMode) .Values.extraEnv }}
      env:
        {{- if $sharded }}
        # Set by the StatefulSet controller on each pod (Kubernetes 1.28+); empty before, and
        # then the exporter refuses to start rather than every pod polling shard 0.
        - name: SWR_EXPORTER_SHARD_ORDINAL
          valueFrom:
            fieldRef:
              fieldPath: metadata.labels['apps.kubernetes.io/pod-index']
        {{- end }}
        {{- if not $fileMode }}
        {{- range $items }}
        - name: {{ .env }}
          valueFrom:
            secretKeyRef:
              name: {{ include "swr-sync-exporter.secretName" $ }}
              key: {{ .secretKey }}
        {{- end }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      livenessProbe:
        {{- toYaml .Values.livenessProbe | nindent 8 }}
      readinessProbe:
        {{- toYaml .Values.readinessProbe | nindent 8 }}
      {{- with .Values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/swr-sync-exporter
          readOnly: true
        {{- if $fileMode }}
        - name: credentials
          mountPath: {{ .Values.credentials.mountPath }}
          readOnly: true
        {{- end }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "swr-sync-exporter.fullname" . }}
    {{- if $fileMode }}
    - name: credentials
      secret:
        secretName: {{ include "swr-sync-exporter.secretName" . }}
        # 0440: readable by the exporter's group (fsGroup) only.
        defaultMode: 288
        items:
          {{- range $items }}
          - key: {{ .secretKey }}
            path: {{ .file }}
          {{- end }}
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* The headless Service that governs the StatefulSet (shards > 1); the ServiceMonitor skips it. */}}
{{- define "swr-sync-exporter.headlessServiceName" -}}
{{- printf "%s-headless" (include "swr-sync-exporter.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}
