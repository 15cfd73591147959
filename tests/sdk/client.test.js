'use strict';
// swr-sim driven by Huawei's own SwrClient (AK/SK, project id, the sim's plain-HTTP URL as the
// endpoint), over the suite's world (lib/world.js): what the SDK sends must be accepted, and what
// swr-sim answers must fit the SDK's models, field by field, and the world the sim was given.

const assert = require('node:assert/strict');
const {after, before, test} = require('node:test');

const {WRONG_SECRET_KEY, workDir, startSim} = require('./lib/harness');
const {assertNoProblems, modelFields, modelProblems, sdkSignable, sendSigned, swr, swrClient} =
    require('./lib/sdk');
const {WORLD, organizations, pathName, repository} = require('./lib/world');

let sim;
let client;

before(async () => {
  sim = await startSim(workDir('client'), WORLD);
  client = swrClient(sim.url);
});

after(async () => {
  if (sim) await sim.stop();
});

// The SDK hands back the parsed JSON body itself (an array for these calls), with the headers it
// was asked to copy (Content-Range) and httpStatusCode set on it as properties.
function showSyncJob(organization, name, filter, sdk = client) {
  return sdk.showSyncJob(new swr.ShowSyncJobRequest()
                             .withNamespace(organization)
                             .withRepository(pathName(name))
                             .withFilter(filter));
}

function expectedJob(repo, job) {
  const fallback = repo.destinations[0];
  return {
    id: job.id,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    namespace: repo.organization,
    repoName: repo.repository,
    tag: job.tag,
    status: job.status,
    remoteRegionId: job.remoteRegionId ?? fallback.remoteRegionId,
    remoteNamespace: job.remoteNamespace ?? fallback.remoteNamespace,
    override: job.override ?? false,
  };
}

test(
    'ShowSyncJob: every SyncJob field, typed; Content-Range offset-count/total on every page',
    async () => {
      const fields = modelFields('SyncJob');
      assert.deepEqual(
          Object.keys(fields).sort(),
          [
            'createdAt', 'domainID', 'domainName', 'id', 'namespace', 'override', 'remoteNamespace',
            'remoteRegionId', 'repoName', 'status', 'syncOperatorId', 'syncOperatorName', 'tag',
            'updatedAt'
          ].sort(),
          'the SDK\'s SyncJob model changed: review the suite');
      const limit = 3;
      for (const repo of WORLD.repositories) {
        const where = `${repo.organization}/${repo.repository}`;
        const total = repo.jobs.length;
        const seen = [];
        for (let offset = 0; offset < total; offset += limit) {
          const page = await showSyncJob(
              repo.organization, repo.repository, `limit::${limit}|offset::${offset}`);
          assert.equal(page.httpStatusCode, 200);
          assert.ok(Array.isArray(page), `${where}: the body is not an array`);
          const count = Math.min(limit, total - offset);
          assert.equal(page.length, count, `${where} offset ${offset}: page size`);
          assert.equal(
              page['Content-Range'], `${offset}-${count}/${total}`,
              `${where} offset ${offset}: Content-Range`);
          assertNoProblems(modelProblems(page, fields, `${where} offset ${offset}`));
          for (const job of page)
            assert.ok(Number.isInteger(job.id), `${where}: id ${job.id} is not an integer`);
          seen.push(...page);
        }
        // Ascending by creation time by default; every field as the world has it.
        const byCreation =
            [...repo.jobs].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id - b.id);
        assert.deepEqual(
            seen.map((j) => {
              const picked = {};
              for (const key of Object.keys(expectedJob(repo, j))) picked[key] = j[key];
              return picked;
            }),
            byCreation.map((j) => expectedJob(repo, j)), `${where}: the jobs`);
      }
    });

test('ShowSyncJob with order::desc: newest first, the same Content-Range', async () => {
  const repo = repository('team-a', 'team/app');
  const page = await showSyncJob('team-a', 'team/app', 'limit::4|offset::0|order::desc');
  const ids =
      [...repo.jobs].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((j) => j.id);
  assert.deepEqual(page.map((j) => j.id), ids.slice(0, 4));
  assert.equal(page['Content-Range'], `0-4/${repo.jobs.length}`);
});

