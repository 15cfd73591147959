// The knobs of the swr-sync-exporter mixin. Override them in your own jsonnet:
//
//   (import 'config/mixin/mixin.libsonnet') + {
//     _config+:: { selector: 'job="swr"', clusterLabel: 'cluster', disabledAlerts: ['SwrExporterThrottled'] },
//   }
//
// config/mixin/README.md describes each one; scripts/generate-mixin.sh renders the defaults into
// the files that ship (config/prometheus/*.yml, dashboards/swr-sync.json, the Helm chart's copies).
{
  _config+:: {
    // Label matchers (without braces) that select the exporter's series, `up` included.
    selector: 'job=~".*swr.*"',
    // A label telling clusters (Prometheus servers, regions...) apart, kept by every by()/on()
    // of the rules when set; '' (default) for none.
    clusterLabel: '',

    // The sync SLO: share of finished jobs that succeed (success or existed).
    sloObjective: 0.99,
    // SwrSyncErrorBudgetBurnFast pages only when the long window saw at least this many failed or
    // timed-out jobs: one failure in a quiet organization/region does not page.
    burnRateMinFailures: 3,
    // A successful job faster than this (a bucket boundary of swr_sync_job_duration_seconds) is fast.
    latencyThresholdSeconds: 600,

    // SwrSyncJobFailed / SwrSyncJobTimedOut: the newest finished job of a destination failed (timed
    // out), no success since, and it ended less than this ago (older ones are
    // SwrSyncDestinationOutOfDate's).
    jobFailureMaxAgeSeconds: 86400,
    pendingTooLongSeconds: 1800,
    destinationOutOfDateSeconds: 86400,
    // SwrSyncAutoSyncJobMissing: an automatic rule's destination got no job for a push this old.
    autoSyncGraceSeconds: 1800,
    // createdAt of the job may precede the repository's updated_at by this much.
    autoSyncSlackSeconds: 60,

    // SwrExporterRepositoriesDown: more than this share of an exporter's repositories fail.
    repositoriesDownRatio: 0.5,
    // SwrExporterThrottled: this share of the requests answered 429 over 15 minutes...
    throttledRatio: 0.1,
    // SwrExporterDataStale: no cycle ended for staleIntervals poll intervals plus the last cycle's
    // length, and at least staleMinSeconds.
    staleIntervals: 5,
    staleMinSeconds: 60,
    // SwrExporterTokenExpiringSoon: an IAM token or metadata key expiring within this. Metadata keys
    // are renewed 40 minutes before they expire, IAM tokens 6 hours before.
    tokenExpiryWarningSeconds: 1200,

    // runbook_url = runbookUrlBase + '#' + lower-case alert name
    runbookUrlBase: 'https://github.com/swr-sync-exporter/swr-sync-exporter/blob/main/docs/runbook.md',
    // dashboard_url = dashboardUrlBase + '/d/' + dashboardUid + '/swr-sync?var-organization=...'
    dashboardUrlBase: 'https://grafana.example.com',
    dashboardUid: 'swr-sync',

    // Alert names left out of prometheusAlerts.
    disabledAlerts: [],

    // Derived: label lists for by()/on(), the cluster label first when set.
    clusterPrefix: if self.clusterLabel == '' then '' else self.clusterLabel + ', ',
    cluster: self.clusterLabel,
    ji: self.clusterPrefix + 'job, instance',
    j: self.clusterPrefix + 'job',
    repo: self.clusterPrefix + 'job, instance, organization, repository',
    dest: self.clusterPrefix + 'job, instance, organization, repository, target_region, target_organization',
    orgRegion: self.clusterPrefix + 'organization, target_region',
    // le matcher for the latency bucket that works with "600" (as the exporter writes it) and
    // "600.0" (as Prometheus 3 stores it).
    leFast: 'le=~"%d(\\\\.0)?"' % self.latencyThresholdSeconds,
  },
}
