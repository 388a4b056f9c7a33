// The init(config) object: checked, and completed with the defaults, before the engine is
// loaded, so a bad config fails at once and the wasm carries no validation code. The engine
// and the credential request (credentials.js) read the object returned here. The `apiBaseUrl`
// check below is the only one of where the access token goes: the wrapper sends the token, the
// engine never sees it. The engine checks the response's `wsServers` itself (it opens them).
import { KlinkCallSdkError } from './error.js';

const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'];
const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

function fail(message) {
  throw new KlinkCallSdkError('invalid_config', message);
}

/** A number from `min` to `max`, rounded; `fallback` when not given (`undefined` or `null`). */
function whole(value, field, fallback, min, max, unit = 'milliseconds') {
  if (value == null) return fallback;
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    fail(`config.${field} must be a number of ${unit} from ${min} to ${max}`);
  }
  return Math.round(value);
}

/** The credential API as the browser parses it (so the engine sees the host fetch will use). */
function apiBaseUrl(value, allowInsecure) {
  if (value == null) return 'https://apigw.klinkcx.com';
  if (typeof value !== 'string') fail('config.apiBaseUrl must be a string URL');
  let url;
  try {
    url = new URL(value.trim());
  } catch {
    fail('config.apiBaseUrl must be an absolute https:// URL');
  }
  if (url.protocol === 'http:' && !allowInsecure && !LOOPBACK.includes(url.hostname)) {
    fail('config.apiBaseUrl uses http:// to a non-loopback host: use https:// (or set allowInsecureTransport: true for a test network)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('config.apiBaseUrl must be a https:// URL');
  return url.href.replace(/\/+$/, '');
}

/** An `RTCIceServer[]` whose every URL is `stun:`, `turn:` or `turns:`; `null` when not given. */
function iceServers(value) {
  if (value == null) return null;
  if (!Array.isArray(value)) fail('config.iceServers must be an array of RTCIceServer objects');
  value.forEach((server, i) => {
    const urls = server && typeof server === 'object' ? server.urls : undefined;
    const list = Array.isArray(urls) ? urls : [urls];
    if (!list.length || !list.every((u) => typeof u === 'string' && /^(stun|turns?):/i.test(u))) {
      fail(`config.iceServers[${i}].urls must be stun:, turn: or turns: URLs`);
    }
  });
  return value;
}

/**
 * Where engine_bg.wasm is fetched from, as given (the browser resolves a relative URL against
 * the page); `null` leaves it to the entry (beside the SDK's own file).
 */
function engineUrl(value) {
  if (value == null) return null;
  const text = typeof value === 'string' ? value.trim() : value instanceof URL && value.href;
  try {
    // No page during SSR: a stand-in base only checks the syntax of a relative URL.
    if (text && /^(https?|blob|data):$/.test(new URL(text, 'http://localhost/').protocol)) return text;
  } catch {
    // refused below
  }
  fail('config.engineUrl must be the URL of engine_bg.wasm: http(s), blob or data, absolute or relative');
}

function reconnect(value) {
  if (value == null || typeof value === 'boolean') return { enabled: value !== false, maxDelayMs: 30000 };
  if (typeof value !== 'object') fail('config.reconnect must be a boolean or { maxDelayMs }');
  return { enabled: true, maxDelayMs: whole(value.maxDelayMs, 'reconnect.maxDelayMs', 30000, 1000, 3600000) };
}

/** RFC 4028 session timers: `{ enabled, expiresSec, minSec }`; the smallest legal Min-SE is 90 s. */
function sessionTimers(value) {
  if (value == null || typeof value === 'boolean') return { enabled: value !== false, expiresSec: 1800, minSec: 90 };
  if (typeof value !== 'object') fail('config.sessionTimers must be a boolean or { expiresSec, minSec }');
  const minSec = whole(value.minSec, 'sessionTimers.minSec', 90, 90, 86400, 'seconds');
  const expiresSec = whole(value.expiresSec, 'sessionTimers.expiresSec', Math.max(1800, minSec), minSec, 86400, 'seconds');
  return { enabled: true, expiresSec, minSec };
}

/** The warnings' defaults, and the range each threshold may be set in. */
const THRESHOLDS = {
  rttMs: [400, 1, 60000],
  jitterMs: [30, 1, 10000],
  packetLossPercent: [1, 0, 100],
  mos: [3.5, 1, 4.5],
};

/** `qualityWarnings`: `null` when off, else every threshold (defaults filled in). */
function qualityWarnings(value) {
  if (value === false) return null;
  if (value == null || value === true) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail('config.qualityWarnings must be a boolean or { rttMs, jitterMs, packetLossPercent, mos }');
  }
  const out = {};
  for (const [key, [fallback, min, max]] of Object.entries(THRESHOLDS)) {
    const v = value[key] ?? fallback;
    if (typeof v !== 'number' || !(v >= min && v <= max)) fail(`config.qualityWarnings.${key} must be a number from ${min} to ${max}`);
    out[key] = v;
  }
  return out;
}

/**
 * The keepalive probe of the SIP connection (the core's `KeepalivePolicy`, same defaults): a
 * probe after `idleIntervalMs` (`callIntervalMs` during a call) without a frame from the server,
 * dead when unanswered within `timeoutMs`. `false` turns it off (`null`).
 */
function keepalive(value) {
  if (value === false) return null;
  if (value != null && value !== true && (typeof value !== 'object' || Array.isArray(value))) {
    fail('config.keepalive must be a boolean or { idleIntervalMs, callIntervalMs, timeoutMs }');
  }
  const v = Object(value);
  const ms = (key, fallback, min, max) => whole(v[key], `keepalive.${key}`, fallback, min, max);
  return {
    idleIntervalMs: ms('idleIntervalMs', 15000, 1000, 3600000),
    callIntervalMs: ms('callIntervalMs', 5000, 1000, 3600000),
    timeoutMs: ms('timeoutMs', 4000, 500, 60000),
  };
}

/**
 * Checks the object given to `init()` and returns the engine's settings: the same fields, each
 * present, with the defaults applied, `apiBaseUrl` normalized, `reconnect` as
 * `{ enabled, maxDelayMs }` and `keepalive` as `{ idleIntervalMs, callIntervalMs, timeoutMs }` or `null` (off).
 * @throws {KlinkCallSdkError} `invalid_config`, the message naming the field
 */
export function parseConfig(config) {
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    fail('config must be an object with userEmail and accessToken');
  }
  const { userEmail, accessToken } = config;
  if (typeof userEmail !== 'string') fail("config.userEmail is required: the member's email address");
  if (!/^[^\s@]+@[^\s@]+$/.test(userEmail.trim())) fail('config.userEmail is not an email address');
  if (typeof accessToken !== 'string') fail('config.accessToken is required: a K-Link API token (kpt_...)');
  // The token is a secret: the message never echoes it.
  if (!/^kpt_[\x21-\x7e]+$/.test(accessToken.trim())) fail('config.accessToken must be a K-Link API token starting with kpt_');
  const allowInsecureTransport = config.allowInsecureTransport ?? false;
  if (typeof allowInsecureTransport !== 'boolean') fail('config.allowInsecureTransport must be a boolean');
  const settings = {
    userEmail: userEmail.trim(),
    accessToken: accessToken.trim(),
    apiBaseUrl: apiBaseUrl(config.apiBaseUrl, allowInsecureTransport),
    requestTimeoutMs: whole(config.requestTimeoutMs, 'requestTimeoutMs', 15000, 1, 600000),
    iceServers: iceServers(config.iceServers),
    logLevel: config.logLevel ?? 'warn',
    allowInsecureTransport,
  };
  if (!LOG_LEVELS.includes(settings.logLevel)) fail(`config.logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  settings.reconnect = reconnect(config.reconnect);
  settings.keepalive = keepalive(config.keepalive);
  settings.sessionTimers = sessionTimers(config.sessionTimers);
  settings.iceGatheringTimeoutMs = whole(config.iceGatheringTimeoutMs, 'iceGatheringTimeoutMs', 100, 0, 10000);
  // As long as the engine gives one connection attempt (its connect deadline is 10 s).
  settings.connectionWaitMs = whole(config.connectionWaitMs, 'connectionWaitMs', 10000, 0, 600000);
  settings.registerExpires = whole(config.registerExpires, 'registerExpires', 600, 10, 86400, 'seconds');
  settings.iceDisconnectedGraceMs = whole(config.iceDisconnectedGraceMs, 'iceDisconnectedGraceMs', 2000, 0, 60000);
  settings.mediaRecoveryTimeoutMs = whole(config.mediaRecoveryTimeoutMs, 'mediaRecoveryTimeoutMs', 15000, 1000, 600000);
  const audio = config.audioConstraints ?? true;
  if (audio !== true && (typeof audio !== 'object' || Array.isArray(audio))) {
    fail('config.audioConstraints must be true or a MediaTrackConstraints object');
  }
  settings.audioConstraints = audio;
  settings.engineUrl = engineUrl(config.engineUrl);
  settings.incomingWhileBusy = config.incomingWhileBusy ?? 'ring';
  if (settings.incomingWhileBusy !== 'ring' && settings.incomingWhileBusy !== 'reject') {
    fail("config.incomingWhileBusy must be 'ring' or 'reject'");
  }
  settings.incomingTransfer = config.incomingTransfer ?? 'accept';
  if (!['accept', 'ask'].includes(settings.incomingTransfer)) fail("config.incomingTransfer must be 'accept' or 'ask'");
  // 0: no `stats` event. Sampling faster than twice a second only costs CPU: RTCP reports
  // come every few seconds.
  const every = config.statsIntervalMs ?? 0;
  if (every !== 0 && (typeof every !== 'number' || !(every >= 500 && every <= 3600000))) {
    fail('config.statsIntervalMs must be 0 (no stats event) or a number of milliseconds from 500 to 3600000');
  }
  settings.statsIntervalMs = Math.round(every);
  settings.qualityWarnings = qualityWarnings(config.qualityWarnings);
  return settings;
}

/**
 * The engine's settings as one array, a place per field (`FIELDS` of
 * crates/call-sdk/src/config.rs, which npm/test/settings.test.mjs compares with `SETTINGS`):
 * the engine reads them by position, which costs the wasm less than reading them by name.
 * Booleans and choices are numbers; a group that is off has 0 in its place and its fields.
 */
export function engineSettings(s) {
  const k = s.keepalive || {};
  const t = s.sessionTimers.enabled ? s.sessionTimers : {};
  const q = s.qualityWarnings || {};
  return [
    s.iceServers, s.audioConstraints, s.instanceId,
    LOG_LEVELS.indexOf(s.logLevel), +s.allowInsecureTransport, +s.reconnect.enabled, s.reconnect.maxDelayMs,
    +!!s.keepalive, k.idleIntervalMs ?? 0, k.callIntervalMs ?? 0, k.timeoutMs ?? 0,
    +!!t.enabled, t.expiresSec ?? 0, t.minSec ?? 0,
    s.iceGatheringTimeoutMs, s.registerExpires, s.iceDisconnectedGraceMs, s.mediaRecoveryTimeoutMs,
    +(s.incomingWhileBusy === 'reject'), s.statsIntervalMs,
    +!!s.qualityWarnings, q.rttMs ?? 0, q.jitterMs ?? 0, q.packetLossPercent ?? 0, q.mos ?? 0,
  ];
}

/** The names of `engineSettings`' places, in order (for the test that compares them). */
export const SETTINGS = ['iceServers', 'audioConstraints', 'instanceId', 'logLevel', 'allowInsecureTransport',
  'reconnect.enabled', 'reconnect.maxDelayMs', 'keepalive', 'keepalive.idleIntervalMs', 'keepalive.callIntervalMs',
  'keepalive.timeoutMs', 'sessionTimers', 'sessionTimers.expiresSec', 'sessionTimers.minSec', 'iceGatheringTimeoutMs',
  'registerExpires', 'iceDisconnectedGraceMs', 'mediaRecoveryTimeoutMs', 'incomingWhileBusy', 'statsIntervalMs',
  'qualityWarnings', 'qualityWarnings.rttMs', 'qualityWarnings.jitterMs', 'qualityWarnings.packetLossPercent',
  'qualityWarnings.mos'];
