// call() before the SIP connection is up (npm/src/sdk.js): it waits for the engine's
// `connected`, bounded by connectionWaitMs, instead of failing; the wait ends in
// network_error at the deadline and in invalid_state when destroy() comes first. The engine
// here is a stand-in that refuses `call` while it is not connected, as the real one does
// (sip-core's CommandError::NotConnected), so a wrapper that let a call through early fails.
// The real engine against the real stack: tests/e2e/sdk-connection-wait.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KlinkCallSdkError, _COMMANDS as COMMANDS } from '../src/sdk.js';
import { withStandInEngine } from './lib/stand-in.mjs';

/** The engine's contract as the wrapper sees it; the test opens and drops its "connection". */
class StandInEngine {
  static created = [];
  static create(settings, credentials, emit) {
    const engine = new StandInEngine(emit);
    StandInEngine.created.push(engine);
    return engine;
  }

  constructor(emit) {
    this.emit = emit;
    this.up = false;
    /** [{ name, target, up }] in order. */
    this.commands = [];
    this.calls = 0;
  }

  command(kind, id) {
    const name = COMMANDS[kind];
    this.commands.push({ name, target: id, up: this.up });
    switch (name) {
      case 'call':
        if (!this.up) throw { code: 'invalid_state', message: 'not connected to the SIP server yet' };
        this.calls += 1;
        return `call-${this.calls}`;
      case 'destroy':
        // The real engine unregisters first: `destroyed` comes later.
        setTimeout(() => this.emit('destroyed'), 20);
        return undefined;
      case 'getCalls':
        return [];
      case 'isRegistered':
        return false;
      default:
        return undefined;
    }
  }

  connect() {
    this.up = true;
    this.emit('connected');
  }

  drop() {
    this.up = false;
    this.emit('disconnected');
  }

  dialled() {
    return this.commands.filter((c) => c.name === 'call');
  }

  free() {}
}

const init = withStandInEngine(StandInEngine);

