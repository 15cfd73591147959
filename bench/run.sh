#!/usr/bin/env bash
# Benchmark: swr-sim with R repositories x J jobs, the exporter against it, and the figures.
#   bench/run.sh                  # sizes 100x100 1000x100 10000x100 1000x1000
#   bench/run.sh 1000x100 ...     # chosen sizes (repositories x jobs per repository)
# Prints one table row per size; needs a Release build (scripts/build.sh) and wrk.
# Detection (pushes and manual syncs -> /metrics latency, sync_job requests a cycle at 10
# requests/s, 10,000 repositories): bench/detect.sh (its header lists the settings).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(100x100 1000x100 10000x100 1000x1000)
wrk_seconds=${WRK_SECONDS:-10}
steady_cycles=${STEADY_CYCLES:-5}
steady_notes=()
build=${BUILD_DIR:-build}
# SIM_BUILD_DIR: the swr-sim to run against (e.g. one that never compresses); default $BUILD_DIR.
sim_build=${SIM_BUILD_DIR:-$build}

if ! command -v wrk >/dev/null; then
  sudo=(); [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get install -y -qq wrk >/dev/null
fi
[[ -x $build/swr-sync-exporter && -x $build/bench/parse_floor ]] || ./scripts/build.sh >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

field() {  # field NAME LINE
  sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"
}
status_kb() {  # status_kb PID VmRSS|VmHWM
  awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}
wait_for() {  # wait_for FILE PATTERN COUNT SECONDS
  local deadline=$((SECONDS + $4))
  local count
  while :; do
    count=$(grep -c "$2" "$1" 2>/dev/null || true)
    (( ${count:-0} >= $3 )) && break
    (( SECONDS < deadline )) || { echo "timed out waiting for '$2' in $1" >&2; tail -5 "$1" >&2; exit 1; }
    sleep 0.2
  done
  grep "$2" "$1" | sed -n "$3p"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo
printf '| size (repos x jobs) | jobs | cycle | wall s | exporter CPU s | floor s | CPU / floor | API requests | requests / repo | peak RSS MiB | bytes / job above idle | render ms | exposition KiB (gzip) | wrk gzip req/s | wrk p99 ms |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'

for size in "${sizes[@]}"; do
  repos=${size%x*}
  jobs=${size#*x}
  orgs=10
  (( repos >= orgs )) || orgs=1
  per_org=$((repos / orgs))
  dir="$work/$size"
  mkdir -p "$dir"
  cat >"$dir/sim.toml" <<TOML
listen = "127.0.0.1:0"
seed = 1
organizations = $orgs
repositories = $per_org
jobs = $jobs
TOML
  "$sim_build"/swr-sim --config "$dir/sim.toml" >"$dir/sim.out" 2>"$dir/sim.err" &
  sim_pid=$!
  pids+=("$sim_pid")
  url=$(wait_for "$dir/sim.out" "listening on" 1 600 | sed 's/.*listening on //')

  floor_out=$("$build"/bench/parse_floor "$url" SIMACCESSKEY0000 sim-secret-key 100 4)
  floor=$(sed -n 's/^bare_parse_cpu_seconds=//p' <<<"$floor_out")
  steady_floor=$(sed -n 's/^steady_request_cpu_seconds=//p' <<<"$floor_out")
  total_jobs=$(sed -n 's/^jobs=//p' <<<"$floor_out")

  cat >"$dir/exporter.toml" <<TOML
[huaweicloud]
region = "cn-north-4"
swr_endpoint = "$url"
iam_endpoint = "$url"
[auth]
access_key = "SIMACCESSKEY0000"
secret_key = "sim-secret-key"
[scrape]
interval = "1s"
timeout = "60s"
page_size = 100
concurrency = 4
max_requests_per_second = 10000
# Every repository every cycle: this measures what a read costs (bench/detect.sh measures what
# change-driven polling saves).
recheck_interval = "0s"
TOML
  "$build"/swr-sync-exporter --config "$dir/exporter.toml" --web.listen-address 127.0.0.1:0 \
    2>"$dir/exporter.err" >/dev/null &
  exporter_pid=$!
  pids+=("$exporter_pid")
  port=$(field port "$(wait_for "$dir/exporter.err" "msg=listening" 1 30)")
  idle_kb=$(status_kb "$exporter_pid" VmRSS)

  first=$(wait_for "$dir/exporter.err" 'msg="cycle done"' 1 3600)
  # Steady state: the median by CPU of the next five cycles (CPU time on a VM moves from cycle
  # to cycle; all five are printed under the table).
  wait_for "$dir/exporter.err" 'msg="cycle done"' $((1 + steady_cycles)) 3600 >/dev/null
  steady_lines=$(grep 'msg="cycle done"' "$dir/exporter.err" | sed -n "2,$((1 + steady_cycles))p")
  second=$(while read -r l; do printf '%s %s\n' "$(field cpu_seconds "$l")" "$l"; done <<<"$steady_lines" |
    sort -g | sed -n "$(((steady_cycles + 1) / 2))p" | cut -d' ' -f2-)
  steady_notes+=("$size steady CPU s of $steady_cycles cycles: $(while read -r l; do printf '%s ' "$(field cpu_seconds "$l")"; done <<<"$steady_lines")")
  # /metrics under load while cycles keep running.
  wrk_out=$(wrk -t2 -c8 -d"${wrk_seconds}s" --latency -H 'Accept-Encoding: gzip' \
    "http://127.0.0.1:$port/metrics" 2>&1)
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$wrk_out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$wrk_out")
  case "$p99" in
    *us) p99=$(awk -v v="${p99%us}" 'BEGIN {printf "%.2f", v/1000}') ;;
    *ms) p99=${p99%ms} ;;
    *s) p99=$(awk -v v="${p99%s}" 'BEGIN {printf "%.0f", v*1000}') ;;
  esac
  hwm_kb=$(status_kb "$exporter_pid" VmHWM)
  tracked=$(field tracked_jobs "$second")
  per_job=$(awk -v h="$hwm_kb" -v i="$idle_kb" -v t="$tracked" 'BEGIN {printf "%.0f", (h-i)*1024/(t>0?t:1)}')

  for which in first steady; do
    line=$first; [[ $which == steady ]] && line=$second
    cpu=$(field cpu_seconds "$line")
    cycle_floor=$floor; [[ $which == steady ]] && cycle_floor=$steady_floor
    requests=$(field requests "$line")
    printf '| %s | %s | %s | %.2f | %.3f | %s | %s | %s | %s | %.0f | %s | %.1f | %.0f (%.0f) | %s | %s |\n' \
      "$size" "$total_jobs" "$which" "$(field seconds "$line")" "$cpu" \
      "$cycle_floor" "$(awk -v c="$cpu" -v f="$cycle_floor" 'BEGIN {printf "%.2f", c/f}')" \
      "$requests" "$(awk -v r="$requests" -v n="$repos" 'BEGIN {printf "%.2f", r/n}')" \
      "$(awk -v k="$hwm_kb" 'BEGIN {print k/1024}')" "$per_job" \
      "$(awk -v s="$(field render_seconds "$line")" 'BEGIN {print s*1000}')" \
      "$(awk -v b="$(field exposition_bytes "$line")" 'BEGIN {print b/1024}')" \
      "$(awk -v b="$(field gzip_bytes "$line")" 'BEGIN {print b/1024}')" \
      "$([[ $which == steady ]] && echo "$rps" || echo "")" "$([[ $which == steady ]] && echo "$p99" || echo "")"
  done
  kill "$exporter_pid" "$sim_pid" 2>/dev/null || true
  wait "$exporter_pid" "$sim_pid" 2>/dev/null || true
done
echo
printf '%s\n' "${steady_notes[@]}"
echo
echo "first: the first cycle (everything read in full); steady: the median by CPU of the next"
echo "$steady_cycles cycles (incremental)."
echo "floor: first, a bare RapidJSON parse of the same response bytes; steady, the same signed"
echo "requests (one per repository for its newest jobs), 4 in flight through the same transport"
echo "as the exporter sends them, the bodies dropped (bench/parse_floor)."
echo "requests: sync_job pages; discovery adds one namespaces call and one repos call per 500 repositories."
