'use strict';
// Huawei Cloud's Node.js SDK as the suite uses it: SwrClient with BasicCredentials, the models'
// field lists read from the SDK itself, and requests signed by its AKSKSigner but sent raw (for
// what the SDK's own client does not show: error bodies, a tampered request).
//
// Internals of the pinned versions this leans on (check them when the pins move):
//   core 3.1.211  auth/AKSKSigner.js: AKSKSigner.sign(request, credential) and its static
//                 buildCanonicalRequest(), which referee.js wraps to show the canonical request;
//                 SwrClient.hcClient.httpClient._logger, silenced below.
//   swr 3.1.128   v2/model/NAME.d.ts constructor signatures: the models' field types.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const querystring = require('node:querystring');

const core = require('@huaweicloud/huaweicloud-sdk-core');
const {AKSKSigner} = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner');
const swr = require('@huaweicloud/huaweicloud-sdk-swr');

const {ACCESS_KEY, SECRET_KEY, PROJECT_ID} = require('./harness');

const PINNED = {
  '@huaweicloud/huaweicloud-sdk-core': '3.1.211',
  '@huaweicloud/huaweicloud-sdk-swr': '3.1.128',
};
for (const [name, version] of Object.entries(PINNED)) {
  const installed = require(`${name}/package.json`).version;
  if (installed !== version) {
    throw new Error(`${name} ${installed} is installed, the suite pins ${version}: run npm ci`);
  }
}

const swrModelDir = path.join(
    path.dirname(require.resolve('@huaweicloud/huaweicloud-sdk-swr/package.json')), 'v2', 'model');

// A SwrClient as the SDK's documentation builds one: AK/SK and a project id (sent as
// X-Project-Id and signed), the given endpoint.
function swrClient(endpoint, secretKey = SECRET_KEY) {
  const credentials =
      new core.BasicCredentials().withAk(ACCESS_KEY).withSk(secretKey).withProjectId(PROJECT_ID);
  // A connection per request: swr-sim (cpp-httplib) stops only once its open connections idle out.
  const httpAgent = new http.Agent({keepAlive: false});
  const client = swr.SwrClient.newBuilder()
                     .withCredential(credentials)
                     .withEndpoint(endpoint)
                     .withOptions({axiosRequestConfig: {httpAgent}})
                     .build();
  // The SDK logs every failed call to stdout with its request headers; the tests report
  // failures themselves.
  client.hcClient.httpClient._logger = {debug() {}, info() {}, warn() {}, error() {}};
  return client;
}

function kindOf(tsType) {
  if (tsType.startsWith('Array<')) return 'array';
  const parts = tsType.split('|').map((part) => part.trim());
  for (const kind of ['number', 'boolean', 'string']) {
    if (parts.includes(kind)) return kind;  // `ShowNamespaceAuthEnum | number`: a number
  }
  throw new Error(`an SDK model type the suite does not know: ${tsType}`);
}

// The wire keys of an SDK model and their JSON types ('string', 'number', 'boolean', 'array'):
// the types from the constructor's signature in NAME.d.ts, the keys from what the constructor
// writes (it maps creatorName to `creator_name`, for one).
function modelFields(name) {
  const Model = swr[name];
  if (typeof Model !== 'function') throw new Error(`the SDK has no model ${name}`);
  const dts = fs.readFileSync(path.join(swrModelDir, `${name}.d.ts`), 'utf8');
  const signature = dts.match(/constructor\(([^)]*)\)/);
  if (!signature) throw new Error(`${name}.d.ts: no constructor signature`);
  const params = signature[1].split(',').map((p) => p.trim()).filter(Boolean).map((p) => {
    const m = p.match(/^(\w+)\?: (.+)$/);
    if (!m) throw new Error(`${name}.d.ts: cannot read constructor parameter ${p}`);
    return kindOf(m[2]);
  });
  const sample = new Model(...params.map((_, i) => i));
  const fields = {};
  for (const [key, index] of Object.entries(sample)) fields[key] = params[index];
  if (Object.keys(fields).length !== params.length) {
    throw new Error(
        `${name}: ${params.length} constructor parameters but ${Object.keys(fields).length} keys`);
  }
  return fields;
}

