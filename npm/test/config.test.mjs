// The init(config) checks of the JS wrapper (npm/src/config.js): every bad field rejects with
// invalid_config naming it, the defaults are applied, insecure URLs are refused; and init()
// gives that error before the engine is loaded. The engine's own refusal of garbage and of
// insecure wsServers is tested in crates/call-sdk/tests/browser.rs and package.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../src/config.js';
import { KlinkCallSdkError } from '../src/error.js';
import { KlinkCallSdk, setEngineLoader } from '../src/sdk.js';

const base = { userEmail: 'agent@example.com', accessToken: 'kpt_abc123' };
const withBase = (extra) => ({ ...base, ...extra });

/** parseConfig(config) must throw invalid_config; returns the message. */
function configError(config) {
  try {
    parseConfig(config);
  } catch (err) {
    assert.ok(err instanceof KlinkCallSdkError, `a KlinkCallSdkError: ${err}`);
    assert.equal(err.code, 'invalid_config', err.message);
    return err.message;
  }
  assert.fail(`accepted ${JSON.stringify(config)}`);
}

test('defaults apply, and the result has every field the engine reads', () => {
  assert.deepEqual(parseConfig(base), {
    userEmail: 'agent@example.com',
    accessToken: 'kpt_abc123',
    apiBaseUrl: 'https://apigw.klinkcx.com',
    requestTimeoutMs: 15000,
    iceServers: null,
    logLevel: 'warn',
    allowInsecureTransport: false,
    reconnect: { enabled: true, maxDelayMs: 30000 },
    keepalive: { idleIntervalMs: 15000, callIntervalMs: 5000, timeoutMs: 4000 },
    sessionTimers: { enabled: true, expiresSec: 1800, minSec: 90 },
    iceGatheringTimeoutMs: 100,
    connectionWaitMs: 10000,
    registerExpires: 600,
    iceDisconnectedGraceMs: 2000,
    mediaRecoveryTimeoutMs: 15000,
    audioConstraints: true,
    engineUrl: null,
    incomingWhileBusy: 'ring',
    incomingTransfer: 'accept',
    statsIntervalMs: 0,
    qualityWarnings: { rttMs: 400, jitterMs: 30, packetLossPercent: 1, mos: 3.5 },
  });
  // null means "not given", as undefined does.
  const nulls = Object.fromEntries(
    ['apiBaseUrl', 'requestTimeoutMs', 'iceServers', 'logLevel', 'allowInsecureTransport', 'reconnect', 'keepalive',
      'sessionTimers', 'iceGatheringTimeoutMs', 'connectionWaitMs', 'registerExpires', 'audioConstraints', 'engineUrl',
      'incomingWhileBusy', 'incomingTransfer', 'statsIntervalMs', 'qualityWarnings',
      'iceDisconnectedGraceMs', 'mediaRecoveryTimeoutMs'].map((k) => [k, null]),
  );
  assert.deepEqual(parseConfig(withBase(nulls)), parseConfig(base));
});

