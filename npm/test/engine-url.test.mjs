// Where the engine's wasm comes from: config.engineUrl is checked like every field, reaches the
// entry's loader, and a response that is not the wasm (a 404, an SPA's index.html) is refused
// with the URL and the fix rather than left to fail as a WebAssembly compile error. The real
// bundlers (Vite, webpack, esbuild) are exercised by tests/e2e/sdk-bundlers.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { parseConfig } from '../src/config.js';
import { KlinkCallSdkError } from '../src/error.js';
import { KlinkCallSdk, fetchWasm, setEngineLoader } from '../src/sdk.js';

const base = { userEmail: 'agent@example.com', accessToken: 'kpt_abc123' };
const withBase = (extra) => ({ ...base, ...extra });
const WASM = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/** A loopback server: /engine_bg.wasm is the wasm, /spa/* answers index.html, the rest 404. */
async function server(t) {
  const srv = createServer((req, res) => {
    if (req.url === '/engine_bg.wasm') {
      res.writeHead(200, { 'content-type': 'application/wasm' }).end(WASM);
    } else if (req.url.startsWith('/spa/')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><div id="root"></div>');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.after(() => srv.close());
  return `http://127.0.0.1:${srv.address().port}`;
}

test('engineUrl: absolute or relative http(s), blob: and data: URLs are kept as given (trimmed)', () => {
  assert.equal(parseConfig(base).engineUrl, null);
  for (const url of ['https://cdn.example.com/sdk/engine_bg.wasm', '/assets/engine_bg.wasm', 'engine_bg.wasm',
    '../wasm/engine_bg.wasm', 'http://127.0.0.1:5173/engine_bg.wasm', 'blob:https://app.example.com/5c1e',
    'data:application/wasm;base64,AGFzbQEAAAA=']) {
    assert.equal(parseConfig(withBase({ engineUrl: ` ${url} ` })).engineUrl, url);
  }
  const url = new URL('https://cdn.example.com/a/engine_bg.wasm');
  assert.equal(parseConfig(withBase({ engineUrl: url })).engineUrl, url.href, 'a URL object is taken as its href');
});

test('engineUrl: anything else is invalid_config naming the field', () => {
  for (const engineUrl of ['', '   ', 42, true, {}, ['/a.wasm'], 'javascript:alert(1)', 'ftp://example.com/engine_bg.wasm',
    'file:///srv/engine_bg.wasm', 'http://[::1']) {
    assert.throws(() => parseConfig(withBase({ engineUrl })), (err) => {
      assert.ok(err instanceof KlinkCallSdkError);
      assert.equal(err.code, 'invalid_config');
      assert.match(err.message, /^config\.engineUrl must be the URL of engine_bg\.wasm/);
      return true;
    }, JSON.stringify(engineUrl));
  }
});

test('fetchWasm: the wasm response is handed on as it is (streaming compile stays possible)', async (t) => {
  const origin = await server(t);
  const res = await fetchWasm(`${origin}/engine_bg.wasm`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/wasm');
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), WASM);
});

test('fetchWasm: a 404 or an SPA fallback page is refused with the URL, what it answered and the fix', async (t) => {
  const origin = await server(t);
  await assert.rejects(fetchWasm(`${origin}/node_modules/.vite/deps/engine_bg.wasm`), (err) => {
    assert.match(err.message, new RegExp(`^${origin}/node_modules/\\.vite/deps/engine_bg\\.wasm answered 404 text/plain, not engine_bg\\.wasm`));
    assert.match(err.message, /serve it there or set config\.engineUrl \(README: Bundlers\)$/);
    return true;
  });
  await assert.rejects(fetchWasm(`${origin}/spa/engine_bg.wasm`), /answered 200 text\/html; charset=utf-8, not engine_bg\.wasm/);
});

test('init() hands config.engineUrl to the entry loader, and a failed load is retried by the next init()', async (t) => {
  const origin = await server(t);
  // What init() looks for before loading the engine; Node lacks these two.
  const standIns = ['WebSocket', 'RTCPeerConnection'].filter((name) => typeof globalThis[name] !== 'function');
  for (const name of standIns) globalThis[name] = function () {};
  t.after(() => {
    for (const name of standIns) delete globalThis[name];
  });
  const seen = [];
  setEngineLoader(async (engineUrl) => {
    seen.push(engineUrl);
    await fetchWasm(engineUrl ?? `${origin}/missing/engine_bg.wasm`);
    throw new Error('no engine in this test');
  });
  // apiBaseUrl is the loopback server too: the credential request runs alongside, and loses.
  const config = withBase({ apiBaseUrl: origin });
  await assert.rejects(KlinkCallSdk.init(config), {
    code: 'init_failed',
    message: new RegExp(`^could not load the call engine: ${origin}/missing/engine_bg\\.wasm answered 404`),
  });
  await assert.rejects(KlinkCallSdk.init({ ...config, engineUrl: `${origin}/engine_bg.wasm` }), {
    code: 'init_failed',
    message: 'could not load the call engine: no engine in this test',
  });
  assert.deepEqual(seen, [null, `${origin}/engine_bg.wasm`]);
});
