// The credential request of the JS wrapper (npm/src/credentials.js) against a real HTTP server
// on 127.0.0.1: the request as the API expects it, each status mapped to its code and message,
// the deadline, an unreachable API, and the refresh policy (retry passing failures with
// backoff, never a refused token). The engine's checks of the response it is handed are in
// package.test.mjs and crates/call-sdk/tests/browser.rs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { parseConfig } from '../src/config.js';
import { fetchCredentials, refresher, retryDelay, statusError } from '../src/credentials.js';
import { KlinkCallSdkError } from '../src/error.js';
import { KlinkCallSdk, setEngineLoader } from '../src/sdk.js';

const TOKEN = 'kpt_test_token_secret';
const GOOD = {
  extension: '1001', sipUri: 'sip:1001@pbx.test', authorizationUser: '1900000000:1001',
  password: 'c2VjcmV0LXNpZ25hdHVyZQ==', wsServers: ['wss://pbx.test/ws'],
};

/** A credential API on 127.0.0.1:<free port>; `handler(req, res)` answers, `requests` records. */
async function credentialApi(handler) {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, headers: req.headers });
    handler(req, res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    requests,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

const settings = (extra) => parseConfig({ userEmail: 'agent+1@x.test', accessToken: TOKEN, ...extra });

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

async function fetchError(config) {
  const err = await fetchCredentials(config).then(() => assert.fail('fetchCredentials resolved'), (e) => e);
  assert.ok(err instanceof KlinkCallSdkError, String(err));
  assert.ok(!err.message.includes(TOKEN), `the token is not in the message: ${err.message}`);
  return err;
}

test('the request: GET with the bearer token, the email encoded; a 2xx body is returned as parsed', async (t) => {
  const api = await credentialApi((req, res) => json(res, 200, GOOD));
  t.after(api.close);
  const body = await fetchCredentials(settings({ apiBaseUrl: api.url }));
  assert.deepEqual(body, GOOD);
  const [req] = api.requests;
  assert.equal(req.method, 'GET');
  assert.equal(req.url, '/v1/telephony/webphone/credentials?email=agent%2B1%40x.test');
  assert.equal(req.headers.authorization, `Bearer ${TOKEN}`);
  assert.equal(req.headers.accept, 'application/json');
  assert.equal(req.headers.cookie, undefined);
});

test('statuses map to their codes, with the server\'s message appended', async (t) => {
  const bodies = {
    401: { error: { code: 'unauthorized', message: 'from the server' } },
    403: { error: { message: 'missing ability telephony:webphone' } },
    404: { message: 'from the server' },
    409: { error: 'from the server' },
    500: 'not json',
    302: {},
  };
  const api = await credentialApi((req, res) => {
    const status = Number(new URL(req.url, 'http://h').searchParams.get('email').split('@')[0].slice(1));
    json(res, status, bodies[status]);
  });
  t.after(api.close);
  const expect = { 401: 'auth_failed', 403: 'auth_failed', 404: 'extension_not_found', 409: 'extension_not_provisioned', 500: 'init_failed', 302: 'init_failed' };
  for (const [status, code] of Object.entries(expect)) {
    const err = await fetchError(settings({ userEmail: `s${status}@x.test`, apiBaseUrl: api.url }));
    assert.equal(err.code, code, `${status}: ${err.message}`);
    assert.match(err.message, new RegExp(`\\(HTTP ${status}\\)`));
    if (!['500', '302'].includes(status)) assert.match(err.message, /: (from the server|missing ability telephony:webphone)$/);
  }
  const forbidden = statusError(403, 'missing ability telephony:webphone');
  assert.match(forbidden.message, /telephony ability/);
  assert.equal(statusError(418).message, 'the credential API answered with an unexpected status (HTTP 418)');
  assert.equal(statusError(404, 'x'.repeat(500)).message.split(': ')[1].length, 200, 'the server message is cut at 200');
});

test('a 2xx body that is not JSON is init_failed', async (t) => {
  const api = await credentialApi((req, res) => json(res, 200, '<html>'));
  t.after(api.close);
  const err = await fetchError(settings({ apiBaseUrl: api.url }));
  assert.equal(err.code, 'init_failed');
  assert.match(err.message, /not JSON/);
});

test('an API slower than requestTimeoutMs is a network_error at the deadline, headers or body', async (t) => {
  const held = [];
  const api = await credentialApi((req, res) => {
    held.push(res);
    // Headers at once, the body never: the deadline covers both.
    if (req.url.includes('headers')) res.writeHead(200, { 'content-type': 'application/json' }).write('{');
  });
  t.after(api.close);
  for (const user of ['silent', 'headers']) {
    const started = Date.now();
    const err = await fetchError(settings({ userEmail: `${user}@x.test`, apiBaseUrl: api.url, requestTimeoutMs: 300 }));
    const took = Date.now() - started;
    assert.equal(err.code, 'network_error');
    assert.equal(err.message, 'the credential API did not answer within requestTimeoutMs (300 ms)');
    assert.ok(took >= 280 && took < 3000, `${user}: gave up after ${took} ms`);
  }
});

test('an unreachable API is a network_error naming it', async () => {
  const api = await credentialApi(() => {});
  await api.close(); // the port is free again: the connection is refused
  const err = await fetchError(settings({ apiBaseUrl: api.url }));
  assert.equal(err.code, 'network_error');
  assert.ok(err.message.startsWith(`could not reach the credential API at ${api.url}: `), err.message);
});

test('refresh retries a passing failure with backoff: 2 s doubling to 30 s', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelay), [2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
});

