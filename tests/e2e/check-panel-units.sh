#!/usr/bin/env bash
# shellcheck disable=SC2016  # the single-quoted $names are jq's
# check-panel-units.sh DASHBOARD PROMETHEUS_URL...: evaluates every panel query of DASHBOARD
# (rows' panels included) at the current time on each Prometheus (/api/v1/query, Grafana's
# variables replaced as tests/operate/extract-queries.sh does), and checks that each value a panel
# shows is plausible for the unit it shows it in:
#
#   unit                           plausible values     catches
#   dateTime* (dateTimeAsIso...)   1e12 .. 1e13         epoch seconds (1970 dates): Grafana reads ms
#   s                              -5e8 .. 5e8          a timestamp shown as a duration (54 years)
#   ms                             -5e11 .. 5e11        a timestamp in ms shown as a duration
#   percentunit                    0 .. 1               a percentage (0..100) shown as a ratio
#   percent                        0 .. 100             a ratio shown as a percentage
#   bytes, decbytes                0 .. 1e13            a timestamp or a count gone wild
#   reqps, rps, ops, opm           0 .. 1e6             a counter shown without rate()
#   short, none                    -1e9 .. 1e9          a raw epoch timestamp (1.7e9) as a number
#
# A panel that declares a negative fieldConfig.defaults.min (error budget remaining: an overspent
# budget is below 0) may show values down to minus infinity in percentunit. A unit missing from
# the table fails: add it with its range. The unit of a target is the panel's default, or the unit
# of an override byName on the column the target feeds (organize's renameByName of "Value #REFID")
# or byFrameRefID. NaN and infinities (histogram_quantile with no observation) are not values.
# Every panel must show at least one value on one of the servers. Prints one line per panel.
# Needs curl and jq (CURL, JQ override the ones on PATH).
set -euo pipefail

(($# >= 2)) || { echo "usage: $0 DASHBOARD PROMETHEUS_URL..." >&2; exit 2; }
DASHBOARD=$1
shift
URLS=("$@")
JQ=${JQ:-$(command -v jq || true)}
CURL=${CURL:-$(command -v curl || true)}
[[ -x "$JQ" && -x "$CURL" ]] || { echo "FAIL: check-panel-units.sh needs jq and curl" >&2; exit 1; }
[[ -f "$DASHBOARD" ]] || { echo "FAIL: no dashboard $DASHBOARD" >&2; exit 1; }

source "$(dirname "$0")/../operate/grafana-to-promql.sh"

# unit_range UNIT: "LO HI", or nothing for a unit not in the table.
unit_range() {
  case "$1" in
    dateTime*) echo "1e12 1e13" ;;
    s) echo "-5e8 5e8" ;;
    ms) echo "-5e11 5e11" ;;
    percentunit) echo "0 1" ;;
    percent) echo "0 100" ;;
    bytes | decbytes) echo "0 1e13" ;;
    reqps | rps | ops | opm) echo "0 1e6" ;;
    short | none) echo "-1e9 1e9" ;;
  esac
}

