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

{{/* "true" when the chart makes the credentials Secret: no existingSecret, and a method that needs one. */}}
{{- define "swr-sync-exporter.makesSecret" -}}
{{- if and (not .Values.credentials.existingSecret) (ne .Values.auth.method "metadata") }}true{{ end }}
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
{{- else if eq .Values.auth.method "metadata" }}
{{- /* The metadata service gives the credentials: nothing from a Secret. */}}
{{- else }}
{{- fail (printf "auth.method %q is not one of aksk, password, token, metadata" .Values.auth.method) }}
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
{{- if and (eq .Values.auth.method "metadata") .Values.credentials.existingSecret }}
{{- fail (printf "credentials.existingSecret=%q with auth.method=metadata: the metadata service gives the credentials and nothing would mount that Secret; leave credentials.existingSecret empty" .Values.credentials.existingSecret) }}
{{- end }}
{{- include "swr-sync-exporter.validateWeb" . }}
{{- include "swr-sync-exporter.validateWorkload" . }}
{{- include "swr-sync-exporter.validateNetworkPolicy" . }}
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
{{- if eq .Values.auth.method "metadata" }}
{{- with .Values.auth.metadataEndpoint }}
metadata_endpoint = {{ toJson . }}
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
{{- $fileMode := and $items (eq .Values.credentials.mountAs "file") }}
{{- $envMode := and $items (eq .Values.credentials.mountAs "env") }}
{{- $sharded := gt (int .Values.shards) 1 }}
{{- $web := .Values.webConfig -}}
metadata:
  annotations:
    checksum/config: {{ include "swr-sync-exporter.configToml" . | sha256sum }}
    {{- if include "swr-sync-exporter.makesSecret" . }}
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
        {{- if $web.enabled }}
        - --web.config.file={{ include "swr-sync-exporter.webConfigFile" . }}
        {{- end }}
        {{- range .Values.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      ports:
        - name: http
          containerPort: 10220
          protocol: TCP
      {{- if or $sharded $envMode .Values.extraEnv }}
      env:
        {{- if $sharded }}
        # Set by the StatefulSet controller on each pod (Kubernetes 1.28+); empty before, and
        # then the exporter refuses to start rather than every pod polling shard 0.
        - name: SWR_EXPORTER_SHARD_ORDINAL
          valueFrom:
            fieldRef:
              fieldPath: metadata.labels['apps.kubernetes.io/pod-index']
        {{- end }}
        {{- if $envMode }}
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
      {{- with .Values.startupProbe }}
      startupProbe:
        {{- include "swr-sync-exporter.probe" (dict "probe" . "web" $web) | nindent 8 }}
      {{- end }}
      livenessProbe:
        {{- include "swr-sync-exporter.probe" (dict "probe" .Values.livenessProbe "web" $web) | nindent 8 }}
      readinessProbe:
        {{- include "swr-sync-exporter.probe" (dict "probe" .Values.readinessProbe "web" $web) | nindent 8 }}
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
        {{- if $web.enabled }}
        - name: web-config
          mountPath: {{ $web.mountPath }}
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
    {{- if $web.enabled }}
    # The whole Secret: the web config names its certificate, key and CA relative to itself.
    - name: web-config
      secret:
        secretName: {{ $web.existingSecret }}
        defaultMode: 288
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
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- range . }}
    {{- $c := deepCopy . }}
    {{- if not (hasKey $c "labelSelector") }}
    {{- $_ := set $c "labelSelector" (dict "matchLabels" (include "swr-sync-exporter.selectorLabels" $ | fromYaml)) }}
    {{- end }}
    - {{- toYaml $c | nindent 6 }}
    {{- end }}
  {{- end }}
{{- end }}

{{/* Path of the web config file inside the container. */}}
{{- define "swr-sync-exporter.webConfigFile" -}}
{{- printf "%s/%s" (.Values.webConfig.mountPath | trimSuffix "/") .Values.webConfig.fileKey }}
{{- end }}

