#!/usr/bin/env bash
# Installs what is missing, builds, and runs the exporter against the bundled SWR simulator.
# Stays in the foreground until Ctrl-C, then stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --build-only
# The tests' own tools (Prometheus, clang, ...) are not installed here, so neither are the tests
# configured; ./scripts/test.sh turns them back on.
./scripts/build.sh -DSWR_BUILD_TESTS=OFF

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM

sim_out=$(mktemp)
./build/swr-sim --config config/sim-demo.toml >"$sim_out" &
pids+=($!)
for _ in $(seq 100); do
  grep -q "listening on" "$sim_out" && break
  sleep 0.1
done
grep -q "listening on" "$sim_out" || { echo "swr-sim did not start" >&2; exit 1; }
echo "SWR simulator: $(sed -n 's/^swr-sim listening on //p' "$sim_out")"

./build/swr-sync-exporter --config config/demo.toml --web.listen-address 127.0.0.1:10220 &
pids+=($!)
sleep 0.5
echo
echo "swr-sync-exporter is running:  http://127.0.0.1:10220/metrics"
echo "(the first poll cycle takes a few seconds; press Ctrl-C to stop)"
wait -n "${pids[@]}"