test('given values are kept, trimmed and rounded', () => {
  const ice = [{ urls: ['stun:stun.example.com', 'TURNS:turn.example.com'], username: 'u', credential: 'c' }];
  const audio = { echoCancellation: false };
  const cfg = parseConfig({
    userEmail: '  agent@example.com ',
    accessToken: ' kpt_abc123\n',
    apiBaseUrl: 'https://api.example.com/base/',
    requestTimeoutMs: 2500.4,
    iceServers: ice,
    logLevel: 'debug',
    allowInsecureTransport: true,
    reconnect: { maxDelayMs: 5000 },
    iceGatheringTimeoutMs: 0,
    connectionWaitMs: 0,
    registerExpires: 3600,
    iceDisconnectedGraceMs: 0,
    mediaRecoveryTimeoutMs: 5000,
    audioConstraints: audio,
  });
  assert.equal(cfg.userEmail, 'agent@example.com');
  assert.equal(cfg.accessToken, 'kpt_abc123');
  assert.equal(cfg.apiBaseUrl, 'https://api.example.com/base');
  assert.equal(cfg.requestTimeoutMs, 2500);
  assert.equal(cfg.iceServers, ice);
  assert.equal(cfg.logLevel, 'debug');
  assert.equal(cfg.allowInsecureTransport, true);
  assert.deepEqual(cfg.reconnect, { enabled: true, maxDelayMs: 5000 });
  assert.equal(cfg.iceGatheringTimeoutMs, 0);
  assert.equal(cfg.connectionWaitMs, 0);
  assert.equal(parseConfig(withBase({ connectionWaitMs: 2500.6 })).connectionWaitMs, 2501);
  assert.equal(cfg.registerExpires, 3600);
  assert.equal(cfg.iceDisconnectedGraceMs, 0);
  assert.equal(cfg.mediaRecoveryTimeoutMs, 5000);
  assert.equal(cfg.audioConstraints, audio);
  assert.equal(parseConfig(withBase({ incomingWhileBusy: 'reject' })).incomingWhileBusy, 'reject');
  assert.equal(parseConfig(withBase({ incomingTransfer: 'ask' })).incomingTransfer, 'ask');
  assert.deepEqual(parseConfig(withBase({ reconnect: false })).reconnect, { enabled: false, maxDelayMs: 30000 });
  assert.deepEqual(parseConfig(withBase({ reconnect: true })).reconnect, { enabled: true, maxDelayMs: 30000 });
  assert.deepEqual(parseConfig(withBase({ reconnect: {} })).reconnect, { enabled: true, maxDelayMs: 30000 });
  assert.deepEqual(parseConfig(withBase({ keepalive: { idleIntervalMs: 20000.4, callIntervalMs: 8000, timeoutMs: 500 } })).keepalive,
    { idleIntervalMs: 20000, callIntervalMs: 8000, timeoutMs: 500 });
  assert.equal(parseConfig(withBase({ keepalive: false })).keepalive, null);
  assert.deepEqual(parseConfig(withBase({ keepalive: true })).keepalive, parseConfig(base).keepalive);
  assert.deepEqual(parseConfig(withBase({ keepalive: { timeoutMs: 2000 } })).keepalive,
    { idleIntervalMs: 15000, callIntervalMs: 5000, timeoutMs: 2000 });
  assert.deepEqual(parseConfig(withBase({ sessionTimers: false })).sessionTimers, { enabled: false, expiresSec: 1800, minSec: 90 });
  assert.deepEqual(parseConfig(withBase({ sessionTimers: { expiresSec: 90.4 } })).sessionTimers, { enabled: true, expiresSec: 90, minSec: 90 });
  assert.deepEqual(parseConfig(withBase({ sessionTimers: { minSec: 3600 } })).sessionTimers, { enabled: true, expiresSec: 3600, minSec: 3600 });
});

test('stats and quality warnings: off, on, or with thresholds', () => {
  assert.equal(parseConfig(withBase({ statsIntervalMs: 2500.4 })).statsIntervalMs, 2500);
  assert.equal(parseConfig(withBase({ statsIntervalMs: 0 })).statsIntervalMs, 0);
  assert.equal(parseConfig(withBase({ qualityWarnings: false })).qualityWarnings, null);
  assert.deepEqual(parseConfig(withBase({ qualityWarnings: true })).qualityWarnings, parseConfig(base).qualityWarnings);
  assert.deepEqual(parseConfig(withBase({ qualityWarnings: { rttMs: 300, mos: 4 } })).qualityWarnings, {
    rttMs: 300, jitterMs: 30, packetLossPercent: 1, mos: 4,
  });
});

test('a config that is not an object is refused', () => {
  for (const config of [undefined, null, 'agent@example.com', 42, [base], () => base]) {
    assert.match(configError(config), /^config must be an object/);
  }
});

