// The device helpers and preflight() live in npm/src/devices.js, a chunk the ESM build loads on
// first use (sdk.js `devicesModule`). Here, on a stand-in engine and a stand-in
// navigator.mediaDevices: nothing is loaded by init() or a call; the first device method, or
// a `devicechange` subscription, loads the chunk once; a listener subscribed before any device
// call gets `devicechange`; a failed load is a typed error and the next use loads it; the
// methods keep their typed errors. The built chunk itself: package.test.mjs; in bundled apps
// and real Chromium: tests/e2e/sdk-bundlers.test.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KlinkCallSdkError, _COMMANDS as COMMANDS, setDevicesLoader } from '../src/sdk.js';
import { withStandInEngine } from './lib/stand-in.mjs';

class StandInEngine {
  static last = null;
  static create(settings, credentials, emit) {
    StandInEngine.last = new StandInEngine(emit);
    return StandInEngine.last;
  }

  constructor(emit) {
    this.emit = emit;
    this.commands = [];
    queueMicrotask(() => emit('connected'));
  }

  command(kind) {
    const name = COMMANDS[kind];
    this.commands.push(name);
    if (name === 'call') return 'call-1';
    if (name === 'setInputDevice') return []; // no call in progress: no track to swap
    if (name === 'destroy') setTimeout(() => this.emit('destroyed'), 0);
    if (name === 'getCalls') return [];
    if (name === 'isRegistered') return false;
    return undefined;
  }

  free() {}
}

const init = withStandInEngine(StandInEngine);

/** The fake devices: Chromium's fake microphone and speaker, and a camera that must not be listed. */
const DEVICES = [
  { kind: 'audioinput', deviceId: 'default', label: 'Fake Audio Input 1', groupId: 'g1' },
  { kind: 'audiooutput', deviceId: 'default', label: 'Fake Audio Output 1', groupId: 'g2' },
  { kind: 'videoinput', deviceId: 'cam', label: 'Fake Camera', groupId: 'g3' },
];
const LISTS = {
  audioinput: [{ deviceId: 'default', label: 'Fake Audio Input 1', groupId: 'g1' }],
  audiooutput: [{ deviceId: 'default', label: 'Fake Audio Output 1', groupId: 'g2' }],
};

/** navigator.mediaDevices as the SDK uses it: an EventTarget with enumerateDevices and getUserMedia. */
const mediaDevices = Object.assign(new EventTarget(), {
  enumerateDevices: async () => DEVICES.map((d) => ({ ...d })),
  getUserMedia: async ({ audio }) => {
    if (audio.deviceId?.exact === 'gone') throw Object.assign(new Error('no such device'), { name: 'NotFoundError' });
    return { getAudioTracks: () => [{ stop() {} }] };
  },
});

/** How often the chunk was asked for, and whether the next load fails. */
const loads = { count: 0, fail: 0 };
let hadNavigator;

before(() => {
  hadNavigator = 'navigator' in globalThis;
  if (!hadNavigator) globalThis.navigator = {};
  Object.defineProperty(globalThis.navigator, 'mediaDevices', { value: mediaDevices, configurable: true });
  setDevicesLoader(async () => {
    loads.count += 1;
    if (loads.fail > 0) {
      loads.fail -= 1;
      throw new TypeError('Failed to fetch dynamically imported module: https://app.test/devices.js');
    }
    return import('../src/devices.js');
  });
});

after(() => {
  setDevicesLoader(null);
  if (hadNavigator) delete globalThis.navigator.mediaDevices;
  else delete globalThis.navigator;
});

const settle = (promise) => promise.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// First, while the chunk is not loaded yet (once loaded, the module keeps it).
test('init and a call load no device code; devicechange reaches a listener subscribed before any device call; a failed load is network_error and is not kept', async () => {
  const sdk = await init();
  await sleep(5);
  assert.equal(await sdk.call('1002'), 'call-1');
  sdk.on('registeredChange', () => {});
  assert.equal(loads.count, 0, 'init(), call() and other subscriptions load no device code');

  // Subscribing loads the chunk; here that load fails, and so does the next.
  loads.fail = 2;
  const changes = [];
  sdk.on('devicechange', (lists) => changes.push(lists));
  await sleep(5);
  assert.equal(loads.count, 1, 'subscribing to devicechange loads the chunk');
  const failed = await settle(sdk.listDevices());
  assert.equal(failed.ok, false);
  assert.ok(failed.error instanceof KlinkCallSdkError, String(failed.error));
  assert.equal(failed.error.code, 'network_error');
  assert.match(failed.error.message, /could not load the SDK's devices\.js: .*devices\.js/);
  assert.equal(loads.count, 2);

  // A device comes: the event loads the chunk again, and the listener gets the lists.
  mediaDevices.dispatchEvent(new Event('devicechange'));
  for (let i = 0; i < 50 && changes.length === 0; i++) await sleep(5);
  assert.deepEqual(changes, [LISTS], 'audio devices only, by kind');
  assert.equal(loads.count, 3);
  assert.deepEqual(await sdk.listDevices(), LISTS);
  assert.equal(loads.count, 3, 'loaded once, then kept');

  await sdk.destroy();
  mediaDevices.dispatchEvent(new Event('devicechange'));
  await sleep(20);
  assert.equal(changes.length, 1, 'none after destroy()');
});

test('the device methods keep their typed errors and their promises', async () => {
  const sdk = await init();
  const calls = [
    [() => sdk.setInputDevice(7), 'invalid_argument'],
    [() => sdk.setInputDevice('gone'), 'invalid_argument'],
    [() => sdk.setOutputDevice(null), 'invalid_argument'],
    [() => sdk.preflight({ timeoutMs: 5 }), 'invalid_argument'],
  ];
  for (const [fn, code] of calls) {
    const result = fn();
    assert.ok(result instanceof Promise, `${fn}: a promise, not a throw`);
    const { ok, error } = await settle(result);
    assert.equal(ok, false, String(fn));
    assert.ok(error instanceof KlinkCallSdkError, `${fn}: ${error}`);
    assert.equal(error.code, code, `${fn}: ${error.message}`);
  }
  assert.ok(!StandInEngine.last.commands.includes('setInputDevice'), 'a refused device changes nothing');
  // A switch that works reaches the engine.
  await sdk.setInputDevice('');
  assert.equal(StandInEngine.last.commands.filter((c) => c === 'setInputDevice').length, 1);
  await sdk.destroy();
  for (const fn of [() => sdk.listDevices(), () => sdk.setInputDevice(''), () => sdk.setOutputDevice(''), () => sdk.preflight()]) {
    const { ok, error } = await settle(fn());
    assert.equal(ok, false);
    assert.equal(error.code, 'invalid_state', `${fn} after destroy(): ${error.message}`);
  }
});
