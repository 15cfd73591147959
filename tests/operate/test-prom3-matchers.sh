#!/usr/bin/env bash
# No exact le="..." or quantile="..." matcher (nor !=) in any shipped rule or dashboard:
# Prometheus 3 stores classic-histogram le (and summary quantile) values normalised (le="600" is
# ingested as le="600.0"), so an exact matcher on the exporter's spelling silently matches
# nothing. Use a regex that takes both: le=~"600(\\.0)?". Checks config/prometheus/*.yml,
# dashboards/*.json and the Helm chart's copies (rules/, dashboards/).
source "$(dirname "$0")/lib.sh"

files=("$REPO"/config/prometheus/*.yml "$REPO"/dashboards/*.json
  "$REPO"/helm/swr-sync-exporter/rules/*.yml "$REPO"/helm/swr-sync-exporter/dashboards/*.json)
checked=0
for f in "${files[@]}"; do
  [[ -f "$f" ]] || die "no file matches $f"
  checked=$((checked + 1))
done
# the label name, then = or != (not =~ / !~), then a quote (JSON escapes it as \")
pattern='(^|[^A-Za-z0-9_])(le|quantile)[[:space:]]*!?=[[:space:]]*\\?"'
if grep -nE "$pattern" "${files[@]}"; then
  die "exact le/quantile matchers above: Prometheus 3 normalises these label values; match with =~ (e.g. le=~\"600(\\\\.0)?\")"
fi
# The check itself finds what it must.
for sample in 'x{le="600"}' 'x{status="success", le = "600"}' '{quantile!=\"0.9\"}'; do
  grep -qE "$pattern" <<<"$sample" || die "the pattern misses $sample"
done
for sample in 'x{le=~"600(\\.0)?"}' 'sum by (le) (x)' 'x{handle="a"}'; do
  grep -qE "$pattern" <<<"$sample" && die "the pattern flags $sample"
done
echo "$checked files: no exact le/quantile matcher"
echo "$checked passed, 0 failed"