test('each bad field is refused naming it', () => {
  const cases = [
    [{ accessToken: 'kpt_x1' }, /config\.userEmail is required/],
    [withBase({ userEmail: 42 }), /config\.userEmail is required/],
    [withBase({ userEmail: 'not-an-email' }), /config\.userEmail is not an email/],
    [withBase({ userEmail: 'a@b@c' }), /config\.userEmail/],
    [withBase({ userEmail: 'a b@c.d' }), /config\.userEmail/],
    [withBase({ userEmail: '@c.d' }), /config\.userEmail/],
    [{ userEmail: 'a@b.c' }, /config\.accessToken is required/],
    [withBase({ accessToken: 'Bearer abc' }), /config\.accessToken must be a K-Link API token starting with kpt_/],
    [withBase({ accessToken: 'kpt_' }), /config\.accessToken/],
    [withBase({ accessToken: 'kpt_a b' }), /config\.accessToken/],
    [withBase({ allowInsecureTransport: 'yes' }), /config\.allowInsecureTransport must be a boolean/],
    [withBase({ apiBaseUrl: 42 }), /config\.apiBaseUrl must be a string URL/],
    [withBase({ requestTimeoutMs: 'fast' }), /config\.requestTimeoutMs must be a number of milliseconds from 1 to 600000/],
    [withBase({ requestTimeoutMs: -5 }), /config\.requestTimeoutMs/],
    [withBase({ requestTimeoutMs: 0 }), /config\.requestTimeoutMs/],
    [withBase({ requestTimeoutMs: NaN }), /config\.requestTimeoutMs/],
    [withBase({ requestTimeoutMs: Infinity }), /config\.requestTimeoutMs/],
    [withBase({ iceServers: { urls: 'stun:x' } }), /config\.iceServers must be an array of RTCIceServer objects/],
    [withBase({ iceServers: [{ urls: 'http://stun.example.com' }] }), /config\.iceServers\[0\]\.urls must be stun:, turn: or turns: URLs/],
    [withBase({ iceServers: [{ urls: 'stun:a' }, { urls: [] }] }), /config\.iceServers\[1\]\.urls/],
    [withBase({ iceServers: [{ urls: ['stun:a', 7] }] }), /config\.iceServers\[0\]\.urls/],
    [withBase({ iceServers: ['stun:a'] }), /config\.iceServers\[0\]\.urls/],
    [withBase({ logLevel: 'loud' }), /config\.logLevel must be one of silent, error, warn, info, debug/],
    [withBase({ reconnect: 'yes' }), /config\.reconnect must be a boolean or \{ maxDelayMs \}/],
    [withBase({ reconnect: { maxDelayMs: 1 } }), /config\.reconnect\.maxDelayMs must be a number of milliseconds from 1000 to 3600000/],
    [withBase({ keepalive: 'on' }), /config\.keepalive must be a boolean or \{ idleIntervalMs, callIntervalMs, timeoutMs \}/],
    [withBase({ keepalive: [] }), /config\.keepalive must be/],
    [withBase({ keepalive: { idleIntervalMs: 999 } }), /config\.keepalive\.idleIntervalMs must be a number of milliseconds from 1000 to 3600000/],
    [withBase({ keepalive: { callIntervalMs: '5000' } }), /config\.keepalive\.callIntervalMs/],
    [withBase({ keepalive: { timeoutMs: 60001 } }), /config\.keepalive\.timeoutMs must be a number of milliseconds from 500 to 60000/],
    [withBase({ sessionTimers: 'on' }), /config\.sessionTimers must be a boolean or \{ expiresSec, minSec \}/],
    [withBase({ sessionTimers: { minSec: 60 } }), /config\.sessionTimers\.minSec must be a number of seconds from 90 to 86400/],
    [withBase({ sessionTimers: { expiresSec: 89 } }), /config\.sessionTimers\.expiresSec must be a number of seconds from 90 to 86400/],
    [withBase({ sessionTimers: { minSec: 600, expiresSec: 300 } }), /config\.sessionTimers\.expiresSec must be a number of seconds from 600 to 86400/],
    [withBase({ iceGatheringTimeoutMs: 10001 }), /config\.iceGatheringTimeoutMs must be a number of milliseconds from 0 to 10000/],
    [withBase({ connectionWaitMs: -1 }), /config\.connectionWaitMs must be a number of milliseconds from 0 to 600000/],
    [withBase({ connectionWaitMs: 600001 }), /config\.connectionWaitMs/],
    [withBase({ connectionWaitMs: '10000' }), /config\.connectionWaitMs/],
    [withBase({ connectionWaitMs: NaN }), /config\.connectionWaitMs/],
    [withBase({ registerExpires: 5 }), /config\.registerExpires must be a number of seconds from 10 to 86400/],
    [withBase({ registerExpires: '600' }), /config\.registerExpires/],
    [withBase({ iceDisconnectedGraceMs: 60001 }), /config\.iceDisconnectedGraceMs must be a number of milliseconds from 0 to 60000/],
    [withBase({ mediaRecoveryTimeoutMs: 999 }), /config\.mediaRecoveryTimeoutMs must be a number of milliseconds from 1000 to 600000/],
    [withBase({ mediaRecoveryTimeoutMs: '15000' }), /config\.mediaRecoveryTimeoutMs/],
    [withBase({ audioConstraints: false }), /config\.audioConstraints must be true or a MediaTrackConstraints object/],
    [withBase({ audioConstraints: [] }), /config\.audioConstraints/],
    [withBase({ incomingWhileBusy: 'busy' }), /config\.incomingWhileBusy must be 'ring' or 'reject'/],
    [withBase({ incomingWhileBusy: true }), /config\.incomingWhileBusy/],
    [withBase({ incomingTransfer: 'reject' }), /config\.incomingTransfer must be 'accept' or 'ask'/],
    [withBase({ incomingTransfer: true }), /config\.incomingTransfer/],
    [withBase({ statsIntervalMs: 100 }), /config\.statsIntervalMs must be 0 \(no stats event\) or a number of milliseconds from 500 to 3600000/],
    [withBase({ statsIntervalMs: '1000' }), /config\.statsIntervalMs/],
    [withBase({ statsIntervalMs: -1 }), /config\.statsIntervalMs/],
    [withBase({ statsIntervalMs: NaN }), /config\.statsIntervalMs/],
    [withBase({ qualityWarnings: 'on' }), /config\.qualityWarnings must be a boolean or \{ rttMs, jitterMs, packetLossPercent, mos \}/],
    [withBase({ qualityWarnings: [] }), /config\.qualityWarnings must be/],
    [withBase({ qualityWarnings: { rttMs: 0 } }), /config\.qualityWarnings\.rttMs must be a number from 1 to 60000/],
    [withBase({ qualityWarnings: { jitterMs: '30' } }), /config\.qualityWarnings\.jitterMs/],
    [withBase({ qualityWarnings: { packetLossPercent: 101 } }), /config\.qualityWarnings\.packetLossPercent must be a number from 0 to 100/],
    [withBase({ qualityWarnings: { mos: 5 } }), /config\.qualityWarnings\.mos must be a number from 1 to 4\.5/],
  ];
  for (const [config, message] of cases) {
    assert.match(configError(config), message, JSON.stringify(config));
  }
});

