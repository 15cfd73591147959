// The Grafana dashboard "SWR image sync" (uid $._config.dashboardUid), in plain jsonnet (no
// grafonnet). Evaluates to { grafanaDashboards+:: { 'swr-sync.json': ... } } reading $._config:
// selector (the job variable's choices), clusterLabel (a cluster variable, matched by every query
// and kept by every by()), dashboardUid, runbookUrlBase; and the dashboard's own knobs below.
//
// Units: a panel shows one unit (fieldConfig.defaults.unit) and every query feeds it values of
// that scale: timestamps are multiplied by 1000 for the dateTime units (Grafana reads them as
// milliseconds), durations are seconds, ratios 0..1 with percentunit. tests/e2e/check-panel-units.sh
// checks each panel's values against its unit on a live Prometheus.
local ds = { type: 'prometheus', uid: '${datasource}' };

local legendOptions = {
  legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
  tooltip: { mode: 'multi', sort: 'desc' },
};

local thresholds(steps) = {
  mode: 'absolute',
  steps: [{ color: s[0], value: s[1] } for s in steps],
};

local row(id, title, y) = {
  id: id,
  type: 'row',
  title: title,
  collapsed: false,
  gridPos: { x: 0, y: y, w: 24, h: 1 },
  panels: [],
};

local panel(id, type, title, description, gridPos, targets) = {
  id: id,
  type: type,
  title: title,
  description: description,
  datasource: ds,
  gridPos: { x: gridPos[0], y: gridPos[1], w: gridPos[2], h: gridPos[3] },
  targets: targets,
};

local target(expr, legend='', refId='A') = {
  datasource: ds,
  expr: expr,
  legendFormat: legend,
  refId: refId,
  range: true,
};
local instantTarget(expr, legend='', refId='A') = target(expr, legend, refId) {
  range: false,
  instant: true,
};
local tableTarget(expr, refId='A') = instantTarget(expr, '', refId) { format: 'table' };

local timeseries(id, title, description, gridPos, unit, targets,
                 draw='line', fill=10, stack='none', custom={}, defaults={}, overrides=[]) =
  panel(id, 'timeseries', title, description, gridPos, targets) {
    fieldConfig: {
      defaults: {
        unit: unit,
        custom: {
          drawStyle: draw,
          lineWidth: 1,
          fillOpacity: fill,
          showPoints: 'never',
          spanNulls: false,
          stacking: { mode: stack, group: 'A' },
        } + custom,
        color: { mode: 'palette-classic' },
      } + defaults,
      overrides: overrides,
    },
    options: legendOptions,
  };

local stat(id, title, description, gridPos, unit, targets, colorMode='background',
           textMode='value_and_name', defaults={}, overrides=[]) =
  panel(id, 'stat', title, description, gridPos, targets) {
    fieldConfig: { defaults: { unit: unit } + defaults, overrides: overrides },
    options: {
      colorMode: colorMode,
      graphMode: 'none',
      justifyMode: 'auto',
      textMode: textMode,
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      orientation: 'auto',
    },
  };

// A table of instant queries. columns: [label or 'Value #X', header] in display order; every
// other column is hidden. Several queries with the same labels are merged into one row each.
local table(id, title, description, gridPos, unit, targets, columns, sortBy, overrides=[]) =
  panel(id, 'table', title, description, gridPos, targets) {
    fieldConfig: {
      defaults: { unit: unit, custom: { align: 'auto', filterable: true } },
      overrides: overrides,
    },
    options: { showHeader: true, sortBy: [{ displayName: sortBy[0], desc: sortBy[1] }] },
    transformations:
      (if std.length(targets) > 1 then [{ id: 'merge', options: {} }] else [])
      + [{
        id: 'filterFieldsByName',
        options: { include: { names: [col[0] for col in columns] } },
      }, {
        id: 'organize',
        options: {
          // Only the listed columns show: Time, job, __name__ and the like are left out.
          excludeByName: {},
          indexByName: { [columns[i][0]]: i for i in std.range(0, std.length(columns) - 1) },
          renameByName: { [col[0]]: col[1] for col in columns },
        },
      }],
  };

local fixedColor(name, color) = {
  matcher: { id: 'byName', options: name },
  properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: color } }],
};

local valueMappings(pairs) = [{
  type: 'value',
  options: { [p[0]]: { text: p[1], color: p[2] } for p in pairs },
}];

