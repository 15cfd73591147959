#!/usr/bin/env bash
# Bytes on the wire for a first pass: swr-sim with R repositories x J jobs (10 organizations) and
# bench/parse_floor, which reads every repository's sync_job pages in full through the exporter's
# transport, as a first cycle does. Prints the pages' JSON as decoded, the bodies as they came
# over the connections (libcurl's CURLINFO_SIZE_DOWNLOAD_T: compressed when swr-sim compressed
# them) and the response heads (CURLINFO_HEADER_SIZE).
#   bench/wire.sh                              # 10000x100, build/ for both
#   SIM_BUILD_DIR=build-old bench/wire.sh      # against a swr-sim that never compresses
# swr-sim answers gzip when the request lists it in Accept-Encoding, which the transport does.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(10000x100)
build=${BUILD_DIR:-build}
sim_build=${SIM_BUILD_DIR:-$build}

work=$(mktemp -d)
sim_pid=
cleanup() {
  [[ -z $sim_pid ]] || kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

printf '| size | swr-sim | pages | JSON MB (decoded) | bodies on the wire MB | heads MB | wire / JSON |\n'
printf '|---|---|---|---|---|---|---|\n'
for size in "${sizes[@]}"; do
  repos=${size%x*}
  jobs=${size#*x}
  orgs=10
  (( repos >= orgs )) || orgs=1
  dir="$work/$size"
  mkdir -p "$dir"
  printf 'listen = "127.0.0.1:0"\nseed = 1\norganizations = %s\nrepositories = %s\njobs = %s\n' \
    "$orgs" "$((repos / orgs))" "$jobs" >"$dir/sim.toml"
  "$sim_build"/swr-sim --config "$dir/sim.toml" >"$dir/sim.out" 2>"$dir/sim.err" &
  sim_pid=$!
  for _ in $(seq 3000); do grep -q "listening on" "$dir/sim.out" && break; sleep 0.2; done
  url=$(sed -n 's/.*listening on //p' "$dir/sim.out")
  out=$("$build"/bench/parse_floor "$url" SIMACCESSKEY0000 sim-secret-key 100 4)
  get() { sed -n "s/^$1=//p" <<<"$out"; }
  printf '| %s | %s | %s | %.1f | %.1f | %.1f | %.3f |\n' "$size" "$sim_build" "$(get pages)" \
    "$(awk -v b="$(get bytes)" 'BEGIN { print b / 1e6 }')" \
    "$(awk -v b="$(get wire_body_bytes)" 'BEGIN { print b / 1e6 }')" \
    "$(awk -v b="$(get head_bytes)" 'BEGIN { print b / 1e6 }')" \
    "$(awk -v w="$(get wire_body_bytes)" -v h="$(get head_bytes)" -v d="$(get bytes)" \
      'BEGIN { print (w + h) / d }')"
  kill "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
  sim_pid=
done
