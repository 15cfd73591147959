# shellcheck shell=bash
# Sourced by the shell-driven tests (tests/e2e, bench/soak.sh): keeps the logs of each exporter and
# swr-sim they start in $SWR_TEST_LOG_DIR for the secret scan (tests/secrets), in the format of
# the integration harness: one file per process, listed in manifest/ when the process starts, so
# the scan can tell a missing log from none. Does nothing when SWR_TEST_LOG_DIR is not set.
#
#   file=$(test_logs_claim PID ARGV...)           at start; prints the log file ("" when off)
#   test_logs_keep FILE EXIT STDOUT_FILE STDERR_FILE ARGV...   once the process is gone

test_logs_claim() {
  local pid=$1 name
  shift
  [[ -n "${SWR_TEST_LOG_DIR:-}" ]] || return 0
  name="$(basename "$1")-$pid-by-$(basename "$0" .sh)-$$.log"
  mkdir -p "$SWR_TEST_LOG_DIR/manifest"
  printf '%s\n' "$*" >"$SWR_TEST_LOG_DIR/manifest/$name"
  printf '%s\n' "$SWR_TEST_LOG_DIR/$name"
}

test_logs_keep() {
  local file=$1 code=$2 out=$3 err=$4
  shift 4
  [[ -n "$file" ]] || return 0
  {
    printf '# argv: %s\n# exit: %s\n# --- stdout\n' "$*" "$code"
    [[ -s "$out" ]] && sed -e '$a\' "$out"
    printf '# --- stderr\n'
    [[ -s "$err" ]] && sed -e '$a\' "$err"
    true
  } >"$file"
}
