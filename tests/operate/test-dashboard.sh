#!/usr/bin/env bash
# shellcheck disable=SC2016  # the single-quoted $names are jq's
# Structure of dashboards/swr-sync.json: it parses; schemaVersion >= 36; uid and title; a
# datasource variable (type datasource, query prometheus) that every panel, target and annotation
# uses; organization, repository and destination (target_region) variables, multi-value with All
# (".*"), matched with =~; every template variable used; every panel, rows' panels included,
# has a unit and a target with an expr; every rate()/increase() range is $__rate_interval.
# Issue 11: no exact le="..." or quantile="..." matcher in any query (Prometheus 3 stores le="600"
# as le="600.0"); every query of a panel or column whose unit is a date multiplies by 1000 (Grafana
# reads dates as milliseconds, the exporter writes seconds); a timeseries with a line per
# destination or organization/region is bounded by topk()/bottomk(); firing ALERTS annotations
# filtered by the variables; a table of failing destinations whose organization and repository
# columns link to this dashboard filtered on them; error budget remaining; an exporter-health
# panel for each of the exporter's own signals. Then the mixin is rendered with
# clusterLabel "cluster": a cluster variable, every selector of the exporter's and the recorded
# series matches it and every by()/on() keeps it (the heatmap's by (le) aside).
source "$(dirname "$0")/lib.sh"
need_tool JSONNET jsonnet jsonnet
MIXIN="$REPO/config/mixin"

[[ -f "$DASHBOARD" ]] || die "missing $DASHBOARD"
"$JQ" empty "$DASHBOARD" || die "$DASHBOARD is not valid JSON"