{{/*
A probe from values, adapted to the web config (dict "probe" PROBE "web" .Values.webConfig). A
tcpSocket, exec or grpc handler from values replaces the default httpGet. With
basic auth every path answers 401 without credentials, so an httpGet probe becomes a tcpSocket
probe on the same port; with TLS only, an httpGet probe without a scheme gets scheme HTTPS (the
kubelet does not verify the certificate). Other probes pass unchanged.
*/}}
{{- define "swr-sync-exporter.probe" -}}
{{- $p := deepCopy .probe }}
{{- /* Helm merges a probe from values over the default's httpGet: another handler replaces it. */}}
{{- if or (hasKey $p "tcpSocket") (hasKey $p "exec") (hasKey $p "grpc") }}
{{- $_ := unset $p "httpGet" }}
{{- end }}
{{- if and .web.enabled (hasKey $p "httpGet") }}
{{- if .web.basicAuth }}
{{- $_ := set $p "tcpSocket" (dict "port" $p.httpGet.port) }}
{{- $_ = unset $p "httpGet" }}
{{- else if and .web.tls (not $p.httpGet.scheme) }}
{{- $_ := set $p.httpGet "scheme" "HTTPS" }}
{{- end }}
{{- end }}
{{- toYaml $p }}
{{- end }}

