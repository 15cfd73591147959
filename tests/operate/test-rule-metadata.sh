#!/usr/bin/env bash
# Every alert: a CamelCase name, severity critical|warning|info, summary and description, a
# runbook_url at the one base URL whose anchor (the name in lower case) exists in
# docs/runbook.md, a dashboard_url to the dashboard (uid swr-sync) filtered on the alert's
# organization and repository when it has them; and a unit test in rules/*_test.yml that sees
# it fire and one that sees it quiet.
source "$(dirname "$0")/lib.sh"

[[ -f "$RUNBOOK" ]] || die "missing $RUNBOOK"
anchors="$(runbook_anchors)"
failures=0
checked=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# Which alerts the unit tests see firing (exp_alerts with items) and quiet (exp_alerts: []).
coverage="$(awk '
  /alertname:/ { a = $0; sub(/.*alertname: */, "", a); sub(/[ ,}].*/, "", a) }
  /exp_alerts:/ { if (a == "") next; if ($0 ~ /exp_alerts: *\[ *\]/) quiet[a] = 1; else fires[a] = 1; a = "" }
  END { for (n in fires) print "fires", n; for (n in quiet) print "quiet", n }
' "$OPERATE_DIR"/rules/*_test.yml)"

alerts_in_files=0
while read -r file; do
  alerts_in_files=$((alerts_in_files + $(grep -cE '^ *- alert:' "$file" || true)))
  while IFS=$'\t' read -r name sev summ desc url dash; do
    checked=$((checked + 1))
    [[ "$name" =~ ^[A-Z][a-z0-9]+([A-Z][a-z0-9]*)+$ ]] || fail "$name: not a CamelCase alert name"
    [[ "$sev" =~ ^(critical|warning|info)$ ]] || fail "$name: severity '$sev' not critical|warning|info"
    [[ "$summ" == yes ]] || fail "$name: no summary annotation"
    [[ "$desc" == yes ]] || fail "$name: no description annotation"
    lower="$(tr 'A-Z' 'a-z' <<<"$name")"
    [[ "$url" == "$RUNBOOK_BASE_URL#$lower" ]] ||
      fail "$name: runbook_url '$url' is not $RUNBOOK_BASE_URL#$lower"
    case "$name" in
      SwrSyncErrorBudget*) want="$DASHBOARD_URL?var-organization={{\$labels.organization|urlquery}}" ;;
      SwrSync* | SwrExporterRepositoryDown)
        want="$DASHBOARD_URL?var-organization={{\$labels.organization|urlquery}}&var-repository={{\$labels.repository|urlquery}}" ;;
      *) want="$DASHBOARD_URL" ;;
    esac
    [[ "$dash" == "$want" ]] || fail "$name: dashboard_url '$dash' is not $want"
    grep -qxF "$lower" <<<"$anchors" || fail "$name: no section with anchor #$lower in docs/runbook.md"
    grep -qxF "fires $name" <<<"$coverage" || fail "$name: no unit test sees it fire"
    grep -qxF "quiet $name" <<<"$coverage" || fail "$name: no unit test sees it stay quiet"
  done < <(alert_table "$file")
done < <(rule_files)

# The runbook's own links between sections resolve too.
while IFS= read -r link; do
  grep -qxF "$link" <<<"$anchors" || fail "docs/runbook.md links to #$link, which is no section"
done < <(grep -oE '\]\(#[^)]+\)' "$RUNBOOK" | sed -E 's/^\]\(#//; s/\)$//' | sort -u)

((checked > 0)) || die "no alert found in $RULES_DIR"
((checked == alerts_in_files)) || fail "parsed $checked alerts but the files hold $alerts_in_files"
((failures == 0)) || die "$failures problem(s) in the alert metadata"
echo "$checked alerts: metadata, runbook anchors and unit-test coverage OK"
echo "$checked passed, 0 failed"
