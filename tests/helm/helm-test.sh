#!/usr/bin/env bash
# Tests of the Helm chart helm/swr-sync-exporter, one check per call (CTest runs each):
#   lint         helm lint --strict with every values-*.yaml
#   schema       helm template with every values-*.yaml; each object valid against the
#                Kubernetes 1.34 API and the prometheus-operator CRDs (validate.mjs); the
#                expected kinds, and nothing else
#   config       the rendered config.toml passes `swr-sync-exporter --check-config`, run as the
#                pod would run it: in a chroot holding the ConfigMap and the Secret at the
#                workload's (Deployment's or StatefulSet's) mount paths, with its args ($(VAR)
#                expanded as the kubelet does), env, user, group and fsGroup; and fails when a
#                secret file or variable is missing (metadata auth: the pod holds no secret, and
#                the same pod with aksk fails); with webConfig, the web config and its
#                certificate are loaded too; a shard pod starts as its shard
#   security     the pod's hardening, probes (startup too), ports, labels; no default limits
#   sharding     shards: 1 renders the Deployment; shards: 3 a StatefulSet of 3 pods (Parallel),
#                its headless Service, the same pod as the Deployment's plus the shard flags
#                from the pod-index label; the ServiceMonitor scrapes each pod once; limits
#   checksum     checksum/config follows config.toml, and only it; checksum/secret the Secret
#   secrets      no secret value (plain or base64) outside the Secret; config.toml only names
#                files; env vars come from secretKeyRef
#   chart-files  the chart's dashboards/ are copies of dashboards/, its LICENSE of the
#                repository's; the packaged chart carries LICENSE, and with default values its
#                PrometheusRule holds exactly the groups of config/prometheus/*.yml (the chart's
#                rules/ are the mixin's with placeholders); promtool
#   rule-knobs   prometheusRule.selector, clusterLabel, runbookUrlBase, dashboardUrlBase and
#                disabledAlerts reach the rendered rules (values-rule-knobs.yaml); promtool; an
#                unknown disabled alert stops the render
#   bad-values   values that cannot work stop the render with a message saying what to set
#   features     render tests of metadata auth, webConfig, probes, PodMonitor, Service annotations,
#                monitor labels and limits, NetworkPolicy, PodDisruptionBudget, topology spread,
#                update strategy, Chart.yaml metadata
#   web          the pod's probes as the kubelet runs them, against the exporter serving with the
#                chart's --web.config.file (TLS, and TLS with basic auth); the monitors' TLS settings
# Usage: tests/helm/helm-test.sh CHECK
# Environment: SWR_EXPORTER_BIN (default build/swr-sync-exporter)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
chart="$repo/helm/swr-sync-exporter"
tools_dir="${SWR_TOOLS_DIR:-$repo/.tools}"
node_modules="$tools_dir/helm-validate/node_modules"
exporter="${SWR_EXPORTER_BIN:-$repo/build/swr-sync-exporter}"
readonly release=swr namespace=monitoring

check="${1:-}"
[[ -n "$check" ]] || { sed -n '2,29p' "$0" >&2; exit 2; }

"$here/setup.sh"
helm="$("$repo/scripts/install-helm.sh")"
work="$(mktemp -d)"
chmod 0755 "$work"
trap 'rm -rf "$work"' EXIT

failures=0
passes=0
ok() { passes=$((passes + 1)); echo "  ok: $*"; }
bad() { failures=$((failures + 1)); echo "  FAIL: $*" >&2; }
expect() {  # $1: description; rest: command that must succeed
  local what="$1"
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

values_files=("$here"/values-*.yaml)
name_of() { basename "$1" .yaml; }

# What the chart can render today: the PrometheusRule needs rule files, the dashboard
# ConfigMap a dashboard. Missing ones are switched off, loudly.
chart_has_rules() { compgen -G "$chart/rules/*.yml" >/dev/null; }
chart_has_dashboards() { compgen -G "$chart/dashboards/*.json" >/dev/null; }
availability_args=()
if ! chart_has_rules; then
  echo "TODO: helm/swr-sync-exporter/rules/ is empty (config/prometheus/ has no rule files yet):" \
    "PrometheusRule checks are off" >&2
  availability_args+=(--set prometheusRule.enabled=false)
fi
if ! chart_has_dashboards; then
  echo "TODO: helm/swr-sync-exporter/dashboards/ is empty (dashboards/ has no dashboard yet):" \
    "dashboard ConfigMap checks are off" >&2
  availability_args+=(--set dashboards.enabled=false)
fi

# render VALUES_FILE OUT_BASENAME [helm args...]: OUT.yaml and, validated, OUT.json. The
# unknown-field check (seconds of tsc) runs in the schema and chart-files checks only.
field_check=(--no-field-check)
render() {
  local values="$1" out="$work/$2"
  shift 2
  "$helm" template "$release" "$chart" --namespace "$namespace" -f "$values" \
    "${availability_args[@]}" "$@" >"$out.yaml"
  node "$here/validate.mjs" "${field_check[@]}" "$node_modules" "$out.yaml" "$out.json"
}
# q JSON_FILE [jq args] JQ_FILTER [jq options]: jq -r over the rendered objects
q() { local f="$1"; shift; jq -r "$@" "$f"; }
# jq as a test: true when the filter's result is neither false nor null.
jqt() { jq -e "$@" >/dev/null; }
# The exporter's workload: the Deployment, or with shards > 1 the StatefulSet.
workload='.[] | select(.kind == "Deployment" or .kind == "StatefulSet")'
container="$workload | .spec.template.spec.containers[0]"
# The Service users scrape (not the StatefulSet's headless one).
service='.[] | select(.kind == "Service" and .metadata.labels["swr-sync-exporter/service"] != "headless")'

# --- lint ---------------------------------------------------------------------------------
check_lint() {
  for v in "${values_files[@]}"; do
    local out
    if out="$("$helm" lint --strict "$chart" --namespace "$namespace" -f "$v" \
      "${availability_args[@]}" 2>&1)"; then
      ok "helm lint --strict -f $(name_of "$v")"
    else
      bad "helm lint --strict -f $(name_of "$v"): $out"
    fi
  done
}

# --- schema -------------------------------------------------------------------------------
expected_kinds() {
  local base="ConfigMap Deployment Service ServiceAccount"
  case "$(name_of "$1")" in
    values-defaults | values-aksk-env | values-token) echo "$base Secret" ;;
    values-existing-secret-password) echo "$base" ;;
    values-sharded) echo "ConfigMap StatefulSet Service Service ServiceAccount Secret ServiceMonitor PodDisruptionBudget" ;;
    values-metadata) echo "$base NetworkPolicy" ;;
    values-webconfig) echo "$base Secret PodMonitor" ;;
    values-operations) echo "$base NetworkPolicy PodDisruptionBudget ServiceMonitor" ;;
    values-rule-knobs) echo "$base PrometheusRule" ;;
    values-monitoring)
      local kinds="$base ServiceMonitor"
      chart_has_rules && kinds+=" PrometheusRule"
      chart_has_dashboards && kinds+=" ConfigMap"
      echo "$kinds"
      ;;
    *) echo "unknown values file $1" >&2; return 1 ;;
  esac
}
sorted_words() { tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' '; }

