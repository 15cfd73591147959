#!/usr/bin/env bash
# Structure of dashboards/swr-sync.json: it parses; schemaVersion >= 36; uid and title; a
# datasource variable (type datasource, query prometheus) that every panel and target uses;
# organization, repository and destination (target_region) variables, multi-value with All
# (".*"), matched with =~; every template variable used; every panel, rows' panels included,
# has a unit and a target with an expr; every rate()/increase() range is $__rate_interval.
source "$(dirname "$0")/lib.sh"

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