test(
    'ListNamespaces: every field of ShowNamespace, typed; the filter namespace::|mode::visible',
    async () => {
      const fields = modelFields('ShowNamespace');
      const all = await client.listNamespaces(new swr.ListNamespacesRequest());
      assert.equal(all.httpStatusCode, 200);
      assert.ok(Array.isArray(all.namespaces), 'no namespaces array');
      assertNoProblems(modelProblems(all.namespaces, fields, 'namespaces'));
      assert.deepEqual(all.namespaces.map((n) => n.name).sort(), organizations());

      const filtered = await client.listNamespaces(
          new swr.ListNamespacesRequest().withFilter('namespace::équipe|mode::visible'));
      assert.deepEqual(filtered.namespaces.map((n) => n.name), ['équipe']);
    });

test(
    'ListReposDetails through filter: every ShowReposResp field typed, total_range, Content-Range',
    async () => {
      const fields = modelFields('ShowReposResp');
      const expected = WORLD.repositories.filter((r) => r.organization === 'team-a')
                           .map((r) => r.repository)
                           .sort();
      const names = [];
      for (let offset = 0; offset < expected.length; offset += 1) {
        const page = await client.listReposDetails(new swr.ListReposDetailsRequest().withFilter(
            `namespace::team-a|limit::1|offset::${offset}`));
        assert.equal(page.httpStatusCode, 200);
        assert.equal(page.length, 1);
        assert.equal(page['Content-Range'], `${offset}-1/${expected.length}`);
        assertNoProblems(modelProblems(page, fields, `repos offset ${offset}`));
        assert.equal(page[0].total_range, expected.length);
        names.push(page[0].name);
      }
      assert.deepEqual(names.sort(), expected);
    });

test(
    'ListImageAutoSyncReposDetails: the rules, with the SyncRepo fields swr-sim sends typed',
    async () => {
      const fields = modelFields('SyncRepo');
      for (const repo of WORLD.repositories) {
        const where = `${repo.organization}/${repo.repository}`;
        const rules = await client.listImageAutoSyncReposDetails(
            new swr.ListImageAutoSyncReposDetailsRequest()
                .withNamespace(repo.organization)
                .withRepository(pathName(repo.repository)));
        assert.equal(rules.httpStatusCode, 200);
        assert.ok(Array.isArray(rules), `${where}: the body is not an array`);
        // The fields the API reference documents for sync_repo, all of them SyncRepo's.
        const documented =
            ['remoteRegionId', 'remoteNamespace', 'syncAuto', 'override', 'createdAt', 'updatedAt'];
        const subset = Object.fromEntries(documented.map((key) => [key, fields[key]]));
        assertNoProblems(modelProblems(rules, subset, where));
        assert.deepEqual(
            rules.map((r) => [r.remoteRegionId, r.remoteNamespace, r.override]),
            repo.destinations.map(
                (d) => [d.remoteRegionId, d.remoteNamespace, d.override ?? false]),
            `${where}: the rules`);
      }
    });

test(
    'ListImageAutoSyncReposDetails: every field of the SDK\'s SyncRepo model', async () => {
      const rules = await client.listImageAutoSyncReposDetails(
          new swr.ListImageAutoSyncReposDetailsRequest().withNamespace('team-a').withRepository(
              'team$app'));
      assertNoProblems(modelProblems(rules, modelFields('SyncRepo'), 'team-a/team/app'));
    });

test('a wrong secret key is refused: 401 or 403 with the API gateway\'s error body', async () => {
  // Through the SDK's client: the exception its users see.
  await assert.rejects(
      showSyncJob('team-a', 'team/app', 'limit::3|offset::0', swrClient(sim.url, WRONG_SECRET_KEY)),
      (error) => {
        assert.ok([401, 403].includes(error.httpStatusCode), `status ${error.httpStatusCode}`);
        assert.match(String(error.errorCode), /^APIGW?\.0301$/);
        assert.ok(error.errorMsg, 'no error_msg');
        assert.ok(error.requestId, 'no X-Request-Id');
        return true;
      });
  // Signed by the SDK's signer but sent raw: the body itself.
  const answer = await sendSigned(
      sim.url, sdkSignable(sim.url, 'GET', '/v2/manage/namespaces', {}),
      {secretKey: WRONG_SECRET_KEY});
  assert.ok([401, 403].includes(answer.status), `status ${answer.status}`);
  const body = JSON.parse(answer.body);
  assert.match(body.error_code, /^APIGW?\.0301$/);
  assert.equal(typeof body.error_msg, 'string');
  assert.equal(body.request_id, answer.headers['x-request-id']);
  // The right key still works (one failure does not lock the key pair).
  const ok = await client.listNamespaces(new swr.ListNamespacesRequest());
  assert.equal(ok.httpStatusCode, 200);
});
