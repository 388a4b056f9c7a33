// An offer without a codec the browser can use, from JsSIP (bob, 1002) to the SDK (alice,
// 1001) through Kamailio: refused with 488 and a Warning naming the codecs, without ringing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC, sdkConfig } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const { alice, bob } = DEMO.members;

describe('SDK and offers without a usable codec', { timeout: 120_000 }, () => {
  let stack;
  let browser;
  let sdk;
  let far;

  before(async () => {
    requireSdkBuild();
    [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC }), launchBrowser()]);
    [sdk, far] = await Promise.all([
      openSdkPage(browser, stack, { name: 'alice (SDK)' }),
      openFarEnd(browser, stack, { name: 'bob (JsSIP)' }),
    ]);
    await Promise.all([
      sdk.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme)),
      stack.credentials(bob.email).then((c) => far.startWith(c)),
    ]);
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('a G.729-only offer gets 488 with a Warning naming the codecs; the SDK never rings and stays registered', async () => {
    const fromSdk = await sdk.mark();
    const fromFar = await far.mark();
    const session = await far.call(alice.extension, { g729Only: true });
    const ended = await far.waitFor('ended', { from: fromFar, where: { session } });
    assert.equal(ended.status, 488, JSON.stringify(ended));
    assert.match(
      ended.warning ?? '',
      /^305 [a-z0-9]+\.invalid "Incompatible media format: offered G729\/8000; usable: opus PCMU PCMA G722"$/,
      JSON.stringify(ended),
    );
    const error = await sdk.waitFor('error', { from: fromSdk, where: { 'payload.scope': 'call' } });
    assert.match(error.payload.detail, new RegExp(`call from ${bob.extension} .*G729/8000`));
    assert.deepEqual(await sdk.eventsOf('incoming', fromSdk), [], 'it never rang');
    assert.deepEqual(await sdk.getCalls(), []);
    assert.deepEqual(await sdk.eventsOf('registeredChange', fromSdk), []);
    assert.equal((await sdk.isRegistered()).value, true);

    // The next call, with the browser's own offer, rings and connects as usual.
    const next = await far.mark();
    const fromSdk2 = await sdk.mark();
    const ok = await far.call(alice.extension);
    const incoming = await sdk.waitFor('incoming', { from: fromSdk2 });
    await sdk.must('answer', incoming.payload.call.id);
    await far.waitFor('confirmed', { from: next, where: { session: ok } });
    await sdk.must('hangup', incoming.payload.call.id);
    await far.waitFor('ended', { from: next, where: { session: ok } });
    assert.deepEqual(await sdk.eventsOf('pageError'), [], 'no uncaught error in the SDK page');
  });
});
