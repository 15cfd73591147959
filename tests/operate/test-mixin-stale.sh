#!/usr/bin/env bash
# The shipped files generated from config/mixin (scripts/generate-mixin.sh) are up to date:
# regenerate into a temporary directory and compare each with the repository's.
source "$(dirname "$0")/lib.sh"
command -v jsonnet >/dev/null || die "jsonnet not found: install it (Debian: apt-get install jsonnet)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bash "$REPO/scripts/generate-mixin.sh" "$work" >/dev/null
stale=0
n=0
while IFS= read -r f; do
  rel="${f#"$work"/}"
  n=$((n + 1))
  if ! cmp -s "$f" "$REPO/$rel"; then
    echo "STALE: $rel differs from what config/mixin generates:" >&2
    diff -u "$REPO/$rel" "$f" | head -20 >&2 || true
    stale=$((stale + 1))
  fi
done < <(find "$work" -type f | sort)
((n >= 7)) || die "generate-mixin.sh wrote $n files, expected at least 7"
((stale == 0)) || die "$stale generated file(s) stale: run scripts/generate-mixin.sh and commit"
echo "$n generated files up to date"
echo "$n passed, 0 failed"
