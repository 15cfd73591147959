#!/usr/bin/env bash
# shellcheck disable=SC2016  # the single-quoted $names are jq's
# End-to-end test: swr-sim -> swr-sync-exporter -> Prometheus (the project's rules) ->
# Alertmanager -> a webhook receiver, all real processes on 127.0.0.1.
#
#   e2e-test.sh EXPORTER_BIN SIM_BIN HELPER_BIN
#
# Two stacks run side by side, each with its own simulator, exporter (password auth, polling
# every second), Prometheus (scrape and evaluation every second), Alertmanager (group_wait and
# group_interval 1s, no clustering) and webhook receiver (e2e_helper):
#   failing  tests/data/known_world.json, no churn: months-old failed, timed-out and successful
#            jobs, a months-old running job; team-a/team/app2 answers 429 to every request; IAM
#            tokens live 30 minutes. The test injects new jobs through POST /_sim/jobs.
#   healthy  tests/e2e/healthy_world.json, no churn: only successful jobs; no fault; tokens live
#            24 hours.
# It asserts:
#   1. each Prometheus scrapes its exporter (up == 1 through /api/v1/query), loads every rule
#      group, evaluates every rule with health "ok", no rule evaluation failure, and sends to its
#      Alertmanager without dropped or failed notifications
#   2. every expression tests/operate/extract-queries.sh prints (rules and dashboard) evaluates
#      through /api/v1/query with status "success", and returns data at some point of the run,
#      on the failing stack or, failing that, on the healthy one. The only exceptions are the
#      entries of allowed-empty.tsv, each checked another way: its comparison stripped, or after
#      the exporter is stopped. An expression that stays empty fails the test, by name.
#   3. the injected failed and timed-out jobs bring SwrSyncJobFailed and SwrSyncJobTimedOut to
#      the webhook within FAILURE_ALERT_TIMEOUT seconds, with the right alertname, organization,
#      repository, target_region, target_organization, severity (and job, instance, status),
#      the injected tag in the description, and for the injected destinations only: the world's
#      old failures page neither before nor after. The healthy stack's webhook receives nothing at
#      all, and its Prometheus never has an alert pending or firing (ALERTS), over a window 10 s
#      longer than the longest rewritten `for:`.
#   4. inhibition: both Alertmanagers load config/alertmanager/inhibit.yml. On the healthy stack
#      the exporter's credentials are then refused (POST /_sim/outage kind "credentials": every
#      SWR call answers 401 APIGW.0301): every repository fails, and the webhook receives
#      ONE notification, SwrExporterCredentialsRefused, while Prometheus has
#      SwrExporterRepositoryDown firing for every repository (and SwrExporterRepositoriesDown,
#      SwrExporterPollFailing): those are inhibited, not absent.
#
# Rule files are loaded from rewritten copies (see rewrite_rules): `for:` durations are scaled
# 60:1 (5m -> 5s), and the restart guard instance:swr_exporter_restarted:15m uses 15s instead of
# 15 minutes. Expressions are otherwise the project's, byte for byte. Prometheus starts without
# rules and loads them once it scrapes the exporter (see load_rules).
#
# Environment: PROMETHEUS, ALERTMANAGER, JQ, CURL override the tools found on PATH;
# E2E_KEEP=1 keeps the temporary directory; FAILURE_ALERT_TIMEOUT (default 90) bounds step 3.
set -euo pipefail

