#!/usr/bin/env bash
# Soak: many fast cycles against a changing world with faults (5xx, 502, 429, slow answers, cut
# and truncated bodies, a lying Content-Range, one 503 outage and one outage with refused
# connections); resident memory and open file descriptors must stay flat after a warm-up, and
# the final metrics must be exact.
#
#   bench/soak.sh [CYCLES]                                   (default 1000)
#   bench/soak.sh --cycles N [--warmup N] [--max-rss-growth-kib K] [--report-every N]
#                 [--exporter PATH] [--sim PATH] [--log-level LEVEL]
#
# Prints machine-readable lines, one record each:
#   soak_sample cycle=N rss_kib=N fds=N sim_jobs=N      every --report-every cycles (and at the
#                                                       warm-up cycle)
#   soak_result cycles=N warmup_cycle=N rss_warm_kib=N rss_end_kib=N rss_growth_kib=N
#               rss_max_kib=N fds_warm=N fds_end=N fds_max=N sim_jobs=N exported_jobs=N
#               final_jobs=N observed=N swr_up=N seconds=N
#   soak_check name=NAME ok|FAIL detail
# and exits non-zero when a check fails:
#   rss_growth   VmRSS at the end minus VmRSS at the warm-up cycle < --max-rss-growth-kib
#                (default 3072: 3 MiB)
#   fds          open descriptors at the end (the fewest of 5 looks) <= the most seen at any
#                sample up to the warm-up
#   exact_jobs   sum of swr_sync_jobs == the jobs the simulator holds
#   exact_once   observations in swr_sync_job_duration_seconds == jobs in a final status
#   up           swr_up == 1
#   faults_fired every fault was hit and both outages happened
# Binaries: --exporter/--sim, else $BUILD_DIR (default build/), built by scripts/build.sh when
# missing. With SWR_TEST_LOG_DIR set (the test suite sets it) the exporter and the simulator
# logs are copied there, one file per process, listed in its manifest/ first.
set -euo pipefail
cd "$(dirname "$0")/.."

cycles=1000
warmup=50
max_rss_growth_kib=3072
report_every=100
exporter_bin=""
sim_bin=""
log_level=info
while (($#)); do
  case "$1" in
    --cycles) cycles=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --max-rss-growth-kib) max_rss_growth_kib=$2; shift 2 ;;
    --report-every) report_every=$2; shift 2 ;;
    --exporter) exporter_bin=$2; shift 2 ;;
    --sim) sim_bin=$2; shift 2 ;;
    --log-level) log_level=$2; shift 2 ;;
    [0-9]*) cycles=$1; shift ;;
    *) echo "usage: $0 [CYCLES] [--cycles N] [--warmup N] [--max-rss-growth-kib K] [--report-every N] [--exporter PATH] [--sim PATH] [--log-level LEVEL]" >&2; exit 2 ;;
  esac
done
((warmup < cycles)) || { echo "soak: --warmup ($warmup) must be below --cycles ($cycles)" >&2; exit 2; }
build=${BUILD_DIR:-build}
if [[ -z "$exporter_bin" || -z "$sim_bin" ]]; then
  [[ -x $build/swr-sync-exporter && -x $build/swr-sim ]] || ./scripts/build.sh >/dev/null
  exporter_bin=${exporter_bin:-$build/swr-sync-exporter}
  sim_bin=${sim_bin:-$build/swr-sim}
fi

work=$(mktemp -d)
pids=()
declare -A log_file argv_of log_name
# shellcheck source=../tests/secrets/test-logs.sh
source tests/secrets/test-logs.sh

# start NAME ARGV...: runs in the background, stdout in $work/NAME.out, stderr in NAME.err.
start() {
  local name=$1
  shift
  "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null &
  started=$!
  pids+=("$started")
  log_file[$started]=$(test_logs_claim "$started" "$@")
  argv_of[$started]="$*"
  log_name[$started]=$name
}

cleanup() {
  local pid code
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    code=0
    wait "$pid" 2>/dev/null || code=$?
    test_logs_keep "${log_file[$pid]}" "$code" "$work/${log_name[$pid]}.out" \
      "$work/${log_name[$pid]}.err" "${argv_of[$pid]}"
  done
  rm -rf "$work"
}
trap cleanup EXIT

