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
#                secret file or variable is missing; a shard pod starts as its shard
#   security     the pod's hardening, probes, ports, labels; no default resource limits
#   sharding     shards: 1 renders the Deployment; shards: 3 a StatefulSet of 3 pods (Parallel),
#                its headless Service, the same pod as the Deployment's plus the shard flags
#                from the pod-index label; the ServiceMonitor scrapes each pod once; limits
#   checksum     checksum/config follows config.toml, and only it; checksum/secret the Secret
#   secrets      no secret value (plain or base64) outside the Secret; config.toml only names
#                files; env vars come from secretKeyRef
#   chart-files  the chart's rules/ and dashboards/ are copies of config/prometheus/ and
#                dashboards/; the packaged chart renders the same PrometheusRule groups; promtool
#   bad-values   values that cannot work stop the render with a message saying what to set
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
[[ -n "$check" ]] || { sed -n '2,20p' "$0" >&2; exit 2; }

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
    values-sharded) echo "ConfigMap StatefulSet Service Service ServiceAccount Secret ServiceMonitor" ;;
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
      [[ -n "$items" ]] || { echo "secret volume $volume without items: cannot know its keys" >&2; return 1; }
      while IFS=$'\t' read -r key path; do
        mkdir -p "$(dirname "$dir/$path")"
        secret_value "$json" "$object_name" "$key" >"$dir/$path"
      done <<<"$items"
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
  "${wrap[@]}" unshare --mount --propagation private -- bash -c '
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
    local secret_file
    secret_file="$(find "$root/var" "$root/run" -type f 2>/dev/null | head -n 1 || true)"
    if [[ -n "$secret_file" ]]; then
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
    expect "$n: liveness /-/healthy and readiness /-/ready on port http" \
      jqt "$container | .livenessProbe.httpGet == {path: \"/-/healthy\", port: \"http\"}
               and .readinessProbe.httpGet == {path: \"/-/ready\", port: \"http\"}" "$j"
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
  expect "values-aksk-env: AK/SK as HUAWEICLOUD_SDK_AK/SK, no credentials volume" \
    jqt "($container | [.env[].name] == [\"HUAWEICLOUD_SDK_AK\", \"HUAWEICLOUD_SDK_SK\"])
           and ($workload | [.spec.template.spec.volumes[] | select(.secret)] | length == 0)" \
    "$work/values-aksk-env.json"
}

# --- chart-files --------------------------------------------------------------------------
check_chart_files() {
  local sources=() copies=()
  for f in "$repo"/config/prometheus/*.yml; do
    [[ -f "$f" ]] && grep -q '^groups:' "$f" && sources+=("$(basename "$f")")
  done
  for f in "$chart"/rules/*.yml; do [[ -f "$f" ]] && copies+=("$(basename "$f")"); done
  if [[ ${#sources[@]} -eq 0 && ${#copies[@]} -eq 0 ]]; then
    echo "TODO: config/prometheus/ has no rule files yet: nothing to compare"
  else
    expect "rules/ holds exactly config/prometheus's rule files (${sources[*]})" \
      test "${sources[*]}" == "${copies[*]}"
    for f in "${sources[@]}"; do
      expect "rules/$f is identical to config/prometheus/$f (tests/helm/sync-chart-files.sh)" \
        cmp -s "$repo/config/prometheus/$f" "$chart/rules/$f"
    done
  fi
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

  # The packaged chart, as users get it, carries the copies.
  "$helm" package "$chart" --destination "$work" >/dev/null
  local tgz=("$work"/swr-sync-exporter-*.tgz)
  expect "helm package makes a chart archive" test -f "${tgz[0]}"
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
      console.log(`  ${same ? "ok" : "FAIL"}: the packaged PrometheusRule carries the ${want.length} groups, ` +
                  `${want.reduce((n, g) => n + g.rules.length, 0)} rules of the rule files, unchanged`);
      process.exit(same ? 0 : 1);' "$work/rule-spec.json" "$chart"/rules/*.yml && passes=$((passes + 1)) ||
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
  sharding) check_sharding ;;
  bad-values) check_bad_values ;;
  *) echo "unknown check $check" >&2; exit 2 ;;
esac
echo "$check: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