function jsonKind(value) {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value;
}

// What in `object` disagrees with the model `fields`: missing keys and wrong types.
function fieldProblems(object, fields) {
  const problems = [];
  for (const [key, kind] of Object.entries(fields)) {
    if (!Object.hasOwn(object, key)) {
      problems.push(`missing ${key} (${kind})`);
    } else if (jsonKind(object[key]) !== kind) {
      problems.push(
          `${key} is ${jsonKind(object[key])} ${JSON.stringify(object[key])}, the SDK ` +
          `model says ${kind}`);
    }
  }
  return problems;
}

// fieldProblems() of each of `items`, each line naming its item.
function modelProblems(items, fields, label) {
  const lines = [];
  items.forEach((item, i) => {
    for (const problem of fieldProblems(item, fields)) lines.push(`${label}[${i}]: ${problem}`);
  });
  return lines;
}

function assertNoProblems(problems) {
  if (problems.length > 0) assert.fail(problems.join('\n'));
}

// The SDK's request object for AKSKSigner.sign(): what HcClient hands it for a GET with a JSON
// content type and a project id.
function sdkSignable(baseUrl, method, pathname, queryParams, extraHeaders = {}) {
  return {
    method,
    endpoint: `${baseUrl}${pathname}`,
    queryParams,
    headers: {'content-type': 'application/json', 'X-Project-Id': PROJECT_ID, ...extraHeaders},
  };
}

function credential(secretKey, accessKey = ACCESS_KEY) {
  return {getAk: () => accessKey, getSk: () => secretKey};
}

// AKSKSigner.sign() and the canonical request it built on the way (its static
// buildCanonicalRequest, wrapped for the one synchronous call).
function signShowingCanonical(signable, cred) {
  const original = AKSKSigner.buildCanonicalRequest;
  let canonical;
  AKSKSigner.buildCanonicalRequest = function capture(...args) {
    canonical = original.apply(this, args);
    return canonical;
  };
  try {
    const headers = AKSKSigner.sign(signable, cred);
    return {headers, canonical};
  } finally {
    AKSKSigner.buildCanonicalRequest = original;
  }
}

// The parts of an Authorization header (SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b,
// Signature=HEX), or null.
function parseAuthorization(value) {
  const m =
      /^SDK-HMAC-SHA256 Access=([^,\s]+), SignedHeaders=([^,\s]+), Signature=([0-9a-f]+)$/.exec(
          value || '');
  return m ? {accessKey: m[1], signedHeaders: m[2], signature: m[3]} : null;
}

// Signs `signable` with the SDK and sends it with node:http, the query encoded as the SDK's
// client encodes it (querystring). `tamper(headers, target)` may change the request after signing
// and returns the target to send. Answers {status, headers, body}.
function sendSigned(baseUrl, signable, {secretKey = SECRET_KEY, tamper} = {}) {
  const headers = AKSKSigner.sign(signable, credential(secretKey));
  const url = new URL(signable.endpoint);
  const query = querystring.stringify(signable.queryParams || {});
  let target = url.pathname + (query ? `?${query}` : '');
  if (tamper) target = tamper(headers, target);
  return new Promise((resolve, reject) => {
    const request = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: signable.method,
          path: target,
          headers,
          agent: false
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => {
            body += chunk;
          });
          response.on(
              'end', () => resolve({status: response.statusCode, headers: response.headers, body}));
        });
    request.on('error', reject);
    request.end();
  });
}

module.exports = {
  AKSKSigner,
  swr,
  swrClient,
  modelFields,
  fieldProblems,
  modelProblems,
  assertNoProblems,
  jsonKind,
  sdkSignable,
  sendSigned,
  credential,
  signShowingCanonical,
  parseAuthorization,
};
