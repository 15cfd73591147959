#!/usr/bin/env bash
# Builds the container image from the Dockerfile with buildah and checks it for real:
#   1. a Debian bookworm base image made here with debootstrap (no registry is reachable),
#   2. `buildah bud` of the Dockerfile on that base,
#   3. the image's config: non-root user, entrypoint, command, exposed port, labels,
#   4. `swr-sync-exporter --version` inside the image, as the image's user,
#   5. a `--once` poll cycle inside the image against swr-sim on the host's loopback.
# Needs root (buildah with vfs storage and chroot isolation); exits 77, "skipped", without.
# Installs buildah and debootstrap with apt-get when they are missing. Prints how long each
# step took.
#
# Usage: scripts/test-image.sh [--sim PATH]     (default build/swr-sim)
# Environment: SWR_IMAGE_CACHE  cache of the base rootfs and of buildah's storage
#                               (default build/image-cache)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

sim_bin="$repo/build/swr-sim"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sim) sim_bin="$2"; shift 2 ;;
    *) echo "usage: $0 [--sim PATH]" >&2; exit 2 ;;
  esac
done

readonly image="localhost/swr-sync-exporter:test"
readonly uid=65532
cache="${SWR_IMAGE_CACHE:-$repo/build/image-cache}"
today="$(date -u +%Y%m%d)"
base_image="localhost/debian-bookworm-base:$today"

# Keeps the exporter's and swr-sim's logs for the secret scan (tests/secrets) when
# SWR_TEST_LOG_DIR is set.
# shellcheck source=../tests/secrets/test-logs.sh
source "$repo/tests/secrets/test-logs.sh"

log() { echo "test-image: $*" >&2; }
fail() { echo "test-image: FAIL: $*" >&2; exit 1; }

step_name=""
step_start=0
step() {
  step_end
  step_name="$1"
  step_start=$(date +%s%N)
  log "--- $step_name"
}
step_end() {
  if [[ -n "$step_name" ]]; then
    local ms=$((($(date +%s%N) - step_start) / 1000000))
    printf 'test-image: step "%s" took %d.%01ds\n' "$step_name" $((ms / 1000)) \
      $((ms % 1000 / 100)) >&2
  fi
  step_name=""
}
total_start=$(date +%s)

if [[ $(id -u) -ne 0 ]]; then
  log "SKIP: run as root: buildah needs it for vfs storage and chroot isolation"
  exit 77
fi
[[ -x "$sim_bin" ]] || fail "no simulator at $sim_bin: run scripts/build.sh first"

# --- tools ----------------------------------------------------------------------------------
step "install tools"
needed=(buildah debootstrap uidmap jq)
missing=()
for p in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p "$cache"
bh() {
  buildah --root "$cache/storage" --runroot "$cache/runroot" --storage-driver vfs "$@"
}

work="$(mktemp -d)"
containers=()
sim_pid=""
sim_log=""
cleanup() {
  if [[ -n "$sim_pid" ]]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
    test_logs_keep "$sim_log" stopped "$work/sim.out" "$work/sim.err" "$sim_bin" --verbose \
      --data tests/data/known_world.json
  fi
  for c in "${containers[@]}"; do bh rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# vfs keeps a full copy of the tree per layer (~2.5G a build): past the cap, drop the cached
# layers of earlier builds, keeping the tagged base and test images.
if [[ -d "$cache/storage" ]]; then
  size_gb=$(du -s --block-size=1G "$cache/storage" | cut -f1)
  if [[ $size_gb -gt ${SWR_IMAGE_CACHE_MAX_GB:-15} ]]; then
    step "prune the layer cache"
    log "buildah storage holds ${size_gb}G: pruning cached layers"
    bh rm --all >/dev/null 2>&1 || true
    bh rmi --prune >/dev/null 2>&1 || true
  fi
fi

# --- base image -----------------------------------------------------------------------------
# The mirrors come from this machine's own apt sources: the only archive it can reach.
mirror_for() {  # $1: suite; prints the first URI that serves it
  local suite="$1" f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    awk -v suite="$suite" '
      function flush() { if (deb && match_suite && uri != "") { print uri; found = 1; exit } }
      /^[[:space:]]*$/ { flush(); deb = 0; match_suite = 0; uri = ""; next }
      /^Types:/ { deb = ($0 ~ /(^|[[:space:]])deb([[:space:]]|$)/) }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) match_suite = 1 }
      /^Enabled:[[:space:]]*no/ { deb = 0 }
      END { if (!found) flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    sed -E 's/\[[^]]*\]//' "$f" |
      awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2 }'
  done
}

