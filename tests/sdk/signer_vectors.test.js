'use strict';
// The SDK's AKSKSigner over the published signing vectors (Huawei's SDK tests and API Gateway
// guide): proof that the suite calls the signer the way the SDK's own client does, before it
// referees anyone with it. Also what the SDK makes of SWR's own encodings (`$` in a repository
// name, the filter's `:` and `|`, non-ASCII).

const assert = require('node:assert/strict');
const test = require('node:test');

const {credential, parseAuthorization, signShowingCanonical} = require('./lib/sdk');

const VECTORS = [
  {
    name: 'GET with a query, empty body',
    request: {
      method: 'GET',
      endpoint: 'https://service.endpoint.myhuaweicloud.com/resources',
      queryParams: {size: '1'},
      headers: {'X-Sdk-Date': '20200608T023900Z'}
    },
    keys: ['AccessKey', 'SecretKey'],
    signedHeaders: 'host;x-sdk-date',
    signature: 'cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842',
    canonical: [
      'GET',
      '/resources/',
      'size=1',
      'host:service.endpoint.myhuaweicloud.com',
      'x-sdk-date:20200608T023900Z',
      '',
      'host;x-sdk-date',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ].join('\n'),
  },
  {
    name: 'POST with a JSON body',
    request: {
      method: 'POST',
      endpoint: 'https://service.endpoint.myhuaweicloud.com/resources',
      queryParams: {size: '1'},
      headers: {'X-Sdk-Date': '20200608T023900Z'},
      data: {name: 'test', id: 1}
    },
    keys: ['AccessKey', 'SecretKey'],
    signedHeaders: 'host;x-sdk-date',
    signature: '436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f',
  },
  {
    name: 'GET with a project id in the path and two query parameters',
    request: {
      method: 'GET',
      endpoint: 'https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs',
      queryParams: {limit: '2', marker: '13551d6b-755d-4757-b956-536f674975c0'},
      headers: {'X-Sdk-Date': '20191115T033655Z'}
    },
    keys: ['AccessKey', 'SecretKey'],
    signedHeaders: 'host;x-sdk-date',
    signature: 'fd95e7da6f695cfb4cabbb9d6b0968aec155bc576b064835282473539ae9ea1d',
  },
  {
    name: 'the API Gateway guide\'s example, Content-Type signed',
    request: {
      method: 'GET',
      endpoint: 'https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs',
      queryParams: {limit: '2', marker: '13551d6b-755d-4757-b956-536f674975c0'},
      headers: {'X-Sdk-Date': '20191115T033655Z', 'content-type': 'application/json'}
    },
    keys: ['QTWAOYTTINDUT2QVKYUC', 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc'],
    signedHeaders: 'content-type;host;x-sdk-date',
    signature: '7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
  },
];

for (const vector of VECTORS) {
  test(`published vector: ${vector.name}`, () => {
    const [accessKey, secretKey] = vector.keys;
    const {headers, canonical} =
        signShowingCanonical(vector.request, credential(secretKey, accessKey));
    const auth = parseAuthorization(headers.Authorization);
    assert.ok(
        auth,
        `the SDK wrote an Authorization header the suite cannot read: ${headers.Authorization}`);
    assert.equal(auth.accessKey, accessKey);
    assert.equal(auth.signedHeaders, vector.signedHeaders);
    assert.equal(auth.signature, vector.signature, `canonical request:\n${canonical}`);
    if (vector.canonical) assert.equal(canonical, vector.canonical);
  });
}

// What SWR's reference says the signer must make of its paths and filters, and the SDK does.
test('the SDK signs `$` as %24 and the filter\'s `:` and `|` percent-encoded', () => {
  const {canonical} = signShowingCanonical(
      {
        method: 'GET',
        endpoint: 'http://127.0.0.1:1/v2/manage/namespaces/team-a/repos/team$app/sync_job',
        queryParams: {filter: 'limit::100|offset::0|order::desc'},
        headers: {'X-Sdk-Date': '20260101T000000Z'},
      },
      credential('k'));
  const [, uri, query] = canonical.split('\n');
  assert.equal(uri, '/v2/manage/namespaces/team-a/repos/team%24app/sync_job/');
  assert.equal(query, 'filter=limit%3A%3A100%7Coffset%3A%3A0%7Corder%3A%3Adesc');
});

test('the SDK signs non-ASCII path segments and query values as UTF-8 percent-encoded', () => {
  const {canonical} = signShowingCanonical(
      {
        method: 'GET',
        endpoint: 'http://127.0.0.1:1/v2/manage/namespaces/équipe/repos/镜像$应用/sync_job',
        queryParams: {filter: 'namespace::équipe', name: 'a b'},
        headers: {'X-Sdk-Date': '20260101T000000Z'},
      },
      credential('k'));
  const [, uri, query] = canonical.split('\n');
  assert.equal(
      uri,
      '/v2/manage/namespaces/%C3%A9quipe/repos/%E9%95%9C%E5%83%8F%24%E5%BA%94%E7%94%A8/sync_job/');
  assert.equal(query, 'filter=namespace%3A%3A%C3%A9quipe&name=a%20b');
});
