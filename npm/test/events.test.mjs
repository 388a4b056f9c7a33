// The engine hands events, call snapshots and statistics over as arrays of values by position:
// `kind` and the values of crates/call-sdk/src/payload.rs on one side, the tables of
// npm/src/events.js that name the places on the other. A mismatch would only show at run time,
// as a field under the wrong name: compare the tables here (payload.rs's own tests check that
// each event's number and count of values match its table), and check what the builder makes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CALL, EVENTS, STATS, callObject, event, statsObject } from '../src/events.js';
import { positional } from './lib/stand-in.mjs';

const PAYLOAD_RS = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'crates', 'call-sdk', 'src', 'payload.rs'),
  'utf8',
);

/** `const NAME: [&str; N] = [ "a", "b c", ... ];` → ['a', 'b c', ...]. */
function rustTable(name) {
  const body = PAYLOAD_RS.match(new RegExp(`const ${name}: \\[&str; (\\d+)\\] = \\[([\\s\\S]*?)\\];`));
  assert.ok(body, `payload.rs has a \`const ${name}\` table`);
  const entries = [...body[2].matchAll(/"([^"]+)"/g)].map(([, entry]) => entry);
  assert.equal(entries.length, Number(body[1]));
  return entries;
}

/** `pub(crate) const SESSION_ENDED: u32 = 7;` of `mod kind` → { sessionEnded: 7, ... }. */
function rustKinds() {
  const body = PAYLOAD_RS.match(/mod kind \{([\s\S]*?)\n\}/);
  assert.ok(body, 'payload.rs has a `mod kind { ... }` block');
  return Object.fromEntries([...body[1].matchAll(/const ([A-Z_]+): u32 = (\d+);/g)].map(([, name, n]) => [
    name.toLowerCase().replace(/_([a-z])/g, (_, c) => c.toUpperCase()),
    Number(n),
  ]));
}

test('every event number names the same event, with the same fields, on both sides', () => {
  assert.deepEqual(rustTable('EVENTS'), EVENTS.map((fields) => fields.join(' ')));
  assert.deepEqual(rustTable('CALL'), CALL);
  assert.deepEqual(EVENTS.find(([name]) => name === 'stats').slice(1), STATS);
  const kinds = rustKinds();
  assert.deepEqual(Object.keys(kinds), EVENTS.map(([name]) => name));
  for (const [name, n] of Object.entries(kinds)) assert.equal(EVENTS[n][0], name);
});

test('a moved event number is caught', () => {
  const swapped = PAYLOAD_RS.replace('CONNECTED: u32 = 0', 'CONNECTED: u32 = 1');
  assert.notEqual(swapped, PAYLOAD_RS);
  const kinds = Object.fromEntries([...swapped.match(/mod kind \{([\s\S]*?)\n\}/)[1]
    .matchAll(/const ([A-Z_]+): u32 = (\d+);/g)].map(([, name, n]) => [name, Number(n)]));
  assert.notEqual(EVENTS[kinds.CONNECTED][0], 'connected');
});

const kind = (name) => EVENTS.findIndex(([n]) => n === name);
const CALL_VALUES = ['c1', 'outbound', 'active', '1002', null, 1700000000000, 1700000002000, false, true, true, false,
  '1001', 200, 7, 'X-Ticket:T-42\nP-Asserted-Identity:"Jane Roe" <sip:+15551234567@carrier.example>, <tel:+15551234567>\n'];

test('payloads: the documented fields in order; events without fields have no payload', () => {
  assert.deepEqual(event(kind('connected'), []), ['connected', undefined]);
  assert.deepEqual(event(kind('destroyed'), []), ['destroyed', undefined]);
  assert.deepEqual(event(kind('registeredChange'), [true]), ['registeredChange', { registered: true }]);
  const [name, ended] = event(kind('sessionEnded'), ['c1', 'busy', 486]);
  assert.equal(name, 'sessionEnded');
  assert.deepEqual(Object.entries(ended), [['callId', 'c1'], ['cause', 'busy'], ['status', 486]]);
  assert.deepEqual(event(kind('sessionEnded'), ['c1', 'hangup_local', null])[1].status, null, 'null stays null');
  assert.deepEqual(event(kind('message'), [null, 'sip:1002@pbx.test', 'hi', 'text/plain'])[1],
    { callId: null, from: 'sip:1002@pbx.test', text: 'hi', contentType: 'text/plain' });
  const stream = { id: 'stream' };
  assert.equal(event(kind('remoteStream'), ['c1', stream])[1].stream, stream, 'JS objects pass through');
});

