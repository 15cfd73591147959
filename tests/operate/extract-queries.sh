#!/usr/bin/env bash
# extract-queries.sh OUTFILE: writes every PromQL expression of the rule files
# (config/prometheus/*.yml) and of the dashboard (dashboards/swr-sync.json: panel targets,
# annotation queries, and the selectors of its label_values()/query_result() variables), one per
# line, with Grafana's variables replaced by valid values ($__rate_interval -> 5m, $__interval -> 1m,
# $__range -> 1h, any other $var / ${var} / ${var:fmt} -> .*). OUTFILE "-" writes to standard output.
# A test evaluates each line against a real Prometheus; test-queries.sh checks that each parses.
source "$(dirname "$0")/lib.sh"

(($# == 1)) || { echo "usage: $0 OUTFILE" >&2; exit 2; }
out=$1

source "$(dirname "$0")/grafana-to-promql.sh"

dashboard_exprs() {
  [[ -f "$DASHBOARD" ]] || die "missing $DASHBOARD"
  # panel targets, rows' panels included
  "$JQ" -r '[.panels[]?, (.panels[]?.panels[]?)] | .[] | .targets[]? | .expr // empty
            | gsub("\\s+"; " ")' "$DASHBOARD"
  # annotation queries (the firing ALERTS)
  "$JQ" -r '.annotations.list[]? | .expr // empty | gsub("\\s+"; " ")' "$DASHBOARD"
  # query variables: label_values(SELECTOR, label) -> SELECTOR, query_result(Q) -> Q
  "$JQ" -r '.templating.list[]? | select(.type == "query")
            | (.query | if type == "object" then .query else . end) // empty
            | gsub("\\s+"; " ")' "$DASHBOARD" |
    sed -nE 's/^ *label_values\((.+), *[A-Za-z_][A-Za-z0-9_]* *\) *$/\1/p
             s/^ *query_result\((.+)\) *$/\1/p'
}

{
  while read -r file; do rule_exprs "$file"; done < <(rule_files)
  dashboard_exprs | grafana_to_promql
} | awk 'NF && !seen[$0]++' >"$([[ "$out" == - ]] && echo /dev/stdout || echo "$out")"
