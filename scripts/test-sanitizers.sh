#!/usr/bin/env bash
# Builds the asan (AddressSanitizer + UBSan, leak checking on) and tsan presets with clang and runs
# the unit, sim and integration tests under each. Non-zero on a failed test or on any sanitizer
# report, whether from a test binary or from an exporter or swr-sim process a test started.
# Usage: scripts/test-sanitizers.sh [asan] [tsan]      (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."

presets=("$@")
[[ ${#presets[@]} -gt 0 ]] || presets=(asan tsan)
failed=()
for preset in "${presets[@]}"; do
  [[ "$preset" == asan || "$preset" == tsan ]] || { echo "unknown preset: $preset" >&2; exit 2; }
  echo "== $preset: build"
  cmake --preset "$preset" >/dev/null
  if ! cmake --build --preset "$preset" -j"$(nproc)" >"build-$preset/build.log" 2>&1; then
    tail -n 40 "build-$preset/build.log" >&2
    echo "$preset build failed: see build-$preset/build.log" >&2
    exit 1
  fi

  echo "== $preset: unit, sim and integration tests"
  # Reports go to files: the integration tests kill swr-sim and read the exporter's stderr from a
  # temporary directory, so a child's report could otherwise pass unseen. These options are
  # appended to the preset's own (CMakePresets.json).
  reports="$PWD/build-$preset/sanitizer-reports"
  rm -rf "$reports" && mkdir -p "$reports"
  ok=true
  ASAN_OPTIONS="log_path=$reports/asan" UBSAN_OPTIONS="log_path=$reports/ubsan" \
    TSAN_OPTIONS="log_path=$reports/tsan" \
    ctest --preset "$preset" -R '^(unit|sim|integration)$' || ok=false
  if compgen -G "$reports/*" >/dev/null; then
    for report in "$reports"/*; do
      echo "---- $report" >&2
      cat "$report" >&2
    done
    ok=false
  fi
  $ok || failed+=("$preset")
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "sanitizer tests failed: ${failed[*]}" >&2
  exit 1
fi
echo "sanitizer tests passed: ${presets[*]}"
