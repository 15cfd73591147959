#!/usr/bin/env bash
# Builds the fuzz preset (clang, libFuzzer, ASan + UBSan) and fuzzes every target in tests/fuzz for
# a while, each on a scratch copy of its seed corpus. Non-zero if any target crashed, leaked, hung
# or broke an invariant; the input that did it is kept in build-fuzz/findings/<target>/. Save it
# under tests/fuzz/regressions/<target>/ so CTest (label fuzz) runs it from then on.
# Usage: scripts/fuzz.sh [seconds-per-target]      (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [seconds-per-target]" >&2; exit 2; }

cmake --preset fuzz >/dev/null
if ! cmake --build --preset fuzz -j"$(nproc)" >build-fuzz/build.log 2>&1; then
  tail -n 40 build-fuzz/build.log >&2
  echo "fuzz build failed: see build-fuzz/build.log" >&2
  exit 1
fi

export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
work="$PWD/build-fuzz/fuzz-work"
findings="$PWD/build-fuzz/findings"
rm -rf "$work"
crashed=()
for source in tests/fuzz/*_fuzz.cpp; do
  name="$(basename "$source" _fuzz.cpp)"
  corpus="$work/$name"
  mkdir -p "$corpus" "$findings/$name"
  cp tests/fuzz/corpus/"$name"/* "$corpus"/
  dict=()
  [[ -f tests/fuzz/dicts/$name.dict ]] && dict=(-dict="tests/fuzz/dicts/$name.dict")
  log="$work/$name.log"
  # -max_len: API bodies and configs worth fuzzing are small; deep nesting and other large inputs
  # are kept as regressions instead. -timeout: one input taking over 10 s counts as a hang.
  if build-fuzz/fuzz/fuzz_"$name" "$corpus" "${dict[@]}" -max_total_time="$seconds" \
      -max_len=16384 -timeout=10 -print_final_stats=1 -artifact_prefix="$findings/$name/" \
      >"$log" 2>&1; then
    result=ok
  else
    result=CRASHED
    crashed+=("$name")
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  coverage="$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)"
  printf '%-14s %-8s %10s runs in %ss  %s\n' "$name" "$result" "${runs:-?}" "$seconds" "$coverage"
  if [[ $result == CRASHED ]]; then
    grep -E 'ERROR:|runtime error|invariant broken|SUMMARY|Test unit written' "$log" >&2 || true
  fi
done

if [[ ${#crashed[@]} -gt 0 ]]; then
  echo "fuzzing found problems in: ${crashed[*]} (inputs in $findings, logs in $work)" >&2
  exit 1
fi
echo "fuzzing: no findings"