{{/*
The scheme, tlsConfig and basicAuth of a ServiceMonitor endpoint or PodMonitor metrics endpoint
(dict "monitor" .Values.serviceMonitor|podMonitor "web" .Values.webConfig), following the web
config: https with webConfig.tls, its caKey/serverName under the monitor's own tlsConfig.
*/}}
{{- define "swr-sync-exporter.monitorAuth" -}}
{{- $m := .monitor }}
{{- $web := .web }}
{{- $tls := deepCopy ($m.tlsConfig | default dict) }}
{{- $scheme := $m.scheme }}
{{- if and $web.enabled $web.tls }}
{{- $scheme = "https" }}
{{- $fromWeb := dict }}
{{- with $web.caKey }}
{{- $_ := set $fromWeb "ca" (dict "secret" (dict "name" $web.existingSecret "key" .)) }}
{{- end }}
{{- with $web.serverName }}
{{- $_ := set $fromWeb "serverName" . }}
{{- end }}
{{- $tls = mergeOverwrite $fromWeb $tls }}
{{- end -}}
scheme: {{ $scheme }}
{{- with $tls }}
tlsConfig:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $m.basicAuth }}
basicAuth:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* webConfig and the monitors: what cannot work together. */}}
{{- define "swr-sync-exporter.validateWeb" -}}
{{- $web := .Values.webConfig }}
{{- if and .Values.serviceMonitor.enabled .Values.podMonitor.enabled }}
{{- fail "serviceMonitor.enabled and podMonitor.enabled are both true: each would scrape every pod, so every series would come twice; enable one" }}
{{- end }}
{{- range .Values.extraArgs }}
{{- if and $web.enabled (hasPrefix "--web.config.file" .) }}
{{- fail (printf "extraArgs has %q and webConfig.enabled is true: webConfig passes --web.config.file itself; drop it from extraArgs (and the web config's extraVolumes/extraVolumeMounts)" .) }}
{{- end }}
{{- end }}
{{- if $web.enabled }}
{{- if not $web.existingSecret }}
{{- fail "webConfig.enabled is true but webConfig.existingSecret is empty: name the Secret holding the web config file (key webConfig.fileKey) and the files it names" }}
{{- end }}
{{- if eq ($web.mountPath | trimSuffix "/") "/etc/swr-sync-exporter" }}
{{- fail "webConfig.mountPath is /etc/swr-sync-exporter, where config.toml is mounted: choose another directory" }}
{{- end }}
{{- end }}
{{- range $kind := list "serviceMonitor" "podMonitor" }}
{{- $m := index $.Values $kind }}
{{- if $m.enabled }}
{{- if and $web.enabled (not $web.tls) (eq $m.scheme "https") }}
{{- fail (printf "%s.scheme=https but webConfig.tls is false: the exporter would serve plain HTTP; set webConfig.tls=true if the web config has tls_server_config, else %s.scheme=http" $kind $kind) }}
{{- end }}
{{- if and $web.enabled $web.basicAuth (not $m.basicAuth) }}
{{- fail (printf "webConfig.basicAuth is true but %s.basicAuth is empty: Prometheus would get 401; set %s.basicAuth.username and .password (Secret key references)" $kind $kind) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* updateStrategy against the workload it lands on. */}}
{{- define "swr-sync-exporter.validateWorkload" -}}
{{- $s := .Values.updateStrategy }}
{{- $sharded := gt (int .Values.shards) 1 }}
{{- $workload := ternary "StatefulSet (shards > 1)" "Deployment (shards: 1)" $sharded }}
{{- with $s.type }}
{{- if and $sharded (eq . "Recreate") }}
{{- fail (printf "updateStrategy.type=Recreate does not apply to the %s: use RollingUpdate or OnDelete" $workload) }}
{{- end }}
{{- if and (not $sharded) (eq . "OnDelete") }}
{{- fail (printf "updateStrategy.type=OnDelete does not apply to the %s: use RollingUpdate or Recreate" $workload) }}
{{- end }}
{{- end }}
{{- with $s.rollingUpdate }}
{{- if and $s.type (ne $s.type "RollingUpdate") }}
{{- fail (printf "updateStrategy.rollingUpdate with updateStrategy.type=%s: rollingUpdate goes with type RollingUpdate only" $s.type) }}
{{- end }}
{{- if and $sharded (hasKey . "maxSurge") }}
{{- fail (printf "updateStrategy.rollingUpdate.maxSurge does not apply to the %s (one pod per shard): use partition or maxUnavailable" $workload) }}
{{- end }}
{{- if and (not $sharded) (hasKey . "partition") }}
{{- fail (printf "updateStrategy.rollingUpdate.partition does not apply to the %s: use maxSurge or maxUnavailable" $workload) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The metadata service as a NetworkPolicy peer and port, from networkPolicy.egress.metadataCidr or
the address of auth.metadataEndpoint: JSON {"cidr": ..., "port": ...}.
*/}}
{{- define "swr-sync-exporter.metadataPeer" -}}
{{- $endpoint := .Values.auth.metadataEndpoint | default "http://169.254.169.254" }}
{{- $url := urlParse $endpoint }}
{{- $hostPort := splitList ":" $url.host }}
{{- $host := first $hostPort }}
{{- $port := ternary 443 80 (eq $url.scheme "https") }}
{{- if gt (len $hostPort) 1 }}
{{- $port = atoi (last $hostPort) }}
{{- end }}
{{- $cidr := .Values.networkPolicy.egress.metadataCidr }}
{{- if not $cidr }}
{{- if regexMatch "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$" $host }}
{{- $cidr = printf "%s/32" $host }}
{{- else }}
{{- fail (printf "networkPolicy.enabled with auth.method=metadata: auth.metadataEndpoint %q names no IPv4 address; give its address in networkPolicy.egress.metadataCidr" $endpoint) }}
{{- end }}
{{- end }}
{{- toJson (dict "cidr" $cidr "port" $port) }}
{{- end }}

{{- define "swr-sync-exporter.validateNetworkPolicy" -}}
{{- $np := .Values.networkPolicy }}
{{- if $np.enabled }}
{{- if and $np.ingress.namespaces $np.ingress.namespaceSelector }}
{{- fail "networkPolicy.ingress.namespaces and networkPolicy.ingress.namespaceSelector are both set: name the namespaces or select them by label, not both" }}
{{- end }}
{{- if and (not $np.egress.apiCidrs) (not $np.egress.extraRules) }}
{{- fail "networkPolicy.enabled is true but networkPolicy.egress.apiCidrs is empty: the exporter could not reach the SWR and IAM endpoints; give their CIDRs (0.0.0.0/0 for any address), or your own rules in networkPolicy.egress.extraRules" }}
{{- end }}
{{- if eq .Values.auth.method "metadata" }}
{{- $_ := include "swr-sync-exporter.metadataPeer" . }}
{{- end }}
{{- end }}
{{- end }}

{{/* The headless Service that governs the StatefulSet (shards > 1); the ServiceMonitor skips it. */}}
{{- define "swr-sync-exporter.headlessServiceName" -}}
{{- printf "%s-headless" (include "swr-sync-exporter.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}
