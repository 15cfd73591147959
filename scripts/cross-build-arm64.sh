#!/usr/bin/env bash
# Cross-compiles swr-sync-exporter for arm64 (aarch64) on an amd64 Debian 12 host, for the
# Dockerfile's BINARY=prebuilt path (scripts/test-image.sh builds the arm64 image that way):
#   1. a sysroot of Debian's arm64 -dev packages and their dependencies, extracted (not
#      installed: nothing runs under emulation) with mmdebstrap --variant=extract; the host's
#      own dpkg database is left alone (prometheus-cpp-dev:arm64 is not co-installable with the
#      amd64 one, so a multiarch install would remove the host's build dependencies);
#   2. Debian's cross compiler (g++-aarch64-linux-gnu) with scripts/aarch64-linux-gnu.cmake;
#   3. OUT/out/usr/bin/swr-sync-exporter (stripped), OUT/out/usr/share/doc/swr-sync-exporter/LICENSE
#      and OUT/out-packages.txt: the arm64 packages owning the libraries the binary links (its
#      NEEDED entries), looked up in the sysroot's .deb contents, for the runtime stage to install.
# Needs root to install what is missing (apt-get) and to run mmdebstrap.
#
# Usage: scripts/cross-build-arm64.sh --sysroot DIR --build DIR --out DIR --revision REV
#          --source "deb URI SUITE COMPONENT" [--source ...]
#   --sysroot  reused while DIR/.complete exists (make a new one to take newer packages)
#   --source   the apt sources for the sysroot; scripts/test-image.sh passes this machine's own
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

sysroot="" build="" out="" revision="unknown"
sources=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sysroot) sysroot="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --revision) revision="$2"; shift 2 ;;
    --source) sources+=("$2"); shift 2 ;;
    *) echo "usage: $0 --sysroot DIR --build DIR --out DIR --revision REV --source LINE..." >&2
       exit 2 ;;
  esac
done
[[ -n "$sysroot" && -n "$build" && -n "$out" && ${#sources[@]} -gt 0 ]] ||
  { echo "usage: $0 --sysroot DIR --build DIR --out DIR --revision REV --source LINE..." >&2; exit 2; }

log() { echo "cross-build-arm64: $*" >&2; }
fail() { echo "cross-build-arm64: FAIL: $*" >&2; exit 1; }

# --- tools ----------------------------------------------------------------------------------
tools=(g++-aarch64-linux-gnu binutils-aarch64-linux-gnu mmdebstrap cmake pkg-config)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  [[ $(id -u) -eq 0 ]] || fail "missing ${missing[*]}: run as root to install them"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- sysroot --------------------------------------------------------------------------------
# The -dev packages of scripts/install-deps.sh's build list, for arm64; libc6-dev and
# libstdc++-12-dev so that the sysroot is complete on its own.
dev_packages=(
  libc6-dev libstdc++-12-dev
  prometheus-cpp-dev libcpp-httplib-dev libcurl4-openssl-dev libssl-dev zlib1g-dev libbrotli-dev
  rapidjson-dev libtomlplusplus-dev libyaml-dev libcrypt-dev libexpected-dev
)
if [[ ! -e "$sysroot/.complete" ]]; then
  log "sysroot: extracting ${#dev_packages[@]} arm64 -dev packages and their dependencies"
  rm -rf "$sysroot" "$sysroot.tmp"
  mkdir -p "$(dirname "$sysroot")"
  include="$(IFS=,; echo "${dev_packages[*]}")"
  mmdebstrap --variant=extract --arch=arm64 --mode=root --format=directory \
    --skip=cleanup/apt/cache --include="$include" bookworm "$sysroot.tmp" "${sources[@]}" \
    >"$sysroot.log" 2>&1 || { tail -n 30 "$sysroot.log" >&2; fail "mmdebstrap"; }
  # Absolute symlinks (libz.so -> /lib/aarch64-linux-gnu/...) would resolve on the host: make
  # them relative, inside the sysroot.
  while IFS= read -r link; do
    target="$(readlink "$link")"
    ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$sysroot.tmp$target")" "$link"
  done < <(find "$sysroot.tmp" -path "$sysroot.tmp/dev" -prune -o -type l -lname '/*' -print)
  # Which package owns which file, and every package's version: what dpkg would know.
  archives="$sysroot.tmp/var/cache/apt/archives"
  : >"$sysroot.tmp/.files.tsv"
  : >"$sysroot.tmp/.packages.txt"
  for deb in "$archives"/*.deb; do
    pkg="$(dpkg-deb -f "$deb" Package)"
    echo "$pkg=$(dpkg-deb -f "$deb" Version)" >>"$sysroot.tmp/.packages.txt"
    dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's|^\./|/|' -e "s|^|$pkg\t|" \
      >>"$sysroot.tmp/.files.tsv"
  done
  sort -o "$sysroot.tmp/.packages.txt" "$sysroot.tmp/.packages.txt"
  rm -f "$archives"/*.deb
  touch "$sysroot.tmp/.complete"
  mv "$sysroot.tmp" "$sysroot"
  log "sysroot: $(wc -l <"$sysroot/.packages.txt") packages, $(du -sh "$sysroot" | cut -f1)"
else
  log "sysroot: reusing $sysroot ($(wc -l <"$sysroot/.packages.txt") packages)"
fi

# --- build ----------------------------------------------------------------------------------
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSWR_BUILD_TESTS=OFF \
  -DCMAKE_TOOLCHAIN_FILE="$repo/scripts/aarch64-linux-gnu.cmake" -DCMAKE_SYSROOT="$sysroot" \
  -DSWR_REVISION="$revision" >"$build.configure.log" 2>&1 ||
  { tail -n 30 "$build.configure.log" >&2; fail "cmake configure"; }
cmake --build "$build" --target swr-sync-exporter -j"$(nproc)" >"$build.build.log" 2>&1 ||
  { tail -n 60 "$build.build.log" >&2; fail "cmake --build"; }

rm -rf "$out"
mkdir -p "$out/out/usr/bin"
bin="$out/out/usr/bin/swr-sync-exporter"
install -m 0755 "$build/swr-sync-exporter" "$bin"
aarch64-linux-gnu-strip --strip-unneeded "$bin"
install -D -m 0644 "$repo/LICENSE" "$out/out/usr/share/doc/swr-sync-exporter/LICENSE"
file -b "$bin" | grep -q 'ARM aarch64' || fail "$bin is not an arm64 executable: $(file -b "$bin")"

# The packages that own the binary's NEEDED libraries (apt brings their own dependencies).
needed="$(aarch64-linux-gnu-readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
[[ -n "$needed" ]] || fail "$bin has no NEEDED entries"
for soname in $needed; do
  owner="$(awk -F'\t' -v so="$soname" '
    $2 == "/usr/lib/aarch64-linux-gnu/" so || $2 == "/lib/aarch64-linux-gnu/" so { print $1; exit }
  ' "$sysroot/.files.tsv")"
  [[ -n "$owner" ]] || fail "no arm64 package in the sysroot owns $soname"
  echo "$owner"
done | sort -u >"$out/out-packages.txt"
log "$bin: links $(echo "$needed" | wc -w) libraries from: $(tr '\n' ' ' <"$out/out-packages.txt")"
