#!/usr/bin/env bash
# The SDK oracle suite's two steps, as CTest runs them (tests/sdk/CMakeLists.txt):
#
#   run.sh install DIR              npm ci of package-lock.json into DIR (again only when the lock
#                                   or node changed); the npm registry, or npm's cache, once
#   run.sh test DIR FILE.test.js... node --test over the FILEs, the SDK from DIR/node_modules
#
# Environment: NODE and NPM override the tools found on PATH. A missing tool fails: Debian 12's
# nodejs and npm come from scripts/install-deps.sh. SDK_KEEP=1 keeps the tests' directories.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

fail() { echo "sdk: FAIL: $*" >&2; exit 1; }

NODE=${NODE:-$(command -v node || command -v nodejs || true)}
[[ -n "$NODE" && -x "$NODE" ]] || fail "node is missing: run scripts/install-deps.sh (Debian 12: nodejs) or set NODE"
# node --test with --test-reporter: 18.15 and later (Debian 12 has 18.20).
"$NODE" -e 'const [major, minor] = process.versions.node.split(".").map(Number);
               process.exit(major > 18 || (major === 18 && minor >= 15) ? 0 : 1)' ||
  fail "node $("$NODE" --version) is too old: the suite needs 18.15 or later"

(($# >= 2)) || { echo "usage: $0 install DIR | test DIR FILE.test.js..." >&2; exit 2; }
step=$1
dir="$(realpath -m "$2")"
shift 2

case "$step" in
  install)
    NPM=${NPM:-$(command -v npm || true)}
    [[ -n "$NPM" && -x "$NPM" ]] || fail "npm is missing: run scripts/install-deps.sh (Debian 12: npm) or set NPM"
    mkdir -p "$dir"
    stamp="$dir/installed"
    want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1) node $("$NODE" --version)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -d "$dir/node_modules" ]]; then
      echo "sdk: $dir/node_modules is up to date with package-lock.json"
      exit 0
    fi
    rm -f "$stamp"
    cp "$here/package.json" "$here/package-lock.json" "$dir/"
    echo "sdk: npm ci in $dir (npm $("$NPM" --version), node $("$NODE" --version))"
    # No install scripts: the pinned packages have none, and none from the registry may run.
    (cd "$dir" && "$NPM" ci --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error)
    for pin in @huaweicloud/huaweicloud-sdk-core @huaweicloud/huaweicloud-sdk-swr; do
      wanted=$("$NODE" -p "require('$here/package.json').dependencies['$pin']")
      got=$("$NODE" -p "require('$dir/node_modules/$pin/package.json').version")
      [[ "$wanted" == "$got" ]] || fail "$pin: npm ci installed $got, package.json pins $wanted"
      echo "sdk: $pin $got"
    done
    echo "$want" >"$stamp"
    ;;
  test)
    (($# > 0)) || fail "no test file given"
    [[ -d "$dir/node_modules" ]] || fail "no $dir/node_modules: the test sdk.install installs it (ctest -L sdk)"
    files=()
    for f in "$@"; do
      [[ -f "$here/$f" ]] || fail "no test file $here/$f"
      files+=("$here/$f")
    done
    work="$(mktemp -d "${TMPDIR:-/tmp}/swr-sdk-run-XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    # The SDK writes ~/.huaweicloud/application_id on first use, and its logger may open files in
    # the working directory: both stay in $work.
    cd "$work"
    HOME="$work" NODE_PATH="$dir/node_modules" "$NODE" --test --test-reporter=tap "${files[@]}"
    ;;
  *)
    echo "usage: $0 install DIR | test DIR FILE.test.js..." >&2
    exit 2
    ;;
esac
