#!/usr/bin/env bash
# promtool check metrics over each golden file: any finding, or any output at all, fails.
# Usage: check-promtool.sh PROMTOOL FILE...
set -uo pipefail
promtool=$1
shift
status=0
for file in "$@"; do
  if [[ ! -s $file ]]; then
    echo "FAIL $file: missing or empty"
    status=1
    continue
  fi
  findings=$("$promtool" check metrics <"$file" 2>&1)
  code=$?
  if [[ $code -ne 0 || -n $findings ]]; then
    echo "FAIL $file (promtool exit $code):"
    echo "$findings"
    status=1
  else
    echo "ok   $file: $(grep -c '^# TYPE ' "$file") families, $(grep -vc '^#' "$file") samples"
  fi
done
exit $status
