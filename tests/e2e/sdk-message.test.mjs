// SIP MESSAGE (RFC 3428) both ways through Kamailio, with JsSIP as the other party: the SDK's
// sendMessage() reaches JsSIP's newMessage (Kamailio challenges it: the SDK answers with its
// credentials) and settles with JsSIP's answer, refusals reject message_failed with the status,
// bad arguments invalid_argument; JsSIP's ua.sendMessage() raises the SDK's `message` event and
// gets 200; a body that is not text gets 415 and raises nothing; a MESSAGE inside a call's dialog
// names the call. The SDK is alice (1001), JsSIP is bob (1002).
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
    await bobUa.refuseMessages(null);
    const left = await sdk.getCalls();
    for (const c of left) await sdk.hangup(c.id);
    assert.deepEqual(left.map((c) => c.id), [], 'no call left in getCalls()');
    assert.deepEqual(await sdk.eventsOf('pageError'), [], 'no uncaught error in the SDK page');
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('sendMessage(): JsSIP gets the text as text/plain;charset=UTF-8 from 1001, and the promise resolves on its 200', async () => {
    const fromFar = await bobUa.mark();
    const text = 'Ticket #42 \u2713\nthe caller wants a refund';
    const r = await sdk.invoke('sendMessage', bob.extension, text);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.isPromise, true);
    assert.equal(r.value, null, 'resolves with nothing');
    const got = await bobUa.waitFor('message', { from: fromFar });
    assert.equal(got.body, text);
    assert.match(got.from, /^sip:1001@/);
    assert.equal(got.contentType.replace(/\s/g, '').toLowerCase(), 'text/plain;charset=utf-8');
    // A sip: URI target works the same way.
    const r2 = await sdk.invoke('sendMessage', got.from.replace('1001', bob.extension), 'by URI');
    assert.equal(r2.ok, true, JSON.stringify(r2));
    assert.equal((await bobUa.waitFor('message', { from: fromFar, where: { body: 'by URI' } })).body, 'by URI');
  });

  test('a refused or undeliverable MESSAGE rejects with message_failed and its status; bad arguments are invalid_argument and send nothing', async () => {
    await bobUa.refuseMessages(480);
    const refused = await sdk.invoke('sendMessage', bob.extension, 'are you there?');
    assert.equal(refused.ok, false);
    assert.equal(refused.isSdkError, true);
    assert.equal(refused.code, 'message_failed', JSON.stringify(refused));
    assert.equal(refused.status, 480);
    assert.match(refused.message, /480/);
    // Nobody is registered as 1099: Kamailio answers 404.
    const nobody = await sdk.invoke('sendMessage', '1099', 'hello?');
    assert.equal(nobody.code, 'message_failed', JSON.stringify(nobody));
    assert.equal(nobody.status, 404);

    await bobUa.refuseMessages(null);
    const fromFar = await bobUa.mark();
    for (const [target, text] of [
      [bob.extension, ''],
      [bob.extension, 'x'.repeat(8193)],
      [bob.extension, 42],
      ['10 02', 'hi'],
      ['1002\r\nX-Injected: 1', 'hi'],
      ['', 'hi'],
    ]) {
      const bad = await sdk.invoke('sendMessage', target, text);
      assert.equal(bad.ok, false, `${JSON.stringify(target)}: ${JSON.stringify(bad)}`);
      assert.equal(bad.isPromise, true, 'rejects, never throws');
      assert.equal(bad.code, 'invalid_argument', `${JSON.stringify(target)}: ${bad.message}`);
    }
    // The longest text allowed (8192 bytes as UTF-8) goes through.
    const longest = '\u00e9'.repeat(4096);
    const ok = await sdk.invoke('sendMessage', bob.extension, longest);
    assert.equal(ok.ok, true, JSON.stringify({ ...ok, message: ok.message?.slice(0, 200) }));
    const got = (await bobUa.events(fromFar)).filter((e) => e.type === 'message');
    assert.equal(got.length, 1, 'only the valid MESSAGE reached JsSIP');
    assert.equal(got[0].body, longest);
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
