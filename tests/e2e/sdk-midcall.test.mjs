// During a call: hold and resume, mute and unmute, DTMF both ways (RFC 4733 and SIP INFO), and
// two calls at once. The SDK is alice (1001); JsSIP plays bob (1002, RFC 4733 offered as
// Chromium does) and dave (1003, SDP without telephone-event, so DTMF must go by SIP INFO).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { BOB_AND_INFO_DAVE, HEARD_BY_FAR, HEARD_BY_SDK, hangUpLeftovers, sdkCallsFarEnd, silenceBelow, startScene } from './lib/calls.mjs';
import { DEMO } from './lib/stack.mjs';

const { alice, bob, dave } = DEMO.members;

describe('SDK mid-call controls with JsSIP far ends', { timeout: 240_000 }, () => {
  let scene;
  let sdk;
  let bobUa; // RFC 4733 offered
  let daveUa; // no telephone-event in its SDP: INFO DTMF only

  before(async () => {
    scene = await startScene({ farEnds: BOB_AND_INFO_DAVE });
    ({ sdk, farEnds: [bobUa, daveUa] } = scene);
  });

  afterEach(() => hangUpLeftovers(sdk));

  after(() => scene?.stop());

  /** The SDK calls `ua` (extension), it answers, audio flows both ways. */
  const establish = (ua, extension) => sdkCallsFarEnd(sdk, ua, extension);

  /** The steady audio level both ends hear now (peak over 600 ms, after the first second's AGC swing). */
  async function levels(callId, ua, session) {
    const [sdkLevel, farLevel] = await Promise.all([sdk.peakEnergy(600, callId), ua.peakEnergy(600, session)]);
    return { sdkLevel, farLevel };
  }

  async function hangupBoth(callId, ua, session) {
    const from = await ua.mark();
    await sdk.must('hangup', callId);
    await ua.waitFor('ended', { from, where: { session } });
  }

  async function callOf(callId) {
    return (await sdk.getCalls()).find((c) => c.id === callId);
  }

  /** Polls getCalls() until the call has every field of `want` (a re-INVITE takes a round trip). */
  async function waitForCall(callId, want, timeout = 5000) {
    const deadline = Date.now() + timeout;
    let call;
    do {
      call = await callOf(callId);
      if (call && Object.entries(want).every(([k, v]) => call[k] === v)) return call;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    assert.fail(`getCalls() never showed ${JSON.stringify(want)} for ${callId}: ${JSON.stringify(call)}`);
  }

  /** hold() then unhold() on an established call; `during` and `after` run at each stage. */
  async function holdAndResume({ during, after }) {
    const { callId, session, fromFar } = await establish(bobUa, bob.extension);
    const level = await levels(callId, bobUa, session);
    const hold = await sdk.hold(callId);
    assert.equal(hold.ok, true, JSON.stringify(hold));
    await bobUa.waitFor('hold', { from: fromFar, where: { session, originator: 'remote' } });
    const quiet = await during({ callId, session, ...level });
    const fromFar2 = await bobUa.mark();
    const unhold = await sdk.unhold(callId);
    assert.equal(unhold.ok, true, JSON.stringify(unhold));
    await bobUa.waitFor('unhold', { from: fromFar2, where: { session, originator: 'remote' } });
    await after({ callId, session, quiet });
    await hangupBoth(callId, bobUa, session);
  }

  test('hold / unhold: JsSIP observes the remote hold and resume; getCalls() and callUpdated follow', async () => {
    const { callId, session, fromFar } = await establish(bobUa, bob.extension);
    // Listener management, observed on the callUpdated events hold and unhold produce.
    assert.deepEqual(await sdk.probeListeners('callUpdated'), { returned: 'function' }, 'on() returns a function');
    const fromSdk = await sdk.mark();
    const hold = await sdk.hold(callId);
    assert.equal(hold.ok, true, JSON.stringify(hold));
    assert.equal(hold.isPromise, true);
    const held = await bobUa.waitFor('hold', { from: fromFar, where: { session, originator: 'remote' } });
    assert.ok(['sendonly', 'inactive'].includes(held.direction), `held with ${held.direction}`);
    await waitForCall(callId, { held: true, state: 'held' });
    const holdUpdate = await sdk.waitFor('callUpdated', { from: fromSdk, where: { 'payload.call.held': true } });
    assert.equal(holdUpdate.payload.call.id, callId);

    const fromSdk2 = await sdk.mark();
    const fromFar2 = await bobUa.mark();
    const unhold = await sdk.unhold(callId);
    assert.equal(unhold.ok, true, JSON.stringify(unhold));
    const resumed = await bobUa.waitFor('unhold', { from: fromFar2, where: { session, originator: 'remote' } });
    assert.equal(resumed.direction, 'sendrecv');
    await waitForCall(callId, { held: false, state: 'active' });
    await sdk.waitFor('callUpdated', { from: fromSdk2, where: { 'payload.call.held': false } });
    const counts = await sdk.probeCounts();
    assert.ok(counts.on >= 2, `a listener added with on() heard every update: ${JSON.stringify(counts)}`);
    assert.equal(counts.once, 1, 'a once() listener ran once');
    assert.equal(counts.unsubscribed, 0, 'the function on() returned unsubscribed');
    assert.equal(counts.off, 0, 'off() unsubscribed');
    await hangupBoth(callId, bobUa, session);
  });

  test('hold() resolves once JsSIP accepted the re-INVITE; a refused hold or resume rejects hold_failed with a holdFailed event, the call as it was', async () => {
    const { callId, session } = await establish(bobUa, bob.extension);
    const settledAfter = async (from, name) => {
      const events = await sdk.events(from);
      const settled = events.findIndex((e) => e.type === 'settled' && e.name === name);
      assert.ok(settled >= 0, `${name}() settled`);
      return events.slice(0, settled);
    };
    // Accepted: the callUpdated with held: true comes before hold() resolves.
    let from = await sdk.mark();
    assert.equal((await sdk.hold(callId)).ok, true);
    let before = await settledAfter(from, 'hold');
    assert.ok(before.some((e) => e.type === 'callUpdated' && e.payload.call.id === callId && e.payload.call.held === true),
      `hold() resolved after the peer's answer: ${before.map((e) => e.type).join(', ')}`);
    from = await sdk.mark();
    assert.equal((await sdk.unhold(callId)).ok, true);
    before = await settledAfter(from, 'unhold');
    assert.ok(before.some((e) => e.type === 'callUpdated' && e.payload.call.held === false), 'unhold() resolved after the answer');
    // Already resumed: resolves at once, nothing sent.
    const fromFar = await bobUa.mark();
    assert.equal((await sdk.unhold(callId)).ok, true);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual((await bobUa.events(fromFar)).filter((e) => e.type === 'reinvite'), [], 'nothing sent');

    // Refused hold.
    await bobUa.refuseReinvites(488, session);
    from = await sdk.mark();
    const refused = await sdk.hold(callId);
    assert.equal(refused.ok, false);
    assert.equal(refused.code, 'hold_failed');
    assert.match(refused.message, /488/);
    const failed = await sdk.waitFor('holdFailed', { from });
    assert.deepEqual({ ...failed.payload, reason: undefined }, { callId, hold: true, status: 488, reason: undefined });
    assert.ok((await bobUa.events(fromFar)).some((e) => e.type === 'reinvite' && e.refused === 488), 'JsSIP refused it');
    assert.deepEqual((await sdk.events(from)).filter((e) => e.type === 'error'), [], 'no error text for a refused hold');
    let call = await callOf(callId);
    assert.equal(call.state, 'active');
    assert.equal(call.held, false);

    // Held for real, then a refused resume.
    await bobUa.refuseReinvites(0, session);
    assert.equal((await sdk.hold(callId)).ok, true);
    await bobUa.refuseReinvites(403, session);
    from = await sdk.mark();
    const resume = await sdk.unhold(callId);
    assert.equal(resume.code, 'hold_failed');
    const failedResume = await sdk.waitFor('holdFailed', { from });
    assert.equal(failedResume.payload.hold, false);
    assert.equal(failedResume.payload.status, 403);
    call = await callOf(callId);
    assert.equal(call.state, 'held');
    assert.equal(call.held, true);
    await bobUa.refuseReinvites(0, session);
    await hangupBoth(callId, bobUa, session);
  });

  test('hold / unhold: audio at JsSIP stops while held and comes back', async () => {
    await holdAndResume({
      during: ({ session, farLevel }) =>
        bobUa.waitForSilence({ threshold: silenceBelow(farLevel), timeout: 8000, sessionId: session }),
      after: ({ session, quiet }) =>
        bobUa.waitForAudio({ threshold: Math.max(quiet * 10, HEARD_BY_FAR), timeout: 8000, sessionId: session }),
    });
  });

  test('hold / unhold: audio at the SDK stops while held and comes back after resume', async () => {
    await holdAndResume({
      during: ({ callId, sdkLevel }) => sdk.waitForSilence({ threshold: silenceBelow(sdkLevel), timeout: 8000, callId }),
      after: async ({ callId, quiet }) => {
        await sdk.waitForAudio({ threshold: Math.max(quiet * 10, HEARD_BY_SDK), timeout: 8000, callId });
        const attached = await sdk.attachedAudio();
        assert.ok(attached.audioTracks > 0, `the attachAudio() element still has a track: ${JSON.stringify(attached)}`);
      },
    });
  });

  test('mute / unmute: JsSIP\'s audio drops to silence and comes back; getCalls() shows muted', async () => {
    const { callId, session } = await establish(bobUa, bob.extension);
    const { farLevel } = await levels(callId, bobUa, session);

    const mute = await sdk.mute(callId);
    assert.equal(mute.ok, true, JSON.stringify(mute));
    assert.equal((await callOf(callId)).muted, true, 'getCalls() says muted');
    const sent = (await sdk.media()).peerConnections.at(-1).senders.map((x) => x.track);
    assert.ok(sent.length > 0 && sent.every((t) => t && t.enabled === false), `the track the call sends is disabled: ${JSON.stringify(sent)}`);
    const quiet = await bobUa.waitForSilence({ threshold: silenceBelow(farLevel), timeout: 8000, sessionId: session });

    const unmute = await sdk.unmute(callId);
    assert.equal(unmute.ok, true, JSON.stringify(unmute));
    assert.equal((await callOf(callId)).muted, false, 'getCalls() says unmuted');
    await bobUa.waitForAudio({ threshold: Math.max(quiet * 10, HEARD_BY_FAR), timeout: 8000, sessionId: session });

    await hangupBoth(callId, bobUa, session);
  });

  test('DTMF from the SDK with RFC 4733 negotiated: the RTP sender plays each tone, no INFO is sent', async () => {
    const { callId, session, fromFar } = await establish(bobUa, bob.extension);
    const sdps = await bobUa.events(fromFar);
    const offer = sdps.find((e) => e.type === 'sdp' && e.originator === 'remote' && e.sdpType === 'offer');
    const answer = sdps.find((e) => e.type === 'sdp' && e.originator === 'local' && e.sdpType === 'answer');
    assert.equal(offer?.telephoneEvent, true, 'the SDK offered telephone-event');
    assert.equal(answer?.telephoneEvent, true, 'JsSIP accepted it');

    const fromSdk = await sdk.mark();
    const fromFar2 = await bobUa.mark();
    const r = await sdk.dtmf(callId, '12#');
    assert.equal(r.ok, true, JSON.stringify(r));
    const inserted = await sdk.waitFor('insertDTMF', { from: fromSdk, timeout: 5000 });
    assert.equal(inserted.tones, '12#');
    // tonechange fires per tone as it starts, then once with '' when the buffer drains.
    await sdk.waitFor('tonechange', { from: fromSdk, where: { tone: '' }, timeout: 5000 });
    const tones = (await sdk.eventsOf('tonechange', fromSdk)).map((e) => e.tone);
    assert.deepEqual(tones, ['1', '2', '#', ''], 'each tone played on the RTP sender, in order');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual((await bobUa.events(fromFar2)).filter((e) => e.type === 'dtmf'), [], 'no SIP INFO as well');
    assert.deepEqual((await sdk.eventsOf('error', fromSdk)), [], 'no error event');

    const bad = await sdk.dtmf(callId, '12x');
    assert.equal(bad.ok, false, 'a tone outside 0-9 * # A-D , rejects');
    assert.equal(bad.code, 'invalid_argument', `${bad.code}: ${bad.message}`);

    await hangupBoth(callId, bobUa, session);
  });

  test('DTMF from the SDK without telephone-event: SIP INFO tones arrive at JsSIP in order', async () => {
    const { callId, session, fromFar } = await establish(daveUa, dave.extension);
    const answer = (await daveUa.events(fromFar)).find((e) => e.type === 'sdp' && e.originator === 'local');
    assert.equal(answer?.telephoneEvent, false, 'dave\'s answer has no telephone-event');

    const fromSdk = await sdk.mark();
    const fromFar2 = await daveUa.mark();
    const r = await sdk.dtmf(callId, '5*9');
    assert.equal(r.ok, true, JSON.stringify(r));
    await daveUa.waitFor('dtmf', { from: fromFar2, where: { tone: '9' }, timeout: 8000 });
    const got = (await daveUa.events(fromFar2)).filter((e) => e.type === 'dtmf');
    assert.deepEqual(got.map((e) => e.tone), ['5', '*', '9']);
    assert.ok(got.every((e) => e.originator === 'remote' && e.session === session));
    assert.deepEqual(await sdk.eventsOf('insertDTMF', fromSdk), [], 'nothing sent in RTP');

    await hangupBoth(callId, daveUa, session);
  });

  test('INFO DTMF from JsSIP surfaces as the SDK\'s dtmf event', async () => {
    const { callId, session } = await establish(bobUa, bob.extension);
    const fromSdk = await sdk.mark();
    await bobUa.sendDTMF('47*', { duration: 100, interToneGap: 70 }, session);
    await sdk.waitFor('dtmf', { from: fromSdk, where: { 'payload.tone': '*' }, timeout: 8000 });
    const tones = (await sdk.eventsOf('dtmf', fromSdk)).map((e) => e.payload);
    assert.deepEqual(tones, ['4', '7', '*'].map((tone) => ({ callId, tone })));
    assert.deepEqual(await sdk.eventsOf('error', fromSdk), [], 'no error event');
    await hangupBoth(callId, bobUa, session);
  });

  test('two calls at once, one held: getCalls() reflects both, audio follows the active one', async () => {
    const first = await establish(bobUa, bob.extension);
    await sdk.must('hold', first.callId);
    await bobUa.waitFor('hold', { from: first.fromFar, where: { session: first.session, originator: 'remote' } });

    const fromSdk = await sdk.mark();
    const fromDave = await daveUa.mark();
    const daveSession = await daveUa.call(alice.extension);
    const incoming = await sdk.waitFor('incoming', { from: fromSdk });
    const secondId = incoming.payload.call.id;
    assert.notEqual(secondId, first.callId);
    assert.equal(incoming.payload.call.direction, 'inbound');
    assert.equal(incoming.payload.call.remoteNumber, dave.extension);

    let calls = await sdk.getCalls();
    assert.equal(calls.length, 2, `two calls: ${JSON.stringify(calls)}`);

    await sdk.must('answer', secondId);
    await sdk.waitFor('sessionStarted', { from: fromSdk, where: { 'payload.call.id': secondId } });
    await daveUa.waitFor('confirmed', { from: fromDave, where: { session: daveSession } });

    calls = await sdk.getCalls();
    const byId = Object.fromEntries(calls.map((c) => [c.id, c]));
    assert.equal(calls.length, 2);
    assert.equal(byId[first.callId].held, true, 'the first call is held');
    assert.equal(byId[first.callId].state, 'held');
    assert.equal(byId[first.callId].direction, 'outbound');
    assert.equal(byId[secondId].held, false, 'the second is not');
    assert.equal(byId[secondId].state, 'active');
    assert.equal(byId[secondId].direction, 'inbound');

    // dave and the SDK hear each other (what the held party hears is the hold tests' business).
    await Promise.all([
      sdk.waitForAudio({ threshold: HEARD_BY_SDK, timeout: 8000, callId: secondId }),
      daveUa.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 8000, sessionId: daveSession }),
    ]);

    await hangupBoth(secondId, daveUa, daveSession);
    calls = await sdk.getCalls();
    assert.deepEqual(calls.map((c) => c.id), [first.callId], 'only the held call is left');

    await sdk.must('unhold', first.callId);
    await bobUa.waitFor('unhold', { from: first.fromFar, where: { session: first.session, originator: 'remote' } });
    await bobUa.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 8000, sessionId: first.session });
    await hangupBoth(first.callId, bobUa, first.session);
  });
});
