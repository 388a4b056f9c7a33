// transfer(), acceptTransfer() and the incomingTransfer policy in the wrapper (npm/src/sdk.js),
// on a stand-in engine that records the commands it gets and emits what the test tells it: the
// promise of transfer() follows the engine's transferAccepted / transferFailed / sessionEnded,
// and a transferRequested nobody answered is accepted only under 'accept'. The real engine
// against JsSIP: tests/e2e/sdk-transfer.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KlinkCallSdkError, _COMMANDS } from '../src/sdk.js';
import { withStandInEngine } from './lib/stand-in.mjs';

class StandInEngine {
  static created = [];
  static create(settings, credentials, emit) {
    const engine = new StandInEngine(emit);
    StandInEngine.created.push(engine);
    return engine;
  }

  constructor(emit) {
    this.emit = emit;
    /** [name, id, arg] in order. */
    this.commands = [];
  }

  command(kind, id, arg) {
    const name = _COMMANDS[kind];
    this.commands.push([name, id, arg]);
    if (name === 'transfer' && arg === 'bad') throw { code: 'invalid_argument', message: "invalid call target 'bad'" };
    if (name === 'acceptTransfer') return 'new-call';
    if (name === 'destroy') setTimeout(() => this.emit('destroyed'), 5);
    if (name === 'getCalls') return [];
    return undefined;
  }

  sent(name) {
    return this.commands.filter((c) => c[0] === name);
  }

  free() {}
}

const init = withStandInEngine(StandInEngine);

async function phone(extra = {}) {
  const sdk = await init(extra);
  await new Promise((r) => setTimeout(r, 5)); // the queued `ready`
  return { sdk, engine: StandInEngine.created.at(-1) };
}

const settle = (p) => p.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error }));
const tick = () => new Promise((r) => setTimeout(r, 5));

test('transfer() sends the target to the engine and resolves when the peer accepts', async () => {
  const { sdk, engine } = await phone();
  const pending = settle(sdk.transfer('c1', 1003));
  await tick();
  assert.deepEqual(engine.sent('transfer'), [['transfer', 'c1', '1003']], 'a number goes as text');
  engine.emit('transferAccepted', { callId: 'other' });
  engine.emit('transferAccepted', { callId: 'c1' });
  assert.deepEqual(await pending, { ok: true, value: undefined });
  const attended = settle(sdk.transfer('c1', { replaces: 'c2' }));
  await tick();
  assert.deepEqual(engine.sent('transferReplacing'), [['transferReplacing', 'c1', 'c2']]);
  engine.emit('transferAccepted', { callId: 'c1' });
  assert.equal((await attended).ok, true);
  await sdk.destroy();
});

test('transfer() rejects transfer_failed when the peer refuses, invalid_state when the call ends first', async () => {
  const { sdk, engine } = await phone();
  const refused = settle(sdk.transfer('c1', '1003'));
  await tick();
  engine.emit('transferFailed', { callId: 'c1', status: 403, reason: 'Forbidden' });
  const r = await refused;
  assert.ok(r.error instanceof KlinkCallSdkError);
  assert.equal(r.error.code, 'transfer_failed');
  assert.match(r.error.message, /403 Forbidden/);
  const ended = settle(sdk.transfer('c1', '1003'));
  await tick();
  engine.emit('sessionEnded', { callId: 'c1', cause: 'hangup_remote', status: 200 });
  assert.equal((await ended).error.code, 'invalid_state');
  // What the engine refuses is the promise's rejection, with the engine's code.
  const bad = await settle(sdk.transfer('c1', 'bad'));
  assert.equal(bad.error.code, 'invalid_argument');
  const noId = await settle(sdk.transfer('', '1003'));
  assert.equal(noId.error.code, 'invalid_argument');
  // A settled transfer listens no more: later events reach nobody's promise.
  engine.emit('transferAccepted', { callId: 'c1' });
  await sdk.destroy();
});

test("incomingTransfer 'accept' follows a request nobody answered, after the listeners ran", async () => {
  const { sdk, engine } = await phone();
  const seen = [];
  sdk.on('transferRequested', ({ callId, target }) => seen.push([callId, target, engine.sent('acceptTransfer').length]));
  engine.emit('transferRequested', { callId: 'c1', target: 'sip:1003@pbx.test' });
  assert.deepEqual(seen, [['c1', 'sip:1003@pbx.test', 0]], 'the listener ran before the SDK accepted');
  assert.deepEqual(engine.sent('acceptTransfer'), [['acceptTransfer', 'c1', undefined]]);
  await sdk.destroy();
});

test("incomingTransfer 'ask' leaves the request to the app: acceptTransfer resolves with the new call's id", async () => {
  const { sdk, engine } = await phone({ incomingTransfer: 'ask' });
  engine.emit('transferRequested', { callId: 'c1', target: 'sip:1003@pbx.test' });
  assert.deepEqual(engine.sent('acceptTransfer'), []);
  assert.equal(await sdk.acceptTransfer('c1'), 'new-call');
  await sdk.rejectTransfer('c1');
  assert.deepEqual(engine.sent('rejectTransfer'), [['rejectTransfer', 'c1', undefined]]);
  await sdk.destroy();
});
