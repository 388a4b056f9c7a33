// An agent's day with JsSIP as the other party: reject codes and the busy policy, DTMF
// timing, mute direction, and the fields of the call object (MESSAGE: sdk-message.test.mjs).
// The SDK is alice (1001); JsSIP plays bob (1002) and dave (1003).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { BOB_AND_INFO_DAVE, HEARD_BY_FAR, HEARD_BY_SDK, hangUpLeftovers, sdkCallsFarEnd, silenceBelow, startScene } from './lib/calls.mjs';
import { DEMO } from './lib/stack.mjs';

const { alice, bob, dave } = DEMO.members;

describe('SDK agent controls with JsSIP far ends', { timeout: 240_000 }, () => {
  let scene;
  let sdk;
  let bobUa;
  let daveUa;

  before(async () => {
    scene = await startScene({
      sdk: { incomingWhileBusy: 'reject' },
      farEnds: [{ member: bob, name: 'bob (JsSIP)' }, { member: dave, name: 'dave (JsSIP)' }],
    });
    ({ sdk, farEnds: [bobUa, daveUa] } = scene);
  });

  afterEach(() => hangUpLeftovers(sdk));

  after(() => scene?.stop());

  /** `ua` calls the SDK; resolves with the SDK's incoming call and the far end's session. */
  async function ringSdk(ua, opts) {
    const fromSdk = await sdk.mark();
    const session = await ua.call(alice.extension, opts);
    const incoming = await sdk.waitFor('incoming', { from: fromSdk });
    return { call: incoming.payload.call, session, fromSdk };
  }

  test('reject(callId, { code }): JsSIP sees 486 by default, 603 and 480 when asked; other codes are invalid_argument', async () => {
    for (const [options, status, cause] of [[undefined, 486, 'rejected'], [{ code: 603 }, 603, 'rejected'], [{ code: 480 }, 480, 'rejected']]) {
      const fromFar = await bobUa.mark();
      const { call, session, fromSdk } = await ringSdk(bobUa);
      if (options === undefined) {
        const bad = await sdk.invoke('reject', call.id, { code: 404 });
        assert.equal(bad.code, 'invalid_argument', JSON.stringify(bad));
      }
      const r = await sdk.invoke('reject', call.id, ...(options ? [options] : []));
      assert.equal(r.ok, true, JSON.stringify(r));
      const ended = await bobUa.waitFor('ended', { from: fromFar, where: { session } });
      assert.equal(ended.status, status, `JsSIP got ${ended.status}`);
      const sdkEnded = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': call.id } });
      assert.equal(sdkEnded.payload.cause, cause);
      assert.equal(sdkEnded.payload.status, status);
    }
  });

  test("incomingWhileBusy: 'reject' answers a second call 486 with no incoming event, and an error event naming the caller", async () => {
    const { call, session } = await ringSdk(bobUa);
    const fromFar = await bobUa.mark();
    assert.equal((await sdk.answer(call.id)).ok, true);
    await bobUa.waitFor('confirmed', { from: fromFar, where: { session } });

    const fromSdk = await sdk.mark();
    const fromDave = await daveUa.mark();
    const second = await daveUa.call(alice.extension);
    const ended = await daveUa.waitFor('ended', { from: fromDave, where: { session: second } });
    assert.equal(ended.status, 486, 'the second caller hears busy');
    const refused = await sdk.waitFor('error', { from: fromSdk, where: { 'payload.scope': 'call' } });
    assert.match(refused.payload.detail, new RegExp(`^busy: refused a call from sip:${dave.extension}@.* with 486$`));
    assert.deepEqual(await sdk.eventsOf('incoming', fromSdk), [], 'the refused call never rang');
    assert.deepEqual((await sdk.getCalls()).map((c) => c.id), [call.id], 'the first call goes on');

    // Busy while the first call still rings, too.
    await sdk.hangup(call.id);
    const ringing = await ringSdk(bobUa);
    const fromDave2 = await daveUa.mark();
    const third = await daveUa.call(alice.extension);
    const ended3 = await daveUa.waitFor('ended', { from: fromDave2, where: { session: third } });
    assert.equal(ended3.status, 486);
    await sdk.hangup(ringing.call.id);
  });
});