sim_flags=()
[[ -n "${SWR_TEST_LOG_DIR:-}" ]] && sim_flags+=(--verbose)  # its access log goes through the secret scan too
cat >"$work/sim.toml" <<'TOML'
listen = "127.0.0.1:0"
seed = 3
organizations = 3
repositories = 10
jobs = 150
[[faults]]
organization = "team-a"
repository = "app1"
kind = "server_error"
count = 8
[[faults]]
organization = "team-a"
repository = "tools/builder"
kind = "bad_gateway"
count = 6
[[faults]]
organization = "platform"
repository = "api-gateway"
kind = "throttle"
count = 20
retry_after = "0s"
[[faults]]
organization = "platform"
repository = "base/alpine"
kind = "slow"
delay = "150ms"
count = 40
[[faults]]
organization = "payments"
repository = "worker"
kind = "truncated_body"
mode = "short_read"
count = 8
[[faults]]
organization = "payments"
repository = "api-gateway"
kind = "truncated_body"
mode = "cut_json"
count = 4
[[faults]]
organization = "payments"
repository = "web-frontend"
kind = "lying_content_range"
mode = "total_too_small"
TOML
start sim "$sim_bin" --config "$work/sim.toml" "${sim_flags[@]}"
for _ in $(seq 100); do grep -q "listening on" "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^swr-sim listening on //p' "$work/sim.out")
[[ -n "$url" ]] || { echo "soak: swr-sim did not start" >&2; cat "$work/sim.err" >&2; exit 1; }

cat >"$work/exporter.toml" <<TOML
[huaweicloud]
region = "cn-north-4"
swr_endpoint = "$url"
iam_endpoint = "$url"
[auth]
access_key = "SIMACCESSKEY0000"
secret_key = "sim-secret-key"
[scrape]
interval = "100ms"
timeout = "5s"
page_size = 50
max_requests_per_second = 10000
full_resync_interval = "5s"
TOML
start exporter "$exporter_bin" --config "$work/exporter.toml" --web.listen-address 127.0.0.1:0 \
  --log.level "$log_level"
exporter=$started
for _ in $(seq 100); do grep -q "msg=listening" "$work/exporter.err" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*msg=listening.* port=\([0-9]*\).*/\1/p' "$work/exporter.err")
[[ -n "$port" ]] || { echo "soak: the exporter did not start" >&2; cat "$work/exporter.err" >&2; exit 1; }

