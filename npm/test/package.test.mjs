// Tests of the built package (npm/dist, made by scripts/build-npm) as Node sees it: SSR-safe
// import, clean rejection without a browser, the script-tag build, the types, the engine's
// own config refusals and credential error mapping against a real HTTP server, and `npm pack`
// installed into a fresh directory. The wrapper's field-by-field config checks: config.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { parseConfig } from '../src/config.js';

const NPM_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
const DIST = join(NPM_DIR, 'dist');

const EVENTS = [
  'ready', 'incoming', 'sessionStarted', 'sessionEnded', 'remoteStream', 'connected',
  'disconnected', 'registeredChange', 'registrationFailed', 'error', 'destroyed',
];

test('the built files exist and the wasm is a wasm module', () => {
  for (const f of ['index.js', 'engine.js', 'engine_bg.wasm', 'index.d.ts', 'klink-call-sdk.iife.js']) {
    assert.ok(existsSync(join(DIST, f)), `dist/${f} missing: run scripts/build-npm`);
  }
  const wasm = readFileSync(join(DIST, 'engine_bg.wasm'));
  assert.deepEqual([...wasm.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d]);
});

test('importing in Node touches no browser global and loads no engine', async () => {
  const before = new Set(Object.getOwnPropertyNames(globalThis));
  const mod = await import(pathToFileURL(join(DIST, 'index.js')).href);
  const added = Object.getOwnPropertyNames(globalThis).filter((n) => !before.has(n));
  assert.deepEqual(added, [], 'import must not define globals');
  assert.equal(typeof mod.KlinkCallSdk, 'function');
  assert.equal(typeof mod.KlinkCallSdkError, 'function');
  assert.equal(mod.default, mod.KlinkCallSdk);
  assert.equal(typeof mod.KlinkCallSdk.init, 'function');
  for (const m of ['on', 'once', 'off', 'call', 'answer', 'reject', 'hangup', 'hold', 'unhold', 'mute',
    'unmute', 'dtmf', 'attachAudio', 'getCalls', 'destroy']) {
    assert.equal(typeof mod.KlinkCallSdk.prototype[m], 'function', m);
  }
  const desc = Object.getOwnPropertyDescriptor(mod.KlinkCallSdk.prototype, 'isRegistered');
  assert.equal(typeof desc.get, 'function', 'isRegistered is a getter');
  assert.equal(desc.set, undefined, 'isRegistered is read-only');
  assert.throws(() => new mod.KlinkCallSdk(), TypeError);
});

test('init() without a browser rejects with init_failed', async () => {
  const { KlinkCallSdk, KlinkCallSdkError } = await import(pathToFileURL(join(DIST, 'index.js')).href);
  const err = await KlinkCallSdk.init({ userEmail: 'a@b.test', accessToken: 'kpt_x' }).then(
    () => assert.fail('init resolved in Node'),
    (e) => e,
  );
  assert.ok(err instanceof KlinkCallSdkError);
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'KlinkCallSdkError');
  assert.equal(err.code, 'init_failed');
  assert.match(err.message, /browser/);
});

test('init() with a bad config rejects with invalid_config, even without a browser', async () => {
  const { KlinkCallSdk, KlinkCallSdkError } = await import(pathToFileURL(join(DIST, 'index.js')).href);
  const err = await KlinkCallSdk.init({ userEmail: 'a@b.test', accessToken: 'Bearer x' }).catch((e) => e);
  assert.ok(err instanceof KlinkCallSdkError);
  assert.equal(err.code, 'invalid_config');
  assert.match(err.message, /accessToken/);
});

test('the script-tag build defines window.KlinkCallSdk and nothing at load but that', () => {
  const code = readFileSync(join(DIST, 'klink-call-sdk.iife.js'), 'utf8');
  // What every browser has at script load; the engine's glue makes its text codecs then.
  const sandbox = {
    document: { currentScript: { src: 'https://cdn.example.com/sdk/klink-call-sdk.iife.js' } },
    TextDecoder,
    TextEncoder,
  };
  sandbox.window = sandbox;
  vm.createContext(sandbox);
  vm.runInContext(code, sandbox);
  const Sdk = sandbox.KlinkCallSdk;
  assert.equal(typeof Sdk, 'function');
  assert.equal(typeof Sdk.init, 'function');
  assert.equal(typeof Sdk.KlinkCallSdkError, 'function');
});

