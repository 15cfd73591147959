#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the tests need. Does nothing when all are there.
# Usage: scripts/install-deps.sh [--build-only]   (--build-only: skip what only the tests need)
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config git ca-certificates
  prometheus-cpp-dev libcpp-httplib-dev libcurl4-openssl-dev libssl-dev zlib1g-dev libbrotli-dev
  rapidjson-dev libtomlplusplus-dev doctest-dev libyaml-dev libcrypt-dev libexpected-dev
)
test_packages=(
  clang libclang-rt-14-dev clang-format clang-tidy prometheus prometheus-alertmanager curl jq wrk openssl
  nghttp2-server
)

# Node.js and npm for tests/sdk (and the chart tests' validator): Debian's nodejs and npm, unless
# a node and an npm are on PATH already (NodeSource's nodejs, for one, carries its own npm and
# conflicts with Debian's).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  test_packages+=(nodejs npm)
fi
# jsonnet renders the monitoring mixin config/mixin (scripts/generate-mixin.sh, tests/operate).
test_packages+=(jsonnet)

packages=("${build_packages[@]}")
if [[ "${1:-}" != "--build-only" ]]; then
  packages+=("${test_packages[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
