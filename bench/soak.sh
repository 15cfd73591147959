#!/usr/bin/env bash
# Soak: many fast cycles against a changing world with faults; resident memory and open file
# descriptors must stay flat, and the final metrics must be exact.
#   bench/soak.sh [cycles]            (default 1000)
# Prints the RSS / fd curve every 100 cycles and the final checks; exits non-zero on a failed check.
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=${1:-1000}
build=${BUILD_DIR:-build}
[[ -x $build/swr-sync-exporter ]] || ./scripts/build.sh >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

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
count = 200
[[faults]]
organization = "platform"
repository = "api-gateway"
kind = "throttle"
count = 50
retry_after = "0s"
[[faults]]
organization = "payments"
repository = "web-frontend"
kind = "lying_content_range"
mode = "total_too_small"
TOML
"$build/swr-sim" --config "$work/sim.toml" >"$work/sim.out" 2>"$work/sim.err" &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^swr-sim listening on //p' "$work/sim.out")

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
"$build/swr-sync-exporter" --config "$work/exporter.toml" --web.listen-address 127.0.0.1:0 \
  2>"$work/exporter.err" >/dev/null &
exporter=$!
pids+=("$exporter")
for _ in $(seq 100); do grep -q "msg=listening" "$work/exporter.err" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*msg=listening.* port=\([0-9]*\).*/\1/p' "$work/exporter.err")

done_cycles() { grep -c 'msg="cycle done"' "$work/exporter.err" || true; }
printf '%8s %10s %8s %10s\n' cycles rss_kib fds jobs
next_report=0
while (( $(done_cycles) < cycles )); do
  curl -s -X POST -H 'Content-Type: application/json' -d '{}' "$url/_sim/churn" >/dev/null  # jobs move on, new ones arrive
  curl -s -o /dev/null "http://127.0.0.1:$port/metrics"
  n=$(done_cycles)
  if (( n >= next_report )); then
    printf '%8d %10d %8d %10s\n' "$n" "$(awk '/VmRSS/ {print $2}' /proc/$exporter/status)" \
      "$(ls /proc/$exporter/fd | wc -l)" \
      "$(curl -s "$url/_sim/stats" | sed -n 's/.*"jobs":\([0-9]*\).*/\1/p')"
    next_report=$((next_report + 100))
  fi
  sleep 0.05
done

# The world stops moving; two more cycles, then the figures must match it exactly.
before=$(done_cycles)
while (( $(done_cycles) < before + 3 )); do sleep 0.1; done
metrics=$(curl -s "http://127.0.0.1:$port/metrics")
sim_jobs=$(curl -s "$url/_sim/stats" | sed -n 's/.*"jobs":\([0-9]*\).*/\1/p')
listed=$(awk '/^swr_sync_jobs\{/ {s += $NF} END {print s}' <<<"$metrics")
final=$(awk '/^swr_sync_jobs\{/ && /status="(success|failed|timeout|cancel|existed)"/ {s += $NF} END {print s}' <<<"$metrics")
observed=$(awk '/^swr_sync_job_duration_seconds_count\{/ {s += $NF} END {print s}' <<<"$metrics")
up=$(awk '$1 == "swr_up" {print $2}' <<<"$metrics")
echo
echo "sim jobs $sim_jobs, exported jobs $listed; final jobs $final, observed once each $observed; swr_up $up"
status=0
[[ "$listed" == "$sim_jobs" ]] || { echo "FAIL: exported jobs differ from the simulator's" >&2; status=1; }
[[ "$final" == "$observed" ]] || { echo "FAIL: final jobs and observations differ" >&2; status=1; }
[[ "$up" == "1" ]] || { echo "FAIL: swr_up is not 1" >&2; status=1; }
exit $status
