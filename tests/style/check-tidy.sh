#!/usr/bin/env bash
# clang-tidy (the curated checks in .clang-tidy) over our translation units in src/ and sim/, with
# zero findings allowed. Usage: check-tidy.sh BUILD_DIR [--changed [BASE]]
#   BUILD_DIR   a configured build tree (CMAKE_EXPORT_COMPILE_COMMANDS is on in CMakeLists.txt)
#   --changed   only the files that differ from BASE (default HEAD) in the working tree, for a
#               quick check while editing; ctest runs it over every file.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:?usage: check-tidy.sh BUILD_DIR [--changed [BASE]]}"
shift
command -v clang-tidy >/dev/null || { echo "clang-tidy is missing: run scripts/install-deps.sh" >&2; exit 1; }
[[ -f "$build/compile_commands.json" ]] || { echo "no $build/compile_commands.json: configure the build first" >&2; exit 1; }
cd "$root"
if [[ "${1:-}" == "--changed" ]]; then
  base="${2:-HEAD}"
  mapfile -t files < <({ git diff --name-only "$base" -- 'src/*.cpp' 'sim/*.cpp'
                         git ls-files --others --exclude-standard -- 'src/*.cpp' 'sim/*.cpp'; } | sort -u)
else
  mapfile -t files < <(git ls-files 'src/*.cpp' 'sim/*.cpp')
fi
present=()
for f in "${files[@]}"; do [[ -f "$f" ]] && present+=("$root/$f"); done
if [[ ${#present[@]} -eq 0 ]]; then
  echo "clang-tidy: no changed translation units"
  exit 0
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# g++'s warning flags in the compile commands are unknown to clang: not a finding of ours.
status=0
printf '%s\n' "${present[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy --quiet -p "$build" \
  --extra-arg=-Wno-unknown-warning-option >"$log" 2>/dev/null || status=$?
findings="$(grep -E '^/[^ ]+:[0-9]+:[0-9]+: (warning|error): ' "$log" | sort -u || true)"
if [[ -n "$findings" ]]; then
  echo "clang-tidy findings:" >&2
  echo "$findings" | sed "s|^$root/||" >&2
  exit 1
fi
if [[ $status -ne 0 ]]; then
  echo "clang-tidy failed (status $status) without a finding; its output:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
echo "clang-tidy: ${#present[@]} translation units, no findings"
