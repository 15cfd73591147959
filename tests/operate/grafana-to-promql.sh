# shellcheck shell=bash
# Source it: grafana_to_promql reads dashboard expressions on stdin and writes them with Grafana's
# variables replaced by valid PromQL ($__rate_interval -> 5m, $__interval -> 1m, $__range -> 1h,
# their _ms/_s forms, any other $var / ${var} / ${var:fmt} -> .*). Used by
# tests/operate/extract-queries.sh and tests/e2e/check-panel-units.sh.
grafana_to_promql() {
  sed -E '
    s/\$\{?__rate_interval\}?/5m/g
    s/\$\{?__interval_ms\}?/60000/g
    s/\$\{?__interval\}?/1m/g
    s/\$\{?__range_ms\}?/3600000/g
    s/\$\{?__range_s\}?/3600/g
    s/\$\{?__range\}?/1h/g
    s/\$\{[A-Za-z_][A-Za-z0-9_]*(:[A-Za-z]+)?\}/.*/g
    s/\$[A-Za-z_][A-Za-z0-9_]*/.*/g
  '
}
