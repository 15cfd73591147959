#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through CTest. Non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh -DSWR_WERROR=ON
ctest --test-dir build --output-on-failure --timeout 600