/** A phone on the stand-in engine (not connected yet): { sdk, engine }. */
async function phone(extra = {}) {
  const sdk = await init(extra);
  const engine = StandInEngine.created.at(-1);
  return { sdk, engine };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Settles `promise` into { ok, value } or { ok: false, error, at }, never rejecting. */
const settle = (promise) =>
  promise.then((value) => ({ ok: true, value, at: Date.now() }), (error) => ({ ok: false, error, at: Date.now() }));

test('call() right after init() waits for the connection, then dials', async () => {
  const { sdk, engine } = await phone();
  assert.deepEqual(engine.commands.map((c) => c.name), ['start'], 'init() started the engine, nothing more');
  const pending = settle(sdk.call('1002'));
  await sleep(50);
  assert.deepEqual(engine.dialled(), [], 'nothing dialled before the connection is up');
  engine.connect();
  const result = await pending;
  assert.equal(result.ok, true, String(result.error));
  assert.equal(result.value, 'call-1', "resolves with the engine's call id");
  assert.deepEqual(engine.dialled(), [{ name: 'call', target: '1002', up: true }]);
  // Connected: the next call dials at once.
  assert.equal(await sdk.call(' 1003 '), 'call-2');
  assert.equal(engine.dialled()[1].target, '1003');
  await sdk.destroy();
});

test('calls waiting together dial in the order they were made', async () => {
  const { sdk, engine } = await phone();
  const pending = ['1002', '1003', '1004'].map((n) => settle(sdk.call(n)));
  await sleep(10);
  engine.connect();
  const results = await Promise.all(pending);
  assert.deepEqual(results.map((r) => r.value), ['call-1', 'call-2', 'call-3']);
  assert.deepEqual(engine.dialled().map((c) => c.target), ['1002', '1003', '1004']);
  await sdk.destroy();
});

test('past connectionWaitMs, call() rejects with network_error and nothing is dialled', async () => {
  const { sdk, engine } = await phone({ connectionWaitMs: 300 });
  const start = Date.now();
  const result = await settle(sdk.call('1002'));
  const waited = result.at - start;
  assert.equal(result.ok, false);
  assert.ok(result.error instanceof KlinkCallSdkError, String(result.error));
  assert.equal(result.error.code, 'network_error');
  assert.match(result.error.message, /connectionWaitMs \(300 ms\)/);
  assert.ok(waited >= 290 && waited < 1500, `rejected at the deadline: ${waited} ms`);
  assert.deepEqual(engine.dialled(), []);
  // The engine connecting later dials nothing on its own: that call is over.
  engine.connect();
  await sleep(20);
  assert.deepEqual(engine.dialled(), []);
  await sdk.destroy();
});

test('connectionWaitMs: 0 fails at once while not connected, and dials at once when connected', async () => {
  const { sdk, engine } = await phone({ connectionWaitMs: 0 });
  const start = Date.now();
  const result = await settle(sdk.call('1002'));
  assert.equal(result.error?.code, 'network_error');
  assert.ok(result.at - start < 100, `at once: ${result.at - start} ms`);
  engine.connect();
  assert.equal(await sdk.call('1002'), 'call-1');
  await sdk.destroy();
});

test('while reconnecting, call() waits for the next connection; a drop during the wait is waited out too', async () => {
  const { sdk, engine } = await phone({ connectionWaitMs: 2000 });
  engine.connect();
  assert.equal(await sdk.call('1002'), 'call-1');
  engine.drop();
  const pending = settle(sdk.call('1003'));
  await sleep(30);
  assert.equal(engine.dialled().length, 1, 'not dialled while disconnected');
  // Back for a moment, and down again before the waiting call could run (same task).
  engine.connect();
  engine.drop();
  await sleep(30);
  assert.equal(engine.dialled().length, 1, 'a connection that is gone again is not used');
  engine.connect();
  const result = await pending;
  assert.equal(result.value, 'call-2');
  assert.deepEqual(engine.dialled()[1], { name: 'call', target: '1003', up: true });
  await sdk.destroy();
});

test('the deadline counts from the call, not from each wake-up', async () => {
  const { sdk, engine } = await phone({ connectionWaitMs: 400 });
  const start = Date.now();
  const pending = settle(sdk.call('1002'));
  await sleep(150);
  engine.connect();
  engine.drop(); // woken, but down again
  const result = await pending;
  assert.equal(result.error?.code, 'network_error');
  const waited = result.at - start;
  assert.ok(waited >= 390 && waited < 1000, `one deadline of 400 ms: ${waited} ms`);
  await sdk.destroy();
});

test('destroy() during the wait rejects the waiting call with invalid_state at once', async () => {
  const { sdk, engine } = await phone({ connectionWaitMs: 60_000 });
  const pending = settle(sdk.call('1002'));
  await sleep(20);
  let finished = false;
  const destroyed = sdk.destroy().then(() => {
    finished = true;
  });
  const result = await pending;
  assert.equal(finished, false, 'the call failed before destroy() finished');
  assert.equal(result.ok, false);
  assert.ok(result.error instanceof KlinkCallSdkError);
  assert.equal(result.error.code, 'invalid_state');
  assert.match(result.error.message, /destroyed/);
  await destroyed;
  assert.deepEqual(engine.dialled(), []);
  // Its 60 s timer was cleared: were it not, this test file would not exit before it fired.
  const late = await settle(sdk.call('1002'));
  assert.equal(late.error?.code, 'invalid_state', 'a call after destroy() is refused without waiting');
});

test('a bad number is refused at once, without waiting for the connection', async () => {
  const { sdk } = await phone();
  const start = Date.now();
  for (const bad of ['', '  ', null, {}]) {
    const result = await settle(sdk.call(bad));
    assert.equal(result.error?.code, 'invalid_argument', JSON.stringify(bad));
  }
  assert.ok(Date.now() - start < 100);
  await sdk.destroy();
});
