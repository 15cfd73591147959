#!/usr/bin/env bash
# Builds the container image from the Dockerfile with buildah, for amd64 and for arm64, and
# checks each for real:
#   1. a Debian bookworm minbase made here with mmdebstrap (no registry is reachable), labelled
#      with its bootstrap time, apt sources and the sha256 of its rootfs tarball and package list;
#      the arm64 one's maintainer scripts run under qemu-user-static (binfmt_misc);
#   2. amd64: `buildah bud` of the Dockerfile, whose builder stage compiles the exporter;
#      arm64: scripts/cross-build-arm64.sh cross-compiles it on this host, and `buildah bud
#      --build-arg BINARY=prebuilt` takes that binary: only the runtime stage runs emulated;
#   3. the image's config: architecture, non-root user, entrypoint, command, exposed port, and
#      every OCI label present and non-empty, the base's digest and provenance checked;
#   4. the binary and every library it loads, in the image's rootfs, are of the image's
#      architecture, and so is every other ELF file in it;
#   5. `--version` inside the image as the image's user (and arm64's under qemu-aarch64-static
#      directly too), `--check-config`, and a `--once` poll cycle against swr-sim on the host's
#      loopback.
# Needs root (buildah with vfs storage and chroot isolation, binfmt_misc); exits 77, "skipped",
# without. Installs what it needs with apt-get when missing. Prints how long each step took.
#
# Usage: scripts/test-image.sh [--sim PATH] [--arch "amd64 arm64"]   (default build/swr-sim)
# Environment: SWR_IMAGE_CACHE   the bases' rootfs tarballs, the arm64 sysroot and cross build,
#                                and buildah's storage (default build/image-cache)
#              SWR_IMAGE_ARCHES  the architectures to build and test (default "amd64 arm64")
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

sim_bin="$repo/build/swr-sim"
arches="${SWR_IMAGE_ARCHES:-amd64 arm64}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sim) sim_bin="$2"; shift 2 ;;
    --arch) arches="$2"; shift 2 ;;
    *) echo "usage: $0 [--sim PATH] [--arch \"amd64 arm64\"]" >&2; exit 2 ;;
  esac
done

readonly image_repo="localhost/swr-sync-exporter"
readonly uid=65532
readonly label_ns="io.github.swr-sync-exporter"
cache="${SWR_IMAGE_CACHE:-$repo/build/image-cache}"
today="$(date -u +%Y%m%d)"

# Keeps the exporter's and swr-sim's logs for the secret scan (tests/secrets) when
# SWR_TEST_LOG_DIR is set.
# shellcheck source=../tests/secrets/test-logs.sh
source "$repo/tests/secrets/test-logs.sh"

log() { echo "test-image: $*" >&2; }
fail() { echo "test-image: FAIL: $*" >&2; exit 1; }

step_name=""
step_start=0
step_report=()
step() {
  step_end
  step_name="$1"
  step_start=$(date +%s%N)
  log "--- $step_name"
}
step_end() {
  if [[ -n "$step_name" ]]; then
    local ms=$((($(date +%s%N) - step_start) / 1000000)) took
    took="$(printf '%d.%01ds' $((ms / 1000)) $((ms % 1000 / 100)))"
    printf 'test-image: step "%s" took %s\n' "$step_name" "$took" >&2
    step_report+=("$(printf '%8s  %s' "$took" "$step_name")")
  fi
  step_name=""
}
total_start=$(date +%s)

if [[ $(id -u) -ne 0 ]]; then
  log "SKIP: run as root: buildah needs it for vfs storage and chroot isolation"
  exit 77
fi
[[ -x "$sim_bin" ]] || fail "no simulator at $sim_bin: run scripts/build.sh first"
for arch in $arches; do
  case "$arch" in
    amd64 | arm64) ;;
    *) fail "unknown architecture $arch: amd64 or arm64" ;;
  esac
done
host_arch="$(dpkg --print-architecture)"
[[ "$host_arch" == amd64 ]] || fail "the host is $host_arch: this script builds on amd64"
want_arm64=0
[[ " $arches " == *" arm64 "* ]] && want_arm64=1

