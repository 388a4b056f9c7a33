// The engine reads its settings by position: `engineSettings` in npm/src/config.js lays them out,
// `FIELDS` of crates/call-sdk/src/config.rs names the places the engine reads. A mismatch would
// only show at run time, as a setting read from the wrong place: compare them here, and check
// what each place holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineSettings, parseConfig, SETTINGS } from '../src/config.js';

const CONFIG_RS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'crates', 'call-sdk', 'src', 'config.rs');

/** `pub const FIELDS: [&str; N] = [ "a", "b", ... ];` → ['a', 'b', ...]. */
function rustFields(source) {
  const body = source.match(/pub const FIELDS: \[&str; (\d+)\] = \[([\s\S]*?)\];/);
  assert.ok(body, 'config.rs has a `pub const FIELDS` list');
  const names = [...body[2].matchAll(/"([^"]+)"/g)].map(([, name]) => name);
  assert.equal(names.length, Number(body[1]));
  return names;
}

/** The settings of `config` as the engine receives them, by name. */
function byName(config) {
  const settings = { ...parseConfig({ userEmail: 'a@b.test', accessToken: 'kpt_1', ...config }), instanceId: 'urn:uuid:x' };
  const array = engineSettings(settings);
  assert.equal(array.length, SETTINGS.length);
  return Object.fromEntries(SETTINGS.map((name, i) => [name, array[i]]));
}

test('the engine reads every setting from the place the wrapper puts it', () => {
  assert.deepEqual(rustFields(readFileSync(CONFIG_RS, 'utf8')), SETTINGS);
});

test('the defaults, each in its place', () => {
  assert.deepEqual(byName({}), {
    iceServers: null,
    audioConstraints: true,
    instanceId: 'urn:uuid:x',
    logLevel: 2,
    allowInsecureTransport: 0,
    'reconnect.enabled': 1,
    'reconnect.maxDelayMs': 30000,
    keepalive: 1,
    'keepalive.idleIntervalMs': 15000,
    'keepalive.callIntervalMs': 5000,
    'keepalive.timeoutMs': 4000,
    sessionTimers: 1,
    'sessionTimers.expiresSec': 1800,
    'sessionTimers.minSec': 90,
    iceGatheringTimeoutMs: 100,
    registerExpires: 600,
    iceDisconnectedGraceMs: 2000,
    mediaRecoveryTimeoutMs: 15000,
    incomingWhileBusy: 0,
    statsIntervalMs: 0,
    qualityWarnings: 1,
    'qualityWarnings.rttMs': 400,
    'qualityWarnings.jitterMs': 30,
    'qualityWarnings.packetLossPercent': 1,
    'qualityWarnings.mos': 3.5,
  });
});

test('choices as numbers, groups turned off as zeros, given values in their places', () => {
  const ice = [{ urls: 'stun:stun.test' }];
  const audio = { echoCancellation: false };
  assert.deepEqual(
    byName({
      iceServers: ice, audioConstraints: audio, logLevel: 'debug', allowInsecureTransport: true,
      reconnect: false, keepalive: false, sessionTimers: false, qualityWarnings: false,
      incomingWhileBusy: 'reject', statsIntervalMs: 1000, registerExpires: 120,
      iceGatheringTimeoutMs: 0, iceDisconnectedGraceMs: 500, mediaRecoveryTimeoutMs: 5000,
    }),
    {
      iceServers: ice,
      audioConstraints: audio,
      instanceId: 'urn:uuid:x',
      logLevel: 4,
      allowInsecureTransport: 1,
      'reconnect.enabled': 0,
      'reconnect.maxDelayMs': 30000,
      keepalive: 0,
      'keepalive.idleIntervalMs': 0,
      'keepalive.callIntervalMs': 0,
      'keepalive.timeoutMs': 0,
      sessionTimers: 0,
      'sessionTimers.expiresSec': 0,
      'sessionTimers.minSec': 0,
      iceGatheringTimeoutMs: 0,
      registerExpires: 120,
      iceDisconnectedGraceMs: 500,
      mediaRecoveryTimeoutMs: 5000,
      incomingWhileBusy: 1,
      statsIntervalMs: 1000,
      qualityWarnings: 0,
      'qualityWarnings.rttMs': 0,
      'qualityWarnings.jitterMs': 0,
      'qualityWarnings.packetLossPercent': 0,
      'qualityWarnings.mos': 0,
    },
  );
  const some = byName({
    logLevel: 'silent', reconnect: { maxDelayMs: 5000 }, keepalive: { idleIntervalMs: 20000 },
    sessionTimers: { expiresSec: 600, minSec: 120 }, qualityWarnings: { mos: 4 },
  });
  assert.equal(some.logLevel, 0);
  assert.equal(some['reconnect.maxDelayMs'], 5000);
  assert.deepEqual([some.keepalive, some['keepalive.idleIntervalMs'], some['keepalive.callIntervalMs']], [1, 20000, 5000]);
  assert.deepEqual([some.sessionTimers, some['sessionTimers.expiresSec'], some['sessionTimers.minSec']], [1, 600, 120]);
  assert.deepEqual([some['qualityWarnings.mos'], some['qualityWarnings.rttMs']], [4, 400]);
});
