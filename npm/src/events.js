// The engine's events, call snapshots and statistics arrive as arrays of values by position
// (each name the engine set on an object cost the wasm a string and a call): these tables name
// the places and build the objects listeners receive. `kind` of crates/call-sdk/src/payload.rs
// numbers the events as `EVENTS` orders them, and its tests hold the same tables;
// npm/test/events.test.mjs compares the two.

// The tables are space-separated strings split once at load: the minified script is smaller
// than with arrays of quoted names.
const names = (list) => list.split(' ');

/** The fields of a call object (`incoming`, `sessionStarted`, `callUpdated`, `getCalls()`). */
export const CALL = names('id direction state remoteNumber remoteName startedAt answeredAt muted mutedIn held remoteHeld '
  + 'localNumber status duration headers');

const STATS_FIELDS = 'callId rttMs jitterMs packetLossPercent mos inboundLevel outboundLevel bytesSent bytesReceived codec '
  + 'localCandidateType remoteCandidateType';

/** The fields of `getStats()` and the `stats` event. */
export const STATS = names(STATS_FIELDS);

/**
 * Each event by number: its name, then its payload's fields (none: the payload is undefined).
 * `error` has a `code` only when the engine has one (autoplay_blocked).
 */
export const EVENTS = ['connected', 'disconnected', 'registeredChange registered', 'registrationFailed code message',
  'incoming call', 'sessionStarted call', 'callUpdated call', 'sessionEnded callId cause status', 'dtmf callId tone',
  'holdFailed callId hold status reason', 'transferAccepted callId', 'transferFailed callId status reason',
  'transferRequested callId target', 'error scope detail code', 'pong status rttMs id', `stats ${STATS_FIELDS}`,
  'qualityWarning callId name value threshold', 'qualityWarningCleared callId name',
  'message callId from text contentType', 'remoteStream callId stream', 'destroyed'].map(names);

/** An object of `fields` from `values`; a field past the last value is left out. */
function build(fields, values) {
  const out = {};
  fields.forEach((field, i) => {
    if (i < values.length) out[field] = field === 'call' ? callObject(values[i]) : values[i];
  });
  return out;
}

/**
 * A call snapshot from the engine's values. `headers` comes as the INVITE's `X-` and
 * P-Asserted-Identity lines (`Name:value`, LF between), made an object here (a name repeated
 * keeps its first value); the first identity of the P-Asserted-Identity becomes
 * `assertedIdentity` (`{ name, uri, number }`).
 */
export const callObject = (values) => {
  const call = build(CALL, values);
  const headers = call.headers = {};
  for (const line of (values[14] || '').split('\n')) {
    const [, name, value] = /([^:]+):\s*(.*)/.exec(line) || [];
    if (name) headers[name] ??= value;
  }
  const [, display, uri, number] = /"?(.*?)"?\s*<?((?:sips?|tel):([^@;>]*)[^>,]*)/i.exec(headers['P-Asserted-Identity']) || [];
  call.assertedIdentity = uri ? { name: display || null, uri, number } : null;
  return call;
};

/** Statistics from the engine's values. */
export const statsObject = (values) => build(STATS, values);

/** An event from the engine: `[name, payload]`. */
export function event(kind, values) {
  const [name, ...fields] = EVENTS[kind];
  return [name, fields.length ? build(fields, values) : undefined];
}
