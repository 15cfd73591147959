#!/usr/bin/env bash
# test-rules.sh [NAME_test.yml...]: promtool check rules on every rule file, then the promtool
# unit tests given (file names in rules/), or all of rules/*_test.yml, twice: with the input series
# as written, and with their `le` labels normalised the Prometheus 3 way (normalize-le.sh:
# le="600" -> le="600.0"), so that the rules work with either.
source "$(dirname "$0")/lib.sh"

mapfile -t files < <(rule_files)
"$PROMTOOL" check rules "${files[@]}"

cd "$OPERATE_DIR/rules"
if (($#)); then
  tests=("$@")
else
  shopt -s nullglob
  tests=(*_test.yml)
fi
((${#tests[@]})) || die "no unit tests in $OPERATE_DIR/rules"
echo "== as written"
"$PROMTOOL" test rules "${tests[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
normalised=()
changed=0
for t in "${tests[@]}"; do
  bash "$OPERATE_DIR/normalize-le.sh" "$t" "$work/$t"
  normalised+=("$work/$t")
  if grep -qE '^ *- series:.*le="[0-9]+"' "$t"; then
    grep -qE '^ *- series:.*le="[0-9]+"' "$work/$t" && die "$t: normalize-le.sh left an integer le in $work/$t"
    changed=$((changed + 1))
  fi
done
echo "== le normalised the Prometheus 3 way ($changed of ${#tests[@]} files have integer le labels)"
"$PROMTOOL" test rules "${normalised[@]}"
echo "$((2 * ${#tests[@]})) passed, 0 failed"
