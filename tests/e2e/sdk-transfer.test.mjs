// Transfers with JsSIP as the other parties, through Kamailio, with real audio. The SDK is alice
// (1001); JsSIP plays bob (1002) and dave (1003), both following a REFER they get. Blind and
// attended transfers by the SDK (issue 13, items 1 and 2), then the SDK transferred by JsSIP:
// a REFER it follows, and an INVITE with Replaces that takes over its call (item 3).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { audioBothWays, farEndCallsSdk, HEARD_BY_FAR, hangUpLeftovers, sdkCallsFarEnd, startScene } from './lib/calls.mjs';
import { sdkConfig } from './lib/sdkpage.mjs';
import { DEMO } from './lib/stack.mjs';

const { alice, bob, dave } = DEMO.members;

describe('SDK transfers with JsSIP far ends', { timeout: 300_000 }, () => {
  let scene;
  let sdk;
  let bobUa;
  let daveUa;
  let domain;

  before(async () => {
    scene = await startScene({
      farEnds: [
        { member: bob, name: 'bob (JsSIP)', start: { acceptRefer: true } },
        { member: dave, name: 'dave (JsSIP)', start: { acceptRefer: true } },
      ],
    });
    ({ sdk, farEnds: [bobUa, daveUa] } = scene);
    domain = scene.credentials[0].sipUri.split('@')[1];
  });

  afterEach(async () => {
    await hangUpLeftovers(sdk, { leftAllowed: true });
    for (const ua of [bobUa, daveUa]) {
      for (const e of await ua.events()) {
        if (e.type === 'incoming' || e.type === 'outgoing') {
          const s = await ua.session(e.session).catch(() => null);
          if (s && !s.ended) await ua.hangup(e.session);
        }
      }
    }
  });

  after(() => scene?.stop());

  /** The SDK calls `ua`, which answers; audio both ways. Returns the SDK call id and the session. */
  const sdkCalls = (ua, extension) => sdkCallsFarEnd(sdk, ua, extension);

  /** `ua` calls the SDK, which answers; audio both ways. */
  const callsSdk = (ua, extension) => farEndCallsSdk(sdk, ua, extension);

  /** Two JsSIP sessions hear each other. */
  async function talking(a, aSession, b, bSession) {
    await Promise.all([
      a.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 8000, sessionId: aSession }),
      b.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 8000, sessionId: bSession }),
    ]);
  }

  test('blind transfer: bob calls dave for us, they talk, and our call ends transferred', async () => {
    const { callId, session } = await sdkCalls(bobUa, bob.extension);
    const fromSdk = await sdk.mark();
    const fromBob = await bobUa.mark();
    const fromDave = await daveUa.mark();
    const transfer = await sdk.invoke('transfer', callId, dave.extension);
    assert.equal(transfer.ok, true, JSON.stringify(transfer));
    assert.equal(transfer.isPromise, true);
    const refer = await bobUa.waitFor('refer', { from: fromBob, where: { session } });
    assert.equal(refer.referTo, `sip:${dave.extension}@${domain}`);
    await sdk.waitFor('transferAccepted', { from: fromSdk, where: { 'payload.callId': callId } });
    // bob's new call rings dave; dave answers.
    const toDave = await daveUa.waitFor('incoming', { from: fromDave });
    assert.equal(toDave.from, `sip:${bob.extension}@${domain}`);
    await daveUa.answer(toDave.session);
    const ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.equal(ended.payload.cause, 'transferred');
    await bobUa.waitFor('ended', { from: fromBob, where: { session } });
    const bobToDave = await bobUa.waitFor('outgoing', { from: fromBob });
    await talking(bobUa, bobToDave.session, daveUa, toDave.session);
    assert.deepEqual(await sdk.eventsOf('transferFailed', fromSdk), []);
    assert.deepEqual(await sdk.getCalls(), []);
  });

  test('blind transfer to a busy target: transferFailed with 486, and the call goes on with audio', async () => {
    const { callId, session } = await sdkCalls(bobUa, bob.extension);
    const fromSdk = await sdk.mark();
    const fromDave = await daveUa.mark();
    const transfer = await sdk.invoke('transfer', callId, dave.extension);
    assert.equal(transfer.ok, true, JSON.stringify(transfer));
    const toDave = await daveUa.waitFor('incoming', { from: fromDave });
    await daveUa.reject(486, toDave.session);
    const failed = await sdk.waitFor('transferFailed', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.equal(failed.payload.status, 486);
    assert.equal(typeof failed.payload.reason, 'string');
    assert.equal((await sdk.getCalls()).find((c) => c.id === callId)?.state, 'active');
    assert.deepEqual(await sdk.eventsOf('sessionEnded', fromSdk), []);
    await audioBothWays(sdk, callId, bobUa, session);
  });

  test('a transfer the peer declines (NOTIFY 603) is a transferFailed event and the call stays; bad targets are refused', async () => {
    // bob refuses REFERs in this test (JsSIP answers 202, then NOTIFY 603).
    await bobUa.page.evaluate(() => window.farEnd.acceptRefer(false));
    try {
      const { callId } = await sdkCalls(bobUa, bob.extension);
      const fromSdk = await sdk.mark();
      const transfer = await sdk.invoke('transfer', callId, dave.extension);
      // The 202 came first: the promise resolved; the refusal is the event.
      assert.equal(transfer.ok, true, JSON.stringify(transfer));
      const failed = await sdk.waitFor('transferFailed', { from: fromSdk, where: { 'payload.callId': callId } });
      assert.equal(failed.payload.status, 603);
      assert.equal((await sdk.getCalls()).find((c) => c.id === callId)?.state, 'active');
      // A target that is no number is refused before anything is sent.
      const bad = await sdk.invoke('transfer', callId, 'no such target');
      assert.equal(bad.ok, false);
      assert.equal(bad.code, 'invalid_argument');
      const unknown = await sdk.invoke('transfer', 'nope', dave.extension);
      assert.equal(unknown.code, 'unknown_call');
    } finally {
      await bobUa.page.evaluate(() => window.farEnd.acceptRefer(true));
    }
  });

  test('attended transfer: bob (customer) and dave (supervisor) talk, both our calls end transferred', async () => {
    const customer = await sdkCalls(bobUa, bob.extension);
    assert.equal((await sdk.hold(customer.callId)).ok, true);
    const supervisor = await sdkCalls(daveUa, dave.extension);
    const fromSdk = await sdk.mark();
    const fromBob = await bobUa.mark();
    const fromDave = await daveUa.mark();
    const transfer = await sdk.invoke('transfer', customer.callId, { replaces: supervisor.callId });
    assert.equal(transfer.ok, true, JSON.stringify(transfer));
    const refer = await bobUa.waitFor('refer', { from: fromBob, where: { session: customer.session } });
    assert.match(refer.referTo, new RegExp(`^sip:${dave.extension}@`));
    assert.match(refer.referTo, /Replaces=/i);
    // dave's JsSIP sees bob's INVITE with Replaces for our call, takes it and answers.
    await daveUa.waitFor('replaces', { from: fromDave, where: { session: supervisor.session } });
    const fromBobToDave = await daveUa.waitFor('incoming', { from: fromDave });
    await daveUa.answer(fromBobToDave.session);
    const [endedCustomer, endedSupervisor] = await Promise.all([
      sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': customer.callId } }),
      sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': supervisor.callId } }),
    ]);
    assert.equal(endedCustomer.payload.cause, 'transferred');
    assert.equal(endedSupervisor.payload.cause, 'transferred');
    const bobToDave = await bobUa.waitFor('outgoing', { from: fromBob });
    await talking(bobUa, bobToDave.session, daveUa, fromBobToDave.session);
    assert.deepEqual(await sdk.getCalls(), []);
  });

  test('being transferred: bob REFERs us to dave, the SDK calls dave (incomingTransfer accept) and our call with bob ends', async () => {
    const { callId, session } = await callsSdk(bobUa, alice.extension);
    const fromSdk = await sdk.mark();
    const fromBob = await bobUa.mark();
    const fromDave = await daveUa.mark();
    await bobUa.refer(`sip:${dave.extension}@${domain}`, session);
    const asked = await sdk.waitFor('transferRequested', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.equal(asked.payload.target, `sip:${dave.extension}@${domain}`);
    // Accepted by the default policy: a new outgoing call, as call() makes.
    const started = await sdk.waitFor('sessionStarted', { from: fromSdk });
    const newCall = started.payload.call;
    assert.equal(newCall.direction, 'outbound');
    assert.equal(newCall.remoteNumber, dave.extension);
    await bobUa.waitFor('referProgress', { from: fromBob, where: { what: 'trying' } });
    const toDave = await daveUa.waitFor('incoming', { from: fromDave });
    await daveUa.answer(toDave.session);
    const ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.equal(ended.payload.cause, 'transferred');
    await bobUa.waitFor('referProgress', { from: fromBob, where: { what: 'accepted', status: 200 } });
    await audioBothWays(sdk, newCall.id, daveUa, toDave.session);
    assert.deepEqual((await sdk.getCalls()).map((c) => c.id), [newCall.id]);
  });

  test('replaced: bob hands our call to dave (REFER with Replaces), dave INVITEs us with Replaces and takes over', async () => {
    const withBob = await sdkCalls(bobUa, bob.extension);
    const before = await daveUa.mark();
    const bobDave = await bobUa.call(dave.extension);
    const daveIncoming = await daveUa.waitFor('incoming', { from: before });
    const fromDave = await daveUa.mark();
    await daveUa.answer(daveIncoming.session);
    await bobUa.waitFor('confirmed', { where: { session: bobDave } });
    const fromSdk = await sdk.mark();
    // bob asks dave to call alice, replacing bob's call with alice.
    await bobUa.refer(`sip:${alice.extension}@${domain}`, bobDave, withBob.session);
    const daveToUs = await daveUa.waitFor('outgoing', { from: fromDave });
    // The replacing call is answered by the SDK itself, and our call with bob ends.
    const started = await sdk.waitFor('sessionStarted', { from: fromSdk, where: { 'payload.call.direction': 'inbound' } });
    const ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': withBob.callId } });
    assert.equal(ended.payload.cause, 'transferred');
    await daveUa.waitFor('confirmed', { where: { session: daveToUs.session } });
    await audioBothWays(sdk, started.payload.call.id, daveUa, daveToUs.session);
    assert.deepEqual((await sdk.getCalls()).map((c) => c.id), [started.payload.call.id]);
  });

  test("incomingTransfer 'ask': nothing is dialled until the app answers; rejectTransfer declines, acceptTransfer follows", async () => {
    // A fresh SDK in this page with the 'ask' policy (the last test: the SDK stays so).
    assert.equal((await sdk.destroy()).ok, true);
    await sdk.initRegistered(sdkConfig(scene.stack, alice, DEMO.tokens.acme, { incomingTransfer: 'ask' }));
    const { callId, session } = await callsSdk(bobUa, alice.extension);
    const target = `sip:${dave.extension}@${domain}`;
    let fromSdk = await sdk.mark();
    let fromBob = await bobUa.mark();
    await bobUa.refer(target, session);
    await sdk.waitFor('transferRequested', { from: fromSdk, where: { 'payload.callId': callId, 'payload.target': target } });
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await sdk.eventsOf('sessionStarted', fromSdk), [], 'nothing dialled while the app decides');
    const declined = await sdk.invoke('rejectTransfer', callId);
    assert.equal(declined.ok, true, JSON.stringify(declined));
    await bobUa.waitFor('referProgress', { from: fromBob, where: { what: 'failed', status: 603 } });
    const again = await sdk.invoke('rejectTransfer', callId);
    assert.equal(again.code, 'invalid_state', 'nothing left to answer');
    assert.equal((await sdk.getCalls()).find((c) => c.id === callId)?.state, 'active');

    fromSdk = await sdk.mark();
    fromBob = await bobUa.mark();
    const fromDave = await daveUa.mark();
    await bobUa.refer(target, session);
    await sdk.waitFor('transferRequested', { from: fromSdk, where: { 'payload.callId': callId } });
    const accepted = await sdk.invoke('acceptTransfer', callId);
    assert.equal(accepted.ok, true, JSON.stringify(accepted));
    const newId = accepted.value;
    assert.equal(typeof newId, 'string');
    const started = await sdk.waitFor('sessionStarted', { from: fromSdk });
    assert.equal(started.payload.call.id, newId);
    const toDave = await daveUa.waitFor('incoming', { from: fromDave });
    await daveUa.answer(toDave.session);
    const ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.equal(ended.payload.cause, 'transferred');
    await bobUa.waitFor('referProgress', { from: fromBob, where: { what: 'accepted', status: 200 } });
    await audioBothWays(sdk, newId, daveUa, toDave.session);
  });
});
