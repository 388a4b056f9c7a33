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
