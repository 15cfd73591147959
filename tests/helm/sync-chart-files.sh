#!/usr/bin/env bash
# Refreshes the chart's generated files: Helm reads no file outside the chart, so
# helm/swr-sync-exporter/ keeps
#   rules/*.yml        the mixin's rules with placeholders (scripts/generate-mixin.sh writes them,
#                      with config/prometheus/ and dashboards/)
#   dashboards/*.json  the dashboard (the same script)
#   LICENSE            a copy of the repository's (when it has one)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
chart="$repo/helm/swr-sync-exporter"
"$repo/scripts/generate-mixin.sh"
if [[ -f "$repo/LICENSE" ]]; then cp "$repo/LICENSE" "$chart/LICENSE"; fi
ls "$chart/rules" "$chart/dashboards"
