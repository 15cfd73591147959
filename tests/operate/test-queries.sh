#!/usr/bin/env bash
# test-queries.sh [OUTFILE]: extract-queries.sh must find every rule's expression and every
# dashboard query, leave no Grafana variable behind, and each line must parse as PromQL
# (each becomes a recording rule of a scratch file that `promtool check rules` reads).
source "$(dirname "$0")/lib.sh"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="${1:-$work/queries.txt}"

bash "$OPERATE_DIR/extract-queries.sh" "$out"
[[ -s "$out" ]] || die "extract-queries.sh wrote nothing to $out"

# As many rule expressions as promtool counts rules (so the YAML walk missed none).
mapfile -t files < <(rule_files)
promtool_rules="$("$PROMTOOL" check rules "${files[@]}" | sed -nE 's/.*SUCCESS: ([0-9]+) rules found.*/\1/p' |
  awk '{ n += $1 } END { print n + 0 }')"
extracted_rules=0
for f in "${files[@]}"; do extracted_rules=$((extracted_rules + $(rule_exprs "$f" | grep -c .))); done
((extracted_rules == promtool_rules)) ||
  die "extracted $extracted_rules rule expressions, promtool counts $promtool_rules rules"

# Every panel target is there.
targets="$("$JQ" '[.panels[]?, (.panels[]?.panels[]?)] | [.[] | .targets[]? | select(.expr // "" | length > 0)] | length' "$DASHBOARD")"
((targets > 0)) || die "no panel target with an expr in $DASHBOARD"

if grep -n '\$' "$out"; then die "Grafana variables left in $out (lines above)"; fi

{
  echo "groups:"
  echo "  - name: extracted-queries"
  echo "    rules:"
  n=0
  while IFS= read -r expr; do
    n=$((n + 1))
    echo "      - record: extracted:query_$n"
    echo "        expr: |"
    echo "          $expr"
  done <"$out"
} >"$work/queries-rules.yml"
if ! "$PROMTOOL" check rules "$work/queries-rules.yml" >"$work/check.log" 2>&1; then
  cat "$work/check.log" >&2
  die "some extracted queries do not parse (record extracted:query_N is line N of $out)"
fi
lines="$(grep -c . "$out")"
echo "$lines queries parse ($extracted_rules from the rules, the rest from the dashboard's $targets targets and variables)"
echo "$lines passed, 0 failed"