describe('the call object and the status of every end, with JsSIP', { timeout: 120_000 }, () => {
  let scene;
  let sdk;
  let bobUa;

  before(async () => {
    scene = await startScene({ farEnds: [{ member: bob, name: 'bob (JsSIP)' }] });
    ({ sdk, farEnds: [bobUa] } = scene);
  });

  after(() => scene?.stop());

  test('call(number, { headers, displayName }): JsSIP reads the X- headers and the From name; ones that could inject are invalid_argument and nothing is sent', async () => {
    const fromFar = await bobUa.mark();
    const fromSdk = await sdk.mark();
    const callId = await sdk.must('invoke', 'call', bob.extension, { headers: { 'X-Ticket': 'T-42', 'X-Queue': 'sales support' }, displayName: 'Agent Ann' });
    const incoming = await bobUa.waitFor('incoming', { from: fromFar });
    assert.deepEqual(incoming.xHeaders, { 'X-Ticket': 'T-42', 'X-Queue': 'sales support' });
    assert.equal(incoming.fromDisplayName, 'Agent Ann');
    const [call] = await sdk.getCalls();
    assert.deepEqual(call.headers, { 'X-Ticket': 'T-42', 'X-Queue': 'sales support' });
    await sdk.hangup(callId);
    await bobUa.waitFor('ended', { from: fromFar, where: { session: incoming.session } });
    const quiet = await bobUa.mark();
    for (const bad of [
      { headers: { 'X-Ticket': '1\r\nVia: SIP/2.0/WSS evil' } },
      { headers: { 'X-Ticket': '1\nP-Asserted-Identity: <sip:boss@127.0.0.1>' } },
      { headers: { Via: 'x' } },
      { headers: { 'X-Two Words': 'x' } },
      { displayName: 'A\nX-Evil: 1' },
      { displayName: 'Agent "Ann"' },
    ]) {
      const r = await sdk.invoke('call', bob.extension, bad);
      assert.equal(r.code, 'invalid_argument', JSON.stringify(r));
    }
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual((await bobUa.events(quiet)).filter((e) => e.type === 'incoming'), [], 'nothing reached JsSIP');
    assert.equal((await sdk.eventsOf('sessionStarted', fromSdk)).length, 1, 'only the good call started');
  });

  test("an incoming call exposes JsSIP's X- headers and P-Asserted-Identity", async () => {
    const fromSdk = await sdk.mark();
    const pai = '"Jane Roe" <sip:+15551234567@127.0.0.1>';
    const session = await bobUa.call(alice.extension, { extraHeaders: ['X-Ticket: T-7', `P-Asserted-Identity: ${pai}`] });
    const ringing = await sdk.waitFor('incoming', { from: fromSdk });
    assert.deepEqual(ringing.payload.call.headers, { 'X-Ticket': 'T-7', 'P-Asserted-Identity': pai });
    assert.deepEqual(ringing.payload.call.assertedIdentity, { name: 'Jane Roe', uri: 'sip:+15551234567@127.0.0.1', number: '+15551234567' });
    await sdk.reject(ringing.payload.call.id);
    await bobUa.waitFor('ended', { where: { session } });
  });

  test('getCalls() has localNumber, status and duration; sessionEnded has 200 after a BYE either way and 487 after a CANCEL', async () => {
    // Outbound, answered, hung up by us.
    let fromSdk = await sdk.mark();
    let fromFar = await bobUa.mark();
    const callId = await sdk.must('call', bob.extension);
    const incoming = await bobUa.waitFor('incoming', { from: fromFar });
    let [call] = await sdk.getCalls();
    assert.equal(call.localNumber, alice.extension);
    assert.equal(call.status, null, 'no final status while ringing');
    assert.equal(call.duration, null, 'no duration before the answer');
    await bobUa.answer(incoming.session);
    await sdk.waitFor('callUpdated', { from: fromSdk, where: { 'payload.call.id': callId, 'payload.call.state': 'active' } });
    [call] = await sdk.getCalls();
    assert.equal(call.status, 200);
    assert.ok(call.duration === 0 || call.duration === 1, `just answered: ${call.duration}`);
    await new Promise((r) => setTimeout(r, 2100));
    [call] = await sdk.getCalls();
    assert.ok(call.duration >= 2 && call.duration <= 4, `two seconds later: ${call.duration}`);
    await sdk.hangup(callId);
    let ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.deepEqual([ended.payload.cause, ended.payload.status], ['hangup_local', 200]);

    // Inbound, answered, hung up by JsSIP.
    fromSdk = await sdk.mark();
    fromFar = await bobUa.mark();
    const session = await bobUa.call(alice.extension);
    const ringing = await sdk.waitFor('incoming', { from: fromSdk });
    assert.equal(ringing.payload.call.localNumber, alice.extension);
    assert.equal(ringing.payload.call.status, null);
    await sdk.answer(ringing.payload.call.id);
    await bobUa.waitFor('confirmed', { from: fromFar, where: { session } });
    await bobUa.hangup(session);
    ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': ringing.payload.call.id } });
    assert.deepEqual([ended.payload.cause, ended.payload.status], ['hangup_remote', 200]);

    // Inbound, cancelled by JsSIP.
    fromSdk = await sdk.mark();
    const session2 = await bobUa.call(alice.extension);
    const ringing2 = await sdk.waitFor('incoming', { from: fromSdk });
    await bobUa.hangup(session2);
    ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': ringing2.payload.call.id } });
    assert.deepEqual([ended.payload.cause, ended.payload.status], ['cancelled', 487]);
    assert.deepEqual(await sdk.getCalls(), []);
    assert.deepEqual(await sdk.eventsOf('pageError'), [], 'no uncaught error in the SDK page');
  });
});