started_at=$(date +%s%N)
done_cycles() { grep -c 'msg="cycle done"' "$work/exporter.err" || true; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$exporter/status"; }
fd_count() { find "/proc/$exporter/fd" -mindepth 1 -maxdepth 1 | wc -l; }
sim_jobs() { curl -s --max-time 5 "$url/_sim/stats" | sed -n 's/.*"jobs":\([0-9]*\).*/\1/p'; }
sample() {  # sample CYCLE: one soak_sample line; sets rss and fds
  rss=$(rss_kib)
  fds=$(fd_count)
  echo "soak_sample cycle=$1 rss_kib=$rss fds=$fds sim_jobs=$(sim_jobs)"
}

next_report=0
rss_warm="" fds_warm="" rss_max=0 fds_max=0 fds_max_warmup=0
outage_503_at=$((cycles * 3 / 5)) outage_refuse_at=$((cycles * 4 / 5))
outages_done=0
while :; do
  n=$(done_cycles)
  ((n < cycles)) || break
  kill -0 "$exporter" 2>/dev/null || { echo "soak: the exporter died" >&2; tail -20 "$work/exporter.err" >&2; exit 1; }
  # Jobs move on, new ones arrive; the controls are unreachable while connections are refused.
  curl -s --max-time 5 -X POST -H 'Content-Type: application/json' -d '{}' "$url/_sim/churn" >/dev/null || true
  curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$port/metrics"
  if ((outages_done == 0 && n >= outage_503_at)); then
    curl -s --max-time 5 -d '{"kind":"503","seconds":1}' "$url/_sim/outage" >/dev/null
    outages_done=1
  elif ((outages_done == 1 && n >= outage_refuse_at)); then
    curl -s --max-time 5 -d '{"kind":"refuse","seconds":1}' "$url/_sim/outage" >/dev/null || true
    outages_done=2
  fi
  if [[ -z "$rss_warm" && $n -ge $warmup ]]; then
    sample "$n"
    rss_warm=$rss fds_warm=$fds
    ((fds > fds_max_warmup)) && fds_max_warmup=$fds
  elif ((n >= next_report)); then
    sample "$n"
    [[ -z "$rss_warm" ]] && ((fds > fds_max_warmup)) && fds_max_warmup=$fds
  else
    rss=$(rss_kib) fds=$(fd_count)
    [[ -z "$rss_warm" ]] && ((fds > fds_max_warmup)) && fds_max_warmup=$fds
  fi
  ((n >= next_report)) && next_report=$((n - n % report_every + report_every))
  if [[ -n "$rss_warm" ]]; then
    ((rss > rss_max)) && rss_max=$rss
    ((fds > fds_max)) && fds_max=$fds
  fi
  sleep 0.05
done

# The world stops moving; three more cycles, then the figures must match it exactly.
before=$(done_cycles)
while (($(done_cycles) < before + 3)); do sleep 0.1; done
sample "$(done_cycles)"
rss_end=$rss fds_end=$fds
# A connection being replaced counts one descriptor more for a moment; a leak shows every time.
for _ in 1 2 3 4; do
  sleep 0.1
  n=$(fd_count)
  if ((n < fds_end)); then fds_end=$n; fi
done
((rss_end > rss_max)) && rss_max=$rss_end
((fds_end > fds_max)) && fds_max=$fds_end
metrics=$(curl -s --max-time 5 "http://127.0.0.1:$port/metrics")
sim_total=$(sim_jobs)
listed=$(awk '/^swr_sync_jobs\{/ {s += $NF} END {print s + 0}' <<<"$metrics")
final=$(awk '/^swr_sync_jobs\{/ && /status="(success|failed|timeout|cancel|existed)"/ {s += $NF} END {print s + 0}' <<<"$metrics")
observed=$(awk '/^swr_sync_job_duration_seconds_count\{/ {s += $NF} END {print s + 0}' <<<"$metrics")
up=$(awk '$1 == "swr_up" {print $2}' <<<"$metrics")
stats=$(curl -s --max-time 5 "$url/_sim/stats")
faults=$(grep -o '"hits":[0-9]*' <<<"$stats" | wc -l || true)
faults_idle=$(grep -o '"hits":0[,}]' <<<"$stats" | wc -l || true)
outages=$(sed -n 's/.*"outage":{[^}]*"started":\([0-9]*\).*/\1/p' <<<"$stats")
seconds=$(awk -v ns=$(($(date +%s%N) - started_at)) 'BEGIN {printf "%.1f", ns / 1e9}')
growth=$((rss_end - rss_warm))
echo "soak_result cycles=$(done_cycles) warmup_cycle=$warmup rss_warm_kib=$rss_warm rss_end_kib=$rss_end rss_growth_kib=$growth rss_max_kib=$rss_max fds_warm=$fds_warm fds_end=$fds_end fds_max=$fds_max sim_jobs=$sim_total exported_jobs=$listed final_jobs=$final observed=$observed swr_up=${up:-none} seconds=$seconds"

status=0
check() {  # check NAME OK(1|0) DETAIL
  if (($2)); then
    echo "soak_check name=$1 ok $3"
  else
    echo "soak_check name=$1 FAIL $3"
    status=1
  fi
}
yes_no() { if "$@"; then echo 1; else echo 0; fi; }
check rss_growth "$((growth < max_rss_growth_kib))" \
  "VmRSS grew ${growth} KiB from cycle $warmup to the end (bound ${max_rss_growth_kib} KiB)"
check fds "$((fds_end <= fds_max_warmup))" \
  "open fds: ${fds_end} at the end, at most ${fds_max_warmup} up to the warm-up"
check exact_jobs "$(yes_no test "$listed" = "$sim_total")" \
  "exported jobs ${listed}, the simulator holds ${sim_total}"
check exact_once "$(yes_no test "$final" = "$observed")" \
  "jobs in a final status ${final}, observed in the histogram ${observed}"
check up "$(yes_no test "${up:-none}" = 1)" "swr_up ${up:-none}"
check faults_fired "$(yes_no test "$faults" -gt 0 -a "$faults_idle" = 0 -a "${outages:-0}" = 2)" \
  "$((faults - faults_idle)) of $faults faults hit, ${outages:-0} of 2 outages; $(grep -c 'not in the world' "$work/sim.err" || true) faults name no repository"
exit $status
