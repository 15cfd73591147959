#!/usr/bin/env bash
# test-rules.sh [NAME_test.yml...]: promtool check rules on every rule file, then the promtool
# unit tests given (file names in rules/), or all of rules/*_test.yml.
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
"$PROMTOOL" test rules "${tests[@]}"
echo "${#tests[@]} passed, 0 failed"
