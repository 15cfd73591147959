# Shared by the scripts in tests/operate. Source it; it sets REPO, RULES_DIR, DASHBOARD, RUNBOOK,
# PROMTOOL and JQ, and fails loudly when a tool is missing (these tests never skip).
set -euo pipefail

OPERATE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$OPERATE_DIR/../.." && pwd)"
RULES_DIR="$REPO/config/prometheus"
DASHBOARD="$REPO/dashboards/swr-sync.json"
RUNBOOK="$REPO/docs/runbook.md"
RUNBOOK_BASE_URL="https://github.com/swr-sync-exporter/swr-sync-exporter/blob/main/docs/runbook.md"
DASHBOARD_URL="https://grafana.example.com/d/swr-sync/swr-sync"  # the mixin's default dashboardUrlBase + uid

die() {
  echo "FAIL: $*" >&2
  exit 1
}

need_tool() {  # need_tool VAR name package
  local var=$1 name=$2 package=$3 path
  path="${!var:-}"
  [[ -n "$path" ]] || path="$(command -v "$name" || true)"
  [[ -n "$path" && -x "$path" ]] ||
    die "$name not found: install it (Debian: apt-get install $package) or set $var"
  printf -v "$var" '%s' "$path"
}

need_tool PROMTOOL promtool prometheus
need_tool JQ jq jq

rule_files() {
  local f
  for f in "$RULES_DIR"/*.yml; do
    [[ -e "$f" ]] || die "no rule files in $RULES_DIR"
    echo "$f"
  done
}

# Every `expr:` of a rule file, one expression per line (block scalars joined with spaces).
rule_exprs() {
  awk '
    function flush() { if (collecting) { gsub(/[ \t]+/, " ", buf); sub(/^ /, "", buf); sub(/ $/, "", buf); print buf }
                       collecting = 0; buf = "" }
    {
      match($0, /^ */); indent = RLENGTH
      if (collecting) {
        if ($0 ~ /^[ \t]*$/ || indent > key_indent) { buf = buf " " $0; next }
        flush()
      }
      if ($0 ~ /^ *(- )?expr: *[|>][-+]? *$/) {
        collecting = 1; buf = ""; key_indent = indent; if ($0 ~ /^ *- /) key_indent += 2
      } else if ($0 ~ /^ *(- )?expr: /) {
        line = $0; sub(/^ *(- )?expr: */, "", line)
        if (line ~ /^".*"$/ || line ~ /^\047.*\047$/) line = substr(line, 2, length(line) - 2)
        print line
      }
    }
    END { flush() }
  ' "$1"
}

# One line per alert: name <TAB> severity <TAB> summary? <TAB> description? <TAB> runbook_url <TAB>
# dashboard_url ("-" where missing). Relies on the block style these files use: two-space indents, one key
# per line.
alert_table() {
  awk -v OFS='\t' '
    function emit() { if (name != "") print name, sev, summ, desc, url, dash; name = "" }
    {
      match($0, /^ */); indent = RLENGTH
    }
    /^ *- (alert|record):/ {
      emit()
      if ($0 ~ /- alert:/) {
        name = $0; sub(/^ *- alert: */, "", name); sub(/ *$/, "", name)
        key_indent = indent + 2; section = ""; sev = "-"; summ = "-"; desc = "-"; url = "-"; dash = "-"
      }
      next
    }
    name == "" { next }
    indent == key_indent && /^ *[a-z_]+:/ {
      section = $0; sub(/^ */, "", section); sub(/:.*/, "", section); next
    }
    indent < key_indent && $0 !~ /^ *$/ { emit(); next }
    indent == key_indent + 2 && section == "labels" && /^ *severity:/ {
      sev = $0; sub(/^ *severity: */, "", sev); gsub(/["\047 ]/, "", sev)
    }
    indent == key_indent + 2 && section == "annotations" {
      if ($0 ~ /^ *summary:/) summ = "yes"
      if ($0 ~ /^ *description:/) desc = "yes"
      if ($0 ~ /^ *runbook_url:/) { url = $0; sub(/^ *runbook_url: */, "", url); gsub(/["\047 ]/, "", url) }
      if ($0 ~ /^ *dashboard_url:/) { dash = $0; sub(/^ *dashboard_url: */, "", dash); gsub(/["\047 ]/, "", dash) }
    }
    END { emit() }
  ' "$1"
}

# GitHub-style anchors of the runbook headings, plus explicit <a id="..."> / <a name="..."> ones.
runbook_anchors() {
  awk '/^```/ { fenced = !fenced; next } !fenced && /^#+ /' "$RUNBOOK" |
    sed -E 's/^#+ +//' | tr 'A-Z' 'a-z' |
    sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'
  grep -oE '<a (id|name)="[^"]+"' "$RUNBOOK" | sed -E 's/.*="([^"]+)"/\1/' || true
}
