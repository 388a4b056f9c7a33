// RFC 4028 session timers and RFC 3311 UPDATE with JsSIP (session_timers on, refreshing by
// UPDATE). Session-Expires 90 s, the smallest RFC 4028 allows (the SDK's minSec floor; JsSIP
// accepts 60 and up): the refresher refreshes at 45 s, the SDK ends an unrefreshed call 60 s
// after the last refresh, JsSIP 99 s after. The timer test holds two calls for 100 s, past
// both, so it costs about 110 s of the suite.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { audioBothWays, farEndCallsSdk, hangUpLeftovers, sdkCallsFarEnd, startScene } from './lib/calls.mjs';
import { DEMO } from './lib/stack.mjs';

const { alice, bob, dave } = DEMO.members;

describe('SDK session timers and UPDATE with JsSIP', { timeout: 300_000 }, () => {
  let scene;
  let sdk;
  let bobUa; // the SDK calls bob
  let daveUa; // dave calls the SDK

  before(async () => {
    scene = await startScene({
      sdk: { logLevel: 'debug', sessionTimers: { expiresSec: 90 } },
      farEnds: [
        { member: bob, name: 'bob (JsSIP)', start: { sessionTimers: true } },
        { member: dave, name: 'dave (JsSIP)', start: { sessionTimers: true } },
      ],
    });
    ({ sdk, farEnds: [bobUa, daveUa] } = scene);
  });

  afterEach(() => hangUpLeftovers(sdk));

  after(() => scene?.stop());

  /** The SIP messages the SDK logged (debug) since `since` (Date.now()): { dir, text }. */
  function sipLog(since) {
    return sdk.console
      .filter((m) => m.at >= since)
      .map((m) => /(send|recv):\n([\s\S]*)$/.exec(m.text))
      .filter(Boolean)
      .map(([, dir, text]) => ({ dir, text }));
  }

  const cseqOf = (text) => /\r?\nCSeq: *(\d+ [A-Z]+)/i.exec(text)?.[1];
  const header = (text, name) => new RegExp(`\\r?\\n${name}: *([^\\r\\n]*)`, 'i').exec(text)?.[1];

  /** The SDK calls bob, bob answers (audio is checked later). */
  const sdkCallsBob = () => sdkCallsFarEnd(sdk, bobUa, bob.extension, { audio: false });

  /** dave calls the SDK with Session-Expires 90, the SDK answers. */
  const daveCallsSdk = () => farEndCallsSdk(sdk, daveUa, alice.extension, { audio: false, call: { sessionTimersExpires: 90 } });

  test('both directions: the refresher refreshes by UPDATE at 45 s, the other side answers, both calls outlive every expiry with audio', async () => {
    const since = Date.now();
    const fromBob = await bobUa.mark();
    const [out, inb] = await Promise.all([sdkCallsBob(), daveCallsSdk()]);
    const answeredAt = Date.now();
    await audioBothWays(sdk, out.callId, bobUa, out.session);
    await audioBothWays(sdk, inb.callId, daveUa, inb.session);

    const log = sipLog(since);
    const invite = log.find((m) => m.dir === 'send' && m.text.startsWith('INVITE '));
    assert.equal(header(invite.text, 'Session-Expires'), '90;refresher=uac');
    assert.match(header(invite.text, 'Allow'), /UPDATE/);
    const ok = log.find((m) => m.dir === 'send' && m.text.startsWith('SIP/2.0 200') && cseqOf(m.text)?.endsWith('INVITE'));
    assert.equal(header(ok.text, 'Session-Expires'), '90;refresher=uac', 'dave (the caller) refreshes');

    // SDK → bob: the SDK refreshes; bob sees the UPDATE (no body) and answers it.
    const update = await bobUa.waitFor('update', { from: fromBob, timeout: 60_000 });
    const refreshAfter = Date.now() - answeredAt;
    assert.equal(update.body, false, 'a refresh without an offer');
    assert.equal(update.sessionExpires, '90;refresher=uac');
    assert.ok(refreshAfter > 40_000 && refreshAfter < 50_000, `refreshed ${refreshAfter} ms after the answer`);

    // Until both sides' expiry has passed (the SDK's 60 s, JsSIP's 99 s), then check.
    await new Promise((r) => setTimeout(r, Math.max(0, answeredAt + 101_000 - Date.now())));
    const later = sipLog(since);
    const sentUpdates = later.filter((m) => m.dir === 'send' && m.text.startsWith('UPDATE '));
    assert.equal(sentUpdates.length, 2, 'the SDK refreshed at 45 s and 90 s');
    const answered = later.filter((m) => m.dir === 'recv' && m.text.startsWith('SIP/2.0 200') && cseqOf(m.text)?.endsWith('UPDATE'));
    // On failure, every UPDATE and its answers as the SDK saw them, in order.
    const updates = () => later.filter((m) => cseqOf(m.text)?.endsWith('UPDATE')).map((m) => `${m.dir} ${m.text.split(/\r?\n/)[0]} (${cseqOf(m.text)})`).join('; ');
    assert.equal(answered.length, 2, `bob answered each refresh 200: ${updates()}`);
    // dave → SDK: dave refreshes; the SDK answers 200 with the interval.
    const received = later.filter((m) => m.dir === 'recv' && m.text.startsWith('UPDATE '));
    assert.equal(received.length, 2, 'dave refreshed at 45 s and 90 s');
    const replies = later.filter((m) => m.dir === 'send' && m.text.startsWith('SIP/2.0 200') && cseqOf(m.text)?.endsWith('UPDATE'));
    assert.equal(replies.length, 2);
    assert.equal(header(replies[0].text, 'Session-Expires'), '90;refresher=uac');
    assert.equal(later.filter((m) => m.text.startsWith('BYE ')).length, 0, 'no BYE');

    for (const [callId, ua, session] of [[out.callId, bobUa, out.session], [inb.callId, daveUa, inb.session]]) {
      assert.equal((await ua.session(session)).established, true);
      assert.equal((await sdk.getCalls()).find((c) => c.id === callId)?.state, 'active');
      await audioBothWays(sdk, callId, ua, session);
    }
    await sdk.must('hangup', out.callId);
    await sdk.must('hangup', inb.callId);
  });

  test('UPDATE with an offer from JsSIP: renegotiate and hold/unhold by UPDATE are answered, the SDK follows, audio comes back', async () => {
    const { callId, session } = await sdkCallsBob();
    await audioBothWays(sdk, callId, bobUa, session);
    const since = Date.now();
    assert.equal(await bobUa.renegotiate(session, { useUpdate: true }), true, 'renegotiate by UPDATE answered');
    const answer = sipLog(since).find((m) => m.dir === 'send' && m.text.startsWith('SIP/2.0 200') && cseqOf(m.text)?.endsWith('UPDATE'));
    assert.match(answer.text, /\r\n\r\nv=0/, 'the 200 carries the answer');
    await audioBothWays(sdk, callId, bobUa, session);

    const fromSdk = await sdk.mark();
    assert.equal(await bobUa.hold(session, { useUpdate: true }), true);
    await sdk.waitFor('callUpdated', { from: fromSdk, where: { 'payload.call.remoteHeld': true } });
    const call = (await sdk.getCalls()).find((c) => c.id === callId);
    assert.equal(call.state, 'held');
    assert.equal(call.held, false, 'held by the peer, not by us');
    await sdk.waitForSilence({ threshold: 0.005, timeout: 5000, callId });

    const fromSdk2 = await sdk.mark();
    assert.equal(await bobUa.unhold(session, { useUpdate: true }), true);
    await sdk.waitFor('callUpdated', { from: fromSdk2, where: { 'payload.call.remoteHeld': false } });
    await audioBothWays(sdk, callId, bobUa, session);
    const updates = sipLog(since).filter((m) => m.dir === 'recv' && m.text.startsWith('UPDATE '));
    assert.equal(updates.length, 3, 'renegotiate, hold and unhold came as UPDATE');
    assert.equal(sipLog(since).filter((m) => m.text.startsWith('INVITE ')).length, 0, 'no re-INVITE');
    await sdk.must('hangup', callId);
  });
});
