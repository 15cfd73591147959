#!/usr/bin/env bash
# Renders the monitoring mixin config/mixin/ (jsonnet; Debian: apt-get install jsonnet) into the
# files that ship:
#   config/prometheus/swr-sync-alerts.yml      alerting rules, default _config
#   config/prometheus/swr-sync-recording.yml   recording rules, default _config
#   config/alertmanager/inhibit.yml            Alertmanager inhibit_rules
#   dashboards/swr-sync.json                   the Grafana dashboard (grafanaDashboards)
#   helm/swr-sync-exporter/rules/*.yml         the rules with @@PLACEHOLDERS@@ that the chart's
#                                              templates/prometheusrule.yaml fills from its values
#   helm/swr-sync-exporter/dashboards/*.json   the dashboard
# Usage: scripts/generate-mixin.sh [OUTDIR]   (default: the repository; tests/operate renders into
# a temporary directory and compares).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$repo}"
mixin="$repo/config/mixin"
command -v jsonnet >/dev/null || { echo "jsonnet not found: apt-get install jsonnet" >&2; exit 1; }

mkdir -p "$out/config/prometheus" "$out/config/alertmanager" "$out/dashboards" \
  "$out/helm/swr-sync-exporter/rules" "$out/helm/swr-sync-exporter/dashboards"

# render OUTFILE CONFIG_OVERRIDE JSONNET_BODY: jsonnet -S with $m the mixin (config overridden)
# and $r the rule-file renderer.
render() {
  local file=$1 override=$2 body=$3
  jsonnet -S -J "$mixin" -e "
    local m = (import 'mixin.libsonnet') + { _config+:: $override };
    local r = import 'lib/rulefile.libsonnet';
    $body" >"$file.tmp"
  mv "$file.tmp" "$file"
}

header() {  # header WHAT [MORE LINES...]: a jsonnet array of comment lines
  local lines=("Generated from config/mixin by scripts/generate-mixin.sh: do not edit; edit"
    "config/mixin/*.libsonnet and run the script (a test fails when this file is stale)." ""
    "$@")
  local json="[" l
  for l in "${lines[@]}"; do json+="$(jq -Rn --arg s "$l" '$s'),"; done
  echo "${json%,}]"
}

alerts_header="$(header "Alerts for swr-sync-exporter. Load together with swr-sync-recording.yml, which records the" \
  "series the job-failure and SLO alerts read. See config/prometheus/README.md; every alert has a" \
  "section in docs/runbook.md whose anchor is its name in lower case.")"
recording_header="$(header "Recording rules for swr-sync-exporter. Load together with swr-sync-alerts.yml: the alerts read" \
  "the series recorded here. See config/prometheus/README.md and docs/runbook.md.")"
helm_note="The chart's copy: templates/prometheusrule.yaml replaces @@SELECTOR@@, @@CLUSTER_PREFIX@@,"
helm_note2="@@RUNBOOK_URL_BASE@@ and @@DASHBOARD_URL_BASE@@ with its prometheusRule values."

render "$out/config/prometheus/swr-sync-alerts.yml" '{}' "r.render($alerts_header, m.prometheusAlerts)"
render "$out/config/prometheus/swr-sync-recording.yml" '{}' "r.render($recording_header, m.prometheusRules)"

placeholders="{ selector: '@@SELECTOR@@', clusterPrefix: '@@CLUSTER_PREFIX@@',
  runbookUrlBase: '@@RUNBOOK_URL_BASE@@', dashboardUrlBase: '@@DASHBOARD_URL_BASE@@' }"
render "$out/helm/swr-sync-exporter/rules/swr-sync-alerts.yml" "$placeholders" \
  "r.render($(header "$helm_note" "$helm_note2"), m.prometheusAlerts)"
render "$out/helm/swr-sync-exporter/rules/swr-sync-recording.yml" "$placeholders" \
  "r.render($(header "$helm_note" "$helm_note2"), m.prometheusRules)"

render "$out/config/alertmanager/inhibit.yml" '{}' "
  std.join('', [(if l == '' then '#' else '# ' + l) + '\n' for l in $(header \
    "Alertmanager inhibitions for swr-sync-exporter: merge inhibit_rules into your alertmanager.yml" \
    "(docs/runbook.md#alertmanager-routing-and-inhibition). One cause, one notification:" \
    "SwrExporterDown silences the exporter's other alerts, SwrExporterCredentialsRefused and" \
    "SwrExporterRepositoriesDown the per-repository ones.")])
  + std.manifestYamlDoc({ inhibit_rules: m.alertmanagerInhibitRules }, indent_array_in_object=true, quote_keys=false) + '\n'"

dash_fields="$(jsonnet -J "$mixin" -e "std.objectFields((import 'mixin.libsonnet').grafanaDashboards)" | jq -r '.[]')"
for name in $dash_fields; do
  # jsonnet's own JSON output, laid out by jq: std.manifestJsonEx spends 10 s of CPU on the dashboard
  jsonnet -J "$mixin" -e "(import 'mixin.libsonnet').grafanaDashboards['$name']" | jq . >"$out/dashboards/$name.tmp"
  mv "$out/dashboards/$name.tmp" "$out/dashboards/$name"
  cp "$out/dashboards/$name" "$out/helm/swr-sync-exporter/dashboards/$name"
done
echo "generated into $out: config/prometheus/swr-sync-{alerts,recording}.yml, config/alertmanager/inhibit.yml," \
  "dashboards/{$(echo $dash_fields | tr ' ' ,)}, helm/swr-sync-exporter/{rules,dashboards}/"