describe('DTMF timing and mute direction, with JsSIP', { timeout: 180_000 }, () => {
  let scene;
  let sdk;
  let bobUa; // RFC 4733 offered
  let daveUa; // no telephone-event: INFO DTMF

  before(async () => {
    scene = await startScene({ farEnds: BOB_AND_INFO_DAVE });
    ({ sdk, farEnds: [bobUa, daveUa] } = scene);
  });

  afterEach(() => hangUpLeftovers(sdk, { leftAllowed: true }));

  after(() => scene?.stop());

  /** The SDK calls `ua`, it answers, audio flows both ways. */
  const establish = (ua, extension) => sdkCallsFarEnd(sdk, ua, extension);

  test('dtmf(callId, tones, { duration, gap }) by RFC 4733: insertDTMF gets them and the tones start duration + gap apart', async () => {
    const { callId } = await establish(bobUa, bob.extension);
    const fromSdk = await sdk.mark();
    const r = await sdk.invoke('dtmf', callId, '12', { duration: 300, gap: 200 });
    assert.equal(r.ok, true, JSON.stringify(r));
    const inserted = await sdk.waitFor('insertDTMF', { from: fromSdk, timeout: 5000 });
    assert.deepEqual([inserted.tones, inserted.duration, inserted.gap], ['12', 300, 200]);
    await sdk.waitFor('tonechange', { from: fromSdk, where: { tone: '' }, timeout: 5000 });
    const changes = await sdk.eventsOf('tonechange', fromSdk);
    assert.deepEqual(changes.map((e) => e.tone), ['1', '2', '']);
    const apart = changes[1].at - changes[0].at;
    assert.ok(apart >= 450 && apart < 800, `the second tone started ${apart} ms after the first (300 + 200)`);
    const bad = await sdk.invoke('dtmf', callId, '1', { duration: 20 });
    assert.equal(bad.code, 'invalid_argument', JSON.stringify(bad));
  });

  test('dtmf(callId, tones, { duration, gap }) by SIP INFO: JsSIP reads the Duration and the INFOs come duration + gap apart', async () => {
    const { callId, session } = await establish(daveUa, dave.extension);
    const fromFar = await daveUa.mark();
    const r = await sdk.invoke('dtmf', callId, '12', { duration: 250, gap: 150 });
    assert.equal(r.ok, true, JSON.stringify(r));
    await daveUa.waitFor('dtmf', { from: fromFar, where: { tone: '2' }, timeout: 8000 });
    const got = (await daveUa.events(fromFar)).filter((e) => e.type === 'dtmf');
    assert.deepEqual(got.map((e) => [e.tone, e.duration, e.session]), [['1', 250, session], ['2', 250, session]]);
    const apart = got[1].at - got[0].at;
    assert.ok(apart >= 370 && apart < 800, `the second INFO came ${apart} ms after the first (250 + 150)`);
  });

  test("mute { direction: 'in' } silences what the SDK hears, not what JsSIP hears; 'out' the reverse; unmute mirrors", async () => {
    const { callId, session } = await establish(bobUa, bob.extension);
    const [sdkLevel, farLevel] = await Promise.all([sdk.peakEnergy(600, callId), bobUa.peakEnergy(600, session)]);

    assert.equal((await sdk.invoke('mute', callId, { direction: 'in' })).ok, true);
    let [call] = await sdk.getCalls();
    assert.deepEqual([call.mutedIn, call.muted], [true, false]);
    const quiet = await sdk.waitForSilence({ threshold: silenceBelow(sdkLevel), timeout: 8000, callId });
    await bobUa.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 8000, sessionId: session });
    assert.equal((await sdk.invoke('unmute', callId, { direction: 'in' })).ok, true);
    await sdk.waitForAudio({ threshold: Math.max(quiet * 10, HEARD_BY_SDK), timeout: 8000, callId });

    assert.equal((await sdk.invoke('mute', callId, { direction: 'out' })).ok, true);
    [call] = await sdk.getCalls();
    assert.deepEqual([call.mutedIn, call.muted], [false, true]);
    await bobUa.waitForSilence({ threshold: silenceBelow(farLevel), timeout: 8000, sessionId: session });
    await sdk.waitForAudio({ threshold: HEARD_BY_SDK, timeout: 8000, callId });
    assert.equal((await sdk.invoke('unmute', callId)).ok, true);
    await bobUa.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 8000, sessionId: session });
    const bad = await sdk.invoke('mute', callId, { direction: 'both' });
    assert.equal(bad.code, 'invalid_argument', JSON.stringify(bad));
  });
});