# One jq program; each line it prints is a problem.
problems="$("$JQ" -r '
  def panels: [.panels[]?, (.panels[]?.panels[]?)] | map(select(.type != "row"));
  def vars: .templating.list // [];
  def pname($p): "panel \($p.id) \"\($p.title)\"";
  . as $d
  | (if (.schemaVersion // 0) < 36 then "schemaVersion \(.schemaVersion) < 36" else empty end),
    (if .uid != "swr-sync" then "uid is \(.uid), not swr-sync" else empty end),
    (if .title != "SWR image sync" then "title is \(.title)" else empty end),
    (if [vars[] | select(.name == "datasource" and .type == "datasource" and .query == "prometheus")] | length != 1
     then "no variable datasource of type datasource with query prometheus" else empty end),
    ( ["organization", "repository", "target_region|destination"][] as $want
      | [vars[] | select(.name | test("^(" + $want + ")$"))] as $found
      | if ($found | length) != 1 then "no template variable \($want)"
        else $found[0] as $v
        | (if ($v.type == "query" and $v.multi == true and $v.includeAll == true and $v.allValue == ".*") | not
           then "variable \($v.name): want type query, multi, includeAll and allValue \".*\"" else empty end),
          (if [$d | .. | strings | select(contains("=~\"$" + $v.name + "\""))] | length == 0
           then "variable \($v.name) never used as =~\"$\($v.name)\"" else empty end)
        end ),
    ( vars[].name as $n
      | if ($d | del(.templating.list[] | select(.name == $n)) | tostring
            | test("\\$(" + $n + "\\b|\\{" + $n + "[}:])")) then empty
        else "variable \($n) is never used" end ),
    (if (panels | length) == 0 then "no panels" else empty end),
    (if ([panels[].id] | unique | length) != (panels | length) then "panel ids are not unique" else empty end),
    ( panels[] as $p
      | (if ($p.fieldConfig.defaults.unit // "") == "" then "\(pname($p)): no fieldConfig.defaults.unit" else empty end),
        (if [$p.targets[]? | select((.expr // "") != "")] | length == 0 then "\(pname($p)): no target with an expr" else empty end),
        (if $p.datasource.uid != "${datasource}" then "\(pname($p)): datasource is not ${datasource}" else empty end),
        (if all($p.targets[]?; .datasource.uid == "${datasource}") | not
         then "\(pname($p)): a target does not use ${datasource}" else empty end),
        ( $p.targets[]?.expr // empty | . as $e
          | ([scan("(?:rate|increase)\\(")] | length) as $calls
          | [scan("(?:rate|increase)\\([^\\]\\[()]*\\[([^\\]]*)\\]")[0]] as $ranges
          | (if ($ranges | length) != $calls then "\(pname($p)): a rate()/increase() without a direct range in: \($e)" else empty end),
            ($ranges[] | select(. != "$__rate_interval") | "\(pname($p)): range [\(.)] instead of [$__rate_interval] in: \($e)") ) )
' "$DASHBOARD")"

# Issue 11 checks, on the dashboard as generated.
problems+=$'\n'"$("$JQ" -r '
  def panels: [.panels[]?, (.panels[]?.panels[]?)] | map(select(.type != "row"));
  def pname($p): "panel \($p.id) \"\($p.title)\"";
  def exprs: [(panels[].targets[]?.expr // empty), (.annotations.list[]?.expr // empty),
              (.templating.list[]? | select(.type == "query") | .query | if type == "object" then .query else . end)];
  def datey: test("^dateTime");
  . as $d
  | ( exprs[] | select(test("\\b(le|quantile)\\s*!?=\\s*\"")) | "exact le/quantile matcher (use =~ or histogram_quantile): \(.)" ),
    ( panels[] as $p
      # units per target: the default, or an override byName on the column the target feeds
      | ($p.transformations // [] | map(select(.id == "organize") | .options.renameByName // {}) | add // {}) as $rename
      | $p.targets[]? as $t
      | ([$p.fieldConfig.overrides[]? | select(.matcher.id == "byName")
          | select(.matcher.options == ($rename["Value #" + $t.refId] // "")) | .properties[] | select(.id == "unit") | .value]
         | first // $p.fieldConfig.defaults.unit) as $unit
      | (if ($unit | datey) and (($t.expr | test("\\*\\s*1000\\s*\\)*\\s*$")) | not)
         then "\(pname($p)) target \($t.refId): unit \($unit) (milliseconds) but the query does not end in * 1000: \($t.expr)" else empty end),
        (if ($unit | datey | not) and ($t.expr | test("_timestamp_seconds")) and ($t.expr | test("time\\(\\)") | not)
         then "\(pname($p)) target \($t.refId): a timestamp in seconds shown with unit \($unit)" else empty end),
        (if $p.type == "timeseries" and ($t.legendFormat // "" | test("\\{\\{(repository|organization)\\}\\}"))
            and (($t.expr | test("^\\s*(topk|bottomk)\\(")) | not)
         then "\(pname($p)) target \($t.refId): a line per destination or organization without topk()/bottomk(): \($t.expr)" else empty end) ),
    ( [.annotations.list[]? | select((.expr // "") | test("^ALERTS\\{.*alertstate=\"firing\""))] as $a
      | if ($a | length) != 1 then "no annotation of firing ALERTS"
        else $a[0] as $an
        | (if $an.datasource.uid != "${datasource}" then "the ALERTS annotation does not use ${datasource}" else empty end),
          ( ["job", "instance", "organization", "repository", "target_region"][] as $v
            | if ($an.expr | contains($v + "=~\"$" + $v + "\"")) then empty else "the ALERTS annotation is not filtered by $\($v)" end )
        end ),
    ( [panels[] | select(.type == "table" and (.title | test("^Failing destinations")))] as $t
      | if ($t | length) != 1 then "no table \"Failing destinations\""
        else $t[0] as $p
        | ( ["organization", "repository", "target region", "target organization", "newest tag", "Failed at", "Last success"][] as $col
            | if [$p.transformations[]? | select(.id == "organize") | .options.renameByName[]] | index($col) then empty
              else "\(pname($p)): no column \"\($col)\"" end ),
          ( [["organization", ["organization"]], ["repository", ["organization", "repository"]]][] as [$col, $vars]
            | [$p.fieldConfig.overrides[]? | select(.matcher.id == "byName" and .matcher.options == $col)
               | .properties[] | select(.id == "links") | .value[].url] as $urls
            | if ($urls | length) == 0 then "\(pname($p)): column \($col) has no data link"
              else $urls[] as $u
                   | select(($u | startswith("/d/\($d.uid)/") | not)
                            or (all($vars[]; . as $v | $u | contains("var-\($v)=${__data.fields.\($v)}")) | not))
                   | "\(pname($p)): the link of column \($col) does not open /d/\($d.uid)/ filtered on \($vars | join(" and ")): \(.)"
              end )
        end ),
    ( if [panels[] | select(.title | test("^Error budget remaining"))
          | select(.targets[]?.expr | test("swr_sync:slo_objective:ratio"))] | length == 0
      then "no panel \"Error budget remaining\" reading swr_sync:slo_objective:ratio" else empty end ),
    ( [panels[].targets[]?.expr] as $all
      | ["swr_exporter_build_info", "swr_exporter_config_last_reload_successful",
         "swr_exporter_config_last_reload_success_timestamp_seconds", "swr_exporter_shard_ordinal",
         "swr_exporter_total_shards", "swr_exporter_initial_pass_complete",
         "swr_exporter_rate_limit_requests_per_second", "swr_exporter_poll_interval_seconds",
         "swr_exporter_credentials_refused", "swr_exporter_token_expiry_timestamp_seconds",
         "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"][] as $m
      | if any($all[]; contains($m)) then empty else "no panel shows \($m)" end )
' "$DASHBOARD")"

# The cluster label: rendered from the mixin with clusterLabel "cluster".
clustered="$(mktemp)"
trap 'rm -f "$clustered"' EXIT
"$JSONNET" -J "$MIXIN" -e "((import 'mixin.libsonnet') + { _config+:: { clusterLabel: 'cluster' } }).grafanaDashboards['swr-sync.json']" \
  >"$clustered" || die "jsonnet cannot render the dashboard of $MIXIN with clusterLabel 'cluster'"
problems+=$'\n'"$("$JQ" -r '
  def panels: [.panels[]?, (.panels[]?.panels[]?)] | map(select(.type != "row"));
  def exprs: [(panels[].targets[]?.expr // empty), (.annotations.list[]?.expr // empty),
              (.templating.list[]? | select(.type == "query" and .name != "cluster") | .query | if type == "object" then .query else . end)];
  (if [.templating.list[]? | select(.name == "cluster" and .type == "query" and (.query.query | test(", *cluster\\)$")))] | length != 1
   then "clusterLabel cluster: no query variable cluster over the label cluster" else empty end),
  ( exprs[] as $e
    | ( [$e | scan("\\b(?:by|on) *\\(([^)]*)\\)")[0]] | map(select(. != "" and . != "le")) | .[]
        | select(test("^cluster\\b") | not) | "clusterLabel cluster: by/on (\(.)) without cluster in: \($e)" ),
      ( [$e | scan("\\{[^}]*(?:job|organization)=~[^}]*\\}")] | .[] | select(contains("cluster=~\"$cluster\"") | not)
        | "clusterLabel cluster: a selector without cluster=~\"$cluster\": \(.) in: \($e)" ) )
' "$clustered")"
if grep -q 'cluster' <<<"$("$JQ" -r '.. | objects | .expr? // empty' "$DASHBOARD")"; then
  problems+=$'\n'"the dashboard as generated (clusterLabel '') names a cluster label in a query"
fi

# A multi-value variable compared with = breaks as soon as two values are picked.
if equal_uses="$(grep -nE '[^=!]=\\"\$\{?[A-Za-z_]' "$DASHBOARD")"; then
  problems+=$'\n'"variables compared with = instead of =~: $equal_uses"
fi

if [[ -n "${problems//$'\n'/}" ]]; then
  sed '/^$/d; s/^/FAIL: /' <<<"$problems" >&2
  die "problems in $DASHBOARD"
fi
count="$("$JQ" '[.panels[]?, (.panels[]?.panels[]?)] | map(select(.type != "row")) | length' "$DASHBOARD")"
echo "dashboard: $count panels OK"
echo "$count passed, 0 failed"