# --- tools ----------------------------------------------------------------------------------
step "install tools"
needed=(buildah mmdebstrap uidmap jq file binutils)
if [[ $want_arm64 -eq 1 ]]; then
  # qemu-user-static runs the arm64 base's maintainer scripts and the image; arch-test lets
  # mmdebstrap see that arm64 runs here; the cross toolchain is for scripts/cross-build-arm64.sh.
  needed+=(qemu-user-static arch-test g++-aarch64-linux-gnu binutils-aarch64-linux-gnu cmake
    pkg-config)
fi
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

# arm64 binaries run through qemu-aarch64-static, registered with binfmt_misc's F flag: the
# kernel opens the interpreter once, so it works inside buildah's chroots as well.
if [[ $want_arm64 -eq 1 ]]; then
  binfmt=/proc/sys/fs/binfmt_misc
  if [[ ! -e "$binfmt/register" ]]; then
    mount -t binfmt_misc binfmt_misc "$binfmt" ||
      fail "cannot mount binfmt_misc: arm64 cannot run here (SWR_IMAGE_ARCHES=amd64 to skip it)"
  fi
  entry="$binfmt/qemu-aarch64"
  if [[ ! -e "$entry" ]] || ! grep -qx enabled "$entry" || ! grep -q '^flags:.*F' "$entry"; then
    [[ -e "$entry" ]] && echo -1 >"$entry"
    conf=/usr/lib/binfmt.d/qemu-aarch64.conf
    [[ -s "$conf" ]] || fail "qemu-user-static has no $conf"
    cat "$conf" >"$binfmt/register" || fail "cannot register qemu-aarch64 with binfmt_misc"
  fi
  log "arm64 runs through $(sed -n 's/^interpreter //p' "$entry") ($(sed -n 's/^flags: //p' "$entry"))"
fi

mkdir -p "$cache"
bh() {
  buildah --root "$cache/storage" --runroot "$cache/runroot" --storage-driver vfs "$@"
}

