// Tests of the built package (npm/dist, made by scripts/build-npm) as Node sees it: SSR-safe
// import, clean rejection without a browser, the script-tag build, the types, the engine's
// own refusals of bad settings and credential responses, and `npm pack` installed into a fresh
// directory. The wrapper's field-by-field config checks: config.test.mjs; its credential
// request: credentials.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { engineSettings, parseConfig, SETTINGS } from '../src/config.js';
import { _COMMANDS } from '../src/sdk.js';

const NPM_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
const DIST = join(NPM_DIR, 'dist');

const EVENTS = [
  'ready', 'incoming', 'sessionStarted', 'sessionEnded', 'remoteStream', 'connected',
  'disconnected', 'registeredChange', 'registrationFailed', 'error', 'destroyed',
];

test('the built files exist and the wasm is a wasm module', () => {
  for (const f of ['index.js', 'engine.js', 'engine_bg.wasm', 'index.d.ts', 'devices.js', 'klink-call-sdk.iife.js']) {
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
    'allowInsecureTransport?', 'reconnect?', 'iceGatheringTimeoutMs?', 'connectionWaitMs?', 'audioConstraints?']) {
    assert.ok(dts.includes(`  ${field}: `), `config field ${field}`);
  }
});

// ---- the engine itself, instantiated in Node (settings and credential response need no browser) ----

async function loadEngine() {
  const glue = await import(pathToFileURL(join(DIST, 'engine.js')).href);
  glue.initSync({ module: readFileSync(join(DIST, 'engine_bg.wasm')) });
  return glue.Engine;
}

/**
 * The engine's settings as the wrapper makes them from `config` (with the tab's instance id),
 * with the places named in `over` replaced.
 */
const settings = (config, over = {}) => {
  const array = engineSettings({
    ...parseConfig({ userEmail: 'a@b.test', accessToken: 'kpt_1', ...config }),
    instanceId: 'urn:uuid:0f6e2c4a-8b1d-4e3f-9a7c-5d2b1e0f3a4c',
  });
  for (const [name, value] of Object.entries(over)) array[SETTINGS.indexOf(name)] = value;
  return array;
};

const PASSWORD = 'c2VjcmV0LXNpZ25hdHVyZQ==';
/** A credential response as the API sends it, with `extra` over it. */
const response = (extra) => ({
  extension: '1001', displayName: 'Agent', sipUri: 'sip:1001@pbx.test', authorizationUser: '1900000000:1001',
  password: PASSWORD, realm: 'pbx.test', expiresAt: 1900000000, wsServers: ['ws://127.0.0.1:1/ws'], iceServers: [],
  ...extra,
});

const noop = () => {};

function createError(Engine, config, ...body) {
  // Without a `body` argument, a good response (an explicit `undefined` stays undefined).
  if (!body.length) body.push(response());
  try {
    Engine.create(config, body[0], noop, noop).free();
  } catch (e) {
    return e;
  }
  assert.fail('Engine.create succeeded');
}

// `command` takes the position of a name in the wrapper's command table.
const COMMANDS = _COMMANDS;

test('engine: without the wrapper, garbage settings are refused naming the field', async () => {
  const Engine = await loadEngine();
  let err = createError(Engine, undefined);
  assert.equal(err.code, 'invalid_config');
  assert.match(err.message, /config/);
  // The user's own object is not what the engine reads: the wrapper's settings array is.
  err = createError(Engine, { userEmail: 'a@b.test', accessToken: 'kpt_1' });
  assert.equal(err.code, 'invalid_config');
  err = createError(Engine, settings({}, { logLevel: undefined }));
  assert.equal(err.code, 'invalid_config');
  assert.match(err.message, /logLevel/);
  err = createError(Engine, settings({}, { registerExpires: 'soon' }));
  assert.match(err.message, /registerExpires/);
  err = createError(Engine, settings({}).slice(0, -1));
  assert.match(err.message, /qualityWarnings\.mos/);
  // The instance id goes into the Contact header: only `urn:uuid:` and a UUID get there.
  for (const instanceId of [undefined, 'urn:uuid:0f6e2c4a-8b1d-4e3f-9a7c-5d2b1e0f3a4c\r\nX: 1', 'tab-1']) {
    err = createError(Engine, settings({}, { instanceId }));
    assert.equal(err.code, 'invalid_config');
    assert.match(err.message, /instanceId/);
  }
});

test('engine: a credential response it cannot use is init_failed; an insecure wsServers invalid_config', async () => {
  const Engine = await loadEngine();
  for (const [body, message] of [
    [undefined, /lacks sipUri/],
    ['{"sipUri":"sip:1001@pbx.test"}', /lacks sipUri/],
    [response({ password: undefined }), /lacks password/],
    [response({ authorizationUser: 42 }), /lacks authorizationUser/],
    [response({ wsServers: [] }), /no wsServers/],
    [response({ wsServers: 'wss://pbx.test/ws' }), /no wsServers/],
    [response({ iceServers: 'stun:stun.test' }), /iceServers is not an array/],
  ]) {
    const err = createError(Engine, settings({}), body);
    assert.equal(err.code, 'init_failed', JSON.stringify(body));
    assert.match(err.message, message);
  }
  // The engine opens these sockets: it refuses ws:// to a non-loopback host itself.
  for (const ws of ['ws://pbx.test/ws', 'ws://evil.test\\@127.0.0.1/ws']) {
    const err = createError(Engine, settings({}), response({ wsServers: ['wss://pbx.test/ws', ws] }));
    assert.equal(err.code, 'invalid_config');
    assert.match(err.message, /^wsServers\[1\] from the credential API uses ws:\/\/ .*allowInsecureTransport/);
  }
  Engine.create(settings({ allowInsecureTransport: true }), response({ wsServers: ['ws://pbx.test/ws'] }), noop, noop).free();
});