test('the types declare every event with its payload, and typed on/once/off', () => {
  const dts = readFileSync(join(DIST, 'index.d.ts'), 'utf8');
  for (const e of EVENTS) assert.match(dts, new RegExp(`\\n  ${e}: `), `event ${e}`);
  assert.match(dts, /sessionEnded: \{ callId: string; cause: EndCause/);
  assert.match(dts, /remoteStream: \{ callId: string; stream: MediaStream \}/);
  assert.match(dts, /registrationFailed: \{ code: number; message: string \}/);
  assert.match(dts, /on<E extends KlinkCallSdkEventName>\(event: E, listener: KlinkCallSdkListener<E>\): \(\) => void/);
  assert.match(dts, /readonly isRegistered: boolean/);
  for (const field of ['userEmail', 'accessToken', 'apiBaseUrl?', 'requestTimeoutMs?', 'iceServers?', 'logLevel?',
    'allowInsecureTransport?', 'reconnect?', 'iceGatheringTimeoutMs?', 'audioConstraints?']) {
    assert.ok(dts.includes(`  ${field}: `), `config field ${field}`);
  }
});

// ---- the engine itself, instantiated in Node (config and credential paths need no browser) ----

async function loadEngine() {
  const glue = await import(pathToFileURL(join(DIST, 'engine.js')).href);
  glue.initSync({ module: readFileSync(join(DIST, 'engine_bg.wasm')) });
  return glue.Engine;
}

/** A credential API on 127.0.0.1 that answers each path as `routes` says. */
async function credentialApi(handler) {
  const server = createServer(handler);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

async function createError(Engine, config) {
  try {
    const engine = await Engine.create(config, () => {});
    engine.free();
  } catch (e) {
    return e;
  }
  assert.fail('Engine.create resolved');
}

/** The engine's settings as the wrapper makes them from `config`. */
const settings = (config) => parseConfig({ userEmail: 'a@b.test', accessToken: 'kpt_1', ...config });

test('engine: without the wrapper, garbage and insecure URLs are refused naming the field', async () => {
  const Engine = await loadEngine();
  let err = await createError(Engine, undefined);
  assert.equal(err.code, 'invalid_config');
  assert.match(err.message, /config/);
  // The user's own object is not what the engine reads: fields the wrapper adds are missing.
  err = await createError(Engine, { userEmail: 'a@b.test', accessToken: 'kpt_1' });
  assert.equal(err.code, 'invalid_config');
  const { userEmail, ...noEmail } = settings({});
  err = await createError(Engine, noEmail);
  assert.equal(err.code, 'invalid_config');
  assert.match(err.message, /userEmail/);
  err = await createError(Engine, { ...settings({}), requestTimeoutMs: 'soon' });
  assert.match(err.message, /requestTimeoutMs/);
  // The token goes only where the engine sends it: the engine refuses an insecure API itself.
  for (const apiBaseUrl of ['http://api.example.com', 'http://evil.com\\@127.0.0.1']) {
    err = await createError(Engine, { ...settings({}), apiBaseUrl });
    assert.equal(err.code, 'invalid_config');
    assert.match(err.message, /apiBaseUrl.*allowInsecureTransport/);
  }
});

test('engine: credential API statuses map to their codes, slow API is a network_error', async () => {
  const Engine = await loadEngine();
  const seen = [];
  const api = await credentialApi((req, res) => {
    seen.push({ url: req.url, auth: req.headers.authorization });
    const status = { 'a401@x.test': 401, 'a403@x.test': 403, 'a404@x.test': 404, 'a409@x.test': 409, 'a500@x.test': 500 };
    const email = new URL(req.url, 'http://h').searchParams.get('email');
    if (email === 'slow@x.test') return; // never answers
    res.writeHead(status[email] ?? 500, { 'content-type': 'application/json' });
    res.end(JSON.stringify(email === 'a404@x.test' ? { message: 'from the server' } : { error: { code: 'x', message: 'from the server' } }));
  });
  try {
    const base = { accessToken: 'kpt_test_token', apiBaseUrl: api.url };
    const make = (config) => settings({ ...base, ...config });
    const expect = { a401: 'auth_failed', a403: 'auth_failed', a404: 'extension_not_found', a409: 'extension_not_provisioned', a500: 'init_failed' };
    for (const [user, code] of Object.entries(expect)) {
      const err = await createError(Engine, make({ userEmail: `${user}@x.test` }));
      assert.equal(err.code, code, `${user}: ${err.message}`);
      assert.match(err.message, /from the server/);
    }
    assert.equal(seen[0].url, '/v1/telephony/webphone/credentials?email=a401%40x.test');
    assert.equal(seen[0].auth, 'Bearer kpt_test_token');

    const started = Date.now();
    const err = await createError(Engine, make({ userEmail: 'slow@x.test', requestTimeoutMs: 300 }));
    const took = Date.now() - started;
    assert.equal(err.code, 'network_error');
    assert.match(err.message, /requestTimeoutMs/);
    assert.ok(took >= 280 && took < 3000, `timed out after ${took} ms`);
  } finally {
    await api.close();
  }
  const closed = await createError(Engine, settings({ apiBaseUrl: api.url }));
  assert.equal(closed.code, 'network_error');
});

test('engine: good credentials make an engine; the password is not in anything JS can read', async () => {
  const Engine = await loadEngine();
  const password = 'c2VjcmV0LXNpZ25hdHVyZQ==';
  const api = await credentialApi((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      extension: '1001', displayName: 'Agent', sipUri: 'sip:1001@pbx.test', authorizationUser: '1900000000:1001',
      password, realm: 'pbx.test', expiresAt: 1900000000, wsServers: ['ws://127.0.0.1:1/ws'], iceServers: [],
    }));
  });
  try {
    const events = [];
    const engine = await Engine.create(
      settings({ userEmail: 'agent@x.test', apiBaseUrl: api.url, logLevel: 'silent' }),
      (name, payload) => events.push([name, payload]),
    );
    // `command` takes the position of a name in COMMANDS of npm/src/sdk.js.
    const command = (name, id = '') => engine.command(
      ['answer', 'reject', 'hangup', 'hold', 'unhold', 'mute', 'unmute', 'dtmf', 'call', 'start', 'destroy',
        'attachAudio', 'getCalls', 'isRegistered'].indexOf(name), id, undefined);
    assert.deepEqual(command('getCalls'), []);
    assert.equal(command('isRegistered'), false);
    const visible = JSON.stringify(Object.getOwnPropertyNames(engine).map((k) => String(engine[k])));
    assert.ok(!visible.includes(password));
    const misuse = (() => { try { command('hangup', 'no-such-call'); } catch (e) { return e; } })();
    assert.equal(misuse.code, 'unknown_call');
    engine.free();
  } finally {
    await api.close();
  }
});

