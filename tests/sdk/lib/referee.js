'use strict';
// The signing referee: a reverse proxy on 127.0.0.1:0 between a client (the exporter) and
// swr-sim. For every request it asks the SDK's AKSKSigner to sign the same method, path, query,
// signed headers and X-Sdk-Date with the same keys, compares the result with the client's
// Authorization header, records a verdict, and forwards the request unchanged (swr-sim verifies
// it again with the exporter's own signer).
//
// What the referee decodes before the SDK re-encodes it: each path segment and each query name
// and value, with decodeURIComponent. A `%2F` inside a segment would come back as a separator;
// the exporter sends `/` in repository names as `$`, as SWR wants, so it never sends one.

const crypto = require('node:crypto');
const http = require('node:http');

const {credential, parseAuthorization, signShowingCanonical} = require('./sdk');

function splitTarget(target) {
  const q = target.indexOf('?');
  return q < 0 ? [target, ''] : [target.slice(0, q), target.slice(q + 1)];
}

function decodePath(rawPath) {
  return rawPath.split('/').map(decodeURIComponent).join('/');
}

// name -> value, or -> [values] when a name repeats (how the SDK's signer takes them).
function decodeQuery(rawQuery) {
  const params = {};
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
    if (!Object.hasOwn(params, name)) {
      params[name] = value;
    } else if (Array.isArray(params[name])) {
      params[name].push(value);
    } else {
      params[name] = [params[name], value];
    }
  }
  return params;
}

// ---- A plain reading of Huawei's published signing rules (SDK-HMAC-SHA256), apart from the SDK,
// only to show what the client signed: when the signature it gives is the client's, this
// canonical request is the client's own.