work="$(mktemp -d)"
containers=()
mounted=()
prep_pid=""
sim_pid=""
sim_log=""
cleanup() {
  if [[ -n "$prep_pid" ]]; then
    kill -- -"$prep_pid" 2>/dev/null || true
    wait "$prep_pid" 2>/dev/null || true
  fi
  if [[ -n "$sim_pid" ]]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
    test_logs_keep "$sim_log" stopped "$work/sim.out" "$work/sim.err" "$sim_bin" --verbose \
      --data tests/data/known_world.json
  fi
  for c in "${mounted[@]}"; do bh umount "$c" >/dev/null 2>&1 || true; done
  for c in "${containers[@]}"; do bh rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# vfs keeps a full copy of the tree per layer (~2.5G a build): past the cap, drop the cached
# layers of earlier builds, keeping the tagged base and test images.
if [[ -d "$cache/storage" ]]; then
  size_gb=$(du -s --block-size=1G "$cache/storage" | cut -f1)
  if [[ $size_gb -gt ${SWR_IMAGE_CACHE_MAX_GB:-20} ]]; then
    step "prune the layer cache"
    log "buildah storage holds ${size_gb}G: pruning cached layers"
    bh rm --all >/dev/null 2>&1 || true
    bh rmi --prune >/dev/null 2>&1 || true
  fi
fi

# --- apt sources ----------------------------------------------------------------------------
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
mirror="$(mirror_for bookworm | head -n 1)"
security="$(mirror_for bookworm-security | head -n 1)"
[[ -n "$mirror" ]] || fail "no apt source for bookworm in /etc/apt: cannot pick a mirror"
apt_sources=("deb $mirror bookworm main" "deb $mirror bookworm-updates main")
[[ -n "$security" ]] && apt_sources+=("deb $security bookworm-security main")

# --- base images ----------------------------------------------------------------------------
# A minbase per architecture and day, its provenance in labels the image inherits:
#   base.bootstrap        the tool, variant, suite and architecture, and when it ran (UTC)
#   base.sources          the apt sources it came from
#   base.rootfs.sha256    the sha256 of the rootfs tarball the image was made from
#   base.packages.sha256  the sha256 of its package list, `Package:Arch=Version` lines, sorted
#                         (the list itself stays in the cache beside the tarball)
base_image_for() { echo "localhost/debian-bookworm-base:$today-$1"; }
base_packages() {  # $1: the root of a Debian tree; prints its sorted package list
  dpkg-query --admindir="$1/var/lib/dpkg" -W -f='${Package}:${Architecture}=${Version}\n' |
    LC_ALL=C sort
}
make_rootfs() {  # $1: architecture; makes (or keeps) the day's rootfs tarball and its labels
  local arch="$1" rootfs_tar rootfs bootstrapped joined
  rootfs_tar="$cache/bookworm-minbase-$arch-$today.tar"
  if [[ -s "$rootfs_tar" && -s "$rootfs_tar.labels" ]]; then
    log "reusing $rootfs_tar"
    return
  fi
  log "mmdebstrap minbase bookworm $arch from: ${apt_sources[*]}"
  rm -f "$cache"/bookworm-minbase-"$arch"-*.tar*
  rootfs="$work/rootfs-$arch"
  bootstrapped="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  mmdebstrap --variant=minbase --arch="$arch" --mode=root --format=directory bookworm \
    "$rootfs" "${apt_sources[@]}" >"$work/mmdebstrap-$arch.log" 2>&1 ||
    { tail -n 30 "$work/mmdebstrap-$arch.log" >&2; fail "mmdebstrap $arch"; }
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  base_packages "$rootfs" >"$rootfs_tar.packages"
  # Mount points stay empty: the runtime provides /dev, /proc and /sys.
  tar --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
    -C "$rootfs" -cf "$rootfs_tar.tmp" .
  rm -rf "$rootfs"
  joined="$(IFS=';'; echo "${apt_sources[*]}")"
  {
    echo "$label_ns.base.bootstrap=mmdebstrap --variant=minbase --arch=$arch bookworm, $bootstrapped"
    echo "$label_ns.base.sources=${joined//;/; }"
    echo "$label_ns.base.rootfs.sha256=$(sha256sum "$rootfs_tar.tmp" | cut -d' ' -f1)"
    echo "$label_ns.base.packages.sha256=$(sha256sum "$rootfs_tar.packages" | cut -d' ' -f1)"
  } >"$rootfs_tar.labels"
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  log "$arch: $(wc -l <"$rootfs_tar.packages") packages, $(du -h "$rootfs_tar" | cut -f1) tarball"
}
make_base() {  # $1: architecture; the base image, from the rootfs tarball
  local arch="$1" base_image rootfs_tar ctr labels=() l
  base_image="$(base_image_for "$arch")"
  if bh inspect --type image "$base_image" >/dev/null 2>&1; then
    log "$base_image is there"
    return
  fi
  make_rootfs "$arch"
  rootfs_tar="$cache/bookworm-minbase-$arch-$today.tar"
  while IFS= read -r l; do labels+=(--label "$l"); done <"$rootfs_tar.labels"
  ctr=$(bh from scratch)
  containers+=("$ctr")
  bh add "$ctr" "$rootfs_tar" / >/dev/null
  bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd /bin/bash --os linux --arch "$arch" "${labels[@]}" "$ctr"
  bh commit --rm --quiet "$ctr" "$base_image" >/dev/null
  containers=("${containers[@]/$ctr/}")
}

revision="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
version="$(sed -n 's/^project(swr-sync-exporter VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)"
version="${version:-0.0.0}"

# --- arm64's preparation, in the background while amd64 builds ------------------------------
# Its base's rootfs (mmdebstrap, maintainer scripts under qemu: mostly one core) and the cross
# build (scripts/cross-build-arm64.sh) use no buildah, so they can overlap the amd64 image's.
prebuilt="$work/ctx-arm64/prebuilt"
prep_arm64() {
  local t0 ms source_args=() s
  t0=$(date +%s%N)
  make_rootfs arm64
  ms=$((($(date +%s%N) - t0) / 1000000))
  printf '%d.%01ds\tbase rootfs (arm64, mmdebstrap with qemu)\n' $((ms / 1000)) \
    $((ms % 1000 / 100)) >>"$work/prep-timings"
  t0=$(date +%s%N)
  for s in "${apt_sources[@]}"; do source_args+=(--source "$s"); done
  # A sysroot a day, like the bases, so that the libraries it links are the runtime's.
  find "$cache" -maxdepth 1 -name 'arm64-sysroot-*' ! -name "arm64-sysroot-$today*" \
    -exec rm -rf {} +
  scripts/cross-build-arm64.sh --sysroot "$cache/arm64-sysroot-$today" \
    --build "$cache/arm64-build" --out "$prebuilt" --revision "$revision" "${source_args[@]}" ||
    fail "cross-compiling for arm64"
  ms=$((($(date +%s%N) - t0) / 1000000))
  printf '%d.%01ds\tcross-compile (arm64: sysroot, g++-aarch64-linux-gnu)\n' $((ms / 1000)) \
    $((ms % 1000 / 100)) >>"$work/prep-timings"
}
wait_prep_arm64() {
  local rc=0 took what
  [[ -n "$prep_pid" ]] || return 0
  wait "$prep_pid" || rc=$?
  prep_pid=""
  sed 's/^/test-image: [arm64 preparation] /' "$work/prep.log" >&2
  [[ $rc -eq 0 ]] || fail "arm64 preparation (rootfs or cross build) exited $rc"
  while IFS=$'\t' read -r took what; do
    step_report+=("$(printf '%8s  %s [in the background]' "$took" "$what")")
  done <"$work/prep-timings"
}

# --- a simulator for the --once cycles ------------------------------------------------------
sim_url=""
start_sim() {
  [[ -n "$sim_pid" ]] && return
  "$sim_bin" --verbose --data tests/data/known_world.json >"$work/sim.out" 2>"$work/sim.err" &
  sim_pid=$!
  sim_log="$(test_logs_claim "$sim_pid" "$sim_bin" --verbose --data tests/data/known_world.json)"
  for _ in $(seq 100); do
    sim_url="$(sed -n 's/^swr-sim listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/sim.out")"
    [[ -n "$sim_url" ]] && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.err" >&2; fail "swr-sim exited"; }
    sleep 0.1
  done
  [[ -n "$sim_url" ]] || fail "swr-sim printed no address"
  log "swr-sim at $sim_url"

  # The exporter's /etc/swr-sync-exporter, mounted read-only into the images.
  etc="$work/etc"
  mkdir -p "$etc/secrets"
  printf 'SIMACCESSKEY0000\n' >"$etc/secrets/access-key"
  printf 'sim-secret-key\n' >"$etc/secrets/secret-key"
  cat >"$etc/config.toml" <<EOF
[huaweicloud]
region = "cn-north-4"
swr_endpoint = "$sim_url"
iam_endpoint = "$sim_url"

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
}