test('the access token is never echoed in an error', () => {
  const message = configError(withBase({ accessToken: 'secret-token' }));
  assert.match(message, /accessToken/);
  assert.ok(!message.includes('secret-token'), message);
});

test('an insecure apiBaseUrl is refused unless loopback or opted in', () => {
  for (const url of ['http://api.example.com', 'HTTP://api.example.com/', 'http://127.0.0.1.evil.com',
    // The URL parser (fetch's) reads this host as evil.com.
    'http://evil.com\\@127.0.0.1/']) {
    assert.match(configError(withBase({ apiBaseUrl: url })), /config\.apiBaseUrl uses http:\/\/ .*allowInsecureTransport/, url);
  }
  assert.match(configError(withBase({ apiBaseUrl: 'not a url' })), /config\.apiBaseUrl must be an absolute https:\/\/ URL/);
  assert.match(configError(withBase({ apiBaseUrl: 'https://' })), /config\.apiBaseUrl/);
  assert.match(configError(withBase({ apiBaseUrl: 'ftp://127.0.0.1/' })), /config\.apiBaseUrl must be a https:\/\/ URL/);
  assert.match(configError(withBase({ apiBaseUrl: 'wss://api.example.com', allowInsecureTransport: true })), /config\.apiBaseUrl/);

  const loopback = {
    'http://127.0.0.1:8080/': 'http://127.0.0.1:8080',
    'http://localhost:9000//': 'http://localhost:9000',
    'http://[::1]:9000/v1': 'http://[::1]:9000/v1',
    ' https://API.example.com ': 'https://api.example.com',
  };
  for (const [url, normalized] of Object.entries(loopback)) {
    assert.equal(parseConfig(withBase({ apiBaseUrl: url })).apiBaseUrl, normalized, url);
  }
  const opted = parseConfig(withBase({ apiBaseUrl: 'http://api.example.com', allowInsecureTransport: true }));
  assert.equal(opted.apiBaseUrl, 'http://api.example.com');
  assert.equal(opted.allowInsecureTransport, true);
});

test('init() with a bad config rejects invalid_config before the engine is loaded', async (t) => {
  let loads = 0;
  setEngineLoader(async () => {
    loads += 1;
    throw new Error('no engine in this test');
  });
  // What init() looks for before loading the engine; Node lacks these two.
  const stand_ins = ['WebSocket', 'RTCPeerConnection'].filter((name) => typeof globalThis[name] !== 'function');
  for (const name of stand_ins) globalThis[name] = function () {};
  t.after(() => {
    for (const name of stand_ins) delete globalThis[name];
  });

  for (const config of [undefined, { accessToken: 'kpt_x1' }, withBase({ apiBaseUrl: 'http://api.example.com' }),
    withBase({ requestTimeoutMs: 'soon' })]) {
    await assert.rejects(KlinkCallSdk.init(config), (err) => {
      assert.ok(err instanceof KlinkCallSdkError);
      assert.equal(err.code, 'invalid_config');
      return true;
    });
  }
  assert.equal(loads, 0, 'the engine loader was not called');

  // A good config does reach the loader (here it fails: init_failed).
  await assert.rejects(KlinkCallSdk.init(base), { code: 'init_failed', message: /could not load the call engine/ });
  assert.equal(loads, 1);
});
