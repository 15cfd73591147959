// Recording rules. Rules in one group run in order at the same timestamp and each sees what the
// ones above it recorded, so the order inside a group matters.
local windows = ['30m', '1h', '2h', '6h', '1d', '3d'];

{
  prometheusRules+:: {
    local c = $._config,
    local f(s) = s % c,
    groups+: [
      {
        // Destinations whose newest finished job failed or timed out, with no success since.
        name: 'swr-sync-job-events',
        rules: [
          {
            // The failed or timed-out series of a destination whose value (the job's updatedAt)
            // is the newest of its success, existed, failed and timeout series: present while the
            // newest finished job failed (or timed out) and no success has landed since. Cancelled
            // jobs (someone stopped them) neither clear nor raise it.
            record: 'destination_status:swr_sync_last_finished_timestamp_seconds:unrecovered',
            expr: f(|||
              swr_sync_last_finished_timestamp_seconds{%(selector)s, status=~"failed|timeout"}
                >= on (%(dest)s) group_left ()
                  max by (%(dest)s) (
                    swr_sync_last_finished_timestamp_seconds{%(selector)s, status=~"success|existed|failed|timeout"}
                  )
            |||),
          },
        ],
      },
      {
        // The sync SLI: share of finished jobs that succeeded, and share of successful jobs that
        // took at most latencyThresholdSeconds, from the counts of swr_sync_job_duration_seconds.
        //   good     = success + existed (an image already present at the destination is in sync)
        //   finished = success + existed + failed + timeout
        //   cancel   = neither: someone stopped the job on purpose
        name: 'swr-sync-sli',
        rules: [
          { record: 'swr_sync:slo_objective:ratio', expr: std.format('vector(%g)\n', c.sloObjective) },
          {
            // 1 for 15 minutes after an exporter (re)started: its process started recently, its
            // histogram counts went down, or it came back after a gap; and from its start until 5
            // minutes after its first pass is complete (the first pass observes again every job
            // the API still lists). The rates below leave such an exporter out meanwhile.
            record: 'instance:swr_exporter_restarted:15m',
            expr: f(|||
              max by (%(ji)s) (
                  ((time() - process_start_time_seconds{%(selector)s}) < 900 and on (%(ji)s) swr_up{%(selector)s})
                or
                  (resets(swr_sync_job_duration_seconds_count{%(selector)s}[15m]) > 0)
                or
                  (swr_up{%(selector)s} unless swr_up{%(selector)s} offset 15m)
                or
                  (min_over_time(swr_exporter_initial_pass_complete{%(selector)s}[5m]) == 0)
              ) * 0 + 1
            |||),
          },
        ] + [
          {
            record: 'organization_target_region:swr_sync_jobs_%s:rate5m' % r.name,
            expr: f(|||
              sum by (%(orgRegion)s) (
                  rate(swr_sync_job_duration_seconds_%(series)s{%(selector)s, %(match)s}[5m])
                unless on (%(ji)s)
                  instance:swr_exporter_restarted:15m
              )
            ||| % (c { series: r.series, match: r.match })),
          }
          for r in [
            { name: 'finished', series: 'count', match: 'status=~"success|existed|failed|timeout"' },
            { name: 'good', series: 'count', match: 'status=~"success|existed"' },
            { name: 'failed', series: 'count', match: 'status=~"failed|timeout"' },
            { name: 'succeeded', series: 'count', match: 'status="success"' },
            { name: 'succeeded_fast', series: 'bucket', match: 'status="success", ' + c.leFast },
          ]
        ] + [
          // Failed or timed-out jobs over a window (the burn-rate pages' minimum-event guard):
          // the mean 5m rate over the window times its length.
          {
            record: 'organization_target_region:swr_sync_jobs_failed:count%s' % w.name,
            expr: 'avg_over_time(organization_target_region:swr_sync_jobs_failed:rate5m[%s]) * %d\n' % [w.name, w.seconds],
          }
          for w in [{ name: '1h', seconds: 3600 }, { name: '6h', seconds: 21600 }]
        ] + [
          // Ratios. Longer windows add up the 5m rates, which weighs every window by its traffic
          // and leaves out what the restart guard left out. No finished job, no ratio (not NaN).
          {
            record: 'organization_target_region:swr_sync_job_%s:ratio_rate5m' % r.name,
            expr: |||
              organization_target_region:swr_sync_jobs_%s:rate5m
                / (organization_target_region:swr_sync_jobs_%s:rate5m > 0)
            ||| % [r.num, r.den],
          }
          for r in [{ name: 'success', num: 'good', den: 'finished' }]
        ] + [
          {
            record: 'organization_target_region:swr_sync_job_success:ratio_rate%s' % w,
            expr: |||
              sum_over_time(organization_target_region:swr_sync_jobs_good:rate5m[%s])
                / (sum_over_time(organization_target_region:swr_sync_jobs_finished:rate5m[%s]) > 0)
            ||| % [w, w],
          }
          for w in windows
        ] + [
          // Latency ratio: successful jobs that took at most latencyThresholdSeconds, out of all
          // successful jobs. "existed" jobs copy nothing and stay out of it.
          {
            record: 'organization_target_region:swr_sync_job_fast:ratio_rate5m',
            expr: |||
              organization_target_region:swr_sync_jobs_succeeded_fast:rate5m
                / (organization_target_region:swr_sync_jobs_succeeded:rate5m > 0)
            |||,
          },
        ] + [
          {
            record: 'organization_target_region:swr_sync_job_fast:ratio_rate%s' % w,
            expr: |||
              sum_over_time(organization_target_region:swr_sync_jobs_succeeded_fast:rate5m[%s])
                / (sum_over_time(organization_target_region:swr_sync_jobs_succeeded:rate5m[%s]) > 0)
            ||| % [w, w],
          }
          for w in windows
        ] + [
          // Error-budget burn rate of the success SLI: 1 spends the budget exactly over the SLO
          // period, 14.4 spends 2% of a 30-day budget in an hour. The objective has no labels.
          {
            record: 'organization_target_region:swr_sync_job_error_budget:burnrate%s' % w,
            expr: |||
              (1 - organization_target_region:swr_sync_job_success:ratio_rate%s)
                / on () group_left () (1 - swr_sync:slo_objective:ratio)
            ||| % w,
          }
          for w in ['5m'] + windows
        ],
      },
    ],
  },
}
