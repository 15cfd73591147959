// The Grafana dashboard "SWR image sync" (uid swr-sync), in plain jsonnet (no grafonnet).
// Evaluates to { grafanaDashboards+:: { 'swr-sync.json': ... } } reading $._config.
local ds = { type: 'prometheus', uid: '${datasource}' };

// Label matchers of the template variables, in the order the queries write them.
local m = {
  job: 'job=~"$job"',
  instance: 'instance=~"$instance"',
  organization: 'organization=~"$organization"',
  repository: 'repository=~"$repository"',
  target_region: 'target_region=~"$target_region"',
};

// {extra..., job, instance[, organization][, repository][, target_region]}
local sel(extra=[], org=false, repo=false, region=false) =
  '{' + std.join(', ', extra + [m.job, m.instance]
                       + (if org then [m.organization] else [])
                       + (if repo then [m.repository] else [])
                       + (if region then [m.target_region] else [])) + '}';
local destSel(extra=[]) = sel(extra, org=true, repo=true, region=true);
local orgRegionSel = '{' + m.organization + ', ' + m.target_region + '}';

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

local fixedColor(name, color) = {
  matcher: { id: 'byName', options: name },
  properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: color } }],
};

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
};

local destLegend = '{{organization}}/{{repository}} -> {{target_region}}/{{target_organization}}';
local orgRegionLegend = '{{organization}} -> {{target_region}}';
local restartGuard = 'unless on (job, instance) instance:swr_exporter_restarted:15m';

