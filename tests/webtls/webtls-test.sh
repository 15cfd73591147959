#!/usr/bin/env bash
# The real Prometheus scrapes swr-sync-exporter over mutual TLS with basic auth.
#
#   webtls-test.sh EXPORTER_BIN
#
# A CA, a server certificate (localhost, 127.0.0.1) and two client certificates (one from the CA,
# one from a stranger CA) are made with openssl. The exporter serves with a web config requiring
# RequireAndVerifyClientCert and basic auth (the bcrypt hash is exporter-toolkit's published one
# of "fakepassword", made by Go's bcrypt, so nothing of ours makes the hash it checks). One
# Prometheus scrapes it as four jobs, every second. It asserts, through /api/v1/query and
# /api/v1/targets:
#   1. swr-mtls (the CA's client certificate, the right password): up == 1, and the exporter's
#      own series (swr_exporter_build_info) are stored under that job
#   2. swr-no-client-cert (no client certificate): up == 0, with a TLS error
#   3. swr-stranger-cert (a client certificate from another CA): up == 0, with a TLS error
#   4. swr-wrong-password (the right certificate, a wrong password): up == 0, the error says 401
#
# Environment: PROMETHEUS, OPENSSL, CURL override the tools found on PATH; WEBTLS_KEEP=1 keeps
# the temporary directory.
set -euo pipefail