test('npm pack installs into a fresh directory and imports there', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'klink-pack-'));
  try {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: NPM_DIR, encoding: 'utf8' });
    const [{ filename, files }] = JSON.parse(out);
    const packed = files.map((f) => f.path).sort();
    for (const f of ['dist/index.js', 'dist/engine.js', 'dist/engine_bg.wasm', 'dist/index.d.ts',
      'dist/klink-call-sdk.iife.js', 'package.json']) {
      assert.ok(packed.includes(f), `${f} packed`);
    }
    assert.ok(!packed.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'sources stay out');
    const app = join(tmp, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', join(tmp, filename)], { cwd: app, stdio: 'pipe' });
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/@klink.cloud/call-sdk/package.json'), 'utf8'));
    assert.deepEqual(manifest.dependencies ?? {}, {}, 'zero runtime dependencies');
    writeFileSync(join(app, 'main.mjs'), `
      import { KlinkCallSdk, KlinkCallSdkError } from '@klink.cloud/call-sdk';
      const err = await KlinkCallSdk.init({ userEmail: 'a@b.test', accessToken: 'kpt_1' }).catch((e) => e);
      console.log(JSON.stringify({ cls: typeof KlinkCallSdk, isErr: err instanceof KlinkCallSdkError, code: err.code }));
    `);
    const result = JSON.parse(execFileSync('node', ['main.mjs'], { cwd: app, encoding: 'utf8' }).trim());
    assert.deepEqual(result, { cls: 'function', isErr: true, code: 'init_failed' });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
