// The swr-sync-exporter monitoring mixin: alerts, recording rules and the Grafana dashboard.
// Import it and override _config (config.libsonnet) to tune it; config/mixin/README.md.
(import 'config.libsonnet')
+ (import 'alerts.libsonnet')
+ (import 'rules.libsonnet')
+ (import 'dashboards.libsonnet')
