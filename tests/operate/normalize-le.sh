#!/usr/bin/env bash
# normalize-le.sh IN OUT: a copy of the promtool unit-test file IN whose input series carry their
# `le` labels the way Prometheus 3 stores classic-histogram buckets: a whole number gains ".0"
# (le="600" -> le="600.0"), "+Inf" and fractions stay. rule_files become absolute paths, so OUT
# can live anywhere. Only `series:` lines change.
set -euo pipefail
(($# == 2)) || { echo "usage: $0 IN OUT" >&2; exit 2; }
in=$1 out=$2
dir="$(cd "$(dirname "$in")" && pwd)"
awk -v dir="$dir" '
  /^rule_files:/ { in_files = 1; print; next }
  in_files && /^  - / { path = $0; sub(/^  - */, "", path); if (path !~ /^\//) path = dir "/" path; print "  - " path; next }
  { in_files = 0 }
  /^ *- series:/ {
    line = $0; outl = ""
    while (match(line, /le="[0-9]+"/)) {
      outl = outl substr(line, 1, RSTART + RLENGTH - 2) ".0\""
      line = substr(line, RSTART + RLENGTH)
    }
    print outl line; next
  }
  { print }
' "$in" >"$out"