# One line per panel target: id <TAB> title <TAB> unit <TAB> negative-allowed <TAB> refId <TAB> expr
targets="$("$JQ" -r '
  [.panels[]?, (.panels[]?.panels[]?)] | map(select(.type != "row")) | .[] as $p
  | ($p.transformations // [] | map(select(.id == "organize") | .options.renameByName // {}) | add // {}) as $rename
  | $p.targets[]? | select((.expr // "") != "") as $t
  | ([$p.fieldConfig.overrides[]?
      | select((.matcher.id == "byName" and .matcher.options == ($rename["Value #" + $t.refId] // "\u0000"))
               or (.matcher.id == "byFrameRefID" and .matcher.options == $t.refId))
      | .properties[] | select(.id == "unit") | .value] | first // $p.fieldConfig.defaults.unit // "") as $unit
  | [$p.id, $p.title, $unit, (if ($p.fieldConfig.defaults.min // 0) < 0 then "yes" else "no" end), $t.refId,
     ($t.expr | gsub("\\s+"; " "))] | @tsv' "$DASHBOARD")"
[[ -n "$targets" ]] || { echo "FAIL: no panel target in $DASHBOARD" >&2; exit 1; }

declare -A PANEL_TITLE PANEL_UNIT PANEL_N PANEL_MIN PANEL_MAX
PANEL_ORDER=()
failures=()
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

while IFS=$'\t' read -r id title unit negative ref expr; do
  if [[ -z "${PANEL_TITLE[$id]:-}" ]]; then
    PANEL_ORDER+=("$id")
    PANEL_TITLE[$id]=$title
    PANEL_UNIT[$id]=$unit
    PANEL_N[$id]=0
  elif [[ "${PANEL_UNIT[$id]}" != *"$unit"* ]]; then
    PANEL_UNIT[$id]+=",$unit"
  fi
  range="$(unit_range "$unit")"
  if [[ -z "$range" ]]; then
    failures+=("panel $id \"$title\" target $ref: unit '$unit' is not in the table of check-panel-units.sh")
    continue
  fi
  read -r lo hi <<<"$range"
  [[ "$negative" == yes ]] && lo=-inf
  promql="$(grafana_to_promql <<<"$expr")"
  for url in "${URLS[@]}"; do
    answer="$("$CURL" -sS --max-time 10 --data-urlencode "query=$promql" "$url/api/v1/query" 2>&1 || true)"
    # "count min max outside" of the finite values; outside lists up to 3 values out of [lo, hi].
    if ! summary="$("$JQ" -r --arg lo "$lo" --arg hi "$hi" '
        def num: if . == "NaN" or . == "+Inf" or . == "-Inf" then empty else tonumber end;
        def lo: if $lo == "-inf" then -infinite else ($lo | tonumber) end;
        if .status != "success" then error("status \(.status): \(.error // "")") else . end
        | .data as $d
        | [ if $d.resultType == "scalar" then ($d.result[1] | num)
            elif $d.resultType == "vector" then ($d.result[].value[1] | num)
            elif $d.resultType == "matrix" then ($d.result[].values[][1] | num)
            else empty end ] as $v
        | [$v[] | select(. < lo or . > ($hi | tonumber))] as $out
        | "\($v | length) \($v | min // "-") \($v | max // "-") \($out[:3] | map(tostring) | join(","))"
      ' <<<"$answer" 2>"$work/jq.err")"; then
      failures+=("panel $id \"$title\" target $ref: $url refused the query: $(head -c 300 <<<"$answer") $(cat "$work/jq.err")")
      continue
    fi
    read -r n vmin vmax out <<<"$summary"
    ((n > 0)) || continue
    if [[ -n "${out:-}" ]]; then
      failures+=("panel $id \"$title\" target $ref: unit $unit wants values in [$lo, $hi], $url gives $out (min $vmin, max $vmax): $promql")
    fi
    PANEL_N[$id]=$((PANEL_N[$id] + n))
    if [[ -z "${PANEL_MIN[$id]:-}" ]] || "$JQ" -ne "$vmin < ${PANEL_MIN[$id]}" >/dev/null; then PANEL_MIN[$id]=$vmin; fi
    if [[ -z "${PANEL_MAX[$id]:-}" ]] || "$JQ" -ne "$vmax > ${PANEL_MAX[$id]}" >/dev/null; then PANEL_MAX[$id]=$vmax; fi
  done
done <<<"$targets"

echo "panel units against the values shown (${#URLS[@]} Prometheus servers):"
for id in "${PANEL_ORDER[@]}"; do
  printf '  %3s %-42s %-24s %5d values  %s .. %s\n' "$id" "${PANEL_TITLE[$id]:0:42}" "${PANEL_UNIT[$id]}" \
    "${PANEL_N[$id]}" "${PANEL_MIN[$id]:--}" "${PANEL_MAX[$id]:--}"
  ((PANEL_N[$id] > 0)) || failures+=("panel $id \"${PANEL_TITLE[$id]}\": no query returned a value to check its unit against")
done
if ((${#failures[@]})); then
  printf 'FAIL: %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "${#PANEL_ORDER[@]} panels: every value fits its panel's unit"