{
  _config+:: {
    dashboardUid: if 'dashboardUid' in super then super.dashboardUid else 'swr-sync',
    dashboardTitle: 'SWR image sync',
    dashboardTags: ['swr', 'huawei-cloud', 'swr-sync-exporter'],
    dashboardRefresh: '1m',
    dashboardTimeFrom: 'now-24h',
    runbookURL: 'https://github.com/swr-sync-exporter/swr-sync-exporter/blob/main/docs/runbook.md',
  },

  local c = $._config,

  local panels = [
    row(1, 'Sync jobs', 0),
    timeseries(
      2, 'Failed and timed-out jobs',
      "Jobs that ended failed or timed out, per minute, from the duration histogram's counts (each job counted once, when the exporter first sees it final). An exporter's first 15 minutes after a restart are left out: it re-observes every job the API still lists. The histogram carries organization and target_region only, so the repository filter does not apply.",
      [0, 1, 12, 8], 'opm',
      [target('sum by (organization, target_region, status) (rate(swr_sync_job_duration_seconds_count%s[$__rate_interval]) %s) * 60'
              % [sel(['status=~"failed|timeout"'], org=true, region=true), restartGuard],
              orgRegionLegend + ' {{status}}')],
      draw='bars', fill=80,
    ),
    timeseries(
      3, 'Jobs by status', 'Sync jobs the SWR API lists now, by status (swr_sync_jobs).',
      [12, 1, 12, 8], 'short',
      [target('sum by (status) (swr_sync_jobs%s)' % destSel(), '{{status}}')],
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
      4, 'Oldest pending job age',
      'Age of the oldest job still waiting or running, per destination. SwrSyncJobPendingTooLong fires above 30 minutes.',
      [0, 9, 12, 8], 's',
      [target('max by (organization, repository, target_region, target_organization) (time() - swr_sync_oldest_pending_job_created_timestamp_seconds%s)' % destSel(),
              destLegend)],
      custom={ thresholdsStyle: { mode: 'line' } },
      defaults={ thresholds: thresholds([['green', null], ['red', 1800]]) },
    ),
    timeseries(
      5, 'Time since last success',
      'Time since the newest job that ended success or existed, per destination. SwrSyncDestinationOutOfDate fires above 24h when newer jobs failed or are pending.',
      [12, 9, 12, 8], 's',
      [target('time() - max by (organization, repository, target_region, target_organization) (swr_sync_last_finished_timestamp_seconds%s)'
              % destSel(['status=~"success|existed"']), destLegend)],
      custom={ thresholdsStyle: { mode: 'line' } },
      defaults={ thresholds: thresholds([['green', null], ['red', 86400]]) },
    ),
    panel(
      6, 'table', 'Latest failed tags',
      'Destinations whose newest job failed or timed out, with its tag and when it ended.',
      [0, 17, 24, 8],
      [instantTarget('max by (organization, repository, target_region, target_organization, tag, status) (swr_sync_latest_job_info%s * on (job, instance, organization, repository, target_region, target_organization, status) group_left () swr_sync_last_finished_timestamp_seconds%s)'
                     % [destSel(['status=~"failed|timeout"']), destSel(['status=~"failed|timeout"'])]) { format: 'table' }],
    ) {
      fieldConfig: { defaults: { unit: 'dateTimeAsIso', custom: { align: 'auto' } }, overrides: [] },
      options: { showHeader: true, sortBy: [{ displayName: 'Ended at', desc: true }] },
      transformations: [{
        id: 'organize',
        options: {
          excludeByName: { Time: true },
          indexByName: { organization: 0, repository: 1, tag: 2, target_region: 3, target_organization: 4, status: 5, Value: 6 },
          renameByName: { Value: 'Ended at', target_region: 'destination region', target_organization: 'destination organization' },
        },
      }],
    },

    row(7, 'Service level (objective in swr_sync:slo_objective:ratio)', 25),
    timeseries(
      8, 'Success ratio (SLI)',
      'Share of finished jobs (success, existed, failed, timeout; cancel left out) that succeeded or existed, from the recording rules in config/prometheus/swr-sync-recording.yml. The dashed line is the objective.',
      [0, 26, 8, 8], 'percentunit',
      [
        target('organization_target_region:swr_sync_job_success:ratio_rate1h' + orgRegionSel, orgRegionLegend + ' 1h'),
        target('organization_target_region:swr_sync_job_success:ratio_rate1d' + orgRegionSel, orgRegionLegend + ' 1d', 'B'),
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
      'How fast failures spend the error budget: 1 spends it exactly over the SLO period. Pages at 14.4 (1h and 5m) or 6 (6h and 30m); tickets at 3 (1d and 2h) or 1 (3d and 6h).',
      [8, 26, 8, 8], 'short',
      [
        target('organization_target_region:swr_sync_job_error_budget:burnrate%s%s' % [w[0], orgRegionSel],
               orgRegionLegend + ' ' + w[0], w[1])
        for w in [['1h', 'A'], ['6h', 'B'], ['1d', 'C'], ['3d', 'D']]
      ],
      custom={ thresholdsStyle: { mode: 'line' } },
      defaults={ min: 0, thresholds: thresholds([['green', null], ['orange', 1], ['red', 14.4]]) },
    ),
    timeseries(
      10, 'Successful jobs within 10 minutes',
      'Share of successful jobs that took at most 600 s (the le="600" bucket), from the recording rules.',
      [16, 26, 8, 8], 'percentunit',
      [
        target('organization_target_region:swr_sync_job_fast:ratio_rate1h' + orgRegionSel, orgRegionLegend + ' 1h'),
        target('organization_target_region:swr_sync_job_fast:ratio_rate1d' + orgRegionSel, orgRegionLegend + ' 1d', 'B'),
      ],
      defaults={ min: 0, max: 1 },
    ),

    row(11, 'Durations (updatedAt - createdAt of finished jobs)', 34),
    timeseries(
      12, 'Sync duration percentiles (success)',
      'Percentiles of the duration of successful jobs, estimated from the histogram buckets (1 s to 2 h). The repository filter does not apply.',
      [0, 35, 12, 8], 's',
      [
        target('histogram_quantile(%s, sum by (le) (rate(swr_sync_job_duration_seconds_bucket%s[$__rate_interval]) %s))'
               % [q[0], sel(['status="success"'], org=true, region=true), restartGuard], q[1], q[2])
        for q in [['0.5', 'p50', 'A'], ['0.9', 'p90', 'B'], ['0.99', 'p99', 'C']]
      ],
    ),
    panel(
      13, 'heatmap', 'Sync duration heatmap',
      'Finished jobs per duration bucket and time interval, every final status. The repository filter does not apply.',
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

    row(14, 'Exporter health', 43),
    stat(
      15, 'Polling',
      'swr_up: 1 if the last poll cycle fetched every repository (0 until the first cycle ends); and how many repositories failed their last fetch.',
      [0, 44, 6, 4], 'none',
      [
        instantTarget('min(swr_up%s)' % sel(), 'last cycle'),
        instantTarget('count(swr_exporter_repository_up%s == 0) or vector(0)' % sel(), 'repositories down', 'B'),
      ],
      defaults={
        thresholds: thresholds([['red', null], ['green', 1]]),
        mappings: [{ type: 'value', options: { '0': { text: 'FAILING', color: 'red' }, '1': { text: 'OK', color: 'green' } } }],
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
      16, 'IAM token expires in',
      'Time left on the IAM token (password and token-file auth only; nothing with AK/SK). The exporter renews a token at 3/4 of its life; SwrExporterTokenExpiringSoon fires under 1h.',
      [6, 44, 6, 4], 's',
      [instantTarget('min(swr_exporter_token_expiry_timestamp_seconds%s) - time()' % sel())],
      colorMode='value', textMode='auto',
      defaults={ thresholds: thresholds([['red', null], ['orange', 3600], ['green', 21600]]) },
    ),
    timeseries(
      17, 'Data age',
      'Time since the last poll cycle ended and since the last one that fetched every repository. SwrExporterDataStale fires when the first passes 10 minutes.',
      [12, 44, 12, 8], 's',
      [
        target('time() - swr_exporter_last_cycle_timestamp_seconds' + sel(), 'last cycle {{instance}}'),
        target('time() - swr_exporter_last_success_timestamp_seconds' + sel(), 'last full success {{instance}}', 'B'),
      ],
    ),
    timeseries(
      18, 'Poll cycle duration', 'Length of the last poll cycle; keep it well under the polling interval.',
      [0, 48, 12, 4], 's',
      [target('swr_exporter_cycle_duration_seconds' + sel(), '{{instance}}')],
    ),
    timeseries(
      19, 'API requests by code',
      'Requests to Huawei Cloud per second, by API and HTTP status ("network" when no answer came).',
      [0, 52, 8, 8], 'reqps',
      [target('sum by (api, code) (rate(swr_exporter_api_requests_total%s[$__rate_interval]))' % sel(), '{{api}} {{code}}')],
    ),
    timeseries(
      20, 'Throttled requests (429)',
      'Requests Huawei Cloud refused with 429 Too Many Requests, per second. SwrExporterThrottled fires when they go on for 15 minutes.',
      [8, 52, 8, 8], 'reqps',
      [target('sum by (api) (rate(swr_exporter_api_requests_total%s[$__rate_interval]))' % sel(['code="429"']), '{{api}}')],
      draw='bars', fill=80,
    ),
    timeseries(
      21, 'API latency (p90)', '90th percentile of request latency by API.',
      [16, 52, 8, 8], 's',
      [target('histogram_quantile(0.9, sum by (le, api) (rate(swr_exporter_api_request_duration_seconds_bucket%s[$__rate_interval])))' % sel(), '{{api}}')],
    ),

    row(22, 'Change-driven polling', 60),
    stat(
      23, 'Initial pass',
      'swr_exporter_initial_pass_complete: whether every repository has been read at least once since the exporter started. Until then the exporter serves what it has read so far; the repositories not read yet have no series, and SwrExporterPollFailing and SwrExporterDataStale hold back while the pass moves.',
      [0, 61, 6, 8], 'none',
      [instantTarget('swr_exporter_initial_pass_complete' + sel(), '{{instance}}')],
      defaults={
        thresholds: thresholds([['orange', null], ['green', 1]]),
        mappings: [{ type: 'value', options: { '0': { text: 'IN PROGRESS', color: 'orange' }, '1': { text: 'COMPLETE', color: 'green' } } }],
      },
    ),
    timeseries(
      24, 'Repository reads by reason',
      'Sync-job reads per second, by why the cycle read the repository: new (not read yet: the first pass), changed (its listing entry moved: a push), pending (waiting or running jobs), retry (the last read failed), recheck (the sweep of quiet repositories), fallback (no usable listing entry: read every cycle).',
      [6, 61, 18, 8], 'rps',
      [target('sum by (reason) (rate(swr_exporter_repository_reads_total%s[$__rate_interval]))' % sel(), '{{reason}}')],
      draw='bars', fill=80, stack='normal',
    ),
    timeseries(
      25, 'Repositories skipped',
      'Repositories the last cycle did not need to read: quiet in the listing, nothing pending, no failed read, not yet due in the recheck sweep.',
      [0, 69, 12, 8], 'short',
      [target('swr_exporter_repositories_skipped' + sel(), '{{instance}}')],
    ),
    timeseries(
      26, 'Oldest repository read age',
      "How old the stalest repository's data is (a repository never read counts from when the exporter first knew it). The recheck sweep keeps it under scrape.recheck_interval (default 15m) plus one interval when the request budget allows; the dashed line is 16 minutes (the defaults). Above it for long: the budget (scrape.max_requests_per_second) cannot keep up, or repositories fail (see Polling).",
      [12, 69, 12, 8], 's',
      [target('swr_exporter_oldest_repository_read_age_seconds' + sel(), '{{instance}}')],
      custom={ thresholdsStyle: { mode: 'dashed' } },
      defaults={ thresholds: thresholds([['green', null], ['orange', 960]]) },
    ),
  ],

  local templating = [
    {
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
    },
    queryVariable('job', 'Job', 'label_values(swr_up, job)'),
    queryVariable('instance', 'Instance', 'label_values(swr_up{job=~"$job"}, instance)'),
    queryVariable('organization', 'Organization', 'label_values(swr_sync_jobs%s, organization)' % sel()),
    queryVariable('repository', 'Repository', 'label_values(swr_sync_jobs%s, repository)' % sel(org=true)),
    queryVariable('target_region', 'Destination region', 'label_values(swr_sync_jobs%s, target_region)' % sel(org=true, repo=true)),
  ],

  grafanaDashboards+:: {
    'swr-sync.json': {
      uid: c.dashboardUid,
      title: c.dashboardTitle,
      description: 'Huawei Cloud SWR image auto-sync jobs, from swr-sync-exporter. Alerts and recording rules: config/prometheus/; runbook: docs/runbook.md.',
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
        url: c.runbookURL,
        targetBlank: true,
        icon: 'doc',
        tooltip: '',
        asDropdown: false,
        includeVars: false,
        keepTime: false,
        tags: [],
      }],
      annotations: {
        list: [{
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        }],
      },
      templating: { list: templating },
      panels: panels,
    },
  },
}