(($# == 1)) || { echo "usage: $0 EXPORTER_BIN" >&2; exit 2; }
EXPORTER_BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
PROMETHEUS=${PROMETHEUS:-$(command -v prometheus || true)}
OPENSSL=${OPENSSL:-$(command -v openssl || true)}
CURL=${CURL:-$(command -v curl || true)}
for tool in "$PROMETHEUS" "$OPENSSL" "$CURL" "$EXPORTER_BIN"; do
  [[ -n "$tool" && -x "$tool" ]] || { echo "FAIL: missing tool '$tool' (see scripts/install-deps.sh)" >&2; exit 1; }
done

# The exporter's log is kept for the secret scan (tests/secrets) when SWR_TEST_LOG_DIR is set.
# shellcheck source=../secrets/test-logs.sh
source "$(dirname "${BASH_SOURCE[0]}")/../secrets/test-logs.sh"

WORK=""
PIDS=()
EXPORTER_ARGV=()
EXPORTER_KEPT=""
log() { echo "[webtls] $*"; }

show_logs() {
  [[ -n "$WORK" && -d "$WORK" ]] || return 0
  local f
  for f in "$WORK"/*.log; do
    [[ -s "$f" ]] || continue
    echo "----- last lines of ${f##*/} -----" >&2
    tail -n 20 "$f" >&2
  done
}
die() {
  echo "FAIL: $*" >&2
  show_logs
  exit 1
}
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n "$EXPORTER_KEPT" ]]; then
    test_logs_keep "$EXPORTER_KEPT" stopped "$WORK/exporter.out" "$WORK/exporter.log" \
      "${EXPORTER_ARGV[@]}"
  fi
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    if [[ "${WEBTLS_KEEP:-}" == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

WORK="$(mktemp -d "${TMPDIR:-/tmp}/swr-webtls-XXXXXX")"
cd "$WORK"

# --- certificates ---------------------------------------------------------------------------------
make_ca() {
  "$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
    -out "$1.pem" -days 2 -subj "/CN=$1" 2>>openssl.log
}
make_leaf() {  # make_leaf NAME CA EXTENSIONS
  printf '%b' "$3" >"$1.ext"
  "$OPENSSL" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
    -out "$1.csr" -subj "/CN=$1" 2>>openssl.log
  "$OPENSSL" x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" \
    -days 2 -extfile "$1.ext" 2>>openssl.log
}
make_ca ca
make_ca stranger-ca
make_leaf server ca 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'
make_leaf prometheus ca 'subjectAltName=DNS:prometheus.example\nextendedKeyUsage=clientAuth\n'
make_leaf stranger stranger-ca 'subjectAltName=DNS:prometheus.example\nextendedKeyUsage=clientAuth\n'
log "certificates made"

# --- the exporter ----------------------------------------------------------------------------------
# Its cloud is unreachable: this test is about serving, and the exporter serves its own metrics
# whatever the polling does.
cat >exporter.toml <<'TOML'
[huaweicloud]
region = "cn-north-4"
swr_endpoint = "http://127.0.0.1:9"
iam_endpoint = "http://127.0.0.1:9"

[auth]
method = "aksk"
access_key = "AKWEBTLS"
secret_key = "sk-webtls"

[scrape]
interval = "1h"

[[targets]]
organization = "team-a"
repositories = ["app1"]
TOML
cat >web.yml <<'YAML'
tls_server_config:
  cert_file: server.pem
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.pem
  client_allowed_sans: [prometheus.example]
basic_auth_users:
  prometheus: $2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi
YAML
EXPORTER_ARGV=("$EXPORTER_BIN" --config exporter.toml --web.config.file web.yml
  --web.listen-address 127.0.0.1:0 --log.level debug)
"${EXPORTER_ARGV[@]}" >exporter.out 2>exporter.log </dev/null &
PIDS+=($!)
EXPORTER_KEPT="$(test_logs_claim "$!" "${EXPORTER_ARGV[@]}")"
exporter_port=""
for _ in $(seq 100); do
  exporter_port="$(sed -n 's/.*msg=listening .*port=\([0-9]*\).*/\1/p' exporter.log | head -n 1)"
  [[ -n "$exporter_port" ]] && break
  kill -0 "${PIDS[0]}" 2>/dev/null || die "the exporter exited (see its log below)"
  sleep 0.1
done
[[ -n "$exporter_port" ]] || die "the exporter did not log its port"
grep -q 'tls=true' exporter.log || die "the exporter does not say it serves TLS"
log "exporter on https://127.0.0.1:$exporter_port"
# A curl with the same credentials sees the same, so a failure below is Prometheus' to explain.
code="$("$CURL" -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert ca.pem --cert prometheus.pem \
  --key prometheus.key -u prometheus:fakepassword "https://127.0.0.1:$exporter_port/metrics" || true)"
[[ "$code" == 200 ]] || die "curl with the client certificate and password got '$code', want 200"

# --- Prometheus ------------------------------------------------------------------------------------
job() {  # job NAME CERT PASSWORD
  cat <<YAML
  - job_name: $1
    scheme: https
    tls_config:
      ca_file: $WORK/ca.pem
$(if [[ -n "$2" ]]; then printf '      cert_file: %s\n      key_file: %s\n' "$WORK/$2.pem" "$WORK/$2.key"; fi)
    basic_auth:
      username: prometheus
      password: $3
    static_configs:
      - targets: ['127.0.0.1:$exporter_port']
YAML
}
{
  printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n'
  job swr-mtls prometheus fakepassword
  job swr-no-client-cert "" fakepassword
  job swr-stranger-cert stranger fakepassword
  job swr-wrong-password prometheus wrong-password
} >prometheus.yml

prom_port=""
for attempt in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 40000))
  rm -rf tsdb
  "$PROMETHEUS" --config.file=prometheus.yml --storage.tsdb.path=tsdb \
    --web.listen-address="127.0.0.1:$port" --log.level=info >prometheus.out 2>prometheus.log </dev/null &
  pid=$!
  for _ in $(seq 150); do
    if [[ "$("$CURL" -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/-/ready" || true)" == 200 ]]; then
      prom_port=$port
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if [[ -n "$prom_port" ]]; then
    PIDS+=("$pid")
    break
  fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  grep -q 'address already in use' prometheus.log || die "Prometheus did not become ready on 127.0.0.1:$port"
  mv prometheus.log "prometheus.attempt$attempt.log.old"
done
[[ -n "$prom_port" ]] || die "Prometheus: no free port after 5 attempts"
log "prometheus on http://127.0.0.1:$prom_port"

# query EXPR: the value of the first sample, or nothing.
query() {
  "$CURL" -s --max-time 5 -G "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
    sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p'
}
# wait_value EXPR WANT SECONDS
wait_value() {
  local value="" i
  for ((i = 0; i < $3 * 5; i++)); do
    value="$(query "$1")"
    [[ "$value" == "$2" ]] && return 0
    sleep 0.2
  done
  die "$1 is '${value}', want $2 (after $3 s)"
}
# last_error JOB: the target's lastError from /api/v1/targets.
last_error() {
  "$CURL" -s --max-time 5 "http://127.0.0.1:$prom_port/api/v1/targets" |
    sed 's/},{/}\n{/g' | grep "\"job\":\"$1\"" |
    sed -nE 's/.*"lastError":"(([^"\\]|\\.)*)".*/\1/p' | head -n 1
}

wait_value 'up{job="swr-mtls"}' 1 60
log "swr-mtls: up 1"
wait_value 'count(swr_exporter_build_info{job="swr-mtls"})' 1 30
for j in swr-no-client-cert swr-stranger-cert swr-wrong-password; do
  wait_value "up{job=\"$j\"}" 0 30
  log "$j: up 0 ($(last_error "$j"))"
done
err="$(last_error swr-wrong-password)"
[[ "$err" == *401* ]] || die "swr-wrong-password: lastError '$err' does not name the 401"
for j in swr-no-client-cert swr-stranger-cert; do
  err="$(last_error "$j")"
  [[ "$err" == *"tls: "* ]] || die "$j: lastError '$err', want a TLS error"
done
# And the good job keeps scraping: a second look, seconds later.
sleep 2
wait_value 'up{job="swr-mtls"}' 1 10
grep -q 'fakepassword' exporter.log && die "the exporter logged the password"
log "PASS"
