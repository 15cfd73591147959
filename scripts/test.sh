#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through CTest. Non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh -DSWR_WERROR=ON -DSWR_BUILD_TESTS=ON
ctest --test-dir build --output-on-failure --no-tests=error --timeout 1800
# Sanitizer builds (clang): ASan+UBSan, then TSan, of the unit, sim and integration tests.
./scripts/test-sanitizers.sh
# Fuzz targets over their seed corpus and saved regressions (CTest label fuzz).
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$(nproc)"
ctest --preset fuzz
# Then each target fuzzes for a bounded time (ASan + UBSan); a finding fails the run and is kept
# in build-fuzz/findings/.
./scripts/fuzz.sh "${SWR_FUZZ_SECONDS:-15}"