step "base image"
if bh inspect --type image "$base_image" >/dev/null 2>&1; then
  log "$base_image is there"
else
  rootfs_tar="$cache/bookworm-minbase-$today.tar"
  if [[ ! -s "$rootfs_tar" ]]; then
    mirror="$(mirror_for bookworm | head -n 1)"
    security="$(mirror_for bookworm-security | head -n 1)"
    [[ -n "$mirror" ]] || fail "no apt source for bookworm in /etc/apt: cannot pick a mirror"
    log "debootstrap bookworm from $mirror"
    rm -f "$cache"/bookworm-minbase-*.tar
    rootfs="$work/rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      { tail -n 30 "$work/debootstrap.log" >&2; fail "debootstrap"; }
    {
      echo "deb $mirror bookworm main"
      echo "deb $mirror bookworm-updates main"
      [[ -n "$security" ]] && echo "deb $security bookworm-security main"
    } >"$rootfs/etc/apt/sources.list"
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb \
      "$rootfs"/var/log/bootstrap.log
    # Mount points stay empty: the runtime provides /dev, /proc and /sys.
    tar --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
      -C "$rootfs" -cf "$rootfs_tar.tmp" .
    mv "$rootfs_tar.tmp" "$rootfs_tar"
    rm -rf "$rootfs"
  else
    log "reusing $rootfs_tar"
  fi
  ctr=$(bh from scratch)
  containers+=("$ctr")
  bh add "$ctr" "$rootfs_tar" / >/dev/null
  bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd /bin/bash --os linux --arch amd64 "$ctr"
  bh commit --rm --quiet "$ctr" "$base_image" >/dev/null
  containers=()
fi

# --- the image ------------------------------------------------------------------------------
step "buildah bud"
revision="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
version="$(sed -n 's/^project(swr-sync-exporter VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)"
bh bud --isolation chroot --layers --quiet \
  --build-arg BASE_IMAGE="$base_image" --build-arg REVISION="$revision" \
  --build-arg VERSION="${version:-0.0.0}" \
  -f Dockerfile -t "$image" . >"$work/bud.log" 2>&1 ||
  { tail -n 60 "$work/bud.log" >&2; fail "buildah bud"; }

step "image config"
config="$(bh inspect --type image "$image" | jq '.OCIv1.config')"
echo "$config" | jq . >&2
check_config() {  # $1: jq expression that must be true, $2: what it means
  echo "$config" | jq -e "$1" >/dev/null || fail "image config: $2"
}
check_config ".User == \"$uid:$uid\"" "User is $uid:$uid (not root)"
check_config '.Entrypoint == ["/usr/bin/swr-sync-exporter"]' "ENTRYPOINT is the exporter"
check_config '.Cmd == ["--config", "/etc/swr-sync-exporter/config.toml"]' "CMD names the config"
check_config '.ExposedPorts | has("10220/tcp")' "EXPOSE 10220"
check_config '.Labels["org.opencontainers.image.title"] == "swr-sync-exporter"' "OCI title label"
check_config ".Labels[\"org.opencontainers.image.version\"] == \"$version\"" "OCI version label $version"
log "image size: $(bh images --noheading --format '{{.Size}}' "$image")"

