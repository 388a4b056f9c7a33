// Tests of the engine's glue as scripts/build-npm trims it (scripts/lib/trim-glue.mjs): its one
// loader, `default({ module_or_path })` with the promise of a Response, as the SDK's entries
// call it, and the imports that hand a browser exception to the engine. Each test imports
// its own copy of npm/dist/engine.js (a query string makes a new module).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { engineSettings, parseConfig } from '../src/config.js';

const DIST = join(dirname(dirname(fileURLToPath(import.meta.url))), 'dist');
const WASM = readFileSync(join(DIST, 'engine_bg.wasm'));
let copies = 0;
const freshGlue = () => import(`${pathToFileURL(join(DIST, 'engine.js')).href}?copy=${++copies}`);
const served = (body, type) => Promise.resolve(new Response(body, { headers: { 'content-type': type } }));

const SETTINGS = engineSettings({
  ...parseConfig({ userEmail: 'a@b.test', accessToken: 'kpt_1' }),
  instanceId: 'urn:uuid:0f6e2c4a-8b1d-4e3f-9a7c-5d2b1e0f3a4c',
});
const response = (wsServers) => ({
  extension: '1001', displayName: 'Agent', sipUri: 'sip:1001@pbx.test', authorizationUser: '1900000000:1001',
  password: 'c2VjcmV0', realm: 'pbx.test', expiresAt: 1900000000, wsServers, iceServers: [],
});
const noop = () => {};

/** Runs `fn` with console.warn recorded; returns what was warned. */
async function warnings(fn) {
  const warn = console.warn;
  const said = [];
  console.warn = (...args) => said.push(args);
  try {
    await fn();
  } finally {
    console.warn = warn;
  }
  return said;
}

test('the engine loads from a response served as application/wasm, once', async () => {
  const glue = await freshGlue();
  let exports;
  const said = await warnings(async () => {
    exports = await glue.default({ module_or_path: served(WASM, 'application/wasm') });
  });
  assert.deepEqual(said, [], 'streaming compile, nothing to say');
  assert.ok(Object.values(exports).some((v) => v instanceof WebAssembly.Memory), 'the instance exports');
  glue.Engine.create(SETTINGS, response(['wss://pbx.test/ws']), noop, noop).free();
  // A second call is the same instance: the response is not even awaited.
  let read = false;
  const again = await glue.default({ module_or_path: { then: () => { read = true; } } });
  assert.equal(again, exports);
  assert.equal(read, false);
});

test('served without application/wasm, it compiles after the download and says why', async () => {
  const glue = await freshGlue();
  const said = await warnings(() => glue.default({ module_or_path: served(WASM, 'application/octet-stream') }));
  assert.equal(said.length, 1);
  assert.match(String(said[0][0]), /engine_bg\.wasm is not served as application\/wasm/);
  glue.Engine.create(SETTINGS, response(['wss://pbx.test/ws']), noop, noop).free();
});

test('a body that is not wasm rejects, whatever its type; the glue can load again after', async () => {
  const glue = await freshGlue();
  await assert.rejects(glue.default({ module_or_path: served('<!doctype html>', 'application/wasm') }), WebAssembly.CompileError);
  await warnings(() => assert.rejects(glue.default({ module_or_path: served('<!doctype html>', 'text/html') }), WebAssembly.CompileError));
  await assert.rejects(glue.default({ module_or_path: Promise.reject(new Error('offline')) }), /offline/);
  await glue.default({ module_or_path: served(WASM, 'application/wasm') });
  glue.Engine.create(SETTINGS, response(['wss://pbx.test/ws']), noop, noop).free();
});

test('a browser call that throws reaches the engine as its error (new URL of a bad wsServers)', async () => {
  const glue = await freshGlue();
  await glue.default({ module_or_path: served(WASM, 'application/wasm') });
  let err;
  try {
    glue.Engine.create(SETTINGS, response(['wss://pbx.test/ws', 'wss://[bad/ws']), noop, noop);
  } catch (e) {
    err = e;
  }
  assert.equal(err?.code, 'invalid_config');
  assert.match(err.message, /^wsServers\[1\] from the credential API must be an absolute wss:\/\/ URL/);
  // The engine lives on: the next creation works.
  glue.Engine.create(SETTINGS, response(['wss://pbx.test/ws']), noop, noop).free();
});
