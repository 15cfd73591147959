#!/usr/bin/env bash
# Installs what the chart tests need, once: helm (scripts/install-helm.sh) and, from the npm
# registry, the offline validator's packages into .tools/helm-validate/node_modules:
#   kubernetes-models                      Kubernetes 1.34 OpenAPI schemas, compiled, and types
#   @kubernetes-models/prometheus-operator the ServiceMonitor / PodMonitor / PrometheusRule CRD schemas
#   typescript                             checks objects against those types (unknown fields)
#   yaml                                   parses helm's output
# Prints nothing on stdout; non-zero when something cannot be installed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
tools_dir="${SWR_TOOLS_DIR:-$repo/.tools}"

"$repo/scripts/install-helm.sh" >/dev/null

packages=(
  kubernetes-models@5.1.0
  @kubernetes-models/prometheus-operator@6.0.0
  typescript@5.9.3
  yaml@2.9.1
)
dir="$tools_dir/helm-validate"
stamp="$dir/installed"
if [[ -f "$stamp" && "$(cat "$stamp")" == "${packages[*]}" ]]; then
  exit 0
fi
command -v npm >/dev/null || { echo "setup: npm is missing (Debian package nodejs)" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir"
echo "setup: npm install ${packages[*]}" >&2
npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
  "${packages[@]}" >&2
echo "${packages[*]}" >"$stamp"
