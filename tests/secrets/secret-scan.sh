#!/usr/bin/env bash
# The secret scan: every log line of every exporter and swr-sim the test suite started (at debug
# level) is searched for the secrets of the tests; none may appear.
#
#   secret-scan.sh --clear LOG_DIR            empty LOG_DIR (the CTest fixture's setup)
#   secret-scan.sh LOG_DIR KNOWN_SECRETS      the scan (the fixture's cleanup, after every test)
#
# LOG_DIR is what the tests fill (SWR_TEST_LOG_DIR): one *.log per process (the integration
# harness, tests/e2e and bench/soak.sh write them), manifest/NAME for each process when it
# starts, and issued-secrets/*.secrets, where every swr-sim appends each secret it holds or hands
# out (`kind<TAB>value`: its secret key and password, IAM tokens, metadata session tokens,
# temporary secret keys and security tokens). KNOWN_SECRETS lists the tests' own secrets, one a
# line (# comments).
#
# It fails, naming the file and line (the secret redacted), when a log holds a secret or the
# first 24 characters of one (a cut-off token is still a leak). It also fails rather than pass
# on nothing: when LOG_DIR has no log, when a process in the manifest left no log, when no
# exporter or no swr-sim log is there, when swr-sim recorded no secret, or when an exporter ran
# below debug level (except runs that stopped at the command line, exit 2).
set -euo pipefail

if [[ "${1:-}" == --clear ]]; then
  (($# == 2)) || { echo "usage: $0 --clear LOG_DIR" >&2; exit 2; }
  rm -rf "$2"
  mkdir -p "$2"
  echo "secret_scan: cleared $2"
  exit 0
fi
(($# == 2)) || { echo "usage: $0 LOG_DIR KNOWN_SECRETS | --clear LOG_DIR" >&2; exit 2; }
dir=$1
known=$2
fail() { echo "secret_scan: FAIL: $*" >&2; exit 1; }

[[ -d "$dir" ]] || fail "no log directory $dir: no test kept its logs (is SWR_TEST_LOG_DIR set by CTest?)"
[[ -r "$known" ]] || fail "cannot read the list of known secrets $known"
shopt -s nullglob
logs=("$dir"/*.log)
((${#logs[@]} > 0)) || fail "$dir holds no log: nothing to scan, so nothing proven"

# Every process that was started left its log.
missing=0 listed=0
for entry in "$dir"/manifest/*; do
  listed=$((listed + 1))
  if [[ ! -f "$dir/$(basename "$entry")" ]]; then
    echo "secret_scan: no log for a process that was started: $(basename "$entry"): $(cat "$entry")" >&2
    missing=$((missing + 1))
  fi
done
((missing == 0)) || fail "$missing of $listed processes left no log in $dir"
((${#logs[@]} >= listed)) || fail "${#logs[@]} logs for $listed processes started"
exporters=("$dir"/swr-sync-exporter-*.log)
sims=("$dir"/swr-sim-*.log)
((${#exporters[@]} > 0)) || fail "no exporter log among the ${#logs[@]} in $dir"
((${#sims[@]} > 0)) || fail "no swr-sim log among the ${#logs[@]} in $dir"

# Debug level, so the scan sees everything the exporter can log.
debug=' --log\.level(=| )debug '
for f in "${exporters[@]}"; do
  argv=$(sed -n '1s/^# argv: //p' "$f")
  code=$(sed -n '2s/^# exit: //p' "$f")
  [[ "$code" == 2 ]] && continue
  [[ " $argv " =~ $debug ]] ||
    fail "$(basename "$f"): the exporter ran without --log.level debug: $argv"
done

# What to look for: the recorded and the known secrets, each cut to its first 24 characters.
patterns=$(mktemp)
trap 'rm -f "$patterns"' EXIT
issued_files=("$dir"/issued-secrets/*.secrets)
((${#issued_files[@]} > 0)) ||
  fail "no swr-sim recorded its secrets in $dir/issued-secrets: the scan would not know its tokens"
issued=$(cat "${issued_files[@]}" | cut -f2 | sort -u | grep -c . || true)
known_count=$(grep -v -e '^#' -e '^[[:space:]]*$' "$known" | sort -u | grep -c . || true)
{
  cat "${issued_files[@]}" | cut -f2
  grep -v -e '^#' -e '^[[:space:]]*$' "$known"
} | awk 'length($0) > 0 { print substr($0, 1, 24) }' | sort -u >"$patterns"
secrets=$(wc -l <"$patterns")
((secrets > 0)) || fail "no secret to look for"

lines=$(cat "${logs[@]}" | wc -l)
hits=$(grep -HnF -f "$patterns" -- "${logs[@]}" || true)
if [[ -n "$hits" ]]; then
  echo "secret_scan: FAIL: secrets in the logs (each redacted as [SECRET]):" >&2
  # file:line:text; each secret (and the token characters after its prefix) redacted.
  awk -v patterns="$patterns" '
    BEGIN { while ((getline p < patterns) > 0) list[++n] = p }
    {
      split($0, parts, ":")
      file = parts[1]; line = parts[2]
      text = substr($0, length(file) + length(line) + 3)
      for (i = 1; i <= n; i++) {
        while ((at = index(text, list[i])) > 0) {
          rest = substr(text, at + length(list[i]))
          match(rest, /^[A-Za-z0-9_+\/=-]*/)
          text = substr(text, 1, at - 1) "[SECRET]" substr(rest, RLENGTH + 1)
        }
      }
      printf "  %s:%s: %s\n", file, line, substr(text, 1, 400)
    }' <<<"$hits" >&2
  fail "$(wc -l <<<"$hits") lines in $(cut -d: -f1 <<<"$hits" | sort -u | wc -l) files hold a secret"
fi
echo "secret_scan: clean: ${#logs[@]} files (${#exporters[@]} exporter, ${#sims[@]} swr-sim), $lines lines scanned for $secrets secrets ($issued recorded by ${#issued_files[@]} swr-sim runs, $known_count known)"