{
  _config+:: {
    dashboardTitle: 'SWR image sync',
    dashboardTags: ['swr', 'huawei-cloud', 'swr-sync-exporter'],
    dashboardRefresh: '1m',
    dashboardTimeFrom: 'now-24h',
    // Per-destination and per-organization/region panels show only this many series (the worst).
    dashboardTopK: 10,
    // The window of "Error budget remaining": the SLO period the burn rates are relative to.
    errorBudgetPeriod: '30d',
  },

  local c = $._config,
  local cl = c.clusterLabel,
  local topk = c.dashboardTopK,

  // by()/on() label lists, the cluster label first when there is one.
  local by(labels) = std.join(', ', (if cl == '' then [] else [cl]) + labels),
  local destLabels = ['organization', 'repository', 'target_region', 'target_organization'],
  local ji = by(['job', 'instance']),
  local jiDest = by(['job', 'instance'] + destLabels),
  local dest = by(destLabels),
  local orgRegion = by(['organization', 'target_region']),

  // Label matchers of the template variables, in the order the queries write them.
  local clusterMatch = if cl == '' then [] else [cl + '=~"$cluster"'],
  local sel(extra=[], org=false, repo=false, region=false) =
    '{' + std.join(', ', extra + clusterMatch + ['job=~"$job"', 'instance=~"$instance"']
                         + (if org then ['organization=~"$organization"'] else [])
                         + (if repo then ['repository=~"$repository"'] else [])
                         + (if region then ['target_region=~"$target_region"'] else [])) + '}',
  local destSel(extra=[]) = sel(extra, org=true, repo=true, region=true),
  // Recorded per organization and region: no job, instance or repository label.
  local orgRegionSel = '{' + std.join(', ', clusterMatch + ['organization=~"$organization"', 'target_region=~"$target_region"']) + '}',

  local legendPrefix = if cl == '' then '' else '{{%s}} ' % cl,
  local destLegend = legendPrefix + '{{organization}}/{{repository}} -> {{target_region}}/{{target_organization}}',
  local orgRegionLegend = legendPrefix + '{{organization}} -> {{target_region}}',
  local instanceLegend = legendPrefix + '{{instance}}',
  local restartGuard = 'unless on (%s) instance:swr_exporter_restarted:15m' % ji,

  // Data links: this dashboard filtered on a row's organization (and repository), keeping the
  // time range and the data source.
  local dashboardLink(title, vars) = {
    title: title,
    url: '/d/%s/swr-sync?${__url_time_range}&${datasource:queryparam}' % c.dashboardUid
         + std.join('', ['&var-%s=${__data.fields.%s}' % [v, v] for v in vars]),
  },
  local linkColumns = [
    {
      matcher: { id: 'byName', options: 'organization' },
      properties: [{ id: 'links', value: [dashboardLink('Show organization ${__data.fields.organization}', ['organization'])] }],
    },
    {
      matcher: { id: 'byName', options: 'repository' },
      properties: [{ id: 'links', value: [dashboardLink('Show ${__data.fields.organization}/${__data.fields.repository}', ['organization', 'repository'])] }],
    },
  ],
  local destColumns(header=[]) =
    (if cl == '' then [] else [[cl, cl]])
    + [['organization', 'organization'], ['repository', 'repository'],
       ['target_region', 'target region'], ['target_organization', 'target organization']]
    + header,

  // The newest job's tag joined to a per-destination series.
  local withNewestTag(expr) =
    '%s * on (%s) group_left (tag) topk by (%s) (1, swr_sync_latest_job_info%s)'
    % [expr, jiDest, jiDest, destSel()],
  local unrecovered = 'destination_status:swr_sync_last_finished_timestamp_seconds:unrecovered' + destSel(),

  local errorBudget(w) = |||
    1 - (
        1 - sum_over_time(organization_target_region:swr_sync_jobs_good:rate5m%(s)s[%(w)s])
          / (sum_over_time(organization_target_region:swr_sync_jobs_finished:rate5m%(s)s[%(w)s]) > 0)
      ) / on () group_left () (1 - swr_sync:slo_objective:ratio)
  ||| % { s: orgRegionSel, w: w },

  local panels = [
    row(1, 'Sync jobs', 0),
    table(
      2, 'Failing destinations',
      "Destinations whose newest finished job failed or timed out, with no success since (the same series SwrSyncJobFailed and SwrSyncJobTimedOut read): they have been failing since some time after 'Last success' (empty: never succeeded). 'Failed at' is when the newest failure ended; 'newest tag' is the tag of the destination's newest job. Click an organization or repository to filter this dashboard on it.",
      [0, 1, 24, 8], 'dateTimeAsIso',
      [
        tableTarget('max by (%s, status, tag) (%s) * 1000' % [dest, withNewestTag(unrecovered)]),
        tableTarget('max by (%s, status, tag) (%s) * 1000'
                    % [dest, withNewestTag('(%s * 0 + on (%s) group_left () max by (%s) (swr_sync_last_finished_timestamp_seconds%s))'
                                           % [unrecovered, jiDest, jiDest, destSel(['status=~"success|existed"'])])], 'B'),
      ],
      destColumns([['status', 'status'], ['tag', 'newest tag'], ['Value #A', 'Failed at'], ['Value #B', 'Last success']]),
      ['Failed at', true],
      overrides=linkColumns,
    ),
    timeseries(
      3, 'Failed and timed-out jobs',
      "Jobs that ended failed or timed out, per minute, from the duration histogram's counts (each job counted once, when the exporter first sees it final), for the %d organizations and regions with the most. An exporter's first 15 minutes after a restart are left out: it re-observes every job the API still lists. The histogram carries organization and target_region only, so the repository filter does not apply." % topk,
      [0, 9, 12, 8], 'opm',
      [target('topk(%d, sum by (%s, status) (rate(swr_sync_job_duration_seconds_count%s[$__rate_interval]) %s) * 60)'
              % [topk, orgRegion, sel(['status=~"failed|timeout"'], org=true, region=true), restartGuard],
              orgRegionLegend + ' {{status}}')],
      draw='bars', fill=80,
    ),
    timeseries(
      4, 'Jobs by status', 'Sync jobs the SWR API lists now, by status (swr_sync_jobs).',
      [12, 9, 12, 8], 'short',
      [target('sum by (%s) (swr_sync_jobs%s)' % [by(['status']), destSel()], legendPrefix + '{{status}}')],
      fill=60, stack='normal',
      overrides=[
        fixedColor('success', 'green'),
        fixedColor('existed', 'blue'),
        fixedColor('failed', 'red'),
        fixedColor('timeout', 'orange'),
        fixedColor('running', 'yellow'),
        fixedColor('waiting', 'purple'),
        fixedColor('cancel', 'text'),
      ],
    ),
    timeseries(
      5, 'Oldest pending job age',
      'Age of the oldest job still waiting or running, for the %d destinations where it is oldest. SwrSyncJobPendingTooLong fires above %d s.' % [topk, c.pendingTooLongSeconds],
      [0, 17, 12, 8], 's',
      [target('topk(%d, max by (%s) (time() - swr_sync_oldest_pending_job_created_timestamp_seconds%s))' % [topk, dest, destSel()],
              destLegend)],
      custom={ thresholdsStyle: { mode: 'line' } },
      defaults={ thresholds: thresholds([['green', null], ['red', c.pendingTooLongSeconds]]) },
    ),
    table(
      6, 'Longest without a success',
      'The %d destinations whose newest job that ended success or existed is oldest, and how long ago it ended. SwrSyncDestinationOutOfDate fires above %d s when newer jobs failed or are pending.' % [2 * topk, c.destinationOutOfDateSeconds],
      [12, 17, 12, 8], 's',
      [tableTarget('topk(%d, time() - max by (%s) (swr_sync_last_finished_timestamp_seconds%s))'
                   % [2 * topk, dest, destSel(['status=~"success|existed"'])])],
      destColumns([['Value', 'since last success']]),
      ['since last success', true],
      overrides=linkColumns,
    ),

    row(7, 'Service level (objective in swr_sync:slo_objective:ratio)', 25),
    timeseries(
      8, 'Success ratio (SLI)',
      'Share of finished jobs (success, existed, failed, timeout; cancel left out) that succeeded or existed, for the %d organizations and regions with the lowest, from the recording rules. The dashed line is the objective.' % topk,
      [0, 26, 6, 8], 'percentunit',
      [
        target('bottomk(%d, organization_target_region:swr_sync_job_success:ratio_rate1h%s)' % [topk, orgRegionSel], orgRegionLegend + ' 1h'),
        target('bottomk(%d, organization_target_region:swr_sync_job_success:ratio_rate1d%s)' % [topk, orgRegionSel], orgRegionLegend + ' 1d', 'B'),
        target('swr_sync:slo_objective:ratio', 'objective', 'C'),
      ],
      defaults={ min: 0, max: 1 },
      overrides=[{
        matcher: { id: 'byName', options: 'objective' },
        properties: [
          { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
          { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } },
        ],
      }],
    ),
    timeseries(
      9, 'Error budget burn rate',
      'How fast failures spend the error budget, for the %d organizations and regions burning fastest: 1 spends it exactly over the SLO period. Pages at 14.4 (1h and 5m) or 6 (6h and 30m); tickets at 3 (1d and 2h) or 1 (3d and 6h).' % topk,
      [6, 26, 6, 8], 'short',
      [
        target('topk(%d, organization_target_region:swr_sync_job_error_budget:burnrate%s%s)' % [topk, w[0], orgRegionSel],
               orgRegionLegend + ' ' + w[0], w[1])
        for w in [['1h', 'A'], ['6h', 'B'], ['1d', 'C'], ['3d', 'D']]
      ],
      custom={ thresholdsStyle: { mode: 'line' } },
      defaults={ min: 0, thresholds: thresholds([['green', null], ['orange', 1], ['red', 14.4]]) },
    ),
    panel(
      10, 'bargauge', 'Error budget remaining (%s)' % c.errorBudgetPeriod,
      'Share of the error budget left over the last %(w)s, for the %(k)d organizations and regions with the least: 1 - (1 - success ratio over %(w)s) / (1 - objective), the objective from swr_sync:slo_objective:ratio. Below 0 the budget is spent (-100%% is twice the budget). Counts from the recording rules, so a Prometheus with less history than %(w)s shows what it has.' % { w: c.errorBudgetPeriod, k: topk },
      [12, 26, 6, 8],
      [instantTarget('bottomk(%d, %s)' % [topk, std.rstripChars(errorBudget(c.errorBudgetPeriod), '\n')], orgRegionLegend)],
    ) {
      fieldConfig: {
        defaults: {
          unit: 'percentunit',
          min: -1,
          max: 1,
          thresholds: thresholds([['red', null], ['orange', 0], ['green', 0.25]]),
        },
        overrides: [],
      },
      options: {
        displayMode: 'gradient',
        orientation: 'horizontal',
        showUnfilled: true,
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      },
    },
    timeseries(
      11, 'Successful jobs within %d s' % c.latencyThresholdSeconds,
      'Share of successful jobs that took at most %d s (that bucket of the duration histogram), for the %d organizations and regions with the lowest, from the recording rules.' % [c.latencyThresholdSeconds, topk],
      [18, 26, 6, 8], 'percentunit',
      [
        target('bottomk(%d, organization_target_region:swr_sync_job_fast:ratio_rate1h%s)' % [topk, orgRegionSel], orgRegionLegend + ' 1h'),
        target('bottomk(%d, organization_target_region:swr_sync_job_fast:ratio_rate1d%s)' % [topk, orgRegionSel], orgRegionLegend + ' 1d', 'B'),
      ],
      defaults={ min: 0, max: 1 },
    ),

    row(12, 'Durations (updatedAt - createdAt of finished jobs)', 34),
    timeseries(
      13, 'Sync duration percentiles (success)',
      'Percentiles of the duration of successful jobs, estimated from the histogram buckets (1 s to 2 h). The repository filter does not apply.',
      [0, 35, 12, 8], 's',
      [
        target('histogram_quantile(%s, sum by (%s) (rate(swr_sync_job_duration_seconds_bucket%s[$__rate_interval]) %s))'
               % [q[0], by(['le']), sel(['status="success"'], org=true, region=true), restartGuard], legendPrefix + q[1], q[2])
        for q in [['0.5', 'p50', 'A'], ['0.9', 'p90', 'B'], ['0.99', 'p99', 'C']]
      ],
    ),
    panel(
      14, 'heatmap', 'Sync duration heatmap',
      'Finished jobs per duration bucket and time interval, every final status, summed over the clusters, jobs and instances selected. The repository filter does not apply.',
      [12, 35, 12, 8],
      [target('sum by (le) (increase(swr_sync_job_duration_seconds_bucket%s[$__rate_interval]) %s)'
              % [sel(org=true, region=true), restartGuard], '{{le}}') { format: 'heatmap' }],
    ) {
      fieldConfig: {
        defaults: {
          unit: 'short',
          custom: {
            hideFrom: { legend: false, tooltip: false, viz: false },
            scaleDistribution: { type: 'linear' },
          },
        },
        overrides: [],
      },
      options: {
        calculate: false,
        cellGap: 1,
        color: { mode: 'scheme', scheme: 'Oranges', scale: 'exponential', exponent: 0.5, steps: 64, fill: 'dark-orange', reverse: false },
        exemplars: { color: 'rgba(255,0,255,0.7)' },
        filterValues: { le: 1e-09 },
        legend: { show: true },
        rowsFrame: { layout: 'le' },
        tooltip: { show: true, yHistogram: false },
        yAxis: { axisPlacement: 'left', reverse: false, unit: 's' },
        cellValues: { unit: 'short' },
      },
    },

    row(15, 'Exporter health', 43),
    stat(
      16, 'Polling',
      'swr_up: 1 if the last poll cycle fetched every repository (0 until the first cycle ends); and how many repositories failed their last fetch.',
      [0, 44, 6, 4], 'none',
      [
        instantTarget('min(swr_up%s)' % sel(), 'last cycle'),
        instantTarget('count(swr_exporter_repository_up%s == 0) or vector(0)' % sel(), 'repositories down', 'B'),
      ],
      defaults={
        thresholds: thresholds([['red', null], ['green', 1]]),
        mappings: valueMappings([['0', 'FAILING', 'red'], ['1', 'OK', 'green']]),
      },
      overrides=[{
        matcher: { id: 'byName', options: 'repositories down' },
        properties: [
          { id: 'mappings', value: [] },
          { id: 'thresholds', value: thresholds([['green', null], ['red', 1]]) },
        ],
      }],
    ),
    stat(
      17, 'Credentials',
      'swr_exporter_credentials_refused: 1 while the last attempt to authenticate was refused (IAM answered 401/403, or SWR refused the signature or token); SwrExporterCredentialsRefused fires on it.',
      [6, 44, 6, 4], 'none',
      [instantTarget('max by (%s) (swr_exporter_credentials_refused%s)' % [ji, sel()], instanceLegend)],
      defaults={
        thresholds: thresholds([['green', null], ['red', 1]]),
        mappings: valueMappings([['0', 'ACCEPTED', 'green'], ['1', 'REFUSED', 'red']]),
      },
    ),
    stat(
      18, 'Credentials expire in',
      'Time left on the IAM token (password and token auth) or on the temporary keys of metadata auth; nothing with AK/SK. The exporter renews them well before; SwrExporterTokenExpiringSoon fires under %d s.' % c.tokenExpiryWarningSeconds,
      [12, 44, 6, 4], 's',
      [instantTarget('min(swr_exporter_token_expiry_timestamp_seconds%s) - time()' % sel())],
      colorMode='value', textMode='auto',
      defaults={ thresholds: thresholds([['red', null], ['orange', c.tokenExpiryWarningSeconds], ['green', 3 * c.tokenExpiryWarningSeconds]]) },
    ),
    stat(
      19, 'Configuration reload',
      'swr_exporter_config_last_reload_successful: whether the last reload of the configuration file (SIGHUP or POST /-/reload) worked; a refused file leaves the old configuration running. SwrExporterConfigReloadFailed fires on it.',
      [18, 44, 6, 4], 'none',
      [instantTarget('min by (%s) (swr_exporter_config_last_reload_successful%s)' % [ji, sel()], instanceLegend)],
      defaults={
        thresholds: thresholds([['red', null], ['green', 1]]),
        mappings: valueMappings([['0', 'FAILED', 'red'], ['1', 'OK', 'green']]),
      },
    ),
    table(
      20, 'Exporters',
      'Each exporter: its version and revision (swr_exporter_build_info), its shard of the repositories (swr_exporter_shard_ordinal of swr_exporter_total_shards) and when its configuration was last loaded.',
      [0, 48, 12, 6], 'none',
      [
        tableTarget('max by (%s, version, revision) (swr_exporter_build_info%s)' % [ji, sel()]),
        tableTarget('max by (%s, version, revision) (swr_exporter_shard_ordinal%s * on (%s) group_left (version, revision) swr_exporter_build_info%s)' % [ji, sel(), ji, sel()], 'B'),
        tableTarget('max by (%s, version, revision) (swr_exporter_total_shards%s * on (%s) group_left (version, revision) swr_exporter_build_info%s)' % [ji, sel(), ji, sel()], 'C'),
        tableTarget('max by (%s, version, revision) (swr_exporter_config_last_reload_success_timestamp_seconds%s * on (%s) group_left (version, revision) swr_exporter_build_info%s) * 1000' % [ji, sel(), ji, sel()], 'D'),
      ],
      (if cl == '' then [] else [[cl, cl]])
      + [['job', 'job'], ['instance', 'instance'], ['version', 'version'], ['revision', 'revision'],
         ['Value #B', 'shard'], ['Value #C', 'of shards'], ['Value #D', 'configuration loaded']],
      ['instance', false],
      overrides=[{
        matcher: { id: 'byName', options: 'configuration loaded' },
        properties: [{ id: 'unit', value: 'dateTimeAsIso' }],
      }],
    ),
    stat(
      21, 'Shards reporting',
      'Shards of each job that report (swr_exporter_shard_ordinal), out of swr_exporter_total_shards: fewer leaves part of the repositories unwatched (SwrExporterShardMissing).',
      [12, 48, 6, 6], 'none',
      [
        instantTarget('count by (%s) (swr_exporter_shard_ordinal%s)' % [by(['job']), sel()], legendPrefix + '{{job}} reporting'),
        instantTarget('max by (%s) (swr_exporter_total_shards%s)' % [by(['job']), sel()], legendPrefix + '{{job}} total', 'B'),
      ],
      colorMode='value',
      defaults={ thresholds: thresholds([['blue', null]]) },
    ),
    stat(
      22, 'Initial pass',
      'swr_exporter_initial_pass_complete: whether every repository has been read at least once since the exporter started. Until then the exporter serves what it has read so far; the repositories not read yet have no series, and SwrExporterPollFailing and SwrExporterDataStale hold back while the pass moves.',
      [18, 48, 6, 6], 'none',
      [instantTarget('swr_exporter_initial_pass_complete' + sel(), instanceLegend)],
      defaults={
        thresholds: thresholds([['orange', null], ['green', 1]]),
        mappings: valueMappings([['0', 'IN PROGRESS', 'orange'], ['1', 'COMPLETE', 'green']]),
      },
    ),
    timeseries(
      23, 'Data age',
      'Time since the last poll cycle ended and since the last one that fetched every repository. SwrExporterDataStale fires when the first passes %d poll intervals (at least %d s).' % [c.staleIntervals, c.staleMinSeconds],
      [0, 54, 12, 8], 's',
      [
        target('time() - swr_exporter_last_cycle_timestamp_seconds' + sel(), 'last cycle ' + instanceLegend),
        target('time() - swr_exporter_last_success_timestamp_seconds' + sel(), 'last full success ' + instanceLegend, 'B'),
      ],
    ),
    timeseries(
      24, 'Poll cycle duration and interval',
      'Length of the last poll cycle against the configured interval (scrape.interval, dashed): a cycle longer than the interval delays the next one.',
      [12, 54, 12, 8], 's',
      [
        target('swr_exporter_cycle_duration_seconds' + sel(), 'cycle ' + instanceLegend),
        target('swr_exporter_poll_interval_seconds' + sel(), 'interval ' + instanceLegend, 'B'),
      ],
      overrides=[{
        matcher: { id: 'byFrameRefID', options: 'B' },
        properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }],
      }],
    ),
    timeseries(
      25, 'Request rate and rate limit',
      "Requests to Huawei Cloud per second, against the rate limiter's current rate (swr_exporter_rate_limit_requests_per_second: it halves on throttling and climbs back to scrape.max_requests_per_second) and that rate's highest value over the last day (dashed: the configured rate, unless throttled all day).",
      [0, 62, 8, 8], 'reqps',
      [
        target('sum by (%s) (rate(swr_exporter_api_requests_total%s[$__rate_interval]))' % [ji, sel()], 'requests ' + instanceLegend),
        target('swr_exporter_rate_limit_requests_per_second' + sel(), 'limit ' + instanceLegend, 'B'),
        target('max_over_time(swr_exporter_rate_limit_requests_per_second%s[1d])' % sel(), 'limit, highest over 1d ' + instanceLegend, 'C'),
      ],
      overrides=[{
        matcher: { id: 'byFrameRefID', options: 'C' },
        properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }],
      }],
    ),
    timeseries(
      26, 'API requests by code',
      'Requests to Huawei Cloud per second, by API and HTTP status ("network" when no answer came).',
      [8, 62, 8, 8], 'reqps',
      [target('sum by (%s) (rate(swr_exporter_api_requests_total%s[$__rate_interval]))' % [by(['api', 'code']), sel()], legendPrefix + '{{api}} {{code}}')],
    ),
    timeseries(
      27, 'Throttled requests (429)',
      'Share of the requests Huawei Cloud refused with 429 Too Many Requests. SwrExporterThrottled fires when it stays above %g for 15 minutes.' % c.throttledRatio,
      [16, 62, 8, 8], 'percentunit',
      [target('sum by (%s) (rate(swr_exporter_api_requests_total%s[$__rate_interval])) / (sum by (%s) (rate(swr_exporter_api_requests_total%s[$__rate_interval])) > 0)'
              % [by(['job', 'instance', 'api']), sel(['code="429"']), by(['job', 'instance', 'api']), sel()], legendPrefix + '{{instance}} {{api}}')],
      draw='bars', fill=80,
      custom={ thresholdsStyle: { mode: 'line' } },
      defaults={ min: 0, max: 1, thresholds: thresholds([['green', null], ['red', c.throttledRatio]]) },
    ),
    timeseries(
      28, 'API latency (p90)', '90th percentile of request latency by API.',
      [0, 70, 6, 8], 's',
      [target('histogram_quantile(0.9, sum by (%s) (rate(swr_exporter_api_request_duration_seconds_bucket%s[$__rate_interval])))' % [by(['le', 'api']), sel()], legendPrefix + '{{api}}')],
    ),
    timeseries(
      29, 'CPU', 'CPU time the exporter used per second (1 = one core).',
      [6, 70, 6, 8], 'percentunit',
      [target('rate(process_cpu_seconds_total%s[$__rate_interval])' % sel(), instanceLegend)],
      defaults={ min: 0 },
    ),
    timeseries(
      30, 'Resident memory', "The exporter's resident memory (about 50 bytes per tracked job above an idle 15 MiB).",
      [12, 70, 6, 8], 'bytes',
      [target('process_resident_memory_bytes' + sel(), instanceLegend)],
      defaults={ min: 0 },
    ),
    timeseries(
      31, 'Open file descriptors', 'File descriptors the exporter holds open, against its limit (dashed).',
      [18, 70, 6, 8], 'short',
      [
        target('process_open_fds' + sel(), 'open ' + instanceLegend),
        target('process_max_fds' + sel(), 'limit ' + instanceLegend, 'B'),
      ],
      defaults={ min: 0 },
      overrides=[{
        matcher: { id: 'byFrameRefID', options: 'B' },
        properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }],
      }],
    ),

    row(32, 'Change-driven polling', 78),
    timeseries(
      33, 'Repository reads by reason',
      'Sync-job reads per second, by why the cycle read the repository: new (not read yet: the first pass), changed (its listing entry moved: a push), pending (waiting or running jobs), retry (the last read failed), recheck (the sweep of quiet repositories), fallback (no usable listing entry: read every cycle).',
      [0, 79, 24, 8], 'rps',
      [target('sum by (%s) (rate(swr_exporter_repository_reads_total%s[$__rate_interval]))' % [by(['reason']), sel()], legendPrefix + '{{reason}}')],
      draw='bars', fill=80, stack='normal',
    ),
    timeseries(
      34, 'Repositories skipped',
      'Repositories the last cycle did not need to read: quiet in the listing, nothing pending, no failed read, not yet due in the recheck sweep.',
      [0, 87, 12, 8], 'short',
      [target('swr_exporter_repositories_skipped' + sel(), instanceLegend)],
    ),
    timeseries(
      35, 'Oldest repository read age',
      "How old the stalest repository's data is (a repository never read counts from when the exporter first knew it). The recheck sweep keeps it under scrape.recheck_interval (default 15m) plus one interval when the request budget allows; the dashed line is 16 minutes (the defaults). Above it for long: the budget (scrape.max_requests_per_second) cannot keep up, or repositories fail (see Polling).",
      [12, 87, 12, 8], 's',
      [target('swr_exporter_oldest_repository_read_age_seconds' + sel(), instanceLegend)],
      custom={ thresholdsStyle: { mode: 'dashed' } },
      defaults={ thresholds: thresholds([['green', null], ['orange', 960]]) },
    ),
  ],

  local queryVariable(name, label, query) = {
    name: name,
    label: label,
    type: 'query',
    datasource: ds,
    query: { query: query, refId: name + '-query' },
    definition: query,
    refresh: 2,
    sort: 1,
    multi: true,
    includeAll: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    hide: 0,
    regex: '',
    options: [],
  },
  local upSel(extra=[]) = '{' + std.join(', ', [c.selector] + extra) + '}',

  local templating =
    [{
      name: 'datasource',
      label: 'Data source',
      type: 'datasource',
      query: 'prometheus',
      current: {},
      hide: 0,
      includeAll: false,
      multi: false,
      options: [],
      refresh: 1,
      regex: '',
    }]
    + (if cl == '' then [] else [queryVariable('cluster', 'Cluster', 'label_values(swr_up%s, %s)' % [upSel(), cl])])
    + [
      queryVariable('job', 'Job', 'label_values(swr_up%s, job)' % upSel(clusterMatch)),
      queryVariable('instance', 'Instance', 'label_values(swr_up%s, instance)' % upSel(clusterMatch + ['job=~"$job"'])),
      queryVariable('organization', 'Organization', 'label_values(swr_sync_jobs%s, organization)' % sel()),
      queryVariable('repository', 'Repository', 'label_values(swr_sync_jobs%s, repository)' % sel(org=true)),
      queryVariable('target_region', 'Destination region', 'label_values(swr_sync_jobs%s, target_region)' % sel(org=true, repo=true)),
    ],

  // Firing alerts of this mixin as annotations, narrowed by the variables (an alert without one
  // of the labels still shows while that variable is All).
  local alertAnnotation = {
    name: 'Firing alerts',
    datasource: ds,
    enable: true,
    hide: false,
    iconColor: 'red',
    expr: 'ALERTS{alertstate="firing", alertname=~"Swr.*", %s}'
          % std.join(', ', clusterMatch + ['job=~"$job"', 'instance=~"$instance"', 'organization=~"$organization"',
                                           'repository=~"$repository"', 'target_region=~"$target_region"']),
    step: '1m',
    titleFormat: '{{alertname}} ({{severity}})',
    textFormat: '{{organization}}/{{repository}} -> {{target_region}}/{{target_organization}} {{instance}}',
    tagKeys: 'alertname,severity',
    useValueForTime: false,
  },

  grafanaDashboards+:: {
    'swr-sync.json': {
      uid: c.dashboardUid,
      title: c.dashboardTitle,
      description: 'Huawei Cloud SWR image auto-sync jobs, from swr-sync-exporter. Generated from config/mixin/ (alerts and recording rules: config/prometheus/; runbook: docs/runbook.md).',
      tags: c.dashboardTags,
      timezone: 'browser',
      editable: true,
      graphTooltip: 1,
      schemaVersion: 38,
      version: 1,
      refresh: c.dashboardRefresh,
      time: { from: c.dashboardTimeFrom, to: 'now' },
      timepicker: {},
      fiscalYearStartMonth: 0,
      liveNow: false,
      weekStart: '',
      links: [{
        title: 'Runbook',
        type: 'link',
        url: c.runbookUrlBase,
        targetBlank: true,
        icon: 'doc',
        tooltip: '',
        asDropdown: false,
        includeVars: false,
        keepTime: false,
        tags: [],
      }],
      annotations: {
        list: [
          {
            builtIn: 1,
            datasource: { type: 'grafana', uid: '-- Grafana --' },
            enable: true,
            hide: true,
            iconColor: 'rgba(0, 211, 255, 1)',
            name: 'Annotations & Alerts',
            type: 'dashboard',
          },
          alertAnnotation,
        ],
      },
      templating: { list: templating },
      panels: panels,
    },
  },
}