test('error: code only when the engine gives one', () => {
  const plain = event(kind('error'), ['media', 'DTMF not sent'])[1];
  assert.deepEqual(plain, { scope: 'media', detail: 'DTMF not sent' });
  assert.ok(!('code' in plain));
  assert.deepEqual(event(kind('error'), ['audio', 'refused', 'autoplay_blocked'])[1],
    { scope: 'audio', detail: 'refused', code: 'autoplay_blocked' });
});

test('call snapshots: nested in incoming, sessionStarted and callUpdated, and for getCalls()', () => {
  const call = {
    id: 'c1', direction: 'outbound', state: 'active', remoteNumber: '1002', remoteName: null,
    startedAt: 1700000000000, answeredAt: 1700000002000, muted: false, mutedIn: true, held: true, remoteHeld: false,
    localNumber: '1001', status: 200, duration: 7,
    headers: {
      'X-Ticket': 'T-42',
      'P-Asserted-Identity': '"Jane Roe" <sip:+15551234567@carrier.example>, <tel:+15551234567>',
    },
    assertedIdentity: { name: 'Jane Roe', uri: 'sip:+15551234567@carrier.example', number: '+15551234567' },
  };
  assert.deepEqual(callObject(CALL_VALUES), call);
  assert.deepEqual(Object.keys(callObject(CALL_VALUES)), [...CALL, 'assertedIdentity']);
  for (const name of ['incoming', 'sessionStarted', 'callUpdated']) {
    assert.deepEqual(event(kind(name), [CALL_VALUES]), [name, { call }]);
  }
});

test('a call\'s headers: an object of the X- lines, and the first identity of P-Asserted-Identity', () => {
  const withHeaders = (lines) => callObject([...CALL_VALUES.slice(0, 14), lines]);
  const none = withHeaders('');
  assert.deepEqual([none.headers, none.assertedIdentity], [{}, null]);
  const tel = withHeaders('x-queue:sales: tier 2\nX-Queue:second\nP-Asserted-Identity:<tel:+15550001>\n');
  assert.deepEqual(tel.headers, { 'x-queue': 'sales: tier 2', 'X-Queue': 'second', 'P-Asserted-Identity': '<tel:+15550001>' },
    'a value keeps its colons; names keep their spelling');
  assert.deepEqual(tel.assertedIdentity, { name: null, uri: 'tel:+15550001', number: '+15550001' });
  assert.deepEqual(withHeaders('P-Asserted-Identity:Supervisor <sips:2001@pbx.test;user=phone>\n').assertedIdentity,
    { name: 'Supervisor', uri: 'sips:2001@pbx.test;user=phone', number: '2001' });
  assert.equal(withHeaders('P-Asserted-Identity:garbage\n').assertedIdentity, null, 'no URI: no identity');
});

test('statistics: the stats event and getStats() build the same object', () => {
  const values = ['c1', 21, 3.5, 0.25, 4.35, 0.1, 0.2, 1000, 2000, 'opus', 'host', 'srflx'];
  const stats = {
    callId: 'c1', rttMs: 21, jitterMs: 3.5, packetLossPercent: 0.25, mos: 4.35, inboundLevel: 0.1,
    outboundLevel: 0.2, bytesSent: 1000, bytesReceived: 2000, codec: 'opus', localCandidateType: 'host',
    remoteCandidateType: 'srflx',
  };
  assert.deepEqual(statsObject(values), stats);
  assert.deepEqual(event(kind('stats'), values), ['stats', stats]);
});

test('the stand-in engines\' positional() is the builder\'s inverse', () => {
  const call = callObject(CALL_VALUES);
  for (const [name, payload] of [
    ['connected', undefined],
    ['sessionEnded', { callId: 'c1', cause: 'busy', status: 486 }],
    ['incoming', { call }],
    ['error', { scope: 'media', detail: 'x' }],
    ['transferFailed', { callId: 'c1', status: null, reason: 'no' }],
  ]) {
    assert.deepEqual(event(...positional(name, payload)), [name, payload]);
  }
});
