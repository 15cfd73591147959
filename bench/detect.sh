#!/usr/bin/env bash
# Detection benchmark: how soon pushes and manual syncs show in /metrics, and what it costs in
# sync_job requests, at the default request budget.
#
#   bench/detect.sh                        # 100 organizations x 100 repositories x 20 jobs,
#                                          # interval 60s, 10 requests/s, recheck_interval 100m
#   DETECT_RECHECK=0s bench/detect.sh      # the old design: every repository every cycle
#   DETECT_RECHECK=15m bench/detect.sh     # the exporter's default sweep
#   EXPORTER_BIN=/path/to/old/swr-sync-exporter DETECT_RECHECK=omit bench/detect.sh
#                                          # a build that does not know the key
#
# swr-sim serves a static generated world. The exporter (discovery, [scrape] interval and
# max_requests_per_second as below) first reads every repository (the warm-up, until
# swr_exporter_initial_pass_complete is 1, or the first cycle of a build without that metric);
# then, for DETECT_MINUTES, each minute 1% of the repositories get a push (POST /_sim/jobs, one
# job, tag push-N, status failed: the listing moves) and DETECT_MANUAL a manual sync (tag
# manual-N, "manual": true: the listing stays), spread evenly over the minute, each to a
# repository no other event of the run touched. /metrics is scraped every DETECT_POLL s (gzip) to
# see when each tag first shows in swr_sync_latest_job_info. After a drain (until a cycle that
# started after the last event is done, at most DETECT_DRAIN s) the exported swr_sync_jobs are
# compared, series by series, with every repository's sync jobs read back from swr-sim over its
# AK/SK-signed SWR API, and with /_sim/stats' job count. Prints a markdown table with the targets
# and the raw numbers (per-cycle lines from the exporter's `cycle done` log).
#
# Environment (defaults):
#   DETECT_MINUTES 10        minutes of pushes after the warm-up
#   DETECT_ORGS 100, DETECT_REPOS 100 (per organization), DETECT_JOBS 20 (per repository)
#   DETECT_INTERVAL 60s, DETECT_RPS 10 (max_requests_per_second)
#   DETECT_RECHECK 100m      recheck_interval; 0s = old design; omit = leave the key out
#   DETECT_PUSHES 0          pushes a minute (0 = 1% of the repositories)
#   DETECT_MANUAL 5          manual syncs a minute
#   DETECT_WARMUP pass       pass = push only after the initial pass; none = from the start
#   DETECT_WARMUP_MAX 2700   s, at most, for the warm-up
#   DETECT_DRAIN             s, at most, after the last event (default 3 intervals)
#   DETECT_POLL 1            s between scrapes
#   DETECT_SEED 1            world and choice of repositories
#   EXPORTER_BIN, SIM_BIN    default $BUILD_DIR/swr-sync-exporter, $BUILD_DIR/swr-sim
#   BUILD_DIR build          built by scripts/build.sh when the binaries are missing
# Everything listens on 127.0.0.1 only. Needs python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
exporter_bin=${EXPORTER_BIN:-$build/swr-sync-exporter}
sim_bin=${SIM_BIN:-$build/swr-sim}
if [[ ! -x $exporter_bin || ! -x $sim_bin ]]; then
  [[ -z ${EXPORTER_BIN:-}${SIM_BIN:-} ]] || { echo "detect: $exporter_bin or $sim_bin is missing" >&2; exit 2; }
  ./scripts/build.sh >/dev/null
fi

work=$(mktemp -d)
sim_pid=""
cleanup() {
  if [[ -n $sim_pid ]]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  if [[ -n ${DETECT_KEEP:-} ]]; then echo "detect: logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

cat >"$work/sim.toml" <<TOML
listen = "127.0.0.1:0"
seed = ${DETECT_SEED:-1}
organizations = ${DETECT_ORGS:-100}
repositories = ${DETECT_REPOS:-100}
jobs = ${DETECT_JOBS:-20}
TOML
"$sim_bin" --config "$work/sim.toml" >"$work/sim.out" 2>"$work/sim.err" </dev/null &
sim_pid=$!
for _ in $(seq 600); do grep -q "listening on" "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^swr-sim listening on //p' "$work/sim.out")
[[ -n "$url" ]] || { echo "detect: swr-sim did not start" >&2; cat "$work/sim.err" >&2; exit 1; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); exporter $("$exporter_bin" --version 2>&1 | head -1)"
echo
python3 bench/detect.py --sim "$url" --exporter "$exporter_bin" --work "$work" \
  --minutes "${DETECT_MINUTES:-10}" --interval "${DETECT_INTERVAL:-60s}" --rps "${DETECT_RPS:-10}" \
  --recheck "${DETECT_RECHECK:-100m}" --pushes "${DETECT_PUSHES:-0}" --manual "${DETECT_MANUAL:-5}" \
  --warmup "${DETECT_WARMUP:-pass}" --warmup-max "${DETECT_WARMUP_MAX:-2700}" \
  --drain "${DETECT_DRAIN:--1}" --poll "${DETECT_POLL:-1}" --seed "${DETECT_SEED:-1}"
