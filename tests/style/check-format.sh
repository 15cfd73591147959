#!/usr/bin/env bash
# Every C++ file of ours is clang-format clean (.clang-format: Google, 100 columns).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v clang-format >/dev/null || { echo "clang-format is missing: run scripts/install-deps.sh" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.cpp' '*.h' 2>/dev/null || find src sim tests bench -name '*.cpp' -o -name '*.h')
bad=()
for f in "${files[@]}"; do
  [[ -f "$f" ]] || continue
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [[ ${#bad[@]} -gt 0 ]]; then
  echo "clang-format would change: ${bad[*]}" >&2
  exit 1
fi
echo "clang-format: ${#files[@]} files clean"
