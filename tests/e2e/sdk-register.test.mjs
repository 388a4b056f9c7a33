// The SDK registers with the token only, Kamailio holds its contact, destroy() removes it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { ephemeralPassword } from './lib/credentials.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC, sdkConfig } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const { alice } = DEMO.members;

describe('SDK registration', { timeout: 90_000 }, () => {
  let stack;
  let browser;
  let sdk;

  before(async () => {
    requireSdkBuild();
    [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC }), launchBrowser()]);
    sdk = await openSdkPage(browser, stack, { name: 'alice' });
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('the ESM entry exports the class, the error class and a default', async () => {
    const info = await sdk.info();
    assert.equal(info.via, 'esm');
    assert.ok(info.hasInit, 'KlinkCallSdk.init is a function');
    assert.ok(info.hasErrorClass, 'KlinkCallSdkError is exported');
    assert.equal(info.defaultIsClass, true, 'the default export is KlinkCallSdk');
  });

  test('init → ready, connected, registeredChange { registered: true }; Kamailio lists the contact', async () => {
    assert.deepEqual(await stack.contacts(alice.extension), [], 'nothing registered before init');
    const from = await sdk.mark();
    const result = await sdk.init(sdkConfig(stack, alice, DEMO.tokens.acme, { logLevel: 'debug' }));
    assert.equal(result.ok, true, `init resolved: ${JSON.stringify(result)}`);
    assert.equal(result.isInstance, true, 'init resolves with a KlinkCallSdk');

    const registered = await sdk.waitFor('registeredChange', { from, where: { 'payload.registered': true } });
    const events = await sdk.events(from);
    const sdkEvents = events.filter((e) => e.source === 'sdk');
    const order = sdkEvents.map((e) => e.type);
    assert.equal(order[0], 'ready', `ready comes first: ${order.join(', ')}`);
    const connected = sdkEvents.find((e) => e.type === 'connected');
    assert.ok(connected, `connected emitted: ${order.join(', ')}`);
    assert.ok(connected.seq < registered.seq, 'connected before registeredChange');
    assert.deepEqual(registered.payload, { registered: true });
    assert.equal(sdkEvents.filter((e) => e.type === 'ready').length, 1, 'ready once');
    assert.deepEqual(
      sdkEvents.filter((e) => ['error', 'registrationFailed', 'disconnected'].includes(e.type)),
      [],
      'no error, registrationFailed or disconnected',
    );

    assert.deepEqual(await sdk.isRegistered(), { value: true, type: 'boolean' }, 'isRegistered is a true boolean property');

    const contacts = await stack.contacts(alice.extension);
    assert.equal(contacts.length, 1, `one contact for ${alice.extension}: ${JSON.stringify(contacts)}`);
    assert.match(contacts[0].address, /transport=ws/i);
    assert.match(contacts[0].received, /^sip:127\.0\.0\.1:\d+;transport=ws$/);
    assert.equal(contacts[0].socket, `tcp:127.0.0.1:${stack.wsPort}`);
    assert.ok(Number(contacts[0].expires) > 0, `the contact has an expiry: ${contacts[0].expires}`);
  });

  test('the SIP password appears in no event and no console line, even at logLevel debug', async () => {
    // The REGISTER logged at debug level names the digest username "<expiry>:<extension>"; the
    // password is HMAC-SHA1(secret, username): compute it and look for it everywhere.
    const lines = sdk.console.map((m) => m.text);
    const usernames = new Set(lines.flatMap((t) => [...t.matchAll(/username="(\d+:\d+)"/g)].map((m) => m[1])));
    assert.ok(usernames.size > 0, 'the debug log shows the REGISTER with its digest username');
    const exposed = JSON.stringify({ lines, events: await sdk.events() });
    for (const username of usernames) {
      const password = ephemeralPassword(stack.secret, username);
      assert.ok(!exposed.includes(password), `the password of ${username} is not exposed`);
    }
  });

  test('destroy() → registeredChange false, destroyed; the contact is gone; isRegistered false', async () => {
    const from = await sdk.mark();
    const result = await sdk.destroy();
    assert.equal(result.ok, true, `destroy resolved: ${JSON.stringify(result)}`);

    const destroyed = await sdk.waitFor('destroyed', { from, timeout: 5000 });
    const unregistered = (await sdk.eventsOf('registeredChange', from)).find((e) => e.payload.registered === false);
    assert.ok(unregistered, 'registeredChange { registered: false } emitted');
    assert.ok(unregistered.seq < destroyed.seq, 'registeredChange false comes before destroyed');
    assert.equal((await sdk.eventsOf('destroyed', from)).length, 1, 'destroyed once');

    assert.deepEqual(await stack.contacts(alice.extension), [], 'un-REGISTER removed the contact');
    assert.deepEqual(await sdk.isRegistered(), { value: false, type: 'boolean' });
    assert.deepEqual(await sdk.getCalls(), []);

    // After destroy every control rejects (it does not throw, nor hang).
    const call = await sdk.call('1002');
    assert.equal(call.ok, false);
    assert.equal(call.sync, undefined, 'call() after destroy rejects rather than throwing synchronously');
    assert.equal(call.isSdkError, true);
    assert.equal(call.code, 'invalid_state');

    // Nothing fires after destroyed.
    await new Promise((r) => setTimeout(r, 1000));
    const late = (await sdk.events(destroyed.seq + 1)).filter((e) => e.source === 'sdk');
    assert.deepEqual(late, [], 'no SDK event after destroyed');
    assert.deepEqual(await sdk.eventsOf('pageError'), [], 'no uncaught error in the page');
  });
});