(($# == 3)) || { echo "usage: $0 EXPORTER_BIN SIM_BIN HELPER_BIN" >&2; exit 2; }
EXPORTER_BIN=$1
SIM_BIN=$2
HELPER_BIN=$3

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$E2E_DIR/../.." && pwd)"
RULES_DIR="$REPO/config/prometheus"
FAILURE_ALERT_TIMEOUT=${FAILURE_ALERT_TIMEOUT:-90}
EXPRESSION_TIMEOUT=75  # seconds after the injection for every expression to return data

T0=$(date +%s%N)
elapsed() {
  local ms=$((($(date +%s%N) - T0) / 1000000))
  printf "%d.%03d" $((ms / 1000)) $((ms % 1000))
}
log() { echo "[$(elapsed)s] $*"; }

WORK=""
PIDS=()
KEPT_LOGS=()  # "log file<TAB>DIR/NAME<TAB>command line" of each exporter and swr-sim
# shellcheck source=../secrets/test-logs.sh
source "$REPO/tests/secrets/test-logs.sh"
STEPS=()  # "name<TAB>milliseconds" for the summary
step_start=$T0
step_done() {
  local now
  now=$(date +%s%N)
  STEPS+=("$1"$'\t'"$(((now - step_start) / 1000000))")
  step_start=$now
}

show_logs() {
  [[ -n "$WORK" && -d "$WORK" ]] || return 0
  local f
  for f in "$WORK"/*/*.log; do
    [[ -s "$f" ]] || continue
    echo "----- last lines of ${f#"$WORK"/} -----" >&2
    tail -n 15 "$f" >&2
  done
}

die() {
  echo "FAIL [$(elapsed)s]: $*" >&2
  show_logs
  exit 1
}

need_tool() {  # need_tool VAR name... : the first of the names found on PATH, unless VAR is set
  local var=$1 path="${!1:-}" name
  shift
  if [[ -z "$path" ]]; then
    for name in "$@"; do
      path="$(command -v "$name" || true)"
      [[ -n "$path" ]] && break
    done
  fi
  [[ -n "$path" && -x "$path" ]] || die "none of '$*' found: install it (Debian 12: see scripts/install-deps.sh) or set $var"
  printf -v "$var" '%s' "$path"
}

need_tool PROMETHEUS prometheus
need_tool ALERTMANAGER prometheus-alertmanager alertmanager
need_tool JQ jq
need_tool CURL curl
for bin in "$EXPORTER_BIN" "$SIM_BIN" "$HELPER_BIN"; do
  [[ -x "$bin" ]] || die "not an executable: $bin"
done

stop_pid() {  # TERM, then KILL after 5 s
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# After the processes stopped: their stdout and stderr into $SWR_TEST_LOG_DIR.
keep_test_logs() {
  local entry file base argv
  for entry in "${KEPT_LOGS[@]}"; do
    IFS=$'\t' read -r file base argv <<<"$entry"
    test_logs_keep "$file" stopped "$base.out" "$base.log" "$argv"
  done
}

cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
  keep_test_logs
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    if [[ "${E2E_KEEP:-}" == 1 ]]; then
      echo "kept $WORK" >&2
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

WORK="$(mktemp -d "${TMPDIR:-/tmp}/swr-e2e-XXXXXX")"
mkdir -p "$WORK/failing" "$WORK/healthy" "$WORK/rules"

# start DIR NAME COMMAND...: runs COMMAND in the background, stdout in DIR/NAME.out, stderr in
# DIR/NAME.log; sets STARTED_PID. The exporters' and simulators' logs are kept for the secret
# scan when SWR_TEST_LOG_DIR is set (see keep_test_logs).
start() {
  local dir=$1 name=$2
  shift 2
  "$@" >"$dir/$name.out" 2>"$dir/$name.log" </dev/null &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  if [[ "$1" == "$EXPORTER_BIN" || "$1" == "$SIM_BIN" ]]; then
    KEPT_LOGS+=("$(test_logs_claim "$STARTED_PID" "$@")"$'\t'"$dir/$name"$'\t'"$*")
  fi
}

# wait_match FILE REGEX SECONDS PID WHAT: waits for a line of FILE matching REGEX (extended), while
# PID lives; prints the first match.
wait_match() {
  local file=$1 re=$2 timeout=$3 pid=$4 what=$5 deadline line
  deadline=$(($(date +%s) + timeout))
  while (($(date +%s) < deadline)); do
    line="$(grep -m1 -E "$re" "$file" 2>/dev/null || true)"
    [[ -n "$line" ]] && { echo "$line"; return 0; }
    kill -0 "$pid" 2>/dev/null || die "$what exited before it was ready (see its log below)"
    sleep 0.1
  done
  die "$what: no line matching /$re/ in $file within ${timeout}s"
}

# wait_http URL SECONDS PID WHAT: waits for a 200 from URL.
wait_http() {
  local url=$1 timeout=$2 pid=$3 what=$4 deadline
  deadline=$(($(date +%s) + timeout))
  while (($(date +%s) < deadline)); do
    [[ "$("$CURL" -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" == 200 ]] && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

free_port() { "$HELPER_BIN" free-port || die "e2e helper cannot bind 127.0.0.1"; }

# --- rule files --------------------------------------------------------------------------------

# Rewritten copies of config/prometheus/*.yml into $WORK/rules (the mixin's rules, rendered by
# scripts/generate-mixin.sh), exactly these changes:
#  - every `for: N<unit>` of the alerts is scaled 60:1: Nm -> Ns, Nh -> Nm (5m -> 5s, 15m -> 15s,
#    30m -> 30s, 2m -> 2s), so pending alerts can fire within the run
#  - in the rule instance:swr_exporter_restarted:15m (the restart guard) only: `< 900` -> `< 15`,
#    `[15m]` -> `[15s]`, `offset 15m` -> `offset 15s`. With the real values every SLI rate, ratio
#    and burn rate stays empty for 15 minutes after Prometheus starts (`swr_up unless swr_up
#    offset 15m` holds for any series younger than 15 minutes).
# Nothing else changes: the record and alert names stay, so the recorded series are the ones the
# dashboard reads. The rewrite fails if the rules no longer hold what it expects.
rewrite_rules() {
  local f out n
  for f in "$RULES_DIR"/*.yml; do
    out="$WORK/rules/$(basename "$f")"
    sed -E 's/^([[:space:]]*for:[[:space:]]*)([0-9]+)m[[:space:]]*$/\1\2s/
            s/^([[:space:]]*for:[[:space:]]*)([0-9]+)h[[:space:]]*$/\1\2m/' "$f" >"$out"
    if grep -nE '^[[:space:]]*for:' "$out" | grep -vE 'for:[[:space:]]*[0-9]+(s|m)[[:space:]]*$' >&2; then
      die "$(basename "$f"): a for: duration the rewrite does not know (above); update rewrite_rules"
    fi
  done
  local rec="$WORK/rules/swr-sync-recording.yml"
  [[ -f "$rec" ]] || die "no swr-sync-recording.yml in $RULES_DIR"
  awk '
    /^[[:space:]]*- (record|alert):/ { inguard = ($0 ~ /record: instance:swr_exporter_restarted:15m[[:space:]]*$/) }
    inguard {
      n += gsub(/< 900 /, "< 15 ")
      n += gsub(/\[15m\]/, "[15s]")
      n += gsub(/offset 15m\)/, "offset 15s)")
    }
    { print }
    END { print n > "/dev/stderr" }
  ' "$rec" >"$rec.new" 2>"$WORK/rules/guard-count" || die "rewriting the restart guard failed"
  n=$(cat "$WORK/rules/guard-count")
  ((n == 3)) || die "the restart guard instance:swr_exporter_restarted:15m no longer reads '< 900 ', '[15m]' and 'offset 15m)' once each ($n replacements); update rewrite_rules"
  mv "$rec.new" "$rec"
  rm -f "$WORK/rules/guard-count"
}

# --- the stacks --------------------------------------------------------------------------------

declare -A SIM_PORT EXPORTER_PORT PROM_PORT PROM_PID AM_PORT HOOK_PORT EXPORTER_PID RULES_AT

start_sim() {  # start_sim STACK TOML_BODY
  local stack=$1 dir="$WORK/$1" line
  printf 'listen = "127.0.0.1:0"\n%s\n' "$2" >"$dir/sim.toml"
  start "$dir" sim "$SIM_BIN" --config "$dir/sim.toml" --verbose
  line=$(wait_match "$dir/sim.out" 'swr-sim listening on http://127\.0\.0\.1:[0-9]+' 15 "$STARTED_PID" "swr-sim ($stack)")
  SIM_PORT[$stack]=${line##*:}
}

start_exporter() {  # start_exporter STACK TARGETS_TOML
  local stack=$1 dir="$WORK/$1" line port
  cat >"$dir/exporter.toml" <<EOF
[huaweicloud]
region = "cn-north-4"
swr_endpoint = "http://127.0.0.1:${SIM_PORT[$stack]}"
iam_endpoint = "http://127.0.0.1:${SIM_PORT[$stack]}"

[auth]
method = "password"
domain_name = "sim-domain"
user_name = "sim-user"
password_file = "password"

# The shared rate limiter halves on every 429, down to 1/64 of this: the failing world's
# always-throttled repository would otherwise hold every repository at 10/64 requests per
# second, and delay each cycle (and so every alert) by tens of seconds.
[scrape]
interval = "1s"
timeout = "3s"
max_requests_per_second = 640

$2
EOF
  (umask 077 && printf 'sim-password' >"$dir/password")
  start "$dir" exporter "$EXPORTER_BIN" --config "$dir/exporter.toml" \
    --web.listen-address 127.0.0.1:0 --log.level debug
  EXPORTER_PID[$stack]=$STARTED_PID
  line=$(wait_match "$dir/exporter.log" 'msg=listening.*port=[0-9]+' 15 "$STARTED_PID" "swr-sync-exporter ($stack)")
  port=$(grep -oE 'port=[0-9]+' <<<"$line" | head -1)
  EXPORTER_PORT[$stack]=${port#port=}
  wait_http "http://127.0.0.1:${EXPORTER_PORT[$stack]}/-/ready" 20 "$STARTED_PID" "exporter" ||
    die "swr-sync-exporter ($stack) not ready (no finished poll cycle) within 20s"
}

start_webhook() {
  local stack=$1 dir="$WORK/$1" line
  : >"$dir/webhook.jsonl"
  start "$dir" webhook "$HELPER_BIN" webhook "$dir/webhook.jsonl"
  line=$(wait_match "$dir/webhook.out" '^listening [0-9]+$' 10 "$STARTED_PID" "webhook receiver ($stack)")
  HOOK_PORT[$stack]=${line#listening }
}

start_alertmanager() {
  local stack=$1 dir="$WORK/$1" attempt port
  cat >"$dir/alertmanager.yml" <<EOF
route:
  receiver: webhook
  group_by: ['...']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: webhook
    webhook_configs:
      - url: http://127.0.0.1:${HOOK_PORT[$stack]}/alerts
        send_resolved: true
EOF
  # The shipped inhibitions, as users merge them.
  grep -v '^#' "$REPO/config/alertmanager/inhibit.yml" >>"$dir/alertmanager.yml" ||
    die "no inhibit_rules in config/alertmanager/inhibit.yml"
  for attempt in 1 2 3; do
    port=$(free_port)
    mkdir -p "$dir/am-data"
    start "$dir" alertmanager "$ALERTMANAGER" --config.file="$dir/alertmanager.yml" \
      --storage.path="$dir/am-data" --web.listen-address="127.0.0.1:$port" \
      --cluster.listen-address= --log.level=info
    if wait_http "http://127.0.0.1:$port/-/ready" 20 "$STARTED_PID" alertmanager; then
      AM_PORT[$stack]=$port
      return 0
    fi
    stop_pid "$STARTED_PID"
    grep -q 'address already in use' "$dir/alertmanager.log" ||
      die "Alertmanager ($stack) did not become ready on 127.0.0.1:$port"
    mv "$dir/alertmanager.log" "$dir/alertmanager.attempt$attempt.log.old"
  done
  die "Alertmanager ($stack): no free port after 3 attempts"
}

# write_prometheus_config STACK with|without: the rule files loaded, or none.
write_prometheus_config() {
  local stack=$1 dir="$WORK/$1" f
  {
    cat <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:${AM_PORT[$stack]}']
EOF
    if [[ $2 == with ]]; then
      echo "rule_files:"
      for f in "$WORK"/rules/*.yml; do echo "  - $f"; done
    fi
    cat <<EOF
scrape_configs:
  # The name matches the job=~".*swr.*" of SwrExporterDown.
  - job_name: swr-sync-exporter
    static_configs:
      - targets: ['127.0.0.1:${EXPORTER_PORT[$stack]}']
EOF
  } >"$dir/prometheus.yml.new"
  mv "$dir/prometheus.yml.new" "$dir/prometheus.yml"
}

# Prometheus starts without rules; load_rules adds them once it scrapes the exporter.
start_prometheus() {
  local stack=$1 dir="$WORK/$1" attempt port
  write_prometheus_config "$stack" without
  for attempt in 1 2 3; do
    port=$(free_port)
    mkdir -p "$dir/tsdb"
    start "$dir" prometheus "$PROMETHEUS" --config.file="$dir/prometheus.yml" \
      --storage.tsdb.path="$dir/tsdb" --web.listen-address="127.0.0.1:$port" --log.level=info
    if wait_http "http://127.0.0.1:$port/-/ready" 30 "$STARTED_PID" prometheus; then
      PROM_PORT[$stack]=$port
      PROM_PID[$stack]=$STARTED_PID
      return 0
    fi
    stop_pid "$STARTED_PID"
    grep -q 'address already in use' "$dir/prometheus.log" ||
      die "Prometheus ($stack) did not become ready on 127.0.0.1:$port"
    mv "$dir/prometheus.log" "$dir/prometheus.attempt$attempt.log.old"
    rm -rf "$dir/tsdb"
  done
  die "Prometheus ($stack): no free port after 3 attempts"
}

# load_rules STACK: the rewritten rule files, through a configuration reload (SIGHUP). A
# Prometheus scrapes nothing for its first ~5 s (its discovery manager sends the first targets
# after 5 s), during which absent(up{job=~".*swr.*"}) holds: with SwrExporterDown's for: scaled
# down to 5s, that start-up gap alone would fire it. With the real for: 5m it never does; loading
# the rules once the target is up keeps the scaled copy equally quiet.
load_rules() {
  local stack=$1 deadline groups=0 want
  want=$(cat "$WORK"/rules/*.yml | grep -cE '^[[:space:]]*- name:')
  write_prometheus_config "$stack" with
  kill -HUP "${PROM_PID[$stack]}"
  deadline=$(($(date +%s) + 15))
  while (($(date +%s) < deadline)); do
    groups=$("$CURL" -sS --max-time 2 "http://127.0.0.1:${PROM_PORT[$stack]}/api/v1/rules" |
      "$JQ" '.data.groups | length' 2>/dev/null || echo 0)
    if ((groups == want)); then
      RULES_AT[$stack]=$(date +%s)
      return 0
    fi
    sleep 0.2
  done
  die "Prometheus ($stack) loaded $groups rule groups of $want within 15s of a reload"
}

# query STACK EXPR: the JSON answer of /api/v1/query (errors included), on stdout.
query() {
  "$CURL" -sS --max-time 5 --data-urlencode "query=$2" \
    "http://127.0.0.1:${PROM_PORT[$1]}/api/v1/query" 2>&1 || true
}

# has_data JSON: 0 if a successful answer holds at least one sample.
has_data() {
  "$JQ" -e '.status == "success" and
            (if (.data.resultType == "scalar" or .data.resultType == "string") then true
             else (.data.result | length) > 0 end)' <<<"$1" >/dev/null 2>&1
}

# query_ok STACK EXPR: the answer; dies on anything but status "success".
query_ok() {
  local answer
  answer=$(query "$1" "$2")
  "$JQ" -e '.status == "success"' <<<"$answer" >/dev/null 2>&1 ||
    die "Prometheus ($1) refused: $2"$'\n'"  answer: $answer"
  printf '%s' "$answer"
}

wait_up() {  # wait_up STACK: up == 1 for the exporter's target, through the HTTP API
  local stack=$1 deadline answer
  deadline=$(($(date +%s) + 20))
  while (($(date +%s) < deadline)); do
    answer=$(query "$stack" 'up{job="swr-sync-exporter"}')
    if "$JQ" -e --arg t "127.0.0.1:${EXPORTER_PORT[$stack]}" \
      '.status == "success" and ([.data.result[] | select(.metric.instance == $t and .value[1] == "1")] | length) == 1' \
      <<<"$answer" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  die "Prometheus ($stack) does not see its exporter up within 20s; last answer: $answer"
}

# Every rule loaded and evaluated without error; the Alertmanager discovered; nothing dropped.
check_prometheus_health() {
  local stack=$1 rules bad n
  rules=$("$CURL" -sS --max-time 5 "http://127.0.0.1:${PROM_PORT[$stack]}/api/v1/rules") ||
    die "Prometheus ($stack): /api/v1/rules failed"
  n=$("$JQ" '[.data.groups[].rules[]] | length' <<<"$rules")
  ((n > 0)) || die "Prometheus ($stack) loaded no rules: $rules"
  bad=$("$JQ" -r '.data.groups[].rules[] | select(.health != "ok") | "\(.name): \(.health) \(.lastError // "")"' <<<"$rules")
  [[ -z "$bad" ]] || die "Prometheus ($stack): rules not healthy:"$'\n'"$bad"
  "$CURL" -sS --max-time 5 "http://127.0.0.1:${PROM_PORT[$stack]}/api/v1/alertmanagers" |
    "$JQ" -e --arg u "http://127.0.0.1:${AM_PORT[$stack]}/api/v2/alerts" \
      '[.data.activeAlertmanagers[].url] == [$u]' >/dev/null ||
    die "Prometheus ($stack) does not send to its Alertmanager at 127.0.0.1:${AM_PORT[$stack]}"
  # Prometheus' own counters (it does not scrape itself here).
  "$CURL" -sS --max-time 5 "http://127.0.0.1:${PROM_PORT[$stack]}/metrics" >"$WORK/$stack/prometheus-self.txt" ||
    die "Prometheus ($stack): /metrics failed"
  bad=$(grep -E '^prometheus_(rule_evaluation_failures_total|notifications_dropped_total|notifications_errors_total)[{ ]' \
    "$WORK/$stack/prometheus-self.txt" | awk '$NF != 0')
  [[ -z "$bad" ]] || die "Prometheus ($stack): rule evaluation or notification failures:"$'\n'"$bad"
  grep -qE '^prometheus_rule_evaluations_total[{ ]' "$WORK/$stack/prometheus-self.txt" ||
    die "Prometheus ($stack): no prometheus_rule_evaluations_total in its /metrics"
  echo "$n"
}

# firing_alerts STACK: one compact JSON object of labels per firing alert the webhook received.
firing_alerts() {
  cut -f2- "$WORK/$1/webhook.jsonl" | "$JQ" -c '.alerts[]? | select(.status == "firing") | .labels' | sort -u
}

# arrival_ms STACK LABELS_JSON: when the webhook first received a firing alert carrying those
# labels (Unix milliseconds), or nothing.
arrival_ms() {
  "$JQ" -rR --argjson want "$2" 'split("\t") | (.[0] | tonumber) as $t | (.[1:] | join("\t") | fromjson)
      | select(any(.alerts[]?; .status == "firing" and (.labels | contains($want)))) | $t' \
    "$WORK/$1/webhook.jsonl" | sort -n | head -1
}

# ================================================================================================

log "work dir $WORK"
rewrite_rules
# The healthy stack is watched 10 s longer than the longest rewritten for:.
max_for=$(grep -hoE '^[[:space:]]*for:[[:space:]]*[0-9]+[sm]' "$WORK"/rules/*.yml |
  awk '{ v = $2; n = v + 0; if (v ~ /m$/) n *= 60; if (n > max) max = n } END { print max + 0 }')
HEALTHY_MIN_WINDOW=$((max_for + 10))
log "rules rewritten into $WORK/rules (longest for: ${max_for}s)"

FAILING_TARGETS='[[targets]]
organization = "team-a"
repositories = ["app1", "team/app2"]'
HEALTHY_TARGETS='[[targets]]
organization = "team-a"
repositories = ["app1", "team/app2"]

[[targets]]
organization = "platform"
repositories = ["web-frontend"]'

start_sim failing "data = \"$REPO/tests/data/known_world.json\"
token_lifetime = \"30m\"

[[faults]]
organization = \"team-a\"
repository = \"team/app2\"
kind = \"throttle\"
count = 0
retry_after = \"1s\""
start_sim healthy "data = \"$E2E_DIR/healthy_world.json\""
log "swr-sim: failing on :${SIM_PORT[failing]}, healthy on :${SIM_PORT[healthy]}"
start_exporter failing "$FAILING_TARGETS"
start_exporter healthy "$HEALTHY_TARGETS"
log "exporters ready: failing on :${EXPORTER_PORT[failing]}, healthy on :${EXPORTER_PORT[healthy]}"
for stack in failing healthy; do start_webhook "$stack"; done
for stack in failing healthy; do start_alertmanager "$stack"; done
log "alertmanagers: failing on :${AM_PORT[failing]}, healthy on :${AM_PORT[healthy]} (webhooks :${HOOK_PORT[failing]}, :${HOOK_PORT[healthy]})"
for stack in failing healthy; do start_prometheus "$stack"; done
log "prometheus: failing on :${PROM_PORT[failing]}, healthy on :${PROM_PORT[healthy]}"
step_done "start 10 processes"

# --- step 1: the targets are up ----------------------------------------------------------------
for stack in failing healthy; do wait_up "$stack"; done
log "step 1: both Prometheus servers see their exporter up"
for stack in failing healthy; do load_rules "$stack"; done
log "step 1: rules loaded"
step_done "step 1: targets up"

# --- step 2 and 3, failing stack ---------------------------------------------------------------
mapfile -t EXPRESSIONS < <(bash "$REPO/tests/operate/extract-queries.sh" -)
((${#EXPRESSIONS[@]} > 0)) || die "extract-queries.sh printed no expression"
declare -A ALLOW_KIND ALLOW_CHECK ALLOW_REASON
while IFS=$'\t' read -r kind expr check reason; do
  [[ -z "$kind" || "$kind" == \#* ]] && continue
  [[ "$kind" == stripped || "$kind" == exporter-down ]] || die "allowed-empty.tsv: unknown kind '$kind'"
  [[ -n "$reason" ]] || die "allowed-empty.tsv: no reason for: $expr"
  ALLOW_KIND[$expr]=$kind
  ALLOW_CHECK[$expr]=$check
  ALLOW_REASON[$expr]=$reason
done <"$E2E_DIR/allowed-empty.tsv"
for expr in "${!ALLOW_KIND[@]}"; do
  found=0
  for e in "${EXPRESSIONS[@]}"; do [[ "$e" == "$expr" ]] && { found=1; break; }; done
  ((found)) || die "allowed-empty.tsv lists an expression the rules and dashboard no longer have: $expr"
done
log "step 2: ${#EXPRESSIONS[@]} expressions, ${#ALLOW_KIND[@]} of them in allowed-empty.tsv"

# eval_batch STACK INDEX...: evaluates those EXPRESSIONS side by side through /api/v1/query;
# sets RESULT[INDEX] to "data" or "empty"; any answer but status "success" fails at once.
declare -A RESULT
eval_batch() {
  local stack=$1 dir="$WORK/queries" i idx state pids=()
  shift
  rm -rf "$dir"
  mkdir -p "$dir"
  RESULT=()
  for i in "$@"; do
    # One answer per line: jq -R reads the files as one stream.
    "$CURL" -sS --max-time 5 -w '\n' --data-urlencode "query=${EXPRESSIONS[i]}" \
      "http://127.0.0.1:${PROM_PORT[$stack]}/api/v1/query" >"$dir/$i" 2>&1 &
    pids+=("$!")
  done
  wait "${pids[@]}" || true  # a failed request shows in its answer
  while IFS=$'\t' read -r idx state; do
    RESULT[$idx]=$state
  done < <(cd "$dir" && "$JQ" -rR 'select(length > 0) | input_filename as $f | (try fromjson catch null) as $j
      | if ($j | type) != "object" or $j.status != "success" then "error"
        elif $j.data.resultType == "scalar" or $j.data.resultType == "string" then "data"
        elif ($j.data.result | length) > 0 then "data" else "empty" end
      | "\($f)\t\(.)"' "$@")
  for i in "$@"; do
    [[ "${RESULT[$i]:-error}" != error ]] ||
      die "step 2: Prometheus ($stack) refused: ${EXPRESSIONS[i]}"$'\n'"  answer: $(cat "$dir/$i")"
  done
}

# Each round evaluates, on the failing stack, every expression that has not returned data yet,
# and those still empty on the healthy stack too: the two worlds together produce every series
# (the failing one never completes a poll cycle, so swr_exporter_last_success_timestamp_seconds
# only exists in the healthy one). The first round evaluates every expression.
declare -A SEEN_AT
pending_count=0
evaluate_round() {
  local i todo=() rest=()
  for i in "${!EXPRESSIONS[@]}"; do
    [[ -z "${SEEN_AT[${EXPRESSIONS[i]}]:-}" ]] && todo+=("$i")
  done
  if ((${#todo[@]})); then
    eval_batch failing "${todo[@]}"
    for i in "${todo[@]}"; do
      if [[ "${RESULT[$i]}" == data ]]; then
        SEEN_AT[${EXPRESSIONS[i]}]="$(elapsed) failing"
      else
        rest+=("$i")
      fi
    done
  fi
  if ((${#rest[@]})); then
    eval_batch healthy "${rest[@]}"
    for i in "${rest[@]}"; do
      [[ "${RESULT[$i]}" == data ]] && SEEN_AT[${EXPRESSIONS[i]}]="$(elapsed) healthy"
    done
  fi
  pending_count=0
  for i in "${!EXPRESSIONS[@]}"; do
    [[ -z "${SEEN_AT[${EXPRESSIONS[i]}]:-}" && -z "${ALLOW_KIND[${EXPRESSIONS[i]}]:-}" ]] &&
      pending_count=$((pending_count + 1))
  done
  return 0
}
evaluate_round
log "step 2: every expression parses and runs; $pending_count still empty before the injection"

# The world's own failures are months old: no failure alert before the injection. Wait for a
# couple of evaluations first, so that an alert would have had the time to arrive.
sleep 3
if firing_alerts failing | grep -E '"alertname":"SwrSyncJob(Failed|TimedOut)"'; then
  die "failure alerts (above) fired before any job failed: the world's old failures page"
fi
answer=$(query_ok failing 'ALERTS{alertname=~"SwrSyncJob(Failed|TimedOut)"}')
has_data "$answer" &&
  die "failure alerts pending or firing before any job failed: $("$JQ" -c '[.data.result[].metric]' <<<"$answer")"

post_jobs() {
  local answer
  answer=$("$CURL" -sS --max-time 5 -H 'Content-Type: application/json' -d "$1" \
    "http://127.0.0.1:${SIM_PORT[failing]}/_sim/jobs") || die "POST /_sim/jobs failed"
  "$JQ" -e '.ids | length > 0' <<<"$answer" >/dev/null || die "POST /_sim/jobs refused $1: $answer"
}
# Successes first (so a later job is the newest of each destination), then one failed job on a
# destination with an old failure, one timed-out job on a destination with an old timeout.
post_jobs '{"organization":"team-a","repository":"app1","jobs":[
  {"tag":"e2e-ok-fast","status":"success","remoteRegionId":"cn-east-3","remoteNamespace":"team-a","duration_seconds":30},
  {"tag":"e2e-ok-slow","status":"success","remoteRegionId":"cn-east-3","remoteNamespace":"team-a","duration_seconds":900}]}'
sleep 0.2
post_jobs '{"organization":"team-a","repository":"app1","jobs":[
  {"tag":"e2e-failed","status":"failed","remoteRegionId":"cn-east-3","remoteNamespace":"team-a","duration_seconds":30},
  {"tag":"e2e-timeout","status":"timeout","remoteRegionId":"ap-southeast-1","remoteNamespace":"team-a-mirror","duration_seconds":3600}]}'
INJECTED_AT=$(($(date +%s%N) / 1000000))
log "step 3: injected 2 successful, 1 failed and 1 timed-out job into team-a/app1"
step_done "step 2 (first round) and injection"

EXPECTED_FAILED='{"alertname":"SwrSyncJobFailed","organization":"team-a","repository":"app1","target_region":"cn-east-3","target_organization":"team-a","severity":"warning"}'
EXPECTED_TIMEOUT='{"alertname":"SwrSyncJobTimedOut","organization":"team-a","repository":"app1","target_region":"ap-southeast-1","target_organization":"team-a-mirror","severity":"warning"}'
has_alert() {  # has_alert STACK EXPECTED_LABELS_JSON: a firing alert carrying all those labels
  firing_alerts "$1" | "$JQ" -e --argjson want "$2" -s 'any(.[]; contains($want))' >/dev/null
}
alert_latency=""
expressions_done_at=""
alert_deadline=$((INJECTED_AT / 1000 + FAILURE_ALERT_TIMEOUT))
expression_deadline=$((INJECTED_AT / 1000 + EXPRESSION_TIMEOUT))
while :; do
  if [[ -z "$alert_latency" ]] && has_alert failing "$EXPECTED_FAILED" && has_alert failing "$EXPECTED_TIMEOUT"; then
    failed_latency=$(($(arrival_ms failing "$EXPECTED_FAILED") - INJECTED_AT))
    timeout_latency=$(($(arrival_ms failing "$EXPECTED_TIMEOUT") - INJECTED_AT))
    alert_latency=$((failed_latency > timeout_latency ? failed_latency : timeout_latency))
    log "step 3: the webhook received SwrSyncJobFailed ${failed_latency} ms and SwrSyncJobTimedOut ${timeout_latency} ms after the injection"
  fi
  if [[ -z "$expressions_done_at" ]]; then
    evaluate_round
    if ((pending_count == 0)); then
      expressions_done_at=$(($(date +%s%N) / 1000000 - INJECTED_AT))
      log "step 2: every expression outside allowed-empty.tsv has returned data (${expressions_done_at} ms after the injection)"
    fi
  fi
  [[ -n "$alert_latency" && -n "$expressions_done_at" ]] && break
  now=$(date +%s)
  if [[ -z "$alert_latency" ]] && ((now >= alert_deadline)); then
    echo "firing alerts the webhook received:" >&2
    firing_alerts failing >&2
    die "step 3: the failure alerts did not reach the webhook within ${FAILURE_ALERT_TIMEOUT}s; expected labels $EXPECTED_FAILED and $EXPECTED_TIMEOUT"
  fi
  if [[ -z "$expressions_done_at" ]] && ((now >= expression_deadline)); then
    {
      echo "expressions that never returned data (not in allowed-empty.tsv):"
      for e in "${EXPRESSIONS[@]}"; do
        [[ -z "${SEEN_AT[$e]:-}" && -z "${ALLOW_KIND[$e]:-}" ]] && echo "  $e"
        true
      done
    } >&2
    die "step 2: $pending_count expressions returned no data within ${EXPRESSION_TIMEOUT}s of the injection"
  fi
  sleep 1
done
bash "$E2E_DIR/check-panel-units.sh" "$REPO/dashboards/swr-sync.json" "http://127.0.0.1:${PROM_PORT[failing]}" "http://127.0.0.1:${PROM_PORT[healthy]}" || die "step 2: panel units against the values they show (above)"
step_done "step 2 (all data) and step 3 (failure alerts)"

# Only the injected destinations page: the old failures of the world do not.
unexpected=$(firing_alerts failing |
  "$JQ" -c --argjson a "$EXPECTED_FAILED" --argjson b "$EXPECTED_TIMEOUT" \
    'select((.alertname == "SwrSyncJobFailed" or .alertname == "SwrSyncJobTimedOut")
            and (contains($a) or contains($b) | not))')
[[ -z "$unexpected" ]] || die "step 3: failure alerts for destinations nothing was injected into:"$'\n'"$unexpected"
# The firing alerts carry the scrape's job and instance too, and the injected job's tag.
firing_alerts failing | "$JQ" -e -s --arg i "127.0.0.1:${EXPORTER_PORT[failing]}" \
  '[.[] | select(.alertname == "SwrSyncJobFailed" or .alertname == "SwrSyncJobTimedOut")]
   | length == 2 and all(.job == "swr-sync-exporter" and .instance == $i and .status != null)' >/dev/null ||
  die "step 3: failure alerts without the job/instance/status labels: $(firing_alerts failing)"
cut -f2- "$WORK/failing/webhook.jsonl" |
  "$JQ" -e -s '[.[].alerts[]? | select(.status == "firing" and .labels.alertname == "SwrSyncJobFailed")
                | .annotations.description] | any(test("team-a/app1:e2e-failed"))' >/dev/null ||
  die "step 3: the SwrSyncJobFailed description does not name the injected tag e2e-failed"

# Allowed-empty expressions: their stand-in checks.
for e in "${!ALLOW_KIND[@]}"; do
  [[ "${ALLOW_KIND[$e]}" == stripped ]] || continue
  [[ -n "${SEEN_AT[$e]:-}" ]] && continue
  has_data "$(query_ok failing "${ALLOW_CHECK[$e]}")" ||
    die "step 2: allowed-empty expression: its stripped form returns no data: ${ALLOW_CHECK[$e]}"
done
for stack in failing healthy; do
  n=$(check_prometheus_health "$stack")
  log "step 1: Prometheus ($stack): $n rules, all healthy; no evaluation failure; notifications flow"
done

# Stop the failing stack's exporter: up == 0 must show through the exporter-down expressions.
stop_pid "${EXPORTER_PID[failing]}"
down_at=$(date +%s%N)
deadline=$(($(date +%s) + 15))
for e in "${!ALLOW_KIND[@]}"; do
  [[ "${ALLOW_KIND[$e]}" == exporter-down ]] || continue
  until has_data "$(query_ok failing "$e")"; do
    (($(date +%s) < deadline)) || die "step 2: no data within 15s of stopping the exporter: $e"
    sleep 0.5
  done
  SEEN_AT[$e]="$(elapsed) (exporter stopped)"
done
log "step 2: exporter-down expressions return data $((($(date +%s%N) - down_at) / 1000000)) ms after the exporter stopped"
step_done "step 2: allowed-empty checks"

# --- step 3, healthy stack ---------------------------------------------------------------------
window=$(($(date +%s) - RULES_AT[healthy]))
if ((window < HEALTHY_MIN_WINDOW)); then
  log "step 3: waiting $((HEALTHY_MIN_WINDOW - window))s more on the healthy stack"
  sleep $((HEALTHY_MIN_WINDOW - window))
fi
sleep 2  # one more evaluation, group_wait and delivery
window=$(($(date +%s) - RULES_AT[healthy]))
if [[ -s "$WORK/healthy/webhook.jsonl" ]]; then
  die "step 3: the healthy stack's webhook received notifications:"$'\n'"$(cat "$WORK/healthy/webhook.jsonl")"
fi
# Nothing pending or firing at any evaluation since Prometheus started (ALERTS holds both states).
span=$(($(date +%s) - RULES_AT[healthy] + 30))
answer=$(query_ok healthy "max_over_time(ALERTS[${span}s])")
has_data "$answer" &&
  die "step 3: alerts pending or firing in the healthy world: $("$JQ" -c '[.data.result[].metric]' <<<"$answer")"
# The healthy world is evaluated for real: its recorded series exist.
has_data "$(query_ok healthy 'swr_sync:slo_objective:ratio')" || die "the healthy Prometheus evaluates no rules"
has_data "$(query_ok healthy 'swr_up == 1')" || die "the healthy exporter does not fetch every repository"
check_prometheus_health healthy >/dev/null
log "step 3: healthy stack: no notification and no alert pending or firing over ${window}s"
step_done "step 3: healthy window"

# --- step 4: a credential outage is one notification -------------------------------------------
hook_lines_before=$(wc -l <"$WORK/healthy/webhook.jsonl")
# swr-sim answers every SWR call 401 APIGW.0301 (credentials refused by the API gateway), as after
# a rotated access key, for longer than the step takes.
answer=$("$CURL" -sS --max-time 5 -H 'Content-Type: application/json' -d '{"kind":"credentials","seconds":600}' \
  "http://127.0.0.1:${SIM_PORT[healthy]}/_sim/outage") || die "step 4: POST /_sim/outage failed"
"$JQ" -e '.outage' <<<"$answer" >/dev/null || die "step 4: swr-sim refused the credentials outage: $answer"
OUTAGE_AT=$(($(date +%s%N) / 1000000))
log "step 4: the healthy stack's swr-sim refuses the exporter's credentials (401 APIGW.0301)"
hinst="127.0.0.1:${EXPORTER_PORT[healthy]}"
repos=$("$JQ" -r --arg i "$hinst" '[.data.result[] | select(.metric.instance == $i)] | length' \
  <<<"$(query_ok healthy 'swr_exporter_repository_up')")
((repos == 3)) || die "step 4: the healthy exporter reports $repos repositories, expected 3"
# Wait until every per-repository alert, the aggregate and the poll alert fire in Prometheus
# (their scaled for: are 15s, 10s, 15s), then for delivery.
firing_names() {
  "$JQ" -r '[.data.result[].metric.alertname] | sort | join(" ")' \
    <<<"$(query_ok healthy "ALERTS{alertstate=\"firing\", instance=\"$hinst\"}")"
}
want_firing="SwrExporterCredentialsRefused SwrExporterPollFailing SwrExporterRepositoriesDown SwrExporterRepositoryDown SwrExporterRepositoryDown SwrExporterRepositoryDown"
deadline=$(($(date +%s) + 60))
until [[ "$(firing_names)" == "$want_firing" ]]; do
  (($(date +%s) < deadline)) || die "step 4: within 60s Prometheus fires [$(firing_names)], expected [$want_firing] (is swr_exporter_credentials_refused exported? $(query_ok healthy 'swr_exporter_credentials_refused'))"
  sleep 0.5
done
log "step 4: Prometheus fires $want_firing"
sleep 4  # group_wait 1s, an Alertmanager evaluation, delivery
tail -n +"$((hook_lines_before + 1))" "$WORK/healthy/webhook.jsonl" >"$WORK/healthy/outage-hooks.jsonl"
notifications=$(cut -f2- "$WORK/healthy/outage-hooks.jsonl" |
  "$JQ" -s '[.[] | select(any(.alerts[]?; .status == "firing"))] | length')
firing_at_hook=$(cut -f2- "$WORK/healthy/outage-hooks.jsonl" |
  "$JQ" -r -s '[.[].alerts[]? | select(.status == "firing") | .labels.alertname] | join(" ")')
if ((notifications != 1)) || [[ "$firing_at_hook" != SwrExporterCredentialsRefused ]]; then
  echo "notifications since the outage:" >&2
  cat "$WORK/healthy/outage-hooks.jsonl" >&2
  die "step 4: the credential outage reached the webhook as $notifications notification(s) with [$firing_at_hook], expected one: SwrExporterCredentialsRefused"
fi
# It carries the exporter's labels and the dashboard and runbook links.
cut -f2- "$WORK/healthy/outage-hooks.jsonl" | "$JQ" -e -s --arg i "$hinst" '
  [.[].alerts[] | select(.status == "firing")][0]
  | .labels.instance == $i and .labels.job == "swr-sync-exporter"
    and (.annotations.runbook_url | endswith("#swrexportercredentialsrefused"))
    and (.annotations.dashboard_url | test("/d/swr-sync/swr-sync$"))' >/dev/null ||
  die "step 4: the notification lacks the exporter's labels or its links: $(cat "$WORK/healthy/outage-hooks.jsonl")"
OUTAGE_LATENCY=$(($(tail -n1 "$WORK/healthy/outage-hooks.jsonl" | cut -f1) - OUTAGE_AT))
log "step 4: one notification (SwrExporterCredentialsRefused) ${OUTAGE_LATENCY} ms after the outage; 3 SwrExporterRepositoryDown, SwrExporterRepositoriesDown and SwrExporterPollFailing inhibited"
step_done "step 4: credential outage inhibition"

# --- summary -----------------------------------------------------------------------------------
echo
echo "=== swr-sync-exporter end-to-end: PASS in $(elapsed)s ==="
echo "expressions evaluated: ${#EXPRESSIONS[@]}; first returned data at (s since start):"
for e in "${EXPRESSIONS[@]}"; do
  note=""
  [[ -n "${ALLOW_KIND[$e]:-}" ]] && note="  [allowed empty: ${ALLOW_KIND[$e]}]"
  printf '  %-28s %s%s\n' "${SEEN_AT[$e]:-never}" "${e:0:110}" "$note"
done
echo "allowed empty (allowed-empty.tsv), and how each was checked instead:"
for e in "${!ALLOW_KIND[@]}"; do
  printf '  %s\n    %s: %s\n' "$e" "${ALLOW_KIND[$e]}" "${ALLOW_REASON[$e]}"
done
echo "alerts the failing stack's webhook received (firing):"
firing_alerts failing |
  "$JQ" -r '"  \(.alertname) " + (del(.alertname, .job, .instance) | to_entries | map("\(.key)=\(.value)") | join(" "))' |
  sort -u
echo "failure alerts at the webhook: SwrSyncJobFailed ${failed_latency} ms, SwrSyncJobTimedOut ${timeout_latency} ms after the injection"
echo "every expression outside allowed-empty.tsv returned data ${expressions_done_at} ms after the injection"
echo "healthy stack: ${window}s of evaluation, 0 notifications, no alert pending or firing"
echo "credential outage: 1 notification (SwrExporterCredentialsRefused) ${OUTAGE_LATENCY} ms after it; 5 alerts firing in Prometheus inhibited by config/alertmanager/inhibit.yml"
echo "timings:"
for s in "${STEPS[@]}"; do
  printf '  %-48s %6d ms\n' "${s%%$'\t'*}" "${s##*$'\t'}"
done