test('refresh: a passing failure is reported and retried, then the new body is delivered', async (t) => {
  let answers = [503, 200];
  const api = await credentialApi((req, res) => json(res, answers.shift() ?? 200, GOOD));
  t.after(api.close);
  const delivered = [];
  const reports = [];
  let done;
  const finished = new Promise((r) => { done = r; });
  const fresh = refresher(settings({ apiBaseUrl: api.url }), (body) => { delivered.push(body); done(); }, (p) => reports.push(p));
  t.after(fresh.stop);
  const started = Date.now();
  fresh.refresh();
  fresh.refresh(); // one request at a time
  await finished;
  const took = Date.now() - started;
  assert.equal(api.requests.length, 2);
  assert.ok(took >= 1900 && took < 4000, `retried after ${took} ms`);
  assert.deepEqual(delivered, [GOOD]);
  assert.equal(reports.length, 1);
  assert.equal(reports[0].scope, 'registration');
  assert.equal(reports[0].code, 'init_failed');
  assert.match(reports[0].detail, /^credential refresh failed \(init_failed\): .*HTTP 503.*; retrying$/);
});

test('refresh: a refused token, or a body the engine refuses as invalid_config, is reported once and not retried', async (t) => {
  const api = await credentialApi((req, res) => (req.url.includes('refused') ? json(res, 401, {}) : json(res, 200, GOOD)));
  t.after(api.close);
  const reports = [];
  const refused = refresher(settings({ userEmail: 'refused@x.test', apiBaseUrl: api.url }), () => assert.fail('delivered'), (p) => reports.push(p));
  const insecure = refresher(settings({ apiBaseUrl: api.url }), () => {
    throw { code: 'invalid_config', message: 'wsServers[0] from the credential API uses ws://' };
  }, (p) => reports.push(p));
  t.after(() => { refused.stop(); insecure.stop(); });
  refused.refresh();
  insecure.refresh();
  await new Promise((r) => setTimeout(r, 2600)); // past the first retry's delay
  assert.equal(api.requests.length, 2, 'no retry');
  assert.deepEqual(reports.map((r) => r.code).sort(), ['auth_failed', 'invalid_config']);
  for (const r of reports) {
    assert.equal(r.scope, 'registration');
    assert.match(r.detail, /calls go on, but registration ends when the current credentials expire: call init\(\) again with a valid token$/);
    assert.ok(!r.detail.includes(TOKEN));
  }
});

test('refresh: after stop() nothing is delivered, reported or retried', async (t) => {
  let release;
  const api = await credentialApi((req, res) => { release = () => json(res, 503, {}); });
  t.after(api.close);
  const fresh = refresher(settings({ apiBaseUrl: api.url }), () => assert.fail('delivered'), () => assert.fail('reported'));
  fresh.refresh();
  while (!release) await new Promise((r) => setTimeout(r, 10));
  fresh.stop();
  release();
  await new Promise((r) => setTimeout(r, 2300));
  assert.equal(api.requests.length, 1);
});

test('init() asks for the credentials while the engine loads; an engine that fails to load is reported first', async (t) => {
  const api = await credentialApi((req, res) => json(res, 401, { message: 'token revoked' }));
  t.after(api.close);
  const stand_ins = ['WebSocket', 'RTCPeerConnection'].filter((name) => typeof globalThis[name] !== 'function');
  for (const name of stand_ins) globalThis[name] = function () {};
  t.after(() => {
    for (const name of stand_ins) delete globalThis[name];
  });
  let requestedWhileLoading = false;
  setEngineLoader(async () => {
    // The loader finishes only once the credential request has arrived (or after 5 s): were
    // the two steps in sequence, the request would come only after this.
    for (let waited = 0; api.requests.length === 0 && waited < 5000; waited += 10) {
      await new Promise((r) => setTimeout(r, 10));
    }
    requestedWhileLoading = api.requests.length > 0;
    throw new Error('no engine in this test');
  });
  await assert.rejects(
    KlinkCallSdk.init({ userEmail: 'agent@x.test', accessToken: TOKEN, apiBaseUrl: api.url }),
    { code: 'init_failed', message: /could not load the call engine/ },
  );
  assert.ok(requestedWhileLoading, 'the credential request was made while the engine was loading');
});