# Runs the exporter in container $2 (architecture $1) with the rest as arguments, keeping its
# output for the secret scan; sets run_rc, and leaves stdout and stderr in $work/$1-$3.{out,err}
# where $3 names the run.
run_exporter() {
  local arch="$1" ctr="$2" name="$3" claim
  shift 3
  local argv=(/usr/bin/swr-sync-exporter --config /etc/swr-sync-exporter/config.toml "$@")
  claim="$(test_logs_claim "$$-$arch-$name" "${argv[@]}")"
  set +e
  bh run --isolation chroot --volume "$etc:/etc/swr-sync-exporter:ro" "$ctr" -- "${argv[@]}" \
    >"$work/$arch-$name.out" 2>"$work/$arch-$name.err"
  run_rc=$?
  set -e
  test_logs_keep "$claim" "$run_rc" "$work/$arch-$name.out" "$work/$arch-$name.err" "${argv[@]}"
}

# --- one architecture -----------------------------------------------------------------------
test_arch() {  # $1: amd64 or arm64
  local arch="$1" image="$image_repo:test-$1" base_image triplet elf_kind
  base_image="$(base_image_for "$arch")"
  case "$arch" in
    amd64) triplet=x86_64-linux-gnu elf_kind="x86-64" ;;
    arm64) triplet=aarch64-linux-gnu elf_kind="ARM aarch64" ;;
  esac

  if [[ "$arch" == arm64 && -n "$prep_pid" ]]; then
    step "wait for the arm64 preparation"
    wait_prep_arm64
  fi
  step "base image ($arch)"
  make_base "$arch"
  local base_digest
  base_digest="$(bh inspect --type image --format '{{.FromImageDigest}}' "$base_image")"
  [[ "$base_digest" == sha256:* ]] || fail "no digest for $base_image: '$base_digest'"
  log "$base_image: $base_digest"

  local bud_args=(--isolation chroot --layers --quiet --platform "linux/$arch"
    --build-arg BASE_IMAGE="$base_image" --build-arg BASE_DIGEST="$base_digest"
    --build-arg REVISION="$revision" --build-arg VERSION="$version"
    --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -f "$repo/Dockerfile" -t "$image"
    # buildah 1.28 writes its own base.digest annotation, of no manifest in its storage: the
    # manifest annotations say what the labels say.
    --annotation "org.opencontainers.image.base.name=$base_image"
    --annotation "org.opencontainers.image.base.digest=$base_digest")
  if [[ "$arch" == amd64 ]]; then
    step "buildah bud ($arch, compiling in the builder stage)"
    bh bud "${bud_args[@]}" "$repo" >"$work/bud-$arch.log" 2>&1 ||
      { tail -n 60 "$work/bud-$arch.log" >&2; fail "buildah bud $arch"; }
  else
    # Only the binary and its package list go into the context: the builder stage is skipped.
    step "buildah bud ($arch, runtime stage under qemu)"
    bh bud "${bud_args[@]}" --build-arg BINARY=prebuilt "$work/ctx-arm64" \
      >"$work/bud-$arch.log" 2>&1 ||
      { tail -n 60 "$work/bud-$arch.log" >&2; fail "buildah bud $arch"; }
  fi

  step "image config and labels ($arch)"
  local inspect config
  inspect="$(bh inspect --type image "$image")"
  config="$(echo "$inspect" | jq '.OCIv1')"
  echo "$config" | jq '{architecture, os, config}' >&2
  check_config() {  # $1: jq expression over the OCI image config that must be true, $2: meaning
    echo "$config" | jq -e "$1" >/dev/null || fail "$arch image config: $2"
  }
  check_config ".architecture == \"$arch\" and .os == \"linux\"" "architecture linux/$arch"
  check_config ".config.User == \"$uid:$uid\"" "User is $uid:$uid (not root)"
  check_config '.config.Entrypoint == ["/usr/bin/swr-sync-exporter"]' "ENTRYPOINT is the exporter"
  check_config '.config.Cmd == ["--config", "/etc/swr-sync-exporter/config.toml"]' \
    "CMD names the config"
  check_config '.config.ExposedPorts | has("10220/tcp")' "EXPOSE 10220"
  local oci=org.opencontainers.image l
  for l in title description version revision created licenses source url documentation \
    base.name base.digest; do
    check_config ".config.Labels[\"$oci.$l\"] // \"\" | length > 0" "label $oci.$l is missing or empty"
  done
  for l in base.bootstrap base.sources base.rootfs.sha256 base.packages.sha256; do
    check_config ".config.Labels[\"$label_ns.$l\"] // \"\" | length > 0" \
      "label $label_ns.$l is missing or empty"
  done
  label() { echo "$config" | jq -r ".config.Labels[\"$1\"]"; }
  [[ "$(label "$oci.title")" == swr-sync-exporter ]] || fail "$arch: title label"
  [[ "$(label "$oci.version")" == "$version" ]] || fail "$arch: version label is not $version"
  [[ "$(label "$oci.revision")" == "$revision" ]] || fail "$arch: revision label is not $revision"
  [[ "$(label "$oci.licenses")" == Apache-2.0 ]] || fail "$arch: licenses label is not Apache-2.0"
  head -n 5 LICENSE 2>/dev/null | grep -q 'Apache License' ||
    fail "LICENSE is not the Apache License, which the licenses label names"
  date -u -d "$(label "$oci.created")" >/dev/null 2>&1 || fail "$arch: created label is no time"
  local u
  for l in source url documentation; do
    u="$(label "$oci.$l")"
    [[ "$u" == https://github.com/swr-sync-exporter/swr-sync-exporter* ]] ||
      fail "$arch: $oci.$l is '$u', not the project's repository"
  done
  # The base: by name and digest, and its rootfs tarball and package list by sha256.
  [[ "$(label "$oci.base.name")" == "$base_image" ]] || fail "$arch: base.name is not $base_image"
  [[ "$(label "$oci.base.digest")" == "$base_digest" ]] ||
    fail "$arch: base.digest is '$(label "$oci.base.digest")', not $base_image's $base_digest"
  echo "$inspect" | jq -e --arg n "$base_image" --arg d "$base_digest" \
    '.ImageAnnotations["org.opencontainers.image.base.name"] == $n
     and .ImageAnnotations["org.opencontainers.image.base.digest"] == $d' >/dev/null ||
    fail "$arch: the manifest's base annotations are not $base_image $base_digest"
  # Built on that base: its layers are the image's first.
  local base_layers
  base_layers="$(bh inspect --type image "$base_image" | jq -c '.OCIv1.rootfs.diff_ids')"
  echo "$config" | jq -e --argjson b "$base_layers" '.rootfs.diff_ids[0:($b | length)] == $b' \
    >/dev/null || fail "$arch: the image's first layers are not $base_image's"
  # The rootfs tarball the base was made from, and its package list (dpkg's status in it), as
  # the labels say.
  local rootfs_tar="$cache/bookworm-minbase-$arch-$today.tar" status_dir
  [[ -s "$rootfs_tar" ]] || fail "$arch: no $rootfs_tar to check the base's labels against"
  [[ "$(label "$label_ns.base.rootfs.sha256")" == "$(sha256sum "$rootfs_tar" | cut -d' ' -f1)" ]] ||
    fail "$arch: base.rootfs.sha256 is not the sha256 of $rootfs_tar"
  status_dir="$work/status-$arch"
  mkdir -p "$status_dir/var/lib/dpkg"
  tar -xOf "$rootfs_tar" ./var/lib/dpkg/status >"$status_dir/var/lib/dpkg/status"
  [[ "$(label "$label_ns.base.packages.sha256")" == \
     "$(base_packages "$status_dir" | sha256sum | cut -d' ' -f1)" ]] ||
    fail "$arch: base.packages.sha256 is not the sha256 of the base's package list"
  [[ "$(label "$label_ns.base.bootstrap")" == *"--arch=$arch bookworm"* ]] ||
    fail "$arch: base.bootstrap does not name $arch bookworm"
  echo "$config" | jq -S '.config.Labels' >&2
  log "image size: $(bh images --noheading --format '{{.Size}}' "$image")"

  local ctr mnt
  ctr=$(bh from --quiet "$image")
  containers+=("$ctr")
  mnt="$(bh mount "$ctr")"
  mounted+=("$ctr")

  step "ELF architecture ($arch)"
  # The binary's NEEDED closure, resolved in the image's own library directories, symlinks
  # followed inside the image's rootfs (Debian's loader links are absolute).
  in_image() {  # $1: a path in the image; prints it with every symlink resolved in the image
    local p="$1" t _
    for _ in $(seq 40); do
      [[ -L "$mnt$p" ]] || { echo "$p"; return 0; }
      t="$(readlink "$mnt$p")"
      if [[ "$t" == /* ]]; then p="$t"; else p="$(dirname "$p")/$t"; fi
    done
    return 1
  }
  local queue=(/usr/bin/swr-sync-exporter) seen=" " f so path kind interp
  interp="$(readelf -l "$mnt/usr/bin/swr-sync-exporter" |
    sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')"
  [[ -n "$interp" ]] || fail "$arch: the binary names no interpreter"
  queue+=("$interp")
  while [[ ${#queue[@]} -gt 0 ]]; do
    f="${queue[0]}"
    queue=("${queue[@]:1}")
    [[ -e "$mnt$f" ]] || fail "$arch: $f is not in the image"
    f="$(in_image "$f")" || fail "$arch: a symlink loop at ${queue[0]}"
    [[ "$seen" == *" $f "* ]] && continue
    seen+="$f "
    kind="$(file -b "$mnt$f")"
    [[ "$kind" == *"ELF 64-bit"*"$elf_kind"* ]] || fail "$arch: $f is not $elf_kind: $kind"
    printf 'test-image:   %-48s %s\n' "$f" "$(echo "$kind" | cut -d, -f1-2)" >&2
    for so in $(readelf -d "$mnt$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      path=""
      for dir in /usr/lib/$triplet /lib/$triplet /usr/lib /lib; do
        [[ -e "$mnt$dir/$so" ]] && { path="$dir/$so"; break; }
      done
      [[ -n "$path" ]] || fail "$arch: $f needs $so, which is not in the image"
      queue+=("$path")
    done
  done
  local n_libs
  n_libs=$(($(wc -w <<<"$seen") - 2))
  # No ELF file of another architecture anywhere in the image.
  local foreign
  foreign="$(find "$mnt" -xdev -type f \( -perm /111 -o -name '*.so*' \) -print0 |
    xargs -0 -r file -N -F ' ::' | grep ' :: ELF' | grep -v -F "$elf_kind" | head -n 5 || true)"
  [[ -z "$foreign" ]] || fail "$arch: ELF files of another architecture in the image: $foreign"
  log "the binary, its interpreter and its $n_libs libraries, and every ELF file in the image, are $elf_kind"

  step "run --version ($arch)"
  local version_out
  version_out="$(bh run --isolation chroot "$ctr" -- /usr/bin/swr-sync-exporter --version)" ||
    fail "$arch: --version exited non-zero"
  log "$version_out"
  [[ "$version_out" == "swr-sync-exporter $version (revision $revision)" ]] ||
    fail "$arch: --version printed '$version_out', not version $version revision $revision"
  if [[ "$arch" == arm64 ]]; then
    # The same, with qemu-aarch64-static named rather than found through binfmt_misc, and
    # every library from the image's rootfs (-L).
    version_out="$(qemu-aarch64-static -L "$mnt" "$mnt/usr/bin/swr-sync-exporter" --version)" ||
      fail "arm64: --version under qemu-aarch64-static exited non-zero"
    [[ "$version_out" == "swr-sync-exporter $version (revision $revision)" ]] ||
      fail "arm64: --version under qemu-aarch64-static printed '$version_out'"
    log "qemu-aarch64-static -L <image rootfs>: $version_out"
  fi

  step "runs as non-root, runtime only ($arch)"
  local run_uid
  run_uid="$(bh run --isolation chroot "$ctr" -- id -u)"
  [[ "$run_uid" == "$uid" ]] || fail "$arch: the image runs as uid $run_uid, not $uid"
  # A slim runtime: no compiler, no headers, no apt lists.
  bh run --isolation chroot "$ctr" -- sh -c '! command -v c++ && ! command -v cmake \
    && [ ! -d /usr/include/prometheus ] \
    && [ -z "$(ls /var/lib/apt/lists | grep -v -e ^lock$ -e ^partial$)" ]' >/dev/null ||
    fail "$arch: the runtime stage carries build tools, headers or apt lists"
  bh run --isolation chroot "$ctr" -- test -s /etc/ssl/certs/ca-certificates.crt ||
    fail "$arch: no CA bundle in the image"
  cmp -s LICENSE "$mnt/usr/share/doc/swr-sync-exporter/LICENSE" ||
    fail "$arch: the image has no copy of LICENSE at /usr/share/doc/swr-sync-exporter/LICENSE"

  start_sim

  step "run --check-config ($arch)"
  run_exporter "$arch" "$ctr" check-config --check-config --log.level debug
  [[ $run_rc -eq 0 ]] ||
    { cat "$work/$arch-check-config.err" >&2; fail "$arch: --check-config exited $run_rc"; }
  log "--check-config: exit 0: $(head -c 300 "$work/$arch-check-config.out" "$work/$arch-check-config.err" | tr '\n' ' ')"

  step "run --once against swr-sim ($arch)"
  run_exporter "$arch" "$ctr" once --once --log.level debug
  local out="$work/$arch-once.out" err="$work/$arch-once.err"
  if [[ $run_rc -ne 0 ]] || ! grep -qx 'swr_up 1' "$out"; then
    log "exit code $run_rc; stderr:"
    cat "$err" >&2
    log "stdout:"
    head -n 80 "$out" >&2
    fail "$arch: --once against swr-sim"
  fi
  grep -q '^swr_' "$out" || fail "$arch: no swr_ metrics in the --once output"
  log "--once: exit 0, $(grep -c '^swr_' "$out") swr_ samples, swr_up 1"
  if grep -qi 'warn' "$err"; then
    log "warnings from the exporter:"
    cat "$err" >&2
  fi
  step_end

  bh umount "$ctr" >/dev/null
  mounted=("${mounted[@]/$ctr/}")
}

if [[ $want_arm64 -eq 1 ]]; then
  log "arm64: base rootfs and cross build start in the background"
  set -m  # its own process group, so that cleanup can stop all of it
  prep_arm64 >"$work/prep.log" 2>&1 &
  prep_pid=$!
  set +m
fi
for arch in $arches; do
  test_arch "$arch"
done

log "timings:"
printf 'test-image:   %s\n' "${step_report[@]}" >&2
log "PASS ($arches) in $(($(date +%s) - total_start))s"
