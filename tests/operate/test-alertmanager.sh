#!/usr/bin/env bash
# config/alertmanager/inhibit.yml: amtool check-config accepts it inside a minimal configuration,
# and it holds the inhibitions the runbook promises (SwrExporterDown, SwrExporterCredentialsRefused
# and SwrExporterRepositoriesDown silence the per-repository alerts of the same exporter).
source "$(dirname "$0")/lib.sh"
need_tool AMTOOL amtool prometheus-alertmanager

inhibit="$REPO/config/alertmanager/inhibit.yml"
[[ -f "$inhibit" ]] || die "missing $inhibit"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
{
  printf 'route:\n  receiver: default\n  group_by: [alertname, job, instance]\nreceivers:\n  - name: default\n'
  grep -v '^#' "$inhibit"
} >"$work/alertmanager.yml"
"$AMTOOL" check-config "$work/alertmanager.yml" | tee "$work/out"
grep -qE '^ *- 3 inhibit rules' "$work/out" || die "amtool does not count 3 inhibit rules"
# A broken file fails, so the check can fail.
sed 's/source_matchers:/source_matchers: [/' "$work/alertmanager.yml" >"$work/broken.yml"
"$AMTOOL" check-config "$work/broken.yml" >/dev/null 2>&1 && die "amtool accepts a broken file"
# source alertname <TAB> target alertname regex, one line per inhibit rule
rules="$(awk '
  /^  - / { if (src != "") print src "\t" tgt; src = ""; tgt = "" }
  /alertname=\\"/ { v = $0; sub(/.*alertname=\\"/, "", v); sub(/\\".*/, "", v); src = v }
  /alertname=~\\"/ { v = $0; sub(/.*alertname=~\\"/, "", v); sub(/\\".*/, "", v); tgt = v }
  END { if (src != "") print src "\t" tgt }' "$inhibit")"
[[ $(grep -c . <<<"$rules") == 3 ]] || die "could not read 3 source/target pairs from inhibit.yml: $rules"
for pair in 'SwrExporterDown:SwrExporterRepositoryDown' 'SwrExporterDown:SwrExporterCredentialsRefused' \
  'SwrExporterCredentialsRefused:SwrExporterRepositoryDown' 'SwrExporterCredentialsRefused:SwrExporterRepositoriesDown' \
  'SwrExporterCredentialsRefused:SwrExporterPollFailing' 'SwrExporterRepositoriesDown:SwrExporterRepositoryDown' \
  'SwrExporterRepositoriesDown:SwrExporterPollFailing'; do
  src=${pair%%:*} tgt=${pair#*:} ok=0
  while IFS=$'\t' read -r s t; do
    [[ "$s" == "$src" ]] && grep -qxE "$t" <<<"$tgt" && ok=1
  done <<<"$rules"
  ((ok)) || die "inhibit.yml: $src does not inhibit $tgt"
done
# and never the other way round: a per-repository alert silences nothing
while IFS=$'\t' read -r s t; do
  [[ "$s" == SwrExporterRepositoryDown || "$s" == SwrExporterPollFailing ]] && die "inhibit.yml: $s inhibits $t"
done <<<"$rules"
echo "inhibit.yml: valid, 3 rules, the promised inhibitions"
echo "1 passed, 0 failed"
