'use strict';
// The SDK's AKSKSigner referees every request the exporter signs. swr-sync-exporter --once
// (AK/SK with a project id) talks to swr-sim through lib/referee.js, which re-signs each request
// with the SDK and compares; swr-sim still verifies each one with the exporter's own signer.
// The world holds `team/app` (sent as team$app) and the non-ASCII organization équipe with its
// repository 镜像/应用, so paths carry `$` and UTF-8 and the repository listing's filter carries
// a non-ASCII value.

const assert = require('node:assert/strict');
const {after, before, test} = require('node:test');

const {ACCESS_KEY, SECRET_KEY, PROJECT_ID, REGION, workDir, startSim, runExporterOnce} =
    require('./lib/harness');
const {SigningReferee} = require('./lib/referee');
const {sdkSignable, sendSigned, swr, swrClient} = require('./lib/sdk');
const {WORLD, pathName} = require('./lib/world');

let dir;
let sim;
let referee;

before(async () => {
  dir = workDir('referee');
  sim = await startSim(dir, WORLD);
  referee = new SigningReferee(sim.url, SECRET_KEY);
  await referee.listen();
});

after(async () => {
  if (referee) await referee.close();
  if (sim) await sim.stop();
});

function assertAllAgree() {
  if (referee.mismatches.length > 0) {
    const {length} = referee.mismatches;
    const of = referee.verdicts.length;
    assert.fail(
        `${length} of ${of} requests disagree with the SDK's AKSKSigner:\n\n${referee.report()}`);
  }
}

// Which API each refereed request called.
function apiOf(verdict) {
  const path = verdict.path.replace(/\/$/, '');
  if (path === '/v2/manage/namespaces') return 'namespaces';
  if (path === '/v2/manage/repos') return 'repos';
  const m = /^\/v2\/manage\/namespaces\/[^/]+\/repos\/[^/]+\/(sync_job|sync_repo)$/.exec(path);
  return m ? m[1] : `other ${verdict.path}`;
}

const nonAscii = /[^\x00-\x7f]/;

test('the referee agrees with the SDK\'s own client', async () => {
  referee.verdicts.length = 0;
  const client = swrClient(referee.url);
  for (const repo of WORLD.repositories) {
    await client.showSyncJob(new swr.ShowSyncJobRequest()
                                 .withNamespace(repo.organization)
                                 .withRepository(pathName(repo.repository))
                                 .withFilter('limit::2|offset::0|order::desc'));
    await client.listImageAutoSyncReposDetails(new swr.ListImageAutoSyncReposDetailsRequest()
                                                   .withNamespace(repo.organization)
                                                   .withRepository(pathName(repo.repository)));
  }
  await client.listNamespaces(
      new swr.ListNamespacesRequest().withFilter('namespace::équipe|mode::visible'));
  await client.listReposDetails(
      new swr.ListReposDetailsRequest().withFilter('namespace::équipe|limit::10|offset::0'));
  assert.equal(referee.verdicts.length, 2 * WORLD.repositories.length + 2);
  assertAllAgree();
  assert.deepEqual(
      referee.verdicts.filter((v) => v.status !== 200).map((v) => `${v.status} ${v.target}`), []);
});

test('the referee catches a request changed after it was signed', async () => {
  referee.verdicts.length = 0;
  const signable = sdkSignable(
      referee.url, 'GET', '/v2/manage/namespaces/team-a/repos/team$app/sync_job',
      {filter: 'limit::2|offset::0'});
  const answer = await sendSigned(referee.url, signable, {
    tamper: (headers, target) => target.replace('offset%3A%3A0', 'offset%3A%3A2'),
  });
  assert.equal(referee.verdicts.length, 1);
  const [verdict] = referee.verdicts;
  assert.equal(verdict.outcome, 'mismatch');
  assert.match(verdict.detail, /the SDK's canonical request:\n.*\| GET\n/s);
  assert.match(verdict.detail, /filter=limit%3A%3A2%7Coffset%3A%3A2/);
  assert.ok(
      [401, 403].includes(answer.status),
      `swr-sim let the changed request through: ${answer.status}`);
  referee.verdicts.length = 0;
});

test('every request the exporter signs agrees with the SDK\'s AKSKSigner', async (t) => {
  referee.verdicts.length = 0;
  const once = await runExporterOnce(dir, `[huaweicloud]
region = "${REGION}"
swr_endpoint = "${referee.url}"
iam_endpoint = "${referee.url}"
project_id = "${PROJECT_ID}"

[auth]
method = "aksk"
access_key = "${ACCESS_KEY}"
secret_key = "${SECRET_KEY}"

# Small pages, so the sync_job listing pages through offsets; sync_repo asked for every repository.
[scrape]
page_size = 2
timeout = "20s"
max_requests_per_second = 1000

[discovery]
only_with_sync_rules = true
`);
  assert.equal(
      once.code, 0, `swr-sync-exporter --once exited ${once.code}:\n${once.stderr.slice(-3000)}`);
  for (const repo of WORLD.repositories) {
    assert.ok(
        once.stdout.includes(`repository="${repo.repository}"`),
        `the metrics have no series of ${repo.organization}/${repo.repository}`);
  }

  const verdicts = referee.verdicts;
  assert.ok(verdicts.length > 0, 'the exporter sent nothing through the referee');
  assertAllAgree();
  const failed =
      verdicts.filter((v) => v.status !== 200).map((v) => `${v.status} ${v.method} ${v.target}`);
  assert.deepEqual(failed, [], 'swr-sim refused requests the referee accepted');

  const calls = {};
  for (const v of verdicts) calls[apiOf(v)] = (calls[apiOf(v)] ?? 0) + 1;
  const signed = [...new Set(verdicts.map((v) => v.signedHeaders))].join(', ');
  const summary = JSON.stringify(calls);
  t.diagnostic(`${verdicts.length} requests refereed, all agreeing: ${summary}; signed: ${signed}`);
  for (const api of ['namespaces', 'repos', 'sync_repo', 'sync_job']) {
    assert.ok(calls[api] > 0, `no ${api} request among ${JSON.stringify(calls)}`);
  }
  const jobPaths = new Set(verdicts.filter((v) => apiOf(v) === 'sync_job').map((v) => v.path));
  for (const repo of WORLD.repositories) {
    const path =
        `/v2/manage/namespaces/${repo.organization}/repos/${pathName(repo.repository)}/sync_job`;
    assert.ok(
        jobPaths.has(path),
        `no sync_job request for ${repo.organization}/${repo.repository} (${path})`);
  }
  // Pages past the first: an offset other than 0 was signed.
  assert.ok(
      verdicts.some((v) => /offset::[1-9]/.test(v.query.filter ?? '')),
      'no sync_job page past the first');
  // UTF-8 in the path and in a query value.
  assert.ok(verdicts.some((v) => nonAscii.test(v.path)), 'no request with a non-ASCII path');
  assert.ok(
      verdicts.some((v) => Object.values(v.query).some((value) => nonAscii.test(value))),
      'no request with a non-ASCII query value');
});