function specEncode(text) {
  return encodeURIComponent(text).replace(
      /[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function specCanonicalRequest(method, path, queryParams, signedHeaderNames, headers, body) {
  let uri = path.split('/').map(specEncode).join('/');
  if (!uri.endsWith('/')) uri += '/';
  const pairs = [];
  for (const [name, value] of Object.entries(queryParams)) {
    for (const v of Array.isArray(value) ? value : [value])
      pairs.push([specEncode(name), specEncode(v)]);
  }
  pairs.sort(
      (a, b) =>
          (a[0] < b[0]     ? -1 :
               a[0] > b[0] ? 1 :
               a[1] < b[1] ? -1 :
               a[1] > b[1] ? 1 :
                             0));
  const names = signedHeaderNames.split(';');
  const canonicalHeaders = names.map((n) => `${n}:${String(headers[n] ?? '').trim()}\n`).join('');
  const bodyHash = crypto.createHash('sha256').update(body).digest('hex');
  return [
    method, uri, pairs.map(([n, v]) => `${n}=${v}`).join('&'), canonicalHeaders, signedHeaderNames,
    bodyHash
  ].join('\n');
}

function signatureOf(secretKey, date, canonical) {
  const hash = crypto.createHash('sha256').update(canonical).digest('hex');
  return crypto.createHmac('sha256', secretKey)
      .update(`SDK-HMAC-SHA256\n${date}\n${hash}`)
      .digest('hex');
}

function indent(text) {
  return text.split('\n').map((line) => `      | ${line}`).join('\n');
}

function firstDifference(a, b) {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); ++i) {
    if (la[i] !== lb[i]) {
      const [sdk, client] = [la[i], lb[i]].map((line) => JSON.stringify(line ?? null));
      return `line ${i + 1}: SDK ${sdk}, client ${client}`;
    }
  }
  return 'none: the canonical requests are equal (so the string to sign or the key differs)';
}

class SigningReferee {
  constructor(upstreamUrl, secretKey) {
    this.upstream = new URL(upstreamUrl);
    this.secretKey = secretKey;
    this.verdicts = [];
    this.agent = new http.Agent({keepAlive: true});
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async listen() {
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this.url;
  }

  async close() {
    if (this.server.closeAllConnections) this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    this.agent.destroy();
  }

  get mismatches() {
    return this.verdicts.filter((v) => v.outcome !== 'agree');
  }

  // Every verdict that is not an agreement, as one readable text.
  report() {
    return this.mismatches.map((v) => `${v.outcome}: ${v.method} ${v.target}\n${v.detail}`)
        .join('\n\n');
  }

  handle(req, res) {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const verdict = this.judge(req, body);
      this.verdicts.push(verdict);
      const headers = {...req.headers};
      delete headers.connection;
      delete headers['keep-alive'];
      const upstream = http.request(
          {
            host: this.upstream.hostname,
            port: this.upstream.port,
            method: req.method,
            path: req.url,
            headers,
            agent: this.agent,
          },
          (answer) => {
            verdict.status = answer.statusCode;
            const back = {...answer.headers};
            delete back.connection;
            delete back['keep-alive'];
            delete back['transfer-encoding'];
            res.writeHead(answer.statusCode, back);
            answer.pipe(res);
          });
      upstream.on('error', (error) => {
        verdict.status = 502;
        res.writeHead(502, {'content-type': 'text/plain'});
        res.end(`signing referee: upstream ${error.message}`);
      });
      upstream.end(body);
    });
  }

  judge(req, body) {
    const [rawPath, rawQuery] = splitTarget(req.url);
    const verdict = {
      method: req.method,
      target: req.url,
      path: rawPath,
      query: {},
      outcome: 'agree',
      detail: ''
    };
    const fail = (outcome, detail) => Object.assign(verdict, {outcome, detail: `    ${detail}`});
    try {
      verdict.path = decodePath(rawPath);
      verdict.query = decodeQuery(rawQuery);
    } catch (error) {
      return fail('mismatch', `the target does not percent-decode: ${error.message}`);
    }
    const auth = parseAuthorization(req.headers.authorization);
    if (!auth) {
      const what = req.headers.authorization ? 'a malformed' : 'no';
      return fail('unsigned', `${what} SDK-HMAC-SHA256 Authorization header`);
    }
    verdict.signedHeaders = auth.signedHeaders;
    // The SDK signs every header it is handed, and looks X-Sdk-Date up by that spelling.
    const headers = {};
    for (const name of auth.signedHeaders.split(';')) {
      if (!Object.hasOwn(req.headers, name))
        return fail('mismatch', `signed header ${name} was not sent`);
      headers[name === 'x-sdk-date' ? 'X-Sdk-Date' : name] = req.headers[name];
    }
    if (!headers['X-Sdk-Date']) {
      return fail('mismatch', `x-sdk-date is not among the signed headers ${auth.signedHeaders}`);
    }
    let data;
    if (body.length > 0) {
      // The SDK hashes JSON.stringify(data): only a body in that exact form can be refereed.
      try {
        data = JSON.parse(body.toString('utf8'));
      } catch {
        data = undefined;
      }
      if (data === undefined || JSON.stringify(data) !== body.toString('utf8')) {
        return fail(
            'unrefereed', 'a body the SDK could not have produced (not JSON.stringify output)');
      }
    }
    const signable = {
      method: req.method,
      endpoint: `http://${req.headers.host}${verdict.path}`,
      queryParams: verdict.query,
      headers,
      data,
    };
    const sdk = signShowingCanonical(signable, credential(this.secretKey, auth.accessKey));
    const mine = parseAuthorization(sdk.headers.Authorization);
    if (mine.signedHeaders === auth.signedHeaders && mine.signature === auth.signature)
      return verdict;

    const spec = specCanonicalRequest(
        req.method, verdict.path, verdict.query, auth.signedHeaders, req.headers, body);
    const specReproduces =
        signatureOf(this.secretKey, headers['X-Sdk-Date'], spec) === auth.signature;
    return fail('mismatch', [
      `client: SignedHeaders=${auth.signedHeaders}, Signature=${auth.signature}`,
      `    SDK:    SignedHeaders=${mine.signedHeaders}, Signature=${mine.signature}`,
      '    the SDK\'s canonical request:',
      indent(sdk.canonical),
      specReproduces ?
          '    the client\'s canonical request (the published rules read plainly, which ' +
              'reproduces its signature):' :
          '    the published rules read plainly, which reproduces neither signature:',
      indent(spec),
      `    first difference: ${firstDifference(sdk.canonical, spec)}`,
    ].join('\n'));
  }
}

module.exports = {
  SigningReferee,
  decodePath,
  decodeQuery,
  specCanonicalRequest
};
