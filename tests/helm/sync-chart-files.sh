#!/usr/bin/env bash
# Refreshes the chart's copies of the alerting/recording rules and the Grafana dashboards:
# Helm reads no file outside the chart, so helm/swr-sync-exporter/ keeps copies that
# `helm-test.sh chart-files` compares with the originals.
#   config/prometheus/*.yml (rule files: those with a top-level `groups:`) -> rules/
#   dashboards/*.json                                                       -> dashboards/
#   LICENSE (when the repository has one)                                   -> LICENSE
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
if [[ -f "$repo/LICENSE" ]]; then cp "$repo/LICENSE" "$chart/LICENSE"; fi
ls "$chart/rules" "$chart/dashboards"
