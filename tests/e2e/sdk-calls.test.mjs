// Calls between the SDK (alice, 1001) and JsSIP (bob, 1002): both directions, audio both ways,
// every way a call ends, and misuse of the call controls.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC, sdkConfig } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const { alice, bob } = DEMO.members;
/**
 * Digital silence reads below 0.001. JsSIP sends the 1 kHz tone unprocessed (RMS ~0.21 at the
 * SDK); the SDK captures with the browser's default processing (noise suppression fades a steady
 * tone to RMS ~0.02-0.2 at JsSIP), hence two thresholds, both well above silence.
 */
const HEARD_BY_SDK = 0.05;
const HEARD_BY_FAR = 0.01;

describe('SDK calls with a JsSIP far end', { timeout: 240_000 }, () => {
  let stack;
  let browser;
  let sdk;
  let far;

  before(async () => {
    requireSdkBuild();
    [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC }), launchBrowser({ tone: true })]);
    [sdk, far] = await Promise.all([
      openSdkPage(browser, stack, { name: 'alice (SDK)' }),
      openFarEnd(browser, stack, { name: 'bob (JsSIP)' }),
    ]);
    await Promise.all([
      sdk.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme)),
      stack.credentials(bob.email).then((c) => far.startWith(c)),
    ]);
  });

  afterEach(async () => {
    // Each test leaves no call behind, and nothing escaped as an uncaught error.
    const deadline = Date.now() + 5000;
    while ((await sdk.getCalls()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const left = await sdk.getCalls();
    // Clean up first, so one failure does not cascade into the next tests.
    for (const c of left) await sdk.hangup(c.id);
    assert.deepEqual(left, [], 'no call left in getCalls()');
    assert.deepEqual(await sdk.eventsOf('pageError'), [], 'no uncaught error in the SDK page');
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** The SDK calls bob, bob answers; returns { callId, session, fromSdk, fromFar }. */
  async function outboundAnswered() {
    const fromSdk = await sdk.mark();
    const fromFar = await far.mark();
    const callId = await sdk.must('call', bob.extension);
    assert.equal(typeof callId, 'string');
    assert.ok(callId.length > 0);
    const incoming = await far.waitFor('incoming', { from: fromFar });
    assert.match(incoming.from, new RegExp(`^sip:${alice.extension}@`));
    assert.equal(incoming.direction, 'sendrecv');
    await far.answer(incoming.session);
    await far.waitFor('confirmed', { from: fromFar, where: { session: incoming.session } });
    return { callId, session: incoming.session, fromSdk, fromFar };
  }

  /** The SDK's report that bob answered outbound `callId`: its `callUpdated` to state active. */
  function answerOf(callId, fromSdk) {
    return sdk.waitFor('callUpdated', { from: fromSdk, where: { 'payload.call.id': callId, 'payload.call.state': 'active' } });
  }

  /** bob calls the SDK; returns { callId, session, incoming, fromSdk, fromFar } once `incoming` fired. */
  async function inboundRinging() {
    const fromSdk = await sdk.mark();
    const fromFar = await far.mark();
    const session = await far.call(alice.extension);
    const incoming = await sdk.waitFor('incoming', { from: fromSdk });
    return { callId: incoming.payload.call.id, session, incoming, fromSdk, fromFar };
  }

  /**
   * Waits until every peer connection the SDK opened is closed and, with microphone, every
   * microphone track getUserMedia gave it is stopped; fails with what is still open.
   */
  async function assertMediaReleased({ microphone = false } = {}) {
    const deadline = Date.now() + 3000;
    let media;
    do {
      media = await sdk.media();
      const open = media.peerConnections.filter((pc) => pc.signalingState !== 'closed');
      const live = microphone ? media.localTracks.filter((t) => t.readyState !== 'ended') : [];
      if (open.length === 0 && live.length === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    assert.fail(`media not released after the call: ${JSON.stringify(media)}`);
  }

  test('outbound answered by JsSIP: sessionStarted when dialling, callUpdated active on the answer, remoteStream, audio both ways; SDK hangup ends both sides', async () => {
    const { callId, session, fromSdk, fromFar } = await outboundAnswered();

    // K-Link's "call established / dialing": the session started when call() dialled.
    const started = await sdk.waitFor('sessionStarted', { from: fromSdk, where: { 'payload.call.id': callId } });
    assert.equal(started.payload.call.direction, 'outbound');
    assert.equal(started.payload.call.state, 'trying', 'dialling, not answered');
    assert.equal(started.payload.call.answeredAt, null);
    const first = (await sdk.events(fromSdk)).find((e) => e.source === 'sdk' && e.payload?.call?.id === callId);
    assert.equal(first.type, 'sessionStarted', "sessionStarted is the call's first event");
    // The answer is an update to active, not a second sessionStarted.
    const answered = await answerOf(callId, fromSdk);
    assert.ok(answered.seq > started.seq);
    const call = answered.payload.call;
    assert.equal(call.direction, 'outbound');
    assert.equal(call.remoteNumber, bob.extension);
    assert.equal(call.state, 'active');
    assert.equal(call.muted, false);
    assert.equal(call.held, false);
    assert.equal(typeof call.startedAt, 'number');
    assert.equal(typeof call.answeredAt, 'number');
    assert.ok(call.answeredAt >= call.startedAt, 'answered after started');
    assert.ok(Math.abs(call.startedAt - Date.now()) < 60_000, 'startedAt is Unix milliseconds');
    assert.equal(call.startedAt, started.payload.call.startedAt, 'one call, one start time');
    assert.equal((await sdk.eventsOf('sessionStarted', fromSdk)).length, 1, 'sessionStarted once');

    const stream = await sdk.waitFor('remoteStream', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.equal(stream.payload.callId, callId);
    assert.equal(stream.payload.isStream, true, 'the payload carries a MediaStream');
    assert.equal(stream.payload.hasAudioTrack, true, 'with an audio track');
    const attached = await sdk.attachedAudio();
    assert.equal(attached.streamId, stream.payload.streamId, 'attachAudio() element plays the call\'s stream');

    const [heardBySdk, heardByFar] = await Promise.all([
      sdk.waitForAudio({ threshold: HEARD_BY_SDK, timeout: 8000, callId }),
      far.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 8000, sessionId: session }),
    ]);
    assert.ok(heardBySdk > HEARD_BY_SDK && heardByFar > HEARD_BY_FAR);

    const calls = await sdk.getCalls();
    assert.equal(calls.length, 1);
    assert.equal(calls[0].id, callId);
    assert.equal(calls[0].state, 'active');

    const hangup = await sdk.hangup(callId);
    assert.equal(hangup.ok, true, JSON.stringify(hangup));
    const farEnded = await far.waitFor('ended', { from: fromFar, where: { session } });
    assert.equal(farEnded.originator, 'remote', 'JsSIP was hung up on');
    assert.equal(farEnded.cause, 'Terminated', 'by a BYE');
    const ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.equal(ended.payload.cause, 'hangup_local');
    assert.equal((await sdk.eventsOf('sessionEnded', fromSdk)).length, 1, 'sessionEnded once');
    await assertMediaReleased();
    assert.equal((await sdk.attachedAudio()).streamId, null, 'the audio element is released');
  });

  test('outbound: JsSIP hangs up → sessionEnded with cause hangup_remote', async () => {
    const { callId, session, fromSdk } = await outboundAnswered();
    await answerOf(callId, fromSdk);
    await far.hangup(session);
    const ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.equal(ended.payload.cause, 'hangup_remote');
    await assertMediaReleased();
  });

  test('inbound from JsSIP: incoming (direction inbound), answer → audio both ways', async () => {
    const { callId, session, incoming, fromSdk, fromFar } = await inboundRinging();
    const call = incoming.payload.call;
    assert.equal(call.direction, 'inbound');
    assert.equal(call.remoteNumber, bob.extension);
    assert.equal(call.answeredAt, null, 'not answered yet');
    const listed = await sdk.getCalls();
    assert.equal(listed.length, 1);
    assert.equal(listed[0].id, callId);
    assert.equal(listed[0].direction, 'inbound');

    const answer = await sdk.answer(callId);
    assert.equal(answer.ok, true, JSON.stringify(answer));
    // An inbound session starts when it is answered.
    const started = await sdk.waitFor('sessionStarted', { from: fromSdk, where: { 'payload.call.id': callId } });
    assert.equal(started.payload.call.direction, 'inbound');
    assert.equal(started.payload.call.state, 'active');
    assert.equal(typeof started.payload.call.answeredAt, 'number');
    assert.equal((await sdk.eventsOf('sessionStarted', fromSdk)).length, 1, 'sessionStarted once, on the answer');
    const accepted = await far.waitFor('accepted', { from: fromFar, where: { session } });
    assert.equal(accepted.status, 200);
    const stream = await sdk.waitFor('remoteStream', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.equal(stream.payload.hasAudioTrack, true);

    await Promise.all([
      sdk.waitForAudio({ threshold: HEARD_BY_SDK, timeout: 8000, callId }),
      far.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 8000, sessionId: session }),
    ]);

    // A second answer is misuse: it rejects, it does not throw into the void.
    const again = await sdk.answer(callId);
    assert.equal(again.ok, false, 'answering an active call rejects');
    assert.equal(again.isSdkError, true);
    assert.equal(again.code, 'invalid_state');

    await far.hangup(session);
    const ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.equal(ended.payload.cause, 'hangup_remote');
    await assertMediaReleased();
  });

  test('inbound rejected by the SDK: JsSIP sees 486 or 603', async () => {
    const { callId, session, fromSdk, fromFar } = await inboundRinging();
    const r = await sdk.reject(callId);
    assert.equal(r.ok, true, JSON.stringify(r));
    const ended = await far.waitFor('ended', { from: fromFar, where: { session } });
    assert.equal(ended.failed, true, 'the call never got established');
    assert.ok([486, 603].includes(ended.status), `final response 486 or 603, got ${ended.status}`);
    const sdkEnded = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.equal(sdkEnded.payload.cause, 'rejected');
    assert.equal((await sdk.eventsOf('sessionStarted', fromSdk)).length, 0, 'never started');
  });

  test('cancel: the SDK hangs up while ringing → JsSIP sees CANCEL', async () => {
    const fromSdk = await sdk.mark();
    const fromFar = await far.mark();
    const callId = await sdk.must('call', bob.extension);
    const incoming = await far.waitFor('incoming', { from: fromFar });
    // Ringing outbound: answering it is misuse.
    const wrong = await sdk.answer(callId);
    assert.equal(wrong.ok, false, 'answer() on an outgoing call rejects');
    assert.equal(wrong.code, 'invalid_state');

    const r = await sdk.hangup(callId);
    assert.equal(r.ok, true, JSON.stringify(r));
    await far.waitFor('cancel', { from: fromFar, where: { session: incoming.session } });
    const farEnded = await far.waitFor('ended', { from: fromFar, where: { session: incoming.session } });
    assert.equal(farEnded.cause, 'Canceled');
    const ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.equal(ended.payload.cause, 'cancelled');
    // Dialling started it; nothing answered it.
    const started = await sdk.eventsOf('sessionStarted', fromSdk);
    assert.equal(started.length, 1, 'started once, when dialled');
    assert.equal(started[0].payload.call.id, callId);
    assert.equal(started[0].payload.call.state, 'trying');
    const answers = (await sdk.eventsOf('callUpdated', fromSdk)).filter((e) => e.payload.call.state === 'active');
    assert.deepEqual(answers, [], 'never answered');
    await assertMediaReleased();
  });

  test('cancel: JsSIP cancels while the SDK rings → sessionEnded', async () => {
    const { callId, session, fromSdk, fromFar } = await inboundRinging();
    await far.hangup(session); // CANCEL while ringing
    const farEnded = await far.waitFor('ended', { from: fromFar, where: { session } });
    assert.equal(farEnded.originator, 'local');
    const ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.equal(ended.payload.cause, 'cancelled');
    assert.equal((await sdk.eventsOf('sessionStarted', fromSdk)).length, 0, 'never started');
    // The call is gone: answering it now rejects.
    const late = await sdk.answer(callId);
    assert.equal(late.ok, false);
    assert.ok(['unknown_call', 'invalid_state'].includes(late.code), `answer after cancel: ${late.code}`);
  });

  test('a finished call gives the microphone back: every getUserMedia track stopped', async () => {
    const { callId, session, fromSdk } = await outboundAnswered();
    await answerOf(callId, fromSdk);
    const during = await sdk.media();
    const sending = during.peerConnections.at(-1).senders.map((x) => x.track?.id);
    const captured = during.localTracks.at(-1);
    assert.ok(sending.includes(captured.id), 'the call sends the track getUserMedia returned');
    await far.hangup(session);
    await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': callId } });
    await assertMediaReleased({ microphone: true });
  });

  test('every call control with an unknown call id rejects with unknown_call', async () => {
    const id = 'no-such-call-42';
    for (const method of ['answer', 'reject', 'hangup', 'hold', 'unhold', 'mute', 'unmute']) {
      const r = await sdk[method](id);
      assert.equal(r.ok, false, `${method}(unknown) rejects`);
      assert.equal(r.sync, undefined, `${method}(unknown) returns a rejected promise, it does not throw`);
      assert.equal(r.isPromise, true, `${method}() returns a promise`);
      assert.equal(r.isSdkError, true, `${method}: a KlinkCallSdkError`);
      assert.equal(r.code, 'unknown_call', `${method}: ${r.code} ${r.message}`);
      assert.match(r.message, new RegExp(`${id}|unknown|no call`, 'i'), `${method}: a clear message: ${r.message}`);
    }
    const dtmf = await sdk.dtmf(id, '1');
    assert.equal(dtmf.ok, false);
    assert.equal(dtmf.code, 'unknown_call', `dtmf: ${dtmf.code} ${dtmf.message}`);
    const noId = await sdk.hangup('');
    assert.equal(noId.ok, false);
    assert.equal(noId.code, 'invalid_argument', `hangup(''): ${noId.code}`);
  });

  // Last: the SDK is gone afterwards.
  test('destroy() with a call up: JsSIP gets a BYE, sessionEnded then destroyed, contact and media gone', async () => {
    const { callId, session, fromSdk, fromFar } = await outboundAnswered();
    await answerOf(callId, fromSdk);
    const r = await sdk.destroy();
    assert.equal(r.ok, true, JSON.stringify(r));
    const farEnded = await far.waitFor('ended', { from: fromFar, where: { session } });
    assert.equal(farEnded.originator, 'remote');
    assert.equal(farEnded.cause, 'Terminated', 'ended by a BYE');
    const ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': callId } });
    const destroyed = await sdk.waitFor('destroyed', { from: fromSdk });
    assert.ok(ended.seq < destroyed.seq, 'sessionEnded before destroyed');
    assert.deepEqual(await stack.contacts(alice.extension), [], 'unregistered');
    await assertMediaReleased({ microphone: true });
  });
});
