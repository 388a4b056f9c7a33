// SIP MESSAGE (RFC 3428) from JsSIP to the SDK through Kamailio: JsSIP's ua.sendMessage()
// raises the SDK's `message` event and gets 200; a body that is not text gets 415 and raises
// nothing; a MESSAGE inside a call's dialog names the call. The SDK is alice (1001), JsSIP is
// bob (1002).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC, sdkConfig } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const { alice, bob } = DEMO.members;

describe('SDK receiving MESSAGE from a JsSIP far end', { timeout: 120_000 }, () => {
  let stack;
  let browser;
  let sdk;
  let bobUa;

  before(async () => {
    requireSdkBuild();
    [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC }), launchBrowser()]);
    [sdk, bobUa] = await Promise.all([
      openSdkPage(browser, stack, { name: 'alice (SDK)' }),
      openFarEnd(browser, stack, { name: 'bob (JsSIP)' }),
    ]);
    await Promise.all([
      sdk.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme)),
      stack.credentials(bob.email).then((c) => bobUa.startWith(c)),
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

  test('a MESSAGE from JsSIP raises message { from, text, contentType, callId: null }, and JsSIP gets 200', async () => {
    const fromSdk = await sdk.mark();
    const fromFar = await bobUa.mark();
    const text = 'hello from bob ✓\nsecond line';
    await bobUa.sendMessage(alice.extension, text);
    const ev = await sdk.waitFor('message', { from: fromSdk });
    assert.deepEqual(ev.payload, { callId: null, from: bob.extension, text, contentType: 'text/plain' });
    const sent = await bobUa.waitFor('messageSent', { from: fromFar });
    assert.equal(sent.status, 200);
    assert.equal((await bobUa.events(fromFar)).filter((e) => e.type === 'messageFailed').length, 0);
  });

  test('a MESSAGE whose body is not text is answered 415 and raises no event', async () => {
    const fromSdk = await sdk.mark();
    const fromFar = await bobUa.mark();
    await bobUa.sendMessage(alice.extension, '<?xml version="1.0"?><isComposing/>', 'application/im-iscomposing+xml');
    const failed = await bobUa.waitFor('messageFailed', { from: fromFar });
    assert.equal(failed.status, 415);
    // A text MESSAGE after it still arrives; the refused one raised nothing before it.
    await bobUa.sendMessage(alice.extension, 'plain again');
    await sdk.waitFor('message', { from: fromSdk, where: { 'payload.text': 'plain again' } });
    assert.deepEqual((await sdk.eventsOf('message', fromSdk)).map((e) => e.payload.text), ['plain again']);
  });

  test("a MESSAGE inside a call's dialog names the call, and the call goes on", async () => {
    const fromSdk = await sdk.mark();
    const fromFar = await bobUa.mark();
    const session = await bobUa.call(alice.extension);
    const incoming = await sdk.waitFor('incoming', { from: fromSdk });
    const callId = incoming.payload.call.id;
    await sdk.must('answer', callId);
    await bobUa.waitFor('confirmed', { from: fromFar, where: { session } });
    await bobUa.sendDialogMessage('during the call', session);
    const ev = await sdk.waitFor('message', { from: fromSdk });
    assert.deepEqual(ev.payload, { callId, from: bob.extension, text: 'during the call', contentType: 'text/plain' });
    assert.equal((await bobUa.waitFor('messageSent', { from: fromFar })).status, 200);
    const [call] = await sdk.getCalls();
    assert.equal(call.state, 'active');
    const fromFar2 = await bobUa.mark();
    await sdk.must('hangup', callId);
    await bobUa.waitFor('ended', { from: fromFar2, where: { session } });
  });
});
