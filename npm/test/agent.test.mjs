// The wrapper's part of the agent controls (npm/src/sdk.js): which options it accepts, what
// it hands the engine, and that a bad option rejects with invalid_argument before the engine
// is asked anything. The engine here records its commands; the real one against Kamailio and
// JsSIP: tests/e2e/sdk-agent.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SETTINGS } from '../src/config.js';
import { _COMMANDS as COMMANDS } from '../src/sdk.js';
import { withStandInEngine } from './lib/stand-in.mjs';

class RecordingEngine {
  static last = null;
  static create(settings, credentials, emit) {
    RecordingEngine.last = new RecordingEngine(settings, emit);
    return RecordingEngine.last;
  }

  constructor(settings, emit) {
    this.settings = settings;
    this.emit = emit;
    /** [name, id, arg] of every command but `start`. */
    this.commands = [];
  }

  command(kind, id, arg) {
    const name = COMMANDS[kind];
    if (name === 'start') {
      setTimeout(() => this.emit('connected'), 0);
      return undefined;
    }
    if (name === 'destroy') {
      setTimeout(() => this.emit('destroyed'), 0);
      return undefined;
    }
    this.commands.push([name, id, arg]);
    return name === 'call' ? 'c1' : undefined;
  }

  free() {}
}

const init = withStandInEngine(RecordingEngine);

async function phone(extra = {}) {
  const sdk = await init(extra);
  return { sdk, engine: RecordingEngine.last };
}

/** The error code a promise rejects with (fails if it resolves). */
async function code(promise) {
  try {
    await promise;
  } catch (err) {
    return err.code;
  }
  assert.fail('resolved');
}

test('reject() hands the engine 486 by default, 603 or 480 when asked, and refuses any other code', async () => {
  const { sdk, engine } = await phone({ incomingWhileBusy: 'reject' });
  // The engine's settings array holds 1 for 'reject'.
  assert.equal(engine.settings[SETTINGS.indexOf('incomingWhileBusy')], 1);
  await sdk.reject('c1');
  await sdk.reject('c1', {});
  await sdk.reject('c1', { code: 603 });
  await sdk.reject('c1', { code: 480 });
  assert.deepEqual(engine.commands, [
    ['reject', 'c1', '486'],
    ['reject', 'c1', '486'],
    ['reject', 'c1', '603'],
    ['reject', 'c1', '480'],
  ]);
  for (const bad of [404, 200, '603', 486.5]) {
    assert.equal(await code(sdk.reject('c1', { code: bad })), 'invalid_argument', String(bad));
  }
  assert.equal(engine.commands.length, 4, 'a refused code never reaches the engine');
  await sdk.destroy();
});

test('dtmf() hands the engine the duration and gap (as two characters) and the tones, and refuses timings out of bounds', async () => {
  const { sdk, engine } = await phone();
  await sdk.dtmf('c1', '12#');
  await sdk.dtmf('c1', 5, { duration: 250 });
  await sdk.dtmf('c1', '*', { duration: 40, gap: 6000 });
  assert.deepEqual(engine.commands, [
    ['dtmf', 'c1', '\u0064\u004612#'],
    ['dtmf', 'c1', '\u00fa\u00465'],
    ['dtmf', 'c1', '\u0028\u1770*'],
  ]);
  for (const bad of [{ duration: 39 }, { duration: 6001 }, { gap: 29 }, { gap: 6001 }, { duration: 100.5 }, { gap: '70' }]) {
    assert.equal(await code(sdk.dtmf('c1', '1', bad)), 'invalid_argument', JSON.stringify(bad));
  }
  assert.equal(await code(sdk.dtmf('c1', '')), 'invalid_argument');
  assert.equal(engine.commands.length, 3, 'nothing refused reached the engine');
  await sdk.destroy();
});

test("mute() and unmute() hand the engine the direction, 'out' by default", async () => {
  const { sdk, engine } = await phone();
  await sdk.mute('c1');
  await sdk.mute('c1', { direction: 'in' });
  await sdk.unmute('c1', { direction: 'all' });
  await sdk.unmute('c1', {});
  assert.deepEqual(engine.commands, [
    ['mute', 'c1', 'out'],
    ['mute', 'c1', 'in'],
    ['unmute', 'c1', 'all'],
    ['unmute', 'c1', 'out'],
  ]);
  assert.equal(await code(sdk.mute('c1', { direction: 'both' })), 'invalid_argument');
  assert.equal(engine.commands.length, 4);
  await sdk.destroy();
});

test('call() hands the engine the display name, then a Name:value line per header; a line break inside one goes as CR, which the engine refuses', async () => {
  const { sdk, engine } = await phone();
  assert.equal(await sdk.call('1002'), 'c1');
  await sdk.call('1002', { displayName: 'Agent Ann', headers: { 'X-Ticket': 'T-42', 'X-Queue': 'sales' } });
  await sdk.call('1002', { headers: { 'X-Ticket': 'a\nVia: evil' } });
  await sdk.call('1002', { displayName: 'Ann\r\nX-Injected: 1' });
  assert.deepEqual(engine.commands, [
    ['call', '1002', ''],
    ['call', '1002', 'Agent Ann\nX-Ticket:T-42\nX-Queue:sales'],
    ['call', '1002', '\nX-Ticket:a\rVia: evil'],
    ['call', '1002', 'Ann\r\rX-Injected: 1'],
  ]);
  await sdk.destroy();
});