check_schema() {
  for v in "${values_files[@]}"; do
    local n
    n="$(name_of "$v")"
    if render "$v" "$n"; then
      ok "$n: every object valid against the Kubernetes API schemas"
    else
      bad "$n: objects invalid (see above)"
      continue
    fi
    local want got
    want="$(expected_kinds "$v" | sorted_words)"
    got="$(q "$work/$n.json" '.[].kind' | tr '\n' ' ' | sorted_words)"
    expect "$n: renders exactly [$want]" test "$want" == "$got"
    expect "$n: every object in namespace $namespace" \
      test "$(q "$work/$n.json" "[.[] | select(.metadata.namespace != \"$namespace\")] | length")" == 0
  done
  # With --web.config.file the ServiceMonitor scrapes over https with the endpoint's tlsConfig and
  # basicAuth; prometheus-operator's schema (validate.mjs) checks how they are spelt.
  cat >"$work/web-tls-values.yaml" <<'YAML'
serviceMonitor:
  scheme: https
  tlsConfig:
    ca: {secret: {name: swr-web-tls, key: ca.crt}}
    cert: {secret: {name: swr-web-tls, key: tls.crt}}
    keySecret: {name: swr-web-tls, key: tls.key}
    serverName: swr-sync-exporter
  basicAuth:
    username: {name: swr-web-auth, key: username}
    password: {name: swr-web-auth, key: password}
YAML
  if render "$here/values-monitoring.yaml" web-tls -f "$work/web-tls-values.yaml"; then
    expect "serviceMonitor.scheme=https: the endpoint has scheme https, tlsConfig and basicAuth" \
      jqt '.[] | select(.kind == "ServiceMonitor") | .spec.endpoints[0]
        | .scheme == "https" and .tlsConfig.serverName == "swr-sync-exporter"
          and .tlsConfig.keySecret.key == "tls.key" and .basicAuth.password.key == "password"' \
      "$work/web-tls.json"
  else
    bad "serviceMonitor.scheme=https: objects invalid (see above)"
  fi
  expect "values-monitoring: the endpoint is plain http without tlsConfig or basicAuth" \
    jqt '.[] | select(.kind == "ServiceMonitor") | .spec.endpoints[0]
      | .scheme == "http" and (has("tlsConfig") | not) and (has("basicAuth") | not)' \
    "$work/values-monitoring.json"
}

# --- config -------------------------------------------------------------------------------
# The content of a key of a Secret: from the rendered Secret when the chart made it, else made
# up here for the user's existingSecret, as that Secret would hold it.
secret_value() {  # json secret_name key
  local json="$1" name="$2" key="$3" b64
  b64="$(q "$json" --arg n "$name" --arg k "$key" \
    '.[] | select(.kind == "Secret" and .metadata.name == $n) | .data[$k] // empty')"
  if [[ -n "$b64" ]]; then
    printf '%s' "$b64" | base64 -d
  elif [[ -n "$(q "$json" --arg n "$name" '.[] | select(.kind == "Secret" and .metadata.name == $n) | .metadata.name')" ]]; then
    echo "secret $name has no key $key" >&2
    return 1
  else
    printf 'EXISTING-%s-%s' "$name" "$key"
  fi
}

# The ordinal of the StatefulSet pod build_pod_root lays out (its label apps.kubernetes.io/pod-index).
pod_index=0

# Secrets of the user's that a pod mounts whole (no items): build_pod_root copies
# $secret_fixtures/NAME/* for them, as the Secret NAME would hold them.
secret_fixtures="$work/secret-fixtures"
# A known bcrypt hash (cost 5) and its password, for the web config's basic_auth_users.
readonly web_user=prometheus web_password=s3cret-password
readonly web_hash='$2b$05$abcdefghijklmnopqrstuuUXKlvQTwfK/kphhjbeRlh5zvpJx1LLu'
readonly web_server_name=swr-sync-exporter.monitoring.svc
# make_web_secret NAME tls|tls+basic: the Secret NAME holds web-config.yml, a self-signed
# certificate for $web_server_name and 127.0.0.1 (tls.crt, tls.key; ca.crt is the same
# certificate) and, with +basic, the user $web_user.
make_web_secret() {
  local dir="$secret_fixtures/$1"
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=$web_server_name" -addext "subjectAltName=DNS:$web_server_name,IP:127.0.0.1" \
    -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
  cp "$dir/tls.crt" "$dir/ca.crt"
  printf 'tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n' >"$dir/web-config.yml"
  [[ "$2" == tls+basic ]] && printf 'basic_auth_users:\n  %s: %s\n' "$web_user" "$web_hash" >>"$dir/web-config.yml"
  return 0
}

# Lays out in $root what the pod's container sees: every configMap and secret volume at its
# mountPath, files owned and moded as the kubelet makes them (group fsGroup, +0440 read-only).
# Writes the container's environment to $root.env, its args to $root.args, and its
# user:group:fsGroup to $root.user.
build_pod_root() {  # json root
  local json="$1" root="$2"
  mkdir -p "$root"
  local uid gid fsgroup
  uid="$(q "$json" "$container | .securityContext.runAsUser // empty")"
  [[ -n "$uid" ]] || uid="$(q "$json" "$workload | .spec.template.spec.securityContext.runAsUser")"
  gid="$(q "$json" "$container | .securityContext.runAsGroup // empty")"
  [[ -n "$gid" ]] || gid="$(q "$json" "$workload | .spec.template.spec.securityContext.runAsGroup")"
  fsgroup="$(q "$json" "$workload | .spec.template.spec.securityContext.fsGroup // empty")"
  echo "$uid:$gid:$fsgroup" >"$root.user"

  local mounts
  mounts="$(q "$json" "$container | .volumeMounts[] | [.name, .mountPath] | @tsv")"
  while IFS=$'\t' read -r volume mount_path; do
    local spec kind
    spec="$(q "$json" --arg v "$volume" "$workload | .spec.template.spec.volumes[] | select(.name == \$v)" -c)"
    kind="$(jq -r 'if .configMap then "configMap" elif .secret then "secret" else "other" end' <<<"$spec")"
    local dir="$root$mount_path"
    mkdir -p "$dir"
    local mode
    mode="$(jq -r '(.configMap // .secret).defaultMode // 420' <<<"$spec")"
    [[ -n "$fsgroup" ]] && mode=$((mode | 0440))
    local object_name items
    if [[ "$kind" == configMap ]]; then
      object_name="$(jq -r '.configMap.name' <<<"$spec")"
      local data
      data="$(q "$json" --arg n "$object_name" -c '.[] | select(.kind == "ConfigMap" and .metadata.name == $n) | .data')"
      [[ -n "$data" ]] || { echo "no ConfigMap $object_name rendered" >&2; return 1; }
      items="$(jq -r --argjson d "$data" '(.configMap.items // ($d | keys | map({key: ., path: .}))) | .[] | [.key, .path] | @tsv' <<<"$spec")"
      while IFS=$'\t' read -r key path; do
        mkdir -p "$(dirname "$dir/$path")"
        jq -j --arg k "$key" '.[$k]' <<<"$data" >"$dir/$path"
      done <<<"$items"
    elif [[ "$kind" == secret ]]; then
      object_name="$(jq -r '.secret.secretName' <<<"$spec")"
      items="$(jq -r '.secret.items // [] | .[] | [.key, .path] | @tsv' <<<"$spec")"
      if [[ -z "$items" && -d "$secret_fixtures/$object_name" ]]; then
        cp "$secret_fixtures/$object_name"/* "$dir/"
      else
        [[ -n "$items" ]] || { echo "secret volume $volume without items: cannot know its keys" >&2; return 1; }
        while IFS=$'\t' read -r key path; do
          mkdir -p "$(dirname "$dir/$path")"
          secret_value "$json" "$object_name" "$key" >"$dir/$path"
        done <<<"$items"
      fi
    else
      echo "volume $volume: neither configMap nor secret" >&2
      return 1
    fi
    find "$dir" -type f -exec chmod "$(printf '%o' "$mode")" {} + \
      -exec chown "0:${fsgroup:-0}" {} +
  done <<<"$mounts"

  : >"$root.env"
  local envs
  local -A env_values=()
  envs="$(q "$json" "$container | .env // [] | .[] | [.name, (.value // \"\"), (.valueFrom.secretKeyRef.name // \"\"), (.valueFrom.secretKeyRef.key // \"\"), (.valueFrom.fieldRef.fieldPath // \"\")] | join(\"\\u001f\")")"
  # Unit-separated: a tab, being whitespace to read, would merge the empty fields.
  while IFS=$'\x1f' read -r name value secret key field; do
    [[ -n "$name" ]] || continue
    if [[ -n "$secret" ]]; then value="$(secret_value "$json" "$secret" "$key")"; fi
    if [[ -n "$field" ]]; then
      # The downward API; the StatefulSet controller labels pod N apps.kubernetes.io/pod-index=N.
      [[ "$field" == "metadata.labels['apps.kubernetes.io/pod-index']" ]] ||
        { echo "env $name: fieldRef $field is not simulated" >&2; return 1; }
      [[ "$(q "$json" "$workload | .kind")" == StatefulSet ]] ||
        { echo "env $name: only a StatefulSet's pods carry the pod-index label" >&2; return 1; }
      value="$pod_index"
    fi
    env_values[$name]="$value"
    printf '%s=%s\0' "$name" "$value" >>"$root.env"
  done <<<"$envs"
  # The kubelet expands $(NAME) in args to the value of the container's variable NAME.
  local arg
  : >"$root.args"
  while IFS= read -r arg; do
    for name in "${!env_values[@]}"; do arg="${arg//"\$($name)"/"${env_values[$name]}"}"; done
    printf '%s\n' "$arg" >>"$root.args"
  done < <(q "$json" "$container | .args[]")
}

# Runs the exporter with the container's args and env plus EXTRA_ARGS, chrooted into $root as
# the container's user; /usr comes read-only from this machine, which built the binary.
run_in_pod_root() {  # root extra_args...
  local root="$1"
  shift
  local uid gid fsgroup
  IFS=: read -r uid gid fsgroup <"$root.user"
  mkdir -p "$root/usr" "$root/dev" "$root/tmp"
  for link in bin sbin lib lib64; do [[ -e "$root/$link" || -L "$root/$link" ]] || ln -s "usr/$link" "$root/$link"; done
  install -m 0755 "$exporter" "$root/swr-sync-exporter"
  local args=()
  mapfile -t args <"$root.args"
  local env=()
  mapfile -d '' -t env <"$root.env"
  # run_timeout=SECONDS: SIGTERM after that long (unshare, chroot and env exec the exporter).
  local wrap=()
  [[ -n "${run_timeout:-}" ]] && wrap=(timeout "$run_timeout")
  # run_exec=1: replace the calling (background) shell, so that $! is the process to stop.
  ${run_exec:+exec} "${wrap[@]}" unshare --mount --propagation private -- bash -c '
    set -e
    root="$1"; user="$2"; groups="$3"; shift 3
    mount --bind /usr "$root/usr"
    mount -o remount,bind,ro "$root/usr"
    mount --bind /dev "$root/dev"
    exec chroot --userspec="$user" --groups="$groups" "$root" "$@"
  ' _ "$root" "$uid:$gid" "${fsgroup:-$gid}" \
    /usr/bin/env -i PATH=/usr/bin:/bin "${env[@]}" /swr-sync-exporter "${args[@]}" "$@"
}

check_config() {
  [[ $(id -u) -eq 0 ]] || { echo "config: needs root (chroot, mount namespace)"; exit 77; }
  [[ -x "$exporter" ]] || { echo "no exporter at $exporter: build it first" >&2; exit 1; }
  # values-webconfig's Secret swr-web-config: the exporter checks the web config and loads its
  # certificate and key at --check-config.
  command -v openssl >/dev/null || { echo "config: openssl is missing (it makes the web config's certificate)" >&2; exit 1; }
  make_web_secret swr-web-config tls+basic
  for v in "${values_files[@]}"; do
    local n root out
    n="$(name_of "$v")"
    render "$v" "$n" 2>/dev/null || { bad "$n: render"; continue; }
    root="$work/root-$n"
    local kind replicas
    kind="$(q "$work/$n.json" "$workload | .kind")"
    replicas="$(q "$work/$n.json" "$workload | .spec.replicas")"
    # A StatefulSet's last pod: the highest ordinal is the one a wrong total would refuse.
    pod_index=0
    [[ "$kind" == StatefulSet ]] && pod_index=$((replicas - 1))
    build_pod_root "$work/$n.json" "$root" || { bad "$n: pod layout"; continue; }
    expect "$n: no \$(VAR) left in the args once expanded" bash -c '! grep -q "\$(" "$1"' _ "$root.args"
    if [[ "$kind" == StatefulSet ]]; then
      # --check-config reads only the file; a real start also applies --shard/--total-shards
      # and logs them before it calls any API. Stopped after 3 s (SIGTERM), whatever it does.
      out="$(run_timeout=3 run_in_pod_root "$root" --once 2>&1 || true)"
      if grep -qE "msg=\"?starting\"? .*shard=$pod_index total_shards=$replicas" <<<"$out"; then
        ok "$n: pod $pod_index of $replicas starts as shard=$pod_index total_shards=$replicas"
      else
        bad "$n: pod $pod_index does not start as shard $pod_index of $replicas: $out"
      fi
      # Without the pod-index label (Kubernetes < 1.28) the variable is empty: the pod must
      # refuse to start, not poll as some default shard.
      local rc=0
      pod_index="" build_pod_root "$work/$n.json" "$root.nolabel" &&
        out="$(run_timeout=3 run_in_pod_root "$root.nolabel" 2>&1)" || rc=$?
      if [[ $rc -eq 2 ]] && grep -q -- '--shard' <<<"$out"; then
        ok "$n: without the pod-index label the pod exits 2: $out"
      else
        bad "$n: without the pod-index label: exit $rc, $out"
      fi
    fi
    if out="$(run_in_pod_root "$root" --check-config 2>&1)"; then
      ok "$n: --check-config passes in the pod's layout, as uid:gid $(cut -d: -f1,2 <"$root.user")"
      [[ -n "$out" ]] && sed 's/^/      /' <<<"$out"
    else
      bad "$n: --check-config failed: $out"
      continue
    fi
    # The check must be able to fail: take away the first credential and expect exit 2.
    local secret_file toml="$root/etc/swr-sync-exporter/config.toml"
    secret_file="$(find "$root/var" "$root/run" -type f 2>/dev/null | head -n 1 || true)"
    if grep -q '^method = "metadata"$' "$toml"; then
      # Metadata auth: the pod holds no credential, and needs none.
      expect "$n: metadata auth: no file under /var or /run (no credentials volume)" test -z "$secret_file"
      expect "$n: metadata auth: no credential variable in the pod's env" \
        bash -c '! tr "\0" "\n" <"$1" | grep -Eq "^(HUAWEICLOUD_SDK_|SWR_EXPORTER_PASSWORD)"' _ "$root.env"
      # The same pod with method aksk has no credentials: the pass comes from the method.
      cp "$toml" "$toml.saved"
      sed -i -e 's/^method = "metadata"$/method = "aksk"/' -e '/^metadata_endpoint = /d' "$toml"
      local rc=0
      out="$(run_in_pod_root "$root" --check-config 2>&1)" || rc=$?
      cp "$toml.saved" "$toml"
      rm -f "$toml.saved"
      expect "$n: the same pod with method aksk fails --check-config (exit $rc): it holds no AK/SK" \
        test "$rc" -eq 2
    elif [[ -n "$secret_file" ]]; then
      mv "$secret_file" "$secret_file.gone"
      local rc=0
      out="$(run_in_pod_root "$root" --check-config 2>&1)" || rc=$?
      mv "$secret_file.gone" "$secret_file"
      expect "$n: --check-config exits 2 without ${secret_file#"$root"}" test "$rc" -eq 2
      grep -q "${secret_file#"$root"}" <<<"$out" || bad "$n: the error names no file: $out"
    elif [[ -s "$root.env" ]]; then
      local saved
      saved="$(mktemp)"
      cp "$root.env" "$saved"
      : >"$root.env"
      local rc=0
      out="$(run_in_pod_root "$root" --check-config 2>&1)" || rc=$?
      cp "$saved" "$root.env"
      expect "$n: --check-config exits 2 without the secret env vars" test "$rc" -eq 2
    else
      bad "$n: the pod gets its credentials neither from files nor from env"
    fi
    # With --web.config.file, --check-config loads the web config's certificate: without it, exit 2.
    local web_file
    web_file="$(sed -n 's/^--web.config.file=//p' "$root.args")"
    if [[ -n "$web_file" ]]; then
      local cert="$root$(dirname "$web_file")/tls.crt" rc=0
      expect "$n: --web.config.file=$web_file is in the pod, with its certificate" test -f "$cert"
      mv "$cert" "$cert.gone"
      out="$(run_in_pod_root "$root" --check-config 2>&1)" || rc=$?
      mv "$cert.gone" "$cert"
      expect "$n: --check-config exits 2 without the web config's certificate (exit $rc)" test "$rc" -eq 2
      grep -q "tls.crt" <<<"$out" || bad "$n: the error names no certificate: $out"
    fi
  done
}

# --- security -----------------------------------------------------------------------------
check_security() {
  for v in "${values_files[@]}"; do
    local n j
    n="$(name_of "$v")"
    render "$v" "$n" 2>/dev/null || { bad "$n: render"; continue; }
    j="$work/$n.json"
    local pod_sc="$workload | .spec.template.spec.securityContext"
    local sc="$container | .securityContext"
    expect "$n: pod runAsNonRoot, non-zero uid" \
      jqt "$pod_sc | .runAsNonRoot == true and .runAsUser > 0 and .runAsGroup > 0" "$j"
    expect "$n: pod seccompProfile RuntimeDefault" \
      jqt "$pod_sc | .seccompProfile.type == \"RuntimeDefault\"" "$j"
    expect "$n: container readOnlyRootFilesystem, no privilege escalation, drops ALL" \
      jqt "$sc | .readOnlyRootFilesystem == true and .allowPrivilegeEscalation == false
               and .capabilities.drop == [\"ALL\"] and (.capabilities.add // [] | length) == 0
               and .privileged != true and .runAsNonRoot == true
               and .seccompProfile.type == \"RuntimeDefault\"" "$j"
    expect "$n: no service account token in the pod" \
      jqt "$workload | .spec.template.spec.automountServiceAccountToken == false" "$j"
    local web_on
    web_on="$(yq_get "$v" .webConfig.enabled false)"
    if [[ "$web_on" == true && "$(yq_get "$v" .webConfig.basicAuth false)" == true ]]; then
      # Basic auth answers 401 on every path without credentials: the kubelet's httpGet would fail.
      expect "$n: basic auth: startup, liveness and readiness are tcpSocket probes on port http" \
        jqt "$container | [.startupProbe, .livenessProbe, .readinessProbe]
               | all(.tcpSocket == {port: \"http\"} and (has(\"httpGet\") | not))" "$j"
    else
      local scheme=""
      [[ "$web_on" == true && "$(yq_get "$v" .webConfig.tls true)" == true ]] &&
        scheme=', scheme: "HTTPS"'
      expect "$n: liveness /-/healthy, readiness and startup /-/ready on port http${scheme:+ over HTTPS}" \
        jqt "$container | .livenessProbe.httpGet == {path: \"/-/healthy\", port: \"http\"$scheme}
                 and .readinessProbe.httpGet == {path: \"/-/ready\", port: \"http\"$scheme}
                 and .startupProbe.httpGet == {path: \"/-/ready\", port: \"http\"$scheme}" "$j"
    fi
    expect "$n: liveness and readiness every 10 s, 3 failures; startup allows 10 minutes" \
      jqt "$container | (.livenessProbe | .periodSeconds == 10 and .failureThreshold == 3)
               and (.readinessProbe | .periodSeconds == 10 and .failureThreshold == 3)
               and (.startupProbe | .periodSeconds * .failureThreshold >= 600)" "$j"
    expect "$n: container port 10220 named http; Service port 10220 named http -> http" \
      jqt "($container | .ports == [{name: \"http\", containerPort: 10220, protocol: \"TCP\"}])
             and ($service | .spec.ports
                  == [{name: \"http\", port: 10220, targetPort: \"http\", protocol: \"TCP\"}])" \
      "$j"
    expect "$n: args name the config, listen on :10220, log level and format from values" \
      jqt "$container | .args[0:5] == [\"--config=/etc/swr-sync-exporter/config.toml\",
               \"--web.listen-address=:10220\", \"--web.telemetry-path=/metrics\",
               \"--log.level=$(yq_get "$v" .log.level info)\",
               \"--log.format=$(yq_get "$v" .log.format logfmt)\"]" "$j"
    expect "$n: config.toml mounted from the ConfigMap at /etc/swr-sync-exporter, read-only" \
      jqt "$container | .volumeMounts[] | select(.mountPath == \"/etc/swr-sync-exporter\")
               | .readOnly == true" "$j"
    expect "$n: app.kubernetes.io labels on every object" \
      jqt '[.[] | .metadata.labels | has("app.kubernetes.io/name") and
               has("app.kubernetes.io/instance") and has("app.kubernetes.io/version") and
               has("app.kubernetes.io/managed-by") and has("helm.sh/chart")] | all' "$j"
    expect "$n: every Service selects the pod template's labels" \
      jqt "($workload | .spec.template.metadata.labels) as \$l
               | ($workload | .spec.selector.matchLabels) as \$m
               | [.[] | select(.kind == \"Service\") | .spec.selector
                  | (to_entries | all(\$l[.key] == .value)) and . == \$m] | length > 0 and all" "$j"
  done
  local j="$work/values-defaults.json"
  expect "values-defaults: no resource limits (nor requests) by default" \
    jqt "$container | has(\"resources\") | not" "$j"
  expect "values-monitoring: resources from values" \
    jqt "$container | .resources == {requests: {cpu: \"10m\", memory: \"32Mi\"}}" \
    "$work/values-monitoring.json"
}
yq_get() {  # values_file path default: a value of a values file
  node --input-type=module -e '
    const [file, path, dflt] = process.argv.slice(1);
    const YAML = await import(process.env.NM + "/yaml/dist/index.js");
    const doc = YAML.parse((await import("node:fs")).readFileSync(file, "utf8")) ?? {};
    const v = path.split(".").filter(Boolean).reduce((o, k) => (o ?? {})[k], doc);
    console.log(v ?? dflt);' "$1" "$2" "$3"
}
export NM="$node_modules"

# --- checksum -----------------------------------------------------------------------------
annotation() { q "$1" "$workload | .spec.template.metadata.annotations[\"$2\"] // \"\""; }
check_checksum() {
  local v="$here/values-defaults.yaml"
  render "$v" base 2>/dev/null
  render "$v" interval --set scrape.interval=2m 2>/dev/null
  render "$v" target --set 'targets[0].repositories={app1}' 2>/dev/null
  render "$v" loglevel --set log.level=debug 2>/dev/null
  render "$v" discovery --set discovery.interval=1h 2>/dev/null
  render "$v" secret --set credentials.secretKey=SENTINEL-SK-rotated 2>/dev/null
  local base
  base="$(annotation "$work/base.json" checksum/config)"
  expect "checksum/config is a sha256" grep -Eq '^[0-9a-f]{64}$' <<<"$base"
  local data_sum
  data_sum="$(q "$work/base.json" '.[] | select(.kind == "ConfigMap") | .data["config.toml"]' -j |
    sed -z 's/\n$//' | sha256sum | cut -d' ' -f1)"
  expect "checksum/config is the sha256 of the ConfigMap's config.toml" test "$base" == "$data_sum"
  expect "checksum/config changes with scrape.interval" \
    test "$(annotation "$work/interval.json" checksum/config)" != "$base"
  expect "checksum/config changes with the targets" \
    test "$(annotation "$work/target.json" checksum/config)" != "$base"
  expect "checksum/config changes with discovery.interval" \
    test "$(annotation "$work/discovery.json" checksum/config)" != "$base"
  expect "checksum/config stays with log.level (an arg, not config)" \
    test "$(annotation "$work/loglevel.json" checksum/config)" == "$base"
  expect "checksum/config stays when only the secret changes" \
    test "$(annotation "$work/secret.json" checksum/config)" == "$base"
  expect "checksum/secret changes with the secret" \
    test "$(annotation "$work/secret.json" checksum/secret)" != "$(annotation "$work/base.json" checksum/secret)"
  render "$here/values-monitoring.yaml" existing 2>/dev/null
  expect "no checksum/secret with an existingSecret (the chart does not see it)" \
    test -z "$(annotation "$work/existing.json" checksum/secret)"
  render "$here/values-metadata.yaml" metadata 2>/dev/null
  render "$here/values-metadata.yaml" metadata-endpoint --set auth.metadataEndpoint=http://169.254.169.254:8080 2>/dev/null
  expect "no checksum/secret with auth.method=metadata (no Secret)" \
    test -z "$(annotation "$work/metadata.json" checksum/secret)"
  expect "checksum/config changes with auth.metadataEndpoint" \
    test "$(annotation "$work/metadata-endpoint.json" checksum/config)" != "$(annotation "$work/metadata.json" checksum/config)"
}

# --- secrets ------------------------------------------------------------------------------
check_secrets() {
  for v in "${values_files[@]}"; do
    local n j
    n="$(name_of "$v")"
    render "$v" "$n" 2>/dev/null || { bad "$n: render"; continue; }
    j="$work/$n.json"
    local toml
    toml="$(q "$j" '.[] | select(.kind == "ConfigMap" and (.data | has("config.toml"))) | .data["config.toml"]')"
    expect "$n: config.toml holds no inline secret (access_key, secret_key, password)" \
      bash -c '! grep -Eq "^[[:space:]]*(access_key|secret_key|password)[[:space:]]*=" <<<"$1"' _ "$toml"
    local outside_secret
    outside_secret="$(jq -c '[.[] | select(.kind != "Secret")]' "$j")"
    local secrets=()
    mapfile -t secrets < <(node --input-type=module -e '
        const YAML = await import(process.env.NM + "/yaml/dist/index.js");
        const c = (YAML.parse((await import("node:fs")).readFileSync(process.argv[1], "utf8")) ?? {}).credentials ?? {};
        for (const k of ["accessKey", "secretKey", "password", "token"]) if (c[k]) console.log(c[k]);' "$v")
    for s in "${secrets[@]}"; do
      local b64
      b64="$(printf '%s' "$s" | base64 -w0)"
      expect "$n: ${s:0:12}... appears in no object but the Secret, plain or base64" \
        bash -c '! grep -Fq -e "$1" -e "$2" <<<"$3"' _ "$s" "$b64" "$outside_secret"
      expect "$n: ${s:0:12}... is in the Secret" \
        jqt --arg b "$b64" '[.[] | select(.kind == "Secret") | .data[]] | index($b) != null' "$j"
    done
    expect "$n: env vars take secrets only by secretKeyRef" \
      jqt "$container | [.env // [] | .[] | select(.name | test(\"^(HUAWEICLOUD_SDK_|SWR_EXPORTER_PASSWORD)\"))
               | has(\"valueFrom\") and (has(\"value\") | not)] | all" "$j"
  done
  expect "values-existing-secret-password: the chart makes no Secret" \
    jqt '[.[] | select(.kind == "Secret")] | length == 0' "$work/values-existing-secret-password.json"
  expect "values-existing-secret-password: the pod reads key iam-password of swr-credentials" \
    jqt "$workload | .spec.template.spec.volumes[] | select(.secret)
             | .secret.secretName == \"swr-credentials\" and .secret.items == [{key: \"iam-password\", path: \"password\"}]" \
    "$work/values-existing-secret-password.json"
  expect "values-metadata: no Secret, no secret volume, no env from a Secret" \
    jqt "([.[] | select(.kind == \"Secret\")] | length == 0)
           and ($workload | [.spec.template.spec.volumes[] | select(.secret or .projected)] | length == 0)
           and ($container | ([.env // [] | .[] | select(.valueFrom.secretKeyRef)] | length == 0)
                             and ([.envFrom // [] | .[] | select(.secretRef)] | length == 0))" \
    "$work/values-metadata.json"
  expect "values-webconfig: the web config Secret is the user's (the chart makes only the credentials one)" \
    jqt "([.[] | select(.kind == \"Secret\") | .metadata.name] == [\"swr-swr-sync-exporter\"])
           and ($workload | [.spec.template.spec.volumes[] | select(.secret) | .secret.secretName]
                == [\"swr-swr-sync-exporter\", \"swr-web-config\"])" "$work/values-webconfig.json"
  expect "values-aksk-env: AK/SK as HUAWEICLOUD_SDK_AK/SK, no credentials volume" \
    jqt "($container | [.env[].name] == [\"HUAWEICLOUD_SDK_AK\", \"HUAWEICLOUD_SDK_SK\"])
           and ($workload | [.spec.template.spec.volumes[] | select(.secret)] | length == 0)" \
    "$work/values-aksk-env.json"
}

# --- chart-files --------------------------------------------------------------------------
check_chart_files() {
  # The chart's rules/ are generated from config/mixin with placeholders (tests/operate's
  # test-mixin-stale.sh checks they are current); below, the rendered PrometheusRule is compared
  # with config/prometheus/*.yml.
  local sources=()
  for f in "$repo"/config/prometheus/*.yml; do
    [[ -f "$f" ]] && grep -q '^groups:' "$f" && sources+=("$f")
  done
  local dsources=() dcopies=()
  for f in "$repo"/dashboards/*.json; do [[ -f "$f" ]] && dsources+=("$(basename "$f")"); done
  for f in "$chart"/dashboards/*.json; do [[ -f "$f" ]] && dcopies+=("$(basename "$f")"); done
  if [[ ${#dsources[@]} -eq 0 && ${#dcopies[@]} -eq 0 ]]; then
    echo "TODO: dashboards/ has no dashboard yet: nothing to compare"
  else
    expect "dashboards/ holds exactly the repository's dashboards (${dsources[*]})" \
      test "${dsources[*]}" == "${dcopies[*]}"
    for f in "${dsources[@]}"; do
      expect "dashboards/$f is identical to the repository's (tests/helm/sync-chart-files.sh)" \
        cmp -s "$repo/dashboards/$f" "$chart/dashboards/$f"
    done
  fi

  # The chart's LICENSE (Artifact Hub shows it) is the repository's, once there is one.
  if [[ -f "$repo/LICENSE" ]]; then
    expect "LICENSE is identical to the repository's (tests/helm/sync-chart-files.sh)" cmp -s "$repo/LICENSE" "$chart/LICENSE"
  else
    echo "TODO: no LICENSE at the repository's root yet: the chart's (Apache-2.0) is compared with nothing"
  fi

  # The packaged chart, as users get it, carries the copies.
  "$helm" package "$chart" --destination "$work" >/dev/null
  local tgz=("$work"/swr-sync-exporter-*.tgz)
  expect "helm package makes a chart archive" test -f "${tgz[0]}"
  expect "the packaged chart carries LICENSE" bash -c 'tar -tzf "$1" | grep -qx "swr-sync-exporter/LICENSE"' _ "${tgz[0]}"
  "$helm" template "$release" "${tgz[0]}" --namespace "$namespace" \
    -f "$here/values-monitoring.yaml" "${availability_args[@]}" >"$work/packaged.yaml"
  node "$here/validate.mjs" "$node_modules" "$work/packaged.yaml" "$work/packaged.json"

  if chart_has_rules; then
    jq '.[] | select(.kind == "PrometheusRule") | .spec' "$work/packaged.json" >"$work/rule-spec.json"
    node --input-type=module -e '
      const fs = await import("node:fs");
      const YAML = await import(process.env.NM + "/yaml/dist/index.js");
      const [spec, ...files] = process.argv.slice(1);
      const want = files.flatMap((f) => YAML.parse(fs.readFileSync(f, "utf8")).groups ?? []);
      const got = JSON.parse(fs.readFileSync(spec, "utf8")).groups;
      // helm`s toYaml sorts keys: compare with sorted keys.
      const canon = (v) => Array.isArray(v) ? v.map(canon) : v && typeof v === "object"
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v;
      const same = JSON.stringify(canon(got)) === JSON.stringify(canon(want));
      console.log(`  ${same ? "ok" : "FAIL"}: with default values the packaged PrometheusRule carries the ${want.length} groups, ` +
                  `${want.reduce((n, g) => n + g.rules.length, 0)} rules of config/prometheus/*.yml, unchanged`);
      process.exit(same ? 0 : 1);' "$work/rule-spec.json" "${sources[@]}" && passes=$((passes + 1)) ||
      failures=$((failures + 1))
    if command -v promtool >/dev/null; then
      node --input-type=module -e '
        const fs = await import("node:fs");
        const YAML = await import(process.env.NM + "/yaml/dist/index.js");
        fs.writeFileSync(process.argv[2], YAML.stringify(JSON.parse(fs.readFileSync(process.argv[1], "utf8"))));' \
        "$work/rule-spec.json" "$work/rules-from-chart.yml"
      expect "promtool check rules passes on the PrometheusRule's spec" \
        promtool check rules "$work/rules-from-chart.yml"
    else
      echo "  (promtool not installed: the rendered rules are not checked by promtool here)"
    fi
  fi
  if chart_has_dashboards; then
    expect "the dashboard ConfigMap is labelled grafana_dashboard: \"1\" and holds valid JSON" \
      jqt '[.[] | select(.kind == "ConfigMap" and .metadata.labels.grafana_dashboard == "1")
              | .data | to_entries[] | .value | fromjson | type == "object"] | length > 0 and all' \
      "$work/packaged.json"
  fi
}

# --- rule-knobs ---------------------------------------------------------------------------
check_rule_knobs() {
  local v="$here/values-rule-knobs.yaml" j="$work/values-rule-knobs.json" spec="$work/knobs-spec.json"
  render "$v" values-rule-knobs
  jq '[.[] | select(.kind == "PrometheusRule")] | if length == 1 then .[0].spec else error("not one PrometheusRule") end' "$j" >"$spec"
  local all_alerts
  all_alerts="$(grep -hcE '^ *- alert:' "$repo"/config/prometheus/*.yml | awk '{ n += $1 } END { print n }')"
  expect "the disabled alerts are absent, the other $((all_alerts - 2)) alerts present" \
    jqt --argjson n "$((all_alerts - 2))" '[.groups[].rules[] | select(.alert)] as $a
      | ($a | length) == $n and ([$a[].alert] | index("SwrExporterThrottled") == null
        and index("SwrSyncJobPendingTooLong") == null and index("SwrExporterDown") != null)' "$spec"
  expect "no placeholder left" jqt '[.. | strings | select(contains("@@"))] | length == 0' "$spec"
  expect "the selector replaces job=~\".*swr.*\" in every rule reading the exporter" \
    jqt '[.. | strings | select(contains("job=~\".*swr.*\""))] | length == 0' "$spec"
  expect "SwrExporterDown reads up{job=\"swr\", namespace=\"monitoring\"}" \
    jqt '.groups[].rules[] | select(.alert == "SwrExporterDown") | .expr | contains("up{job=\"swr\", namespace=\"monitoring\"} == 0")' "$spec"
  expect "every by()/on() naming job or organization keeps the cluster label first" \
    jqt '[.groups[].rules[].expr | scan("(?:by|on) \\(([^)]*)\\)") | .[0] | select(test("job|organization"))]
         | length > 10 and all(startswith("cluster, "))' "$spec"
  expect "runbook_url and dashboard_url use the given bases" \
    jqt '[.groups[].rules[] | select(.alert) | .annotations] | all(
           (.runbook_url | startswith("https://runbooks.corp.example/swr.md#"))
           and (.dashboard_url | startswith("https://grafana.corp.example/d/swr-sync/swr-sync")))' "$spec"
  if command -v promtool >/dev/null; then
    node --input-type=module -e '
      const fs = await import("node:fs");
      const YAML = await import(process.env.NM + "/yaml/dist/index.js");
      fs.writeFileSync(process.argv[2], YAML.stringify(JSON.parse(fs.readFileSync(process.argv[1], "utf8"))));' \
      "$spec" "$work/knobs-rules.yml"
    expect "promtool check rules passes on the rules with the knobs set" promtool check rules "$work/knobs-rules.yml"
  else
    bad "promtool not installed (apt-get install prometheus)"
  fi
  expect_render_failure "prometheusRule.disabledAlerts with an unknown alert" "which is no alert of the chart" \
    -f "$v" --set 'prometheusRule.disabledAlerts={SwrNoSuchAlert}'
  expect_render_failure "prometheusRule.runbookUrlBase with a quote (schema)" "runbookUrlBase" \
    -f "$v" --set 'prometheusRule.runbookUrlBase=http://x/"y'
}

# --- sharding -----------------------------------------------------------------------------
check_sharding() {
  local v="$here/values-sharded.yaml" j="$work/values-sharded.json"
  render "$v" values-sharded 2>/dev/null || { bad "values-sharded: render"; return; }
  render "$v" unsharded --set shards=1 2>/dev/null || { bad "shards=1: render"; return; }
  render "$here/values-defaults.yaml" defaults 2>/dev/null || { bad "values-defaults: render"; return; }
  local sts='.[] | select(.kind == "StatefulSet")' headless
  headless="$(q "$j" '.[] | select(.kind == "Service" and .metadata.labels["swr-sync-exporter/service"] == "headless") | .metadata.name')"

  expect "shards=3: a StatefulSet of 3 replicas, podManagementPolicy Parallel, and no Deployment" \
    jqt "([.[] | select(.kind == \"Deployment\")] | length == 0)
           and ([$sts] | length == 1)
           and ($sts | .spec.replicas == 3 and .spec.podManagementPolicy == \"Parallel\")" "$j"
  expect "shards=3: the StatefulSet's serviceName is a headless Service ($headless) selecting its pods" \
    jqt --arg h "$headless" "($sts) as \$set | (.[] | select(.kind == \"Service\" and .metadata.name == \$h)
             | .spec.clusterIP == \"None\" and .spec.selector == \$set.spec.selector.matchLabels)
           and \$set.spec.serviceName == \$h" "$j"
  expect "shards=3: args end with --shard=\$(SWR_EXPORTER_SHARD_ORDINAL) --total-shards=3" \
    jqt "$container | .args[5:] == [\"--shard=\$(SWR_EXPORTER_SHARD_ORDINAL)\", \"--total-shards=3\"]" "$j"
  expect "shards=3: SWR_EXPORTER_SHARD_ORDINAL from the pod label apps.kubernetes.io/pod-index" \
    jqt "$container | .env == [{name: \"SWR_EXPORTER_SHARD_ORDINAL\", valueFrom: {fieldRef:
             {fieldPath: \"metadata.labels['apps.kubernetes.io/pod-index']\"}}}]" "$j"
  # Pod N, as the kubelet expands its args: --shard=N, N from 0 to 2.
  local i shards=()
  for i in 0 1 2; do
    shards+=("$(q "$j" --arg i "$i" "$container | [.args[] | gsub(\"\\\\$\\\\(SWR_EXPORTER_SHARD_ORDINAL\\\\)\"; \$i)]
                   | map(select(startswith(\"--shard=\") or startswith(\"--total-shards=\"))) | join(\" \")")")
  done
  expect "shards=3: pods 0, 1, 2 run as --shard=0/1/2 --total-shards=3 (${shards[*]})" \
    test "${shards[*]}" == "--shard=0 --total-shards=3 --shard=1 --total-shards=3 --shard=2 --total-shards=3"
  # One pod spec for both workloads: the StatefulSet's pod is the Deployment's (same values,
  # shards=1) plus the shard args and env.
  expect "shards=3: the pod template is the Deployment's plus the shard args and env" \
    jqt --slurpfile u "$work/unsharded.json" "
        def strip: .spec.template | .spec.containers[0] |= (.args |= map(select(test(\"^--(shard|total-shards)=\") | not))
                                                    | del(.env));
        ($sts | strip) == (\$u[0][] | select(.kind == \"Deployment\") | strip)" "$j"
  expect "shards=3: the ServiceMonitor selects the scraped Service and not the headless one" \
    jqt '(.[] | select(.kind == "ServiceMonitor") | .spec.selector) as $sel
         | [.[] | select(.kind == "Service") | .metadata.labels as $l
            | select(($sel.matchLabels | to_entries | all($l[.key] == .value))
                     and ($sel.matchExpressions // [] | all(.key as $k | if .operator == "DoesNotExist" then ($l | has($k) | not)
                                                           else error("operator \(.operator) not simulated") end)))
            | .spec.clusterIP // "" ] == [""]' "$j"
  expect "shards=3: config.toml has no [sharding] (each pod takes its shard from args)" \
    jqt '.[] | select(.kind == "ConfigMap" and (.data | has("config.toml"))) | .data["config.toml"] | test("sharding") | not' "$j"
  for f in unsharded defaults; do
    expect "$f (shards=1): a Deployment, no StatefulSet, no headless Service, no shard flags" \
      jqt "([.[] | select(.kind == \"Deployment\")] | length == 1) and ([$sts] | length == 0)
             and ([.[] | select(.kind == \"Service\")] | length == 1)
             and ($container | [.args[] | select(test(\"shard\"))] | length == 0)
             and ($container | [.env // [] | .[] | select(.name == \"SWR_EXPORTER_SHARD_ORDINAL\")] | length == 0)" \
      "$work/$f.json"
  done
  # config.toml from the new values: targets without repositories, no targets, discovery, scrape.
  local toml
  toml="$(q "$j" '.[] | select(.kind == "ConfigMap" and (.data | has("config.toml"))) | .data["config.toml"]')"
  expect "values-sharded: config.toml renders discovery and the new scrape keys" \
    grep -qzF $'max_requests_per_second = 2.5\nfull_resync_interval = "6h"\nrecheck_interval = "2h"' <<<"$toml"
  expect "values-sharded: [discovery] with include, exclude, interval, only_with_sync_rules" \
    grep -qzF $'[discovery]\ninclude = "^team-a/(svc|app)-[0-9]+$"\nexclude = "-tmp$"\ninterval = "30m"\nonly_with_sync_rules = true' <<<"$toml"
  expect "values-sharded: a target without repositories has no repositories key" \
    grep -qzF $'[[targets]]\norganization = "team-a"\n\n[[targets]]\norganization = "team-b"\nrepositories = ["app1","team/app2"]' <<<"$toml"
  render "$here/values-defaults.yaml" alltargets --set targets=null 2>/dev/null ||
    bad "no targets: render"
  expect "no targets: config.toml has no [[targets]] (every organization)" \
    jqt '.[] | select(.kind == "ConfigMap" and (.data | has("config.toml"))) | .data["config.toml"] | test("targets") | not' \
    "$work/alltargets.json"
  local dtoml
  dtoml="$(q "$work/defaults.json" '.[] | select(.kind == "ConfigMap" and (.data | has("config.toml"))) | .data["config.toml"]')"
  expect "values-defaults: the exporter's defaults (10 requests/s, full resync 1h, discovery 10m, no filters)" \
    grep -qzF $'max_requests_per_second = 10\nfull_resync_interval = "1h"\nrecheck_interval = "15m"\n\n[metrics]' <<<"$dtoml"
  expect "values-defaults: [discovery] interval 10m, only_with_sync_rules false, no include/exclude" \
    grep -qzF $'[discovery]\ninterval = "10m"\nonly_with_sync_rules = false\n' <<<"$dtoml"
}

# --- features -----------------------------------------------------------------------------
# The chart's object of a kind, from a rendered JSON: obj KIND
obj() { printf '.[] | select(.kind == "%s")' "$1"; }
toml_of() { q "$1" '.[] | select(.kind == "ConfigMap" and (.data | has("config.toml"))) | .data["config.toml"]'; }
check_features() {
  local d="$here/values-defaults.yaml" j
  local np pdb pm sm svc
  np="$(obj NetworkPolicy)" pdb="$(obj PodDisruptionBudget)" pm="$(obj PodMonitor)" sm="$(obj ServiceMonitor)"
  svc="$service"
  for f in defaults metadata webconfig operations sharded monitoring; do
    render "$here/values-$f.yaml" "$f" 2>/dev/null || bad "values-$f: render"
  done

  # auth.method metadata, auth.metadataEndpoint
  j="$work/metadata.json"
  expect "metadata: config.toml has method = \"metadata\", metadata_endpoint and no *_file key" \
    bash -c 'grep -qzF $'"'"'[auth]\nmethod = "metadata"\nmetadata_endpoint = "http://169.254.169.254"\n\n'"'"' <<<"$1" &&
             ! grep -q "_file = " <<<"$1"' _ "$(toml_of "$j")"
  expect "metadata: no Secret, no volume but config.toml, no env, no checksum/secret" \
    jqt "([.[] | select(.kind == \"Secret\")] | length == 0)
           and ($workload | .spec.template.spec.volumes == [{name: \"config\", configMap: {name: \"swr-swr-sync-exporter\"}}]
                and (.spec.template.metadata.annotations | has(\"checksum/secret\") | not))
           and ($container | has(\"env\") | not)" "$j"
  render "$here/values-metadata.yaml" md-env --set credentials.mountAs=env 2>/dev/null || bad "metadata, mountAs env: render"
  expect "metadata with credentials.mountAs=env: still no env, no Secret" \
    jqt "([.[] | select(.kind == \"Secret\")] | length == 0) and ($container | has(\"env\") | not)" "$work/md-env.json"
  render "$here/values-metadata.yaml" md-default --set auth.metadataEndpoint= 2>/dev/null || bad "metadata default endpoint: render"
  expect "metadata without metadataEndpoint: no metadata_endpoint key (the exporter's default)" \
    bash -c '! grep -q metadata_endpoint <<<"$1"' _ "$(toml_of "$work/md-default.json")"
  render "$d" aksk-endpoint --set auth.metadataEndpoint=http://10.0.0.1 2>/dev/null || bad "aksk with metadataEndpoint: render"
  expect "aksk with auth.metadataEndpoint set: no metadata_endpoint (the exporter refuses it with aksk)" \
    bash -c '! grep -q metadata_endpoint <<<"$1"' _ "$(toml_of "$work/aksk-endpoint.json")"

  # networkPolicy
  expect "networkPolicy: selects the workload's pods, Ingress and Egress" \
    jqt "($workload | .spec.selector.matchLabels) as \$m
           | $np | .spec.podSelector.matchLabels == \$m and .spec.policyTypes == [\"Ingress\", \"Egress\"]" "$j"
  expect "networkPolicy (metadata): ingress on port http from pods labelled prometheus in namespace monitoring" \
    jqt "$np | .spec.ingress == [{ports: [{port: \"http\", protocol: \"TCP\"}], from: [{
           namespaceSelector: {matchExpressions: [{key: \"kubernetes.io/metadata.name\", operator: \"In\", values: [\"monitoring\"]}]},
           podSelector: {matchLabels: {\"app.kubernetes.io/name\": \"prometheus\"}}}]}]" "$j"
  expect "networkPolicy (metadata): egress to kube-dns:53 UDP+TCP, the API CIDRs on 443, 169.254.169.254/32:80" \
    jqt "$np | .spec.egress == [
           {to: [{namespaceSelector: {matchLabels: {\"kubernetes.io/metadata.name\": \"kube-system\"}},
                  podSelector: {matchLabels: {\"k8s-app\": \"kube-dns\"}}}],
            ports: [{port: 53, protocol: \"UDP\"}, {port: 53, protocol: \"TCP\"}]},
           {to: [{ipBlock: {cidr: \"100.125.0.0/16\"}}, {ipBlock: {cidr: \"203.0.113.0/24\"}}],
            ports: [{port: 443, protocol: \"TCP\"}]},
           {to: [{ipBlock: {cidr: \"169.254.169.254/32\"}}], ports: [{port: 80, protocol: \"TCP\"}]}]" "$j"
  render "$here/values-metadata.yaml" md-np --set auth.metadataEndpoint=https://10.1.2.3:8443/ 2>/dev/null || bad "metadata endpoint with port: render"
  expect "networkPolicy: the metadata rule follows auth.metadataEndpoint (https://10.1.2.3:8443/ -> 10.1.2.3/32:8443)" \
    jqt "$np | .spec.egress[2] == {to: [{ipBlock: {cidr: \"10.1.2.3/32\"}}], ports: [{port: 8443, protocol: \"TCP\"}]}" "$work/md-np.json"
  render "$here/values-metadata.yaml" md-np-name --set auth.metadataEndpoint=https://metadata.internal,networkPolicy.egress.metadataCidr=10.9.0.0/24 2>/dev/null ||
    bad "metadata endpoint by name with metadataCidr: render"
  expect "networkPolicy: networkPolicy.egress.metadataCidr, port 443 for https://" \
    jqt "$np | .spec.egress[2] == {to: [{ipBlock: {cidr: \"10.9.0.0/24\"}}], ports: [{port: 443, protocol: \"TCP\"}]}" "$work/md-np-name.json"
  j="$work/operations.json"
  expect "networkPolicy (operations): ingress from namespaces labelled example.com/monitoring=true, any pod" \
    jqt "$np | .spec.ingress[0].from == [{namespaceSelector: {matchLabels: {\"example.com/monitoring\": \"true\"}}}]" "$j"
  expect "networkPolicy (operations): API ports 443 and 8443, extraRules appended, no metadata rule (password auth)" \
    jqt "$np | .spec.egress | length == 3 and .[1].ports == [{port: 443, protocol: \"TCP\"}, {port: 8443, protocol: \"TCP\"}]
           and .[2] == {to: [{ipBlock: {cidr: \"10.0.0.10/32\"}}], ports: [{port: 3128, protocol: \"TCP\"}]}
           and ([.[].to[] | select(.ipBlock.cidr == \"169.254.169.254/32\")] | length == 0)" "$j"
  render "$d" np-default --set networkPolicy.enabled=true,networkPolicy.egress.apiCidrs={0.0.0.0/0},networkPolicy.egress.dns.enabled=false \
    --set-json 'networkPolicy.ingress.extraFrom=[{"ipBlock":{"cidr":"10.20.0.0/16"}}]' 2>/dev/null || bad "networkPolicy defaults: render"
  expect "networkPolicy: no namespaces or selectors: the pods of the release's namespace, plus ingress.extraFrom" \
    jqt "$np | .spec.ingress[0].from == [{podSelector: {}}, {ipBlock: {cidr: \"10.20.0.0/16\"}}]" "$work/np-default.json"
  expect "networkPolicy: egress.dns.enabled=false drops the DNS rule" \
    jqt "$np | .spec.egress == [{to: [{ipBlock: {cidr: \"0.0.0.0/0\"}}], ports: [{port: 443, protocol: \"TCP\"}]}]" "$work/np-default.json"
  expect "networkPolicy: off by default" jqt "[$np] | length == 0" "$work/defaults.json"

  # podDisruptionBudget
  expect "podDisruptionBudget (Deployment): maxUnavailable 1, the Deployment's selector" \
    jqt "($workload | .spec.selector) as \$s | $pdb | .spec == {maxUnavailable: 1, selector: \$s}" "$j"
  expect "podDisruptionBudget (StatefulSet of 3 shards): maxUnavailable 1, the StatefulSet's selector" \
    jqt "(.[] | select(.kind == \"StatefulSet\") | .spec.selector) as \$s | $pdb | .spec == {maxUnavailable: 1, selector: \$s}" \
    "$work/sharded.json"
  render "$d" pdb-min --set podDisruptionBudget.enabled=true,podDisruptionBudget.minAvailable=50%,podDisruptionBudget.unhealthyPodEvictionPolicy=AlwaysAllow 2>/dev/null ||
    bad "podDisruptionBudget.minAvailable: render"
  expect "podDisruptionBudget.minAvailable=50% replaces maxUnavailable; unhealthyPodEvictionPolicy AlwaysAllow" \
    jqt "$pdb | .spec | .minAvailable == \"50%\" and (has(\"maxUnavailable\") | not) and .unhealthyPodEvictionPolicy == \"AlwaysAllow\"" "$work/pdb-min.json"
  expect "podDisruptionBudget: off by default" jqt "[$pdb] | length == 0" "$work/defaults.json"

  # startupProbe
  expect "startupProbe: /-/ready on port http, 60 x 10 s; liveness and readiness as before" \
    jqt "$container | .startupProbe == {httpGet: {path: \"/-/ready\", port: \"http\"}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60}
           and .livenessProbe == {httpGet: {path: \"/-/healthy\", port: \"http\"}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3}
           and .readinessProbe == {httpGet: {path: \"/-/ready\", port: \"http\"}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3}" \
    "$work/defaults.json"
  render "$d" no-startup --set startupProbe=null 2>/dev/null || bad "startupProbe=null: render"
  expect "startupProbe=null: no startupProbe" jqt "$container | has(\"startupProbe\") | not" "$work/no-startup.json"
  expect "startupProbe: the StatefulSet's pods have it too" \
    jqt "$container | .startupProbe.failureThreshold == 60" "$work/sharded.json"

  # webConfig
  j="$work/webconfig.json"
  expect "webConfig: --web.config.file=/etc/swr-sync-exporter-web/web-config.yml" \
    jqt "$container | [.args[] | select(startswith(\"--web.config.file\"))] == [\"--web.config.file=/etc/swr-sync-exporter-web/web-config.yml\"]" "$j"
  expect "webConfig: the whole Secret swr-web-config, mode 0440, mounted read-only at /etc/swr-sync-exporter-web" \
    jqt "($workload | .spec.template.spec.volumes[] | select(.name == \"web-config\") == {name: \"web-config\", secret: {secretName: \"swr-web-config\", defaultMode: 288}})
           and ($container | .volumeMounts[] | select(.name == \"web-config\") == {name: \"web-config\", mountPath: \"/etc/swr-sync-exporter-web\", readOnly: true})" "$j"
  expect "webConfig with basicAuth: every probe a tcpSocket on port http, timings kept" \
    jqt "$container | .startupProbe == {tcpSocket: {port: \"http\"}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60}
           and .livenessProbe == {tcpSocket: {port: \"http\"}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3}
           and .readinessProbe == {tcpSocket: {port: \"http\"}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3}" "$j"
  render "$here/values-webconfig.yaml" web-tls-only --set webConfig.basicAuth=false 2>/dev/null || bad "webConfig TLS only: render"
  expect "webConfig TLS only: httpGet probes with scheme HTTPS" \
    jqt "$container | [.startupProbe, .livenessProbe, .readinessProbe] | map(.httpGet.scheme) == [\"HTTPS\", \"HTTPS\", \"HTTPS\"]" \
    "$work/web-tls-only.json"
  render "$here/values-webconfig.yaml" web-plain --set webConfig.basicAuth=false,webConfig.tls=false 2>/dev/null || bad "webConfig without TLS: render"
  expect "webConfig without TLS or basic auth (headers only): probes, PodMonitor scheme and annotations stay http" \
    jqt "($container | .livenessProbe.httpGet == {path: \"/-/healthy\", port: \"http\"})
           and ($pm | .spec.podMetricsEndpoints[0] | .scheme == \"http\" and (has(\"tlsConfig\") | not))
           and ($svc | .metadata.annotations[\"prometheus.io/scheme\"] == \"http\")" "$work/web-plain.json"
  render "$here/values-webconfig.yaml" web-exec --set-json 'livenessProbe={"exec":{"command":["/swr-sync-exporter","--version"]}}' 2>/dev/null ||
    bad "webConfig with an exec liveness probe: render"
  expect "webConfig: an exec probe from values replaces the default httpGet, and passes unchanged" \
    jqt "$container | .livenessProbe == {exec: {command: [\"/swr-sync-exporter\", \"--version\"]}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3}" "$work/web-exec.json"
  # The README's recipe from before webConfig: extraArgs, extraVolumes, TCP probes, serviceMonitor.scheme.
  cat >"$work/old-recipe-values.yaml" <<'YAML'
extraArgs: [--web.config.file=/etc/swr-sync-exporter-web/web-config.yml]
extraVolumes:
  - name: web-config
    secret: {secretName: swr-web-config, defaultMode: 0440}
extraVolumeMounts:
  - {name: web-config, mountPath: /etc/swr-sync-exporter-web, readOnly: true}
livenessProbe: {tcpSocket: {port: http}, periodSeconds: 10}
readinessProbe: {tcpSocket: {port: http}, periodSeconds: 10}
startupProbe: {tcpSocket: {port: http}}
serviceMonitor:
  scheme: https
  tlsConfig:
    ca: {secret: {name: swr-web-tls, key: ca.crt}}
YAML
  render "$here/values-monitoring.yaml" old-recipe -f "$work/old-recipe-values.yaml" 2>/dev/null || bad "the extraArgs web config recipe: render"
  expect "the extraArgs recipe still works: its flag and volume, tcpSocket probes only, the ServiceMonitor on https" \
    jqt "($container | (.args | index(\"--web.config.file=/etc/swr-sync-exporter-web/web-config.yml\") != null)
           and ([.startupProbe, .livenessProbe, .readinessProbe] | all(.tcpSocket == {port: \"http\"} and (has(\"httpGet\") | not))))
           and ($workload | [.spec.template.spec.volumes[] | select(.name == \"web-config\")] | length == 1)
           and ($sm | .spec.endpoints[0] | .scheme == \"https\" and .tlsConfig == {ca: {secret: {name: \"swr-web-tls\", key: \"ca.crt\"}}})" \
    "$work/old-recipe.json"
  expect "webConfig: no --web.config.file, no web-config volume by default" \
    jqt "($container | [.args[] | select(startswith(\"--web.config.file\"))] | length == 0)
           and ($workload | [.spec.template.spec.volumes[] | select(.name == \"web-config\")] | length == 0)" "$work/defaults.json"
  render "$here/values-sharded.yaml" web-sharded --set webConfig.enabled=true,webConfig.existingSecret=swr-web-config 2>/dev/null ||
    bad "webConfig with shards: render"
  expect "webConfig with shards: --web.config.file after the shard flags; the ServiceMonitor scrapes https" \
    jqt "($container | .args[5:] == [\"--shard=\$(SWR_EXPORTER_SHARD_ORDINAL)\", \"--total-shards=3\", \"--web.config.file=/etc/swr-sync-exporter-web/web-config.yml\"])
           and ($sm | .spec.endpoints[0].scheme == \"https\")" "$work/web-sharded.json"

  # The monitors follow webConfig
  expect "PodMonitor with webConfig: https, tlsConfig.ca from the Secret's ca.crt, serverName, basicAuth" \
    jqt "$pm | .spec.podMetricsEndpoints[0] | .scheme == \"https\"
           and .tlsConfig == {ca: {secret: {name: \"swr-web-config\", key: \"ca.crt\"}}, serverName: \"swr-sync-exporter.monitoring.svc\"}
           and .basicAuth == {username: {name: \"swr-web-auth\", key: \"username\"}, password: {name: \"swr-web-auth\", key: \"password\"}}" "$j"
  render "$here/values-webconfig.yaml" web-own-tls --set podMonitor.tlsConfig.serverName=other.example,podMonitor.tlsConfig.insecureSkipVerify=false 2>/dev/null ||
    bad "podMonitor.tlsConfig with webConfig: render"
  expect "podMonitor.tlsConfig wins over webConfig's serverName, keeps its CA" \
    jqt "$pm | .spec.podMetricsEndpoints[0].tlsConfig == {ca: {secret: {name: \"swr-web-config\", key: \"ca.crt\"}}, serverName: \"other.example\", insecureSkipVerify: false}" \
    "$work/web-own-tls.json"
  render "$here/values-webconfig.yaml" web-sm --set podMonitor.enabled=false,serviceMonitor.enabled=true \
    --set-json 'serviceMonitor.basicAuth={"username":{"name":"a","key":"u"},"password":{"name":"a","key":"p"}}' 2>/dev/null ||
    bad "ServiceMonitor with webConfig: render"
  expect "ServiceMonitor with webConfig: https (serviceMonitor.scheme says http), the Secret's CA, serverName" \
    jqt "$sm | .spec.endpoints[0] | .scheme == \"https\" and .tlsConfig.ca.secret == {name: \"swr-web-config\", key: \"ca.crt\"}
           and .tlsConfig.serverName == \"swr-sync-exporter.monitoring.svc\" and .basicAuth.password.key == \"p\"" "$work/web-sm.json"

  # podMonitor and its podTargetLabels, sampleLimit, jobLabel
  expect "PodMonitor: selects the workload's pods in the release's namespace, port http, the telemetry path" \
    jqt "($workload | .spec.template.metadata.labels) as \$l
           | $pm | (.spec.selector.matchLabels | to_entries | all(\$l[.key] == .value))
             and .spec.namespaceSelector == {matchNames: [\"monitoring\"]}
             and .spec.podMetricsEndpoints[0].port == \"http\" and .spec.podMetricsEndpoints[0].path == \"/metrics\"
             and .spec.podMetricsEndpoints[0].interval == \"30s\" and .metadata.labels.release == \"kube-prometheus-stack\"" "$j"
  expect "PodMonitor: jobLabel, podTargetLabels, sampleLimit from values; no ServiceMonitor" \
    jqt "([$sm] | length == 0) and ($pm | .spec.jobLabel == \"app.kubernetes.io/instance\"
           and .spec.podTargetLabels == [\"app.kubernetes.io/instance\", \"app.kubernetes.io/version\"]
           and .spec.sampleLimit == 50000)" "$j"
  render "$d" pm-default --set podMonitor.enabled=true 2>/dev/null || bad "podMonitor defaults: render"
  expect "PodMonitor defaults: jobLabel app.kubernetes.io/name, no podTargetLabels or sampleLimit, http" \
    jqt "$pm | .spec.jobLabel == \"app.kubernetes.io/name\" and (.spec | has(\"podTargetLabels\") or has(\"sampleLimit\") | not)
           and .spec.podMetricsEndpoints[0] == {port: \"http\", path: \"/metrics\", scheme: \"http\", honorLabels: false}" "$work/pm-default.json"
  render "$here/values-sharded.yaml" pm-sharded --set serviceMonitor.enabled=false,podMonitor.enabled=true 2>/dev/null || bad "podMonitor with shards: render"
  expect "PodMonitor with shards: selects the StatefulSet's pods (each shard once)" \
    jqt "(.[] | select(.kind == \"StatefulSet\") | .spec.selector.matchLabels) as \$m | $pm | .spec.selector.matchLabels == \$m" "$work/pm-sharded.json"

  # serviceMonitor.targetLabels, sampleLimit, jobLabel
  j="$work/operations.json"
  expect "ServiceMonitor: jobLabel, targetLabels, sampleLimit from values" \
    jqt "$sm | .spec.jobLabel == \"app.kubernetes.io/instance\" and .spec.targetLabels == [\"app.kubernetes.io/instance\"]
           and .spec.sampleLimit == 100000" "$j"
  expect "ServiceMonitor defaults: jobLabel app.kubernetes.io/name, no targetLabels or sampleLimit" \
    jqt "$sm | .spec.jobLabel == \"app.kubernetes.io/name\" and (.spec | has(\"targetLabels\") or has(\"sampleLimit\") | not)" \
    "$work/monitoring.json"
  render "$here/values-monitoring.yaml" sm-nojob --set serviceMonitor.jobLabel= 2>/dev/null || bad "serviceMonitor.jobLabel empty: render"
  expect "serviceMonitor.jobLabel empty: no jobLabel (prometheus-operator's default)" \
    jqt "$sm | .spec | has(\"jobLabel\") | not" "$work/sm-nojob.json"

  # service.annotations, service.prometheusScrapeAnnotations
  expect "service.prometheusScrapeAnnotations: scrape, port 10220, path, scheme https (webConfig.tls); annotations added" \
    jqt "$svc | .metadata.annotations == {\"prometheus.io/scrape\": \"true\", \"prometheus.io/port\": \"10220\",
           \"prometheus.io/path\": \"/metrics\", \"prometheus.io/scheme\": \"https\", \"example.com/owner\": \"platform\"}" \
    "$work/webconfig.json"
  expect "service.annotations alone (operations)" \
    jqt "$svc | .metadata.annotations == {\"example.com/team\": \"platform\"}" "$j"
  render "$here/values-sharded.yaml" ann-sharded --set service.prometheusScrapeAnnotations=true --set-string service.annotations.prometheus\\.io/port=9999 2>/dev/null ||
    bad "prometheusScrapeAnnotations with shards: render"
  expect "service.annotations win over the scrape annotations; the headless Service has none" \
    jqt "($svc | .metadata.annotations[\"prometheus.io/port\"] == \"9999\" and .metadata.annotations[\"prometheus.io/scheme\"] == \"http\")
           and (.[] | select(.kind == \"Service\" and .spec.clusterIP == \"None\") | has(\"annotations\") or (.metadata | has(\"annotations\")) | not)" \
    "$work/ann-sharded.json"
  expect "no Service annotations by default" jqt "$svc | .metadata | has(\"annotations\") | not" "$work/defaults.json"

  # topologySpreadConstraints
  expect "topologySpreadConstraints: the chart's selector filled in where labelSelector is missing, kept where given" \
    jqt "($workload | .spec.selector.matchLabels) as \$m | $workload | .spec.template.spec.topologySpreadConstraints == [
           {maxSkew: 1, topologyKey: \"topology.kubernetes.io/zone\", whenUnsatisfiable: \"ScheduleAnyway\", labelSelector: {matchLabels: \$m}},
           {maxSkew: 1, topologyKey: \"kubernetes.io/hostname\", whenUnsatisfiable: \"ScheduleAnyway\",
            labelSelector: {matchLabels: {\"app.kubernetes.io/part-of\": \"swr-sync-exporter\"}}}]" "$j"
  expect "topologySpreadConstraints: none by default" \
    jqt "$workload | .spec.template.spec | has(\"topologySpreadConstraints\") | not" "$work/defaults.json"

  # updateStrategy
  expect "updateStrategy Recreate: the Deployment's strategy" jqt "$workload | .spec.strategy == {type: \"Recreate\"}" "$j"
  expect "updateStrategy {}: no Deployment strategy (Kubernetes' default); StatefulSet RollingUpdate" \
    jqt "$workload | has(\"strategy\") | not" "$work/defaults.json"
  render "$d" ds-rolling --set updateStrategy.type=RollingUpdate,updateStrategy.rollingUpdate.maxSurge=0,updateStrategy.rollingUpdate.maxUnavailable=1 2>/dev/null ||
    bad "Deployment rollingUpdate: render"
  expect "updateStrategy RollingUpdate maxSurge 0 (Deployment)" \
    jqt "$workload | .spec.strategy == {type: \"RollingUpdate\", rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}" "$work/ds-rolling.json"
  render "$here/values-sharded.yaml" sts-partition --set updateStrategy.rollingUpdate.partition=2 2>/dev/null || bad "StatefulSet partition: render"
  expect "updateStrategy RollingUpdate partition 2 (StatefulSet)" \
    jqt "$workload | .kind == \"StatefulSet\" and .spec.updateStrategy == {type: \"RollingUpdate\", rollingUpdate: {partition: 2}}" "$work/sts-partition.json"
  render "$here/values-sharded.yaml" sts-ondelete --set updateStrategy.type=OnDelete 2>/dev/null || bad "StatefulSet OnDelete: render"
  expect "updateStrategy OnDelete (StatefulSet)" \
    jqt "$workload | .spec.updateStrategy == {type: \"OnDelete\"}" "$work/sts-ondelete.json"
  render "$here/values-sharded.yaml" sts-default --set updateStrategy=null 2>/dev/null || bad "StatefulSet default strategy: render"
  expect "updateStrategy unset: the StatefulSet's RollingUpdate" \
    jqt "$workload | .spec.updateStrategy == {type: \"RollingUpdate\"}" "$work/sts-default.json"

  # Chart.yaml
  local chart_json
  chart_json="$("$helm" show chart "$chart" | node --input-type=module -e '
    const YAML = await import(process.env.NM + "/yaml/dist/index.js");
    let s = ""; for await (const c of process.stdin) s += c;
    console.log(JSON.stringify(YAML.parse(s)));')"
  expect "Chart.yaml: home, sources, maintainers" \
    jqt '.home == "https://github.com/swr-sync-exporter/swr-sync-exporter"
         and .sources == ["https://github.com/swr-sync-exporter/swr-sync-exporter"]
         and (.maintainers | length > 0 and all(.name | length > 0))' <<<"$chart_json"
  expect "Chart.yaml: artifacthub.io/license Apache-2.0, a category, links that parse" \
    jqt '.annotations["artifacthub.io/license"] == "Apache-2.0" and (.annotations["artifacthub.io/category"] | length > 0)
         and (.annotations["artifacthub.io/links"] | length > 0)' <<<"$chart_json"
  expect "the chart's LICENSE is the Apache License 2.0" \
    grep -qF 'Apache License' "$chart/LICENSE"
  expect "the chart's LICENSE is version 2.0" grep -qF 'Version 2.0, January 2004' "$chart/LICENSE"
}

# --- web ----------------------------------------------------------------------------------
# kubelet_probe JSON_PROBE PORT: runs a probe as the kubelet does, against 127.0.0.1:PORT (the
# container port the probe names): tcpSocket connects; httpGet succeeds on 200-399, over HTTPS
# without verifying the certificate. Prints what happened; true when the probe succeeds.
kubelet_probe() {
  local probe="$1" port="$2"
  if jq -e 'has("tcpSocket")' <<<"$probe" >/dev/null; then
    if timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$port" 2>/dev/null; then
      echo "tcp connect ok"
    else
      echo "tcp connect refused"
      return 1
    fi
  elif jq -e 'has("httpGet")' <<<"$probe" >/dev/null; then
    local scheme path code
    scheme="$(jq -r '.httpGet.scheme // "HTTP" | ascii_downcase' <<<"$probe")"
    path="$(jq -r '.httpGet.path // "/"' <<<"$probe")"
    code="$(curl -s -k -o /dev/null -w '%{http_code}' --max-time 5 "$scheme://127.0.0.1:$port$path" || true)"
    echo "GET $scheme://...$path: $code"
    [[ "$code" -ge 200 && "$code" -lt 400 ]]
  else
    echo "probe not simulated: $probe"
    return 1
  fi
}

# Starts the exporter of rendered JSON $1 in its pod layout $2 (listening on 127.0.0.1, a free
# port; the API at a closed port, so the first cycle ends at once); sets web_pid and web_port.
start_pod_exporter() {
  local json="$1" root="$2"
  build_pod_root "$json" "$root" || return 1
  run_exec=1 run_timeout=120 run_in_pod_root "$root" --web.listen-address=127.0.0.1:0 >"$root.log" 2>&1 &
  web_pid=$!
  web_port=""
  for _ in $(seq 100); do
    web_port="$(sed -n 's/.*msg=listening .*port=\([0-9]*\).*/\1/p' "$root.log" | head -n 1)"
    [[ -n "$web_port" ]] && return 0
    kill -0 "$web_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the exporter did not start: $(cat "$root.log")" >&2
  return 1
}
stop_pod_exporter() {
  [[ -n "${web_pid:-}" ]] || return 0
  kill "$web_pid" 2>/dev/null || true
  wait "$web_pid" 2>/dev/null || true
  web_pid=""
}

# The pod's probes (startup, liveness, readiness) as the kubelet runs them: each must succeed
# within 15 s (readiness and startup wait for the first snapshot).
expect_probes_pass() {  # name json
  local n="$1" json="$2" kind probe out
  for kind in startupProbe livenessProbe readinessProbe; do
    probe="$(q "$json" -c "$container | .$kind")"
    local passed=false
    for _ in $(seq 30); do
      if out="$(kubelet_probe "$probe" "$web_port")"; then passed=true; break; fi
      sleep 0.5
    done
    if $passed; then ok "$n: $kind passes as the kubelet runs it ($out)"; else bad "$n: $kind fails: $out; log: $(cat "$web_root.log")"; fi
  done
}

check_web() {
  [[ $(id -u) -eq 0 ]] || { echo "web: needs root (chroot, mount namespace)"; exit 77; }
  [[ -x "$exporter" ]] || { echo "no exporter at $exporter: build it first" >&2; exit 1; }
  command -v curl >/dev/null && command -v openssl >/dev/null || { echo "web: needs curl and openssl"; exit 77; }
  trap 'stop_pod_exporter; rm -rf "$work"' EXIT
  local api=(--set huaweicloud.swrEndpoint=http://127.0.0.1:9,huaweicloud.iamEndpoint=http://127.0.0.1:9)
  local v="$here/values-webconfig.yaml" j out code

  # TLS and basic auth: values-webconfig as it is.
  make_web_secret swr-web-config tls+basic
  render "$v" web-basic "${api[@]}" 2>/dev/null || { bad "values-webconfig: render"; return; }
  j="$work/web-basic.json"
  web_root="$work/root-web-basic"
  if start_pod_exporter "$j" "$web_root"; then
    expect "TLS and basic auth: the exporter serves TLS from the chart's --web.config.file" \
      grep -q 'msg=listening .*tls=true' "$web_root.log"
    expect_probes_pass "TLS and basic auth" "$j"
    # What the probes would do as httpGet: basic auth answers 401, which the kubelet counts as failure.
    code="$(curl -s -k -o /dev/null -w '%{http_code}' "https://127.0.0.1:$web_port/-/healthy" || true)"
    expect "TLS and basic auth: an httpGet probe of /-/healthy would get 401 (so the chart probes TCP): $code" test "$code" == 401
    code="$(curl -s -k -o /dev/null -w '%{http_code}' "https://127.0.0.1:$web_port/-/ready" || true)"
    expect "TLS and basic auth: an httpGet probe of /-/ready would get 401: $code" test "$code" == 401
    # The PodMonitor's view: https, the CA from the Secret's key caKey, serverName, the user.
    local ca server_name
    ca="$(q "$j" "$(obj PodMonitor) | .spec.podMetricsEndpoints[0].tlsConfig.ca.secret.key")"
    server_name="$(q "$j" "$(obj PodMonitor) | .spec.podMetricsEndpoints[0].tlsConfig.serverName")"
    code="$(curl -s -o /dev/null -w '%{http_code}' --cacert "$secret_fixtures/swr-web-config/$ca" \
      --resolve "$server_name:$web_port:127.0.0.1" -u "$web_user:$web_password" \
      "https://$server_name:$web_port/metrics" || true)"
    expect "TLS and basic auth: a scrape as the PodMonitor says (https, CA $ca, serverName $server_name, basic auth) gets 200: $code" \
      test "$code" == 200
  else
    bad "TLS and basic auth: the exporter did not start"
  fi
  stop_pod_exporter

  # TLS only: httpGet probes with scheme HTTPS.
  make_web_secret swr-web-tls tls
  render "$v" web-tls "${api[@]}" --set webConfig.basicAuth=false,webConfig.existingSecret=swr-web-tls,podMonitor.basicAuth=null 2>/dev/null ||
    { bad "TLS only: render"; return; }
  j="$work/web-tls.json"
  web_root="$work/root-web-tls"
  if start_pod_exporter "$j" "$web_root"; then
    expect "TLS only: the probes are httpGet with scheme HTTPS" \
      jqt "$container | [.startupProbe, .livenessProbe, .readinessProbe] | all(.httpGet.scheme == \"HTTPS\")" "$j"
    expect_probes_pass "TLS only" "$j"
    code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$web_port/-/healthy" || true)"
    expect "TLS only: a plain-HTTP probe (no scheme) would get $code, not 2xx/3xx" test "$code" == 400
  else
    bad "TLS only: the exporter did not start"
  fi
  stop_pod_exporter

  # No web config: the default probes pass against the plain-HTTP exporter.
  render "$here/values-defaults.yaml" web-none "${api[@]}" 2>/dev/null || { bad "values-defaults: render"; return; }
  web_root="$work/root-web-none"
  if start_pod_exporter "$work/web-none.json" "$web_root"; then
    expect_probes_pass "no web config" "$work/web-none.json"
  else
    bad "no web config: the exporter did not start"
  fi
  stop_pod_exporter
}

# --- bad-values ---------------------------------------------------------------------------
expect_render_failure() {  # description regex helm-args...
  local what="$1" pattern="$2" out
  shift 2
  if out="$("$helm" template "$release" "$chart" "$@" 2>&1)"; then
    bad "$what: rendered, expected an error"
  elif grep -Eq "$pattern" <<<"$out"; then
    ok "$what: $(grep -Eo "$pattern" <<<"$out" | head -n 1)"
  else
    bad "$what: the error does not match /$pattern/: $out"
  fi
}
check_bad_values() {
  local d="$here/values-defaults.yaml"
  expect_render_failure "the bare defaults (no credentials)" "credentials.accessKey is empty"
  expect_render_failure "no credentials" "credentials.accessKey is empty" \
    --set 'targets[0].organization=a,targets[0].repositories={r}'
  expect_render_failure "an unknown auth method (schema)" "auth.method" -f "$d" --set auth.method=oauth
  expect_render_failure "a misspelt key (schema)" "Additional property scrap" -f "$d" --set scrap.interval=1m
  expect_render_failure "a target without organization (schema)" "organization" -f "$d" \
    --set 'targets[1].repositories={r}'
  printf 'targets:\n  - organization: a\n    repositories: []\n' >"$work/empty-repositories.yaml"
  expect_render_failure "a target with an empty repositories list (schema)" "repositories" \
    -f "$d" -f "$work/empty-repositories.yaml"
  expect_render_failure "a bad discovery.interval (schema)" "interval" -f "$d" \
    --set-string discovery.interval=10
  expect_render_failure "scrape.maxRequestsPerSecond 0 (schema)" "maxRequestsPerSecond" -f "$d" \
    --set scrape.maxRequestsPerSecond=0
  expect_render_failure "serviceMonitor.scheme ftp (schema)" "scheme" -f "$d" \
    --set serviceMonitor.scheme=ftp
  expect_render_failure "shards 0 (schema)" "shards" -f "$d" --set shards=0
  expect_render_failure "shards as a string (schema)" "shards" -f "$d" --set-string shards=3
  expect_render_failure "shards 3 with replicaCount 2" "leave replicaCount at 1" -f "$d" \
    --set shards=3,replicaCount=2
  expect_render_failure "shards 3 on Kubernetes 1.27" "needs Kubernetes 1.28 or later" -f "$d" \
    --set shards=3 --kube-version 1.27.3
  expect_render_failure "a duration without unit (schema)" "interval" -f "$d" --set-string scrape.interval=60
  expect_render_failure "token auth with mountAs env" "mountAs=env does not work" -f "$d" \
    --set auth.method=token,credentials.token=t,credentials.mountAs=env
  expect_render_failure "password auth without domain and user" "needs auth.domainName" -f "$d" \
    --set auth.method=password,credentials.password=p
  # auth.method metadata
  local m="$here/values-metadata.yaml"
  expect_render_failure "metadata auth with credentials.existingSecret" "nothing would mount that Secret" -f "$m" \
    --set credentials.existingSecret=swr-aksk
  expect_render_failure "a metadata endpoint without scheme (schema)" "metadataEndpoint" -f "$m" \
    --set auth.metadataEndpoint=169.254.169.254
  expect_render_failure "a metadata endpoint by name, networkPolicy without metadataCidr" \
    "give its address in networkPolicy.egress.metadataCidr" -f "$m" --set auth.metadataEndpoint=http://metadata.internal
  # networkPolicy
  expect_render_failure "networkPolicy without apiCidrs or extraRules" "networkPolicy.egress.apiCidrs is empty" -f "$d" \
    --set networkPolicy.enabled=true
  expect_render_failure "networkPolicy.ingress.namespaces with namespaceSelector" "not both" -f "$m" \
    --set networkPolicy.ingress.namespaceSelector.matchLabels.team=a
  expect_render_failure "an apiCidrs entry that is a host name (schema)" "apiCidrs" -f "$m" \
    --set 'networkPolicy.egress.apiCidrs={swr-api.cn-north-4.myhuaweicloud.com}'
  expect_render_failure "a misspelt networkPolicy key (schema)" "Additional property egres" -f "$d" \
    --set networkPolicy.egres.apiCidrs=x
  # podDisruptionBudget
  expect_render_failure "podDisruptionBudget.maxUnavailable not a number or percentage (schema)" "maxUnavailable" -f "$d" \
    --set podDisruptionBudget.enabled=true,podDisruptionBudget.maxUnavailable=one
  expect_render_failure "podDisruptionBudget with neither maxUnavailable nor minAvailable" "set one" -f "$d" \
    --set podDisruptionBudget.enabled=true,podDisruptionBudget.maxUnavailable=null
  # updateStrategy
  expect_render_failure "updateStrategy Recreate with shards" "Recreate does not apply to the StatefulSet" -f "$d" \
    --set shards=3,updateStrategy.type=Recreate
  expect_render_failure "updateStrategy OnDelete without shards" "OnDelete does not apply to the Deployment" -f "$d" \
    --set updateStrategy.type=OnDelete
  expect_render_failure "updateStrategy partition on the Deployment" "partition does not apply to the Deployment" -f "$d" \
    --set updateStrategy.rollingUpdate.partition=1
  expect_render_failure "updateStrategy maxSurge on the StatefulSet" "maxSurge does not apply to the StatefulSet" -f "$d" \
    --set shards=3,updateStrategy.rollingUpdate.maxSurge=1
  expect_render_failure "updateStrategy rollingUpdate with type Recreate" "rollingUpdate goes with type RollingUpdate only" -f "$d" \
    --set updateStrategy.type=Recreate,updateStrategy.rollingUpdate.maxSurge=1
  expect_render_failure "updateStrategy.type Replace (schema)" "updateStrategy" -f "$d" --set updateStrategy.type=Replace
  # Monitors
  expect_render_failure "serviceMonitor and podMonitor both enabled" "enable one" -f "$d" \
    --set serviceMonitor.enabled=true,podMonitor.enabled=true
  expect_render_failure "serviceMonitor.sampleLimit negative (schema)" "sampleLimit" -f "$d" --set serviceMonitor.sampleLimit=-1
  expect_render_failure "a podMonitor.podTargetLabels entry that is no label name (schema)" "podTargetLabels" -f "$d" \
    --set 'podMonitor.podTargetLabels={not a label}'
  expect_render_failure "a misspelt podMonitor key (schema)" "Additional property targetLabels" -f "$d" \
    --set 'podMonitor.targetLabels={a}'
  # webConfig
  local w="$here/values-webconfig.yaml"
  expect_render_failure "webConfig.enabled without existingSecret" "webConfig.existingSecret is empty" -f "$d" \
    --set webConfig.enabled=true
  expect_render_failure "webConfig.basicAuth with a PodMonitor without basicAuth" "podMonitor.basicAuth is empty" -f "$w" \
    --set podMonitor.basicAuth=null
  expect_render_failure "webConfig.basicAuth with a ServiceMonitor without basicAuth" "serviceMonitor.basicAuth is empty" -f "$w" \
    --set podMonitor.enabled=false,serviceMonitor.enabled=true
  expect_render_failure "webConfig.tls=false with serviceMonitor.scheme=https" "webConfig.tls is false" -f "$d" \
    --set webConfig.enabled=true,webConfig.existingSecret=s,webConfig.tls=false,serviceMonitor.enabled=true,serviceMonitor.scheme=https
  expect_render_failure "webConfig with --web.config.file in extraArgs too" "drop it from extraArgs" -f "$w" \
    --set 'extraArgs={--web.config.file=/x/web.yml}'
  expect_render_failure "webConfig.mountPath where config.toml is" "choose another directory" -f "$w" \
    --set webConfig.mountPath=/etc/swr-sync-exporter
  expect_render_failure "webConfig.fileKey with a slash (schema)" "fileKey" -f "$w" --set webConfig.fileKey=a/b
  if ! chart_has_dashboards; then
    expect_render_failure "dashboards.enabled without a dashboard in the chart" "no dashboards" \
      -f "$d" --set dashboards.enabled=true
  fi
}

case "$check" in schema | chart-files) field_check=() ;; esac
case "$check" in
  lint) check_lint ;;
  schema) check_schema ;;
  config) check_config ;;
  security) check_security ;;
  checksum) check_checksum ;;
  secrets) check_secrets ;;
  chart-files) check_chart_files ;;
  rule-knobs) check_rule_knobs ;;
  sharding) check_sharding ;;
  bad-values) check_bad_values ;;
  features) check_features ;;
  web) check_web ;;
  *) echo "unknown check $check" >&2; exit 2 ;;
esac
echo "$check: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
