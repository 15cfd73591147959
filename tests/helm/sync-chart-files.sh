#!/usr/bin/env bash
# Refreshes the chart's copies of the alerting/recording rules and the Grafana dashboards:
# Helm reads no file outside the chart, so helm/swr-sync-exporter/ keeps copies that
# `helm-test.sh chart-files` compares with the originals.
#   config/prometheus/*.yml (rule files: those with a top-level `groups:`) -> rules/
#   dashboards/*.json                                                       -> dashboards/
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
chart="$repo/helm/swr-sync-exporter"

mkdir -p "$chart/rules" "$chart/dashboards"
rm -f "$chart"/rules/*.yml "$chart"/dashboards/*.json
for f in "$repo"/config/prometheus/*.yml; do
  [[ -f "$f" ]] && grep -q '^groups:' "$f" && cp "$f" "$chart/rules/"
done
for f in "$repo"/dashboards/*.json; do
  [[ -f "$f" ]] && cp "$f" "$chart/dashboards/"
done
ls "$chart/rules" "$chart/dashboards"
