'use strict';
// The query parameters the SDK's requests carry besides `filter`: ListReposDetails' namespace,
// name, limit, offset, order_column and order_type, and ListNamespaces' namespace. The SDK sends
// them as separate query parameters; a faithful swr-sim answers them as it answers the same
// conditions given through `filter` (the values are the ones the SDK's own documentation gives).

const assert = require('node:assert/strict');
const {after, before, test} = require('node:test');

const {workDir, startSim} = require('./lib/harness');
const {assertNoProblems, modelFields, modelProblems, swr, swrClient} = require('./lib/sdk');
const {WORLD} = require('./lib/world');

let sim;
let client;

before(async () => {
  sim = await startSim(workDir('params'), WORLD);
  client = swrClient(sim.url);
});

after(async () => {
  if (sim) await sim.stop();
});

function repos(build) {
  return client.listReposDetails(build(new swr.ListReposDetailsRequest()));
}

const teamA =
    WORLD.repositories.filter((r) => r.organization === 'team-a').map((r) => r.repository).sort();

test(
    'ListReposDetails with namespace: the organization\'s repositories (a fuzzy match at most)',
    async () => {
      const page = await repos((r) => r.withNamespace('team-a'));
      assert.equal(page.httpStatusCode, 200);
      for (const item of page)
        assert.ok(
            item.namespace.includes('team-a'),
            `${item.namespace}/${item.name} does not match team-a`);
      assert.deepEqual(
          page.filter((i) => i.namespace === 'team-a').map((i) => i.name).sort(), teamA);
      assertNoProblems(modelProblems(page, modelFields('ShowReposResp'), 'repos'));
    });

test(
    'ListReposDetails with namespace, limit and offset: Content-Range offset-count/total',
    async () => {
      const names = [];
      for (let offset = 0; offset < teamA.length; ++offset) {
        const page =
            await repos((r) => r.withNamespace('team-a').withLimit('1').withOffset(String(offset)));
        assert.equal(page.httpStatusCode, 200);
        assert.equal(page.length, 1, `offset ${offset}: page size`);
        assert.equal(
            page['Content-Range'], `${offset}-1/${teamA.length}`,
            `offset ${offset}: Content-Range`);
        assert.equal(page[0].total_range, teamA.length);
        names.push(page[0].name);
      }
      assert.deepEqual(names.sort(), teamA);
    });

test('ListReposDetails with a non-ASCII name: the repositories whose name holds it', async () => {
  const page = await repos((r) => r.withName('应用'));
  assert.equal(page.httpStatusCode, 200);
  assert.deepEqual(page.map((i) => `${i.namespace}/${i.name}`), ['équipe/镜像/应用']);
});

// A data-file world's repository was last pushed when its newest job was created.
const byUpdate =
    WORLD.repositories.map((r) => [r.repository, r.jobs.map((j) => j.createdAt).sort().at(-1)])
        .sort((a, b) => a[1].localeCompare(b[1]))
        .map(([name]) => name);

// The SDK documents order_column=updated_at for the query parameter; its filter documents name,
// updated_time and tag_count.
test(
    'ListReposDetails with order_column=updated_at (the SDK\'s documented value) and order_type',
    async () => {
      for (const orderType of ['asc', 'desc']) {
        const page = await repos((r) => r.withOrderColumn('updated_at').withOrderType(orderType));
        assert.equal(page.httpStatusCode, 200, orderType);
        assert.deepEqual(
            page.map((i) => i.name), orderType === 'asc' ? byUpdate : [...byUpdate].reverse(),
            `order_type=${orderType}`);
      }
    });

test(
    'ListReposDetails with order_column name or updated_time (the filter\'s values) and order_type',
    async () => {
      const byName = WORLD.repositories.map((r) => r.repository).sort();
      for (const [column, ascending] of [['name', byName], ['updated_time', byUpdate]]) {
        for (const orderType of ['asc', 'desc']) {
          const page = await repos((r) => r.withOrderColumn(column).withOrderType(orderType));
          assert.equal(page.httpStatusCode, 200);
          assert.deepEqual(
              page.map((i) => i.name), orderType === 'asc' ? ascending : [...ascending].reverse(),
              `order_column=${column} order_type=${orderType}`);
        }
      }
    });

// The SDK's ListNamespacesRequest has a namespace query parameter besides filter.
test('ListNamespaces with namespace: that organization', async () => {
  const answer =
      await client.listNamespaces(new swr.ListNamespacesRequest().withNamespace('équipe'));
  assert.equal(answer.httpStatusCode, 200);
  const names = answer.namespaces.map((n) => n.name);
  assert.ok(names.includes('équipe'), `équipe missing from ${JSON.stringify(names)}`);
  for (const name of names) assert.ok(name.includes('équipe'), `${name} does not match équipe`);
});
