// Alerting rules. Every alert has a section in docs/runbook.md whose anchor is its name in lower
// case, a runbook_url to it and a dashboard_url to the dashboard filtered on the alert's
// organization (and repository, when it has one).
//
// The first pass: after a start the exporter reads every repository once (at 10 requests/s, about
// 17 minutes for 10,000 of them) and serves what it has read so far. Repositories not read yet have
// no series at all, so no per-repository alert can fire for them; swr_up stays 0 until the first
// cycle ends and a first pass may span long cycles, so SwrExporterPollFailing and
// SwrExporterDataStale hold back while swr_exporter_initial_pass_complete is 0 and the pass is
// moving (swr_exporter_oldest_repository_read_age_seconds changed within 15 minutes). A stalled
// first pass, a failure after the pass, and an exporter too old to export the gauge are not held
// back.
local oneline(s) = std.join(' ', std.filter(function(l) l != '', std.split(s, '\n')));

{
  local c = $._config,
  local f(s) = s % c,
  local runbook(name) = c.runbookUrlBase + '#' + std.asciiLower(name),
  local dashboard = c.dashboardUrlBase + '/d/' + c.dashboardUid + '/swr-sync',
  local dashRepo = dashboard + '?var-organization={{ $labels.organization | urlquery }}&var-repository={{ $labels.repository | urlquery }}',
  local dashOrg = dashboard + '?var-organization={{ $labels.organization | urlquery }}',
  // alert(name, dashboard url, fields): the common annotations added.
  local alert(name, url, r) = r {
    alert: name,
    annotations+: {
      description: oneline(super.description),
      runbook_url: runbook(name),
      dashboard_url: url,
    },
  },
  // The newest job of the alert's destination, for descriptions.
  local latestJobQuery = 'printf "swr_sync_latest_job_info{job=%q,instance=%q,organization=%q,repository=%q,target_region=%q,target_organization=%q}" $labels.job $labels.instance $labels.organization $labels.repository $labels.target_region $labels.target_organization | query',
  local firstPassMoving = f(|||
    (
        swr_exporter_initial_pass_complete{%(selector)s} == 0
      and on (%(ji)s)
        changes(swr_exporter_oldest_repository_read_age_seconds{%(selector)s}[15m]) > 0
    )
  |||),

  local jobState(name, status, verb) = alert(name, dashRepo, {
    // State, not event: fires while the newest finished job of a destination (of success,
    // existed, failed, timeout) is this one, and it ended less than jobFailureMaxAgeSeconds ago;
    // resolves when a success (or existed) lands. Older ones: SwrSyncDestinationOutOfDate.
    expr: |||
      destination_status:swr_sync_last_finished_timestamp_seconds:unrecovered{status="%s"}
        > time() - %d
    ||| % [status, c.jobFailureMaxAgeSeconds],
    labels: { severity: 'warning' },
    annotations: {
      summary: 'SWR sync job %s: {{ $labels.organization }}/{{ $labels.repository }} -> {{ $labels.target_region }}/{{ $labels.target_organization }}' % verb,
      description: |||
        The newest finished sync job of {{ $labels.organization }}/{{ $labels.repository }}{{ with printf "swr_sync_latest_job_info{job=%%q,instance=%%q,organization=%%q,repository=%%q,target_region=%%q,target_organization=%%q,status=%%q}" $labels.job $labels.instance $labels.organization $labels.repository $labels.target_region $labels.target_organization $labels.status | query }}{{ with first . }}:{{ label "tag" . }}{{ end }}{{ end }}
        to region {{ $labels.target_region }}, organization {{ $labels.target_organization }}
        %s at {{ $value | humanizeTimestamp }}, and no sync has succeeded since.
      ||| % verb,
    },
  }),

  local all = [
    {
      name: 'swr-sync-job-alerts',
      rules: [
        jobState('SwrSyncJobFailed', 'failed', 'failed'),
        jobState('SwrSyncJobTimedOut', 'timeout', 'timed out'),
        alert('SwrSyncJobPendingTooLong', dashRepo, {
          // Age of the oldest job still waiting or running.
          expr: f(|||
            time() - swr_sync_oldest_pending_job_created_timestamp_seconds{%(selector)s} > %(pendingTooLongSeconds)d
          |||),
          'for': '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'SWR sync job pending for {{ $value | humanizeDuration }}: {{ $labels.organization }}/{{ $labels.repository }} -> {{ $labels.target_region }}/{{ $labels.target_organization }}',
            description: |||
              The oldest waiting or running sync job of {{ $labels.organization }}/{{ $labels.repository }}
              to region {{ $labels.target_region }}, organization {{ $labels.target_organization }}
              was created {{ $value | humanizeDuration }} ago (threshold %s).{{ with %s }}{{ with first . }} The newest job is tag {{ label "tag" . }}, {{ label "status" . }}.{{ end }}{{ end }}
            ||| % [std.toString(c.pendingTooLongSeconds / 60) + 'm', latestJobQuery],
          },
        }),
        alert('SwrSyncDestinationOutOfDate', dashRepo, {
          // Last success (or "existed") too old, while a failed, timed-out or cancelled job
          // finished after it, or a job is waiting or running. A quiet repository does not fire.
          expr: f(|||
            (
                time()
              - max by (%(dest)s) (
                  swr_sync_last_finished_timestamp_seconds{%(selector)s, status=~"success|existed"}
                )
              > %(destinationOutOfDateSeconds)d
            )
            and on (%(dest)s)
            (
                (
                    max by (%(dest)s) (
                      swr_sync_last_finished_timestamp_seconds{%(selector)s, status=~"failed|timeout|cancel"}
                    )
                  > on (%(dest)s)
                    max by (%(dest)s) (
                      swr_sync_last_finished_timestamp_seconds{%(selector)s, status=~"success|existed"}
                    )
                )
              or on (%(dest)s)
                swr_sync_oldest_pending_job_created_timestamp_seconds{%(selector)s}
            )
          |||),
          'for': '30m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'No successful SWR sync for {{ $value | humanizeDuration }}: {{ $labels.organization }}/{{ $labels.repository }} -> {{ $labels.target_region }}/{{ $labels.target_organization }}',
            description: |||
              {{ $labels.organization }}/{{ $labels.repository }} last synced successfully to region
              {{ $labels.target_region }}, organization {{ $labels.target_organization }}
              {{ $value | humanizeDuration }} ago, and newer jobs have failed or are still pending.{{ with %s }}{{ with first . }} The newest job is tag {{ label "tag" . }}, {{ label "status" . }}.{{ end }}{{ end }}
            ||| % latestJobQuery,
          },
        }),
        alert('SwrSyncAutoSyncJobMissing', dashRepo, {
          // An automatic rule (sync_auto="true") whose destination's newest job was created
          // before the repository's last push (less autoSyncSlackSeconds), or has no job at all,
          // autoSyncGraceSeconds after the push. Value: the push.
          expr: f(|||
            (
                (
                    max by (%(dest)s) (swr_sync_rule_info{%(selector)s, sync_auto="true"})
                  * on (%(repo)s) group_left ()
                    max by (%(repo)s) (swr_repository_last_push_timestamp_seconds{%(selector)s})
                )
              > on (%(dest)s)
                (max by (%(dest)s) (swr_sync_latest_job_created_timestamp_seconds{%(selector)s}) + %(autoSyncSlackSeconds)d)
              or
                (
                    max by (%(dest)s) (swr_sync_rule_info{%(selector)s, sync_auto="true"})
                  * on (%(repo)s) group_left ()
                    max by (%(repo)s) (swr_repository_last_push_timestamp_seconds{%(selector)s})
                )
                unless on (%(dest)s)
                  swr_sync_latest_job_created_timestamp_seconds{%(selector)s}
            )
            < time() - %(autoSyncGraceSeconds)d
          |||),
          'for': '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'No sync job followed the last push of {{ $labels.organization }}/{{ $labels.repository }} to {{ $labels.target_region }}/{{ $labels.target_organization }}',
            description: |||
              {{ $labels.organization }}/{{ $labels.repository }} was last pushed at {{ $value | humanizeTimestamp }};
              its automatic sync rule to region {{ $labels.target_region }}, organization
              {{ $labels.target_organization }} has started no job since (grace %dm): the image is
              missing there.
            ||| % (c.autoSyncGraceSeconds / 60),
          },
        }),
      ],
    },
    {
      name: 'swr-sync-slo-alerts',
      rules: [
        // Multi-window, multi-burn-rate alerts (SRE workbook, ch. 5) on the success SLI, against
        // swr_sync:slo_objective:ratio. The page needs burnRateMinFailures failed or timed-out
        // jobs in the long window: one failure in a quiet organization/region does not page.
        alert('SwrSyncErrorBudgetBurnFast', dashOrg, {
          expr: f(|||
            (
                organization_target_region:swr_sync_job_error_budget:burnrate1h > 14.4
              and
                organization_target_region:swr_sync_job_error_budget:burnrate5m > 14.4
              and on (%(orgRegion)s)
                organization_target_region:swr_sync_jobs_failed:count1h >= %(burnRateMinFailures)d
            )
            or
            (
                organization_target_region:swr_sync_job_error_budget:burnrate6h > 6
              and
                organization_target_region:swr_sync_job_error_budget:burnrate30m > 6
              and on (%(orgRegion)s)
                organization_target_region:swr_sync_jobs_failed:count6h >= %(burnRateMinFailures)d
            )
          |||),
          'for': '2m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'SWR sync jobs of {{ $labels.organization }} to {{ $labels.target_region }} burn the error budget fast',
            description: |||
              Sync jobs of organization {{ $labels.organization }} (all repositories) to region
              {{ $labels.target_region }} fail or time out at {{ $value | humanize }} times the rate the
              sync SLO allows (14.4x over 1h and 5m, or 6x over 6h and 30m, with at least %d failures):
              at this pace a 30-day error budget lasts a few days at most.
            ||| % c.burnRateMinFailures,
          },
        }),
        alert('SwrSyncErrorBudgetBurnSlow', dashOrg, {
          expr: |||
            (
                organization_target_region:swr_sync_job_error_budget:burnrate1d > 3
              and
                organization_target_region:swr_sync_job_error_budget:burnrate2h > 3
            )
            or
            (
                organization_target_region:swr_sync_job_error_budget:burnrate3d > 1
              and
                organization_target_region:swr_sync_job_error_budget:burnrate6h > 1
            )
          |||,
          'for': '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'SWR sync jobs of {{ $labels.organization }} to {{ $labels.target_region }} burn the error budget',
            description: |||
              Sync jobs of organization {{ $labels.organization }} (all repositories) to region
              {{ $labels.target_region }} fail or time out at {{ $value | humanize }} times the rate the
              sync SLO allows (3x over 1d and 2h, or 1x over 3d and 6h).
            |||,
          },
        }),
      ],
    },
    {
      name: 'swr-sync-exporter-alerts',
      rules: [
        alert('SwrExporterDown', dashboard, {
          // The scrape fails, or Prometheus has no such target at all.
          expr: f(|||
            up{%(selector)s} == 0 or absent(up{%(selector)s})
          |||),
          'for': '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'swr-sync-exporter is down{{ with $labels.instance }} on {{ . }}{{ end }}',
            description: |||
              {{ with $labels.instance }}Prometheus cannot scrape swr-sync-exporter at {{ . }} (job
              {{ $labels.job }}){{ else }}Prometheus has no swr-sync-exporter target (the rules select
              them with the mixin's selector){{ end }} since 5 minutes; no SWR sync alert can fire meanwhile.
            |||,
          },
        }),
        alert('SwrExporterCredentialsRefused', dashboard, {
          // IAM or the API gateway answers 401/403 to the exporter's credentials.
          expr: f(|||
            swr_exporter_credentials_refused{%(selector)s} == 1
          |||),
          'for': '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Huawei Cloud refuses the credentials of swr-sync-exporter on {{ $labels.instance }}',
            description: |||
              For 5 minutes IAM or the SWR API gateway has answered 401/403 to the credentials of
              swr-sync-exporter on {{ $labels.instance }}: it reads no repository, every series it
              serves is old, and no sync failure can be seen.
            |||,
          },
        }),
        alert('SwrExporterRepositoriesDown', dashboard, {
          // Most repositories failing at once: one cause (network, permissions, an outage), one
          // alert; it inhibits SwrExporterRepositoryDown and SwrExporterPollFailing
          // (config/alertmanager/inhibit.yml).
          expr: f(|||
            (
                count by (%(ji)s) (swr_exporter_repository_up{%(selector)s} == 0)
              / on (%(ji)s)
                count by (%(ji)s) (swr_exporter_repository_up{%(selector)s})
            )
            > %(repositoriesDownRatio)g
          |||),
          'for': '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'swr-sync-exporter on {{ $labels.instance }} cannot read {{ $value | humanizePercentage }} of its repositories',
            description: |||
              For 10 minutes swr-sync-exporter on {{ $labels.instance }} has failed to read
              {{ $value | humanizePercentage }} of its repositories{{ with printf "count(swr_exporter_repository_up{job=%q,instance=%q} == 0)" $labels.job $labels.instance | query }}{{ with first . }} ({{ value . }}){{ end }}{{ end }}:
              one cause for all of them (credentials, permissions, network, an SWR outage).
            |||,
          },
        }),
        alert('SwrExporterPollFailing', dashboard, {
          // Not during a first pass that is still moving (see the top of this file).
          expr: f(|||
            swr_up{%(selector)s} == 0
            unless on (%(ji)s)
          |||) + firstPassMoving,
          'for': '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'swr-sync-exporter on {{ $labels.instance }} cannot poll every repository',
            description: |||
              Every poll cycle of swr-sync-exporter on {{ $labels.instance }} has missed at least one
              repository for 15 minutes{{ with printf "count(swr_exporter_repository_up{job=%q,instance=%q} == 0)" $labels.job $labels.instance | query }}{{ with first . }} ({{ value . }} failing now){{ end }}{{ end }};
              it serves the last data it has for them.
            |||,
          },
        }),
        alert('SwrExporterRepositoryDown', dashRepo, {
          expr: f(|||
            swr_exporter_repository_up{%(selector)s} == 0
          |||),
          'for': '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'swr-sync-exporter cannot fetch the sync jobs of {{ $labels.organization }}/{{ $labels.repository }}',
            description: |||
              The fetches of the sync jobs of repository {{ $labels.repository }} in organization
              {{ $labels.organization }} by {{ $labels.instance }} have failed for 15 minutes; its
              series show old data.
            |||,
          },
        }),
        alert('SwrExporterThrottled', dashboard, {
          // Not any 429: the AIMD limiter keeps a trickle of them by design. A share of 429s
          // over throttledRatio, or every cycle of 15 minutes overrunning the poll interval while
          // 429s come: the request budget is too high, or another client shares the quota.
          expr: f(|||
            (
                sum by (%(ji)s) (rate(swr_exporter_api_requests_total{%(selector)s, code="429"}[15m]))
              / on (%(ji)s)
                sum by (%(ji)s) (rate(swr_exporter_api_requests_total{%(selector)s}[15m]))
              > %(throttledRatio)g
            )
            or on (%(ji)s)
            (
                sum by (%(ji)s) (rate(swr_exporter_api_requests_total{%(selector)s, code="429"}[15m]))
              / on (%(ji)s)
                sum by (%(ji)s) (rate(swr_exporter_api_requests_total{%(selector)s}[15m]))
              > 0
              and on (%(ji)s)
                min_over_time(swr_exporter_cycle_duration_seconds{%(selector)s}[15m])
              > on (%(ji)s)
                max_over_time(swr_exporter_poll_interval_seconds{%(selector)s}[15m])
            )
          |||),
          'for': '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Huawei Cloud throttles swr-sync-exporter on {{ $labels.instance }}',
            description: |||
              {{ $value | humanizePercentage }} of the requests of swr-sync-exporter on {{ $labels.instance }}
              have been answered 429 Too Many Requests over the last 15 minutes{{ with printf "swr_exporter_rate_limit_requests_per_second{job=%%q,instance=%%q}" $labels.job $labels.instance | query }}{{ with first . }}
              (its rate limiter is down to {{ value . | humanize }} requests/s){{ end }}{{ end }}, for 15 minutes:
              more than %s, or its poll cycles overrun their interval.
            ||| % std.format('%g%%', c.throttledRatio * 100),
          },
        }),
        alert('SwrExporterTokenExpiringSoon', dashboard, {
          // IAM tokens are renewed 6 hours before they expire, metadata keys 40 minutes before:
          // under tokenExpiryWarningSeconds left, renewal has been failing.
          expr: f(|||
            swr_exporter_token_expiry_timestamp_seconds{%(selector)s} < time() + %(tokenExpiryWarningSeconds)d
          |||),
          'for': '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Credentials of swr-sync-exporter on {{ $labels.instance }} expire at {{ $value | humanizeTimestamp }}',
            description: |||
              The IAM token or temporary metadata keys swr-sync-exporter on {{ $labels.instance }} uses
              expire at {{ $value | humanizeTimestamp }}, less than %dm from now, and have not been renewed.
            ||| % (c.tokenExpiryWarningSeconds / 60),
          },
        }),
        alert('SwrExporterDataStale', dashboard, {
          // No poll cycle ended for staleIntervals poll intervals plus the last cycle's length
          // (at least staleMinSeconds; 600 s for exporters without
          // swr_exporter_poll_interval_seconds). Not during a first pass that is still moving.
          expr: f(|||
            (
                time() - swr_exporter_last_cycle_timestamp_seconds{%(selector)s}
              unless on (%(ji)s)
          |||) + std.join('\n', ['    ' + l for l in std.split(std.rstripChars(firstPassMoving, '\n'), '\n')]) + '\n' + f(|||
            )
            > on (%(ji)s)
            (
                clamp_min(
                    %(staleIntervals)d * swr_exporter_poll_interval_seconds{%(selector)s}
                  + on (%(ji)s)
                    swr_exporter_cycle_duration_seconds{%(selector)s},
                  %(staleMinSeconds)d
                )
              or on (%(ji)s)
                0 * swr_exporter_last_cycle_timestamp_seconds{%(selector)s} + 600
            )
          |||),
          'for': '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'swr-sync-exporter on {{ $labels.instance }} serves data {{ $value | humanizeDuration }} old',
            description: |||
              The last poll cycle of swr-sync-exporter on {{ $labels.instance }} ended
              {{ $value | humanizeDuration }} ago, more than %d poll intervals plus a cycle's length; the
              exporter runs but its poller is stuck or far slower than its interval.
            ||| % c.staleIntervals,
          },
        }),
        alert('SwrExporterConfigReloadFailed', dashboard, {
          expr: f(|||
            swr_exporter_config_last_reload_successful{%(selector)s} == 0
          |||),
          'for': '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'swr-sync-exporter on {{ $labels.instance }} refused its new configuration',
            description: |||
              The last configuration reload of swr-sync-exporter on {{ $labels.instance }} failed
              (SIGHUP or POST /-/reload); it keeps running with the configuration it loaded
              {{ with printf "swr_exporter_config_last_reload_success_timestamp_seconds{job=%q,instance=%q}" $labels.job $labels.instance | query }}{{ with first . }}at {{ value . | humanizeTimestamp }}{{ end }}{{ end }},
              and the next restart will fail on the file as it is.
            |||,
          },
        }),
        // Sharding (--shard N --total-shards M, or the chart's `shards`): every replica of a job
        // exports swr_exporter_shard_ordinal (N) and swr_exporter_total_shards (M). One sharded
        // set per job: the alerts compare the replicas of a job with each other.
        alert('SwrExporterShardMissing', dashboard, {
          expr: f(|||
            max by (%(j)s) (swr_exporter_total_shards{%(selector)s})
            - (
                count by (%(j)s) (
                  count_values by (%(j)s) ("shard",
                      swr_exporter_shard_ordinal{%(selector)s}
                    < on (%(j)s) group_left ()
                      max by (%(j)s) (swr_exporter_total_shards{%(selector)s})
                  )
                )
              or
                0 * max by (%(j)s) (swr_exporter_total_shards{%(selector)s})
            )
            > 0
          |||),
          'for': '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: '{{ $value }} shard(s) of swr-sync-exporter job {{ $labels.job }} report no metrics',
            description: |||
              Job {{ $labels.job }} is split into{{ with printf "max(swr_exporter_total_shards{job=%q})" $labels.job | query }}{{ with first . }} {{ value . }}{{ end }}{{ end }}
              shards, but for 10 minutes no replica has reported {{ $value }} of them{{ with printf "swr_exporter_shard_ordinal{job=%q}" $labels.job | query | sortByLabel "instance" }}
              (reporting now: {{ range $i, $s := . }}{{ if $i }}, {{ end }}shard {{ value $s }} on {{ label "instance" $s }}{{ end }}){{ end }}.
              The repositories of a missing shard are not polled: their sync failures go unseen.
            |||,
          },
        }),
        alert('SwrExporterShardMisconfigured', dashboard, {
          expr: f(|||
            label_replace(
                count by (%(j)s) (count_values by (%(j)s) ("total_shards", swr_exporter_total_shards{%(selector)s}))
              > 1,
              "reason", "total_shards_differ", "", ""
            )
            or
            label_replace(
              count by (%(j)s) (
                  count_values by (%(j)s) ("shard",
                      swr_exporter_shard_ordinal{%(selector)s}
                    and on (%(ji)s)
                      (swr_exporter_total_shards{%(selector)s} > 1)
                  )
                > 1
              ),
              "reason", "duplicate_shard", "", ""
            )
            or
            label_replace(
              count by (%(j)s) (
                swr_exporter_shard_ordinal{%(selector)s} >= on (%(ji)s) swr_exporter_total_shards{%(selector)s}
              ),
              "reason", "shard_out_of_range", "", ""
            )
          |||),
          'for': '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Shards of swr-sync-exporter job {{ $labels.job }} are misconfigured ({{ $labels.reason }})',
            description: |||
              {{ if eq $labels.reason "total_shards_differ" -}}
              The replicas of job {{ $labels.job }} have disagreed on the number of shards for 15 minutes
              ({{ $value }} different values of total_shards): they split the repositories differently,
              so some are polled twice and others not at all.
              {{- else if eq $labels.reason "duplicate_shard" -}}
              In job {{ $labels.job }}, {{ $value }} shard ordinal(s) have been claimed by more than one
              replica for 15 minutes: those replicas poll the same repositories, and another shard is
              likely missing.
              {{- else -}}
              In job {{ $labels.job }}, {{ $value }} replica(s) have reported a shard ordinal not below
              their total_shards for 15 minutes.
              {{- end }}{{ with printf "swr_exporter_shard_ordinal{job=%q}" $labels.job | query | sortByLabel "instance" }}
              Replicas, ordinal/total: {{ range $i, $s := . }}{{ if $i }}, {{ end }}{{ label "instance" $s }} {{ value $s }}/{{ with printf "swr_exporter_total_shards{job=%q,instance=%q}" (label "job" $s) (label "instance" $s) | query }}{{ with first . }}{{ value . }}{{ end }}{{ end }}{{ end }}.{{ end }}
            |||,
          },
        }),
      ],
    },
  ],

  prometheusAlerts+:: {
    groups+: [
      g { rules: [r for r in g.rules if !std.member(c.disabledAlerts, r.alert)] }
      for g in all
    ],
  },

  // Alertmanager inhibitions (config/alertmanager/inhibit.yml): one cause, one notification.
  local eq = (if c.clusterLabel == '' then [] else [c.clusterLabel]) + ['job', 'instance'],
  alertmanagerInhibitRules+:: [
    {
      source_matchers: ['alertname="SwrExporterDown"'],
      target_matchers: ['alertname=~"SwrExporter(CredentialsRefused|RepositoriesDown|PollFailing|RepositoryDown|DataStale|Throttled|TokenExpiringSoon|ConfigReloadFailed)"'],
      equal: eq,
    },
    {
      source_matchers: ['alertname="SwrExporterCredentialsRefused"'],
      target_matchers: ['alertname=~"SwrExporter(RepositoriesDown|PollFailing|RepositoryDown|DataStale)"'],
      equal: eq,
    },
    {
      source_matchers: ['alertname="SwrExporterRepositoriesDown"'],
      target_matchers: ['alertname=~"SwrExporter(PollFailing|RepositoryDown)"'],
      equal: eq,
    },
  ],
}
