// An agent's day with JsSIP as the other party: reject codes and the busy policy, custom
// headers and caller identity, DTMF timing, mute direction, MESSAGE both ways, and the
// fields of the call object. The SDK is alice (1001); JsSIP plays bob (1002) and dave (1003).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC, sdkConfig } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const { alice, bob, dave } = DEMO.members;

describe('SDK agent controls with JsSIP far ends', { timeout: 240_000 }, () => {
  let stack;
  let browser;
  let sdk;
  let bobUa;
  let daveUa;

  before(async () => {
    requireSdkBuild();
    [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC }), launchBrowser({ tone: true })]);
    [sdk, bobUa, daveUa] = await Promise.all([
      openSdkPage(browser, stack, { name: 'alice (SDK)' }),
      openFarEnd(browser, stack, { name: 'bob (JsSIP)' }),
      openFarEnd(browser, stack, { name: 'dave (JsSIP)' }),
    ]);
    await Promise.all([
      sdk.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme, { incomingWhileBusy: 'reject' })),
      stack.credentials(bob.email).then((c) => bobUa.startWith(c)),
      stack.credentials(dave.email).then((c) => daveUa.startWith(c)),
    ]);
  });

  afterEach(async () => {
    const left = await sdk.getCalls();
    for (const c of left) await sdk.hangup(c.id);
    assert.deepEqual(left.map((c) => c.id), [], 'no call left in getCalls()');
    assert.deepEqual(await sdk.eventsOf('pageError'), [], 'no uncaught error in the SDK page');
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

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
  let stack;
  let browser;
  let sdk;
  let bobUa;

  before(async () => {
    requireSdkBuild();
    [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC }), launchBrowser({ tone: true })]);
    [sdk, bobUa] = await Promise.all([
      openSdkPage(browser, stack, { name: 'alice (SDK)' }),
      openFarEnd(browser, stack, { name: 'bob (JsSIP)' }),
    ]);
    await Promise.all([
      sdk.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme)),
      stack.credentials(bob.email).then((c) => bobUa.startWith(c)),
    ]);
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
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