test('engine: good credentials make an engine; the password is not in anything JS can read', async () => {
  const Engine = await loadEngine();
  const events = [];
  const engine = Engine.create(settings({ logLevel: 'silent' }), response(), (name, payload) => events.push([name, payload]), noop);
  const command = (name, id = '', arg = undefined) => engine.command(COMMANDS.indexOf(name), id, arg);
  assert.deepEqual(command('getCalls'), []);
  assert.equal(command('isRegistered'), false);
  const visible = JSON.stringify(Object.getOwnPropertyNames(engine).map((k) => String(engine[k])));
  assert.ok(!visible.includes(PASSWORD));
  const misuse = (() => { try { command('hangup', 'no-such-call'); } catch (e) { return e; } })();
  assert.equal(misuse.code, 'unknown_call');
  // A refreshed response goes through `credentials`; one the engine cannot use is thrown back.
  assert.equal(command('credentials', '', response({ password: 'bmV3LXNpZ25hdHVyZQ==' })), undefined);
  const refused = (() => { try { command('credentials', '', response({ sipUri: '' })); } catch (e) { return e; } })();
  assert.equal(refused.code, 'init_failed');
  assert.match(refused.message, /lacks sipUri/);
  assert.ok(!JSON.stringify([refused, events]).includes('c2VjcmV0') && !JSON.stringify([refused, events]).includes('bmV3'));
  engine.free();
});

test('the device helpers and preflight are a chunk: index.js imports devices.js on use, which imports nothing', async () => {
  const entry = readFileSync(join(DIST, 'index.js'), 'utf8');
  const chunk = readFileSync(join(DIST, 'devices.js'), 'utf8');
  const iife = readFileSync(join(DIST, 'klink-call-sdk.iife.js'), 'utf8');
  // A literal dynamic import, the form every bundler follows and emits as a chunk.
  assert.match(entry, /import\("\.\/devices\.js"\)/);
  assert.doesNotMatch(entry, /import[^(]*from\s*"\.\/devices\.js"/, 'no static import of the chunk');
  // What only devices.js does (the device calls, preflight's WebAudio and ICE checks) is not in the entry.
  for (const word of ['enumerateDevices', 'getUserMedia', 'AudioContext', 'setLocalDescription']) {
    assert.ok(!entry.includes(word), `index.js has no ${word}`);
    assert.ok(chunk.includes(word), `devices.js has ${word}`);
  }
  assert.doesNotMatch(chunk, /\bimport\s*[\w{*"(]/, 'devices.js imports nothing: one request, no module shared with the entry');
  assert.ok(iife.includes('enumerateDevices') && !iife.includes('devices.js"'), 'the script-tag build is one file, devices bundled in');

  // The built chunk works on its own, and throws the error class it is handed (the entry's).
  const { default: make } = await import(pathToFileURL(join(DIST, 'devices.js')).href);
  class Handed extends Error {
    constructor(code, message) {
      super(message);
      this.code = code;
    }
  }
  const d = make(Handed, (e) => e);
  const hadNavigator = 'navigator' in globalThis;
  const saved = globalThis.navigator;
  try {
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    const missing = await d.devices().catch((e) => e);
    assert.ok(missing instanceof Handed, String(missing));
    assert.equal(missing.code, 'not_supported');
    globalThis.navigator.mediaDevices = { enumerateDevices: async () => [{ kind: 'audioinput', deviceId: 'a', label: 'Mic', groupId: 'g' }] };
    assert.deepEqual(await d.devices(), { audioinput: [{ deviceId: 'a', label: 'Mic', groupId: 'g' }], audiooutput: [] });
    const bad = await d.input(7, true, () => []).catch((e) => e);
    assert.ok(bad instanceof Handed && bad.code === 'invalid_argument', String(bad));
  } finally {
    if (hadNavigator) Object.defineProperty(globalThis, 'navigator', { value: saved, configurable: true, writable: true });
    else delete globalThis.navigator;
  }
});

test('npm pack installs into a fresh directory and imports there', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'klink-pack-'));
  try {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: NPM_DIR, encoding: 'utf8' });
    const [{ filename, files }] = JSON.parse(out);
    const packed = files.map((f) => f.path).sort();
    for (const f of ['dist/index.js', 'dist/engine.js', 'dist/engine_bg.wasm', 'dist/index.d.ts',
      'dist/devices.js', 'dist/klink-call-sdk.iife.js', 'package.json']) {
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