ctr=$(bh from --quiet "$image")
containers+=("$ctr")
run() { bh run --isolation chroot "$@"; }

step "run --version"
version_out="$(run "$ctr" -- /usr/bin/swr-sync-exporter --version)" ||
  fail "--version exited non-zero"
log "$version_out"
[[ "$version_out" == "swr-sync-exporter $version (revision $revision)" ]] ||
  fail "--version printed '$version_out', not version $version revision $revision"

step "runs as non-root, runtime only"
run_uid="$(run "$ctr" -- id -u)"
[[ "$run_uid" == "$uid" ]] || fail "the image runs as uid $run_uid, not $uid"
# A slim runtime: no compiler, no headers, no apt lists.
run "$ctr" -- sh -c '! command -v c++ && ! command -v cmake && [ ! -d /usr/include/prometheus ] \
  && [ -z "$(ls /var/lib/apt/lists | grep -v -e ^lock$ -e ^partial$)" ]' >/dev/null ||
  fail "the runtime stage carries build tools, headers or apt lists"
run "$ctr" -- test -s /etc/ssl/certs/ca-certificates.crt || fail "no CA bundle in the image"

# --- a poll cycle against the simulator -----------------------------------------------------
step "run --once against swr-sim"
"$sim_bin" --verbose --data tests/data/known_world.json >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
sim_log="$(test_logs_claim "$sim_pid" "$sim_bin" --verbose --data tests/data/known_world.json)"
url=""
for _ in $(seq 100); do
  url="$(sed -n 's/^swr-sim listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/sim.out")"
  [[ -n "$url" ]] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.err" >&2; fail "swr-sim exited"; }
  sleep 0.1
done
[[ -n "$url" ]] || fail "swr-sim printed no address"
log "swr-sim at $url"

etc="$work/etc"
mkdir -p "$etc/secrets"
printf 'SIMACCESSKEY0000\n' >"$etc/secrets/access-key"
printf 'sim-secret-key\n' >"$etc/secrets/secret-key"
cat >"$etc/config.toml" <<EOF
[huaweicloud]
region = "cn-north-4"
swr_endpoint = "$url"
iam_endpoint = "$url"

[auth]
method = "aksk"
access_key_file = "secrets/access-key"
secret_key_file = "secrets/secret-key"

[scrape]
timeout = "10s"

[[targets]]
organization = "team-a"
repositories = ["app1", "team/app2"]
EOF
# As in a pod: the secrets belong to the exporter's user and nobody else can read them.
chown -R "$uid:$uid" "$etc/secrets"
chmod 0700 "$etc/secrets"
chmod 0600 "$etc/secrets"/*
chmod 0755 "$etc"
chmod 0644 "$etc/config.toml"

once_argv=(/usr/bin/swr-sync-exporter --config /etc/swr-sync-exporter/config.toml --once
  --log.level debug)
once_log="$(test_logs_claim "$$" "${once_argv[@]}")"
set +e
run --volume "$etc:/etc/swr-sync-exporter:ro" "$ctr" -- "${once_argv[@]}" \
  >"$work/once.out" 2>"$work/once.err"
once_rc=$?
set -e
test_logs_keep "$once_log" "$once_rc" "$work/once.out" "$work/once.err" "${once_argv[@]}"
if [[ $once_rc -ne 0 ]] || ! grep -qx 'swr_up 1' "$work/once.out"; then
  log "exit code $once_rc; stderr:"
  cat "$work/once.err" >&2
  log "stdout:"
  head -n 80 "$work/once.out" >&2
  fail "--once against swr-sim"
fi
grep -q '^swr_' "$work/once.out" || fail "no swr_ metrics in the --once output"
log "--once: exit 0, $(grep -c '^swr_' "$work/once.out") swr_ samples, swr_up 1"
if grep -qi 'warn' "$work/once.err"; then
  log "warnings from the exporter:"
  cat "$work/once.err" >&2
fi
step_end

log "PASS in $(($(date +%s) - total_start))s"
