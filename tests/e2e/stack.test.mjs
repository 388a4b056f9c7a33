// Smoke test of the local stack itself, with JsSIP on both ends: if this fails, the SDK
// suites cannot tell an SDK bug from a broken Kamailio, gateway or browser setup.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const { alice, bob } = DEMO.members;
/** RMS the 1 kHz test tone (amplitude 0.3, RMS ~0.21) must clear; silence reads ~0. */
const AUDIO_THRESHOLD = 0.05;

describe('local stack: Kamailio + dev gateway + JsSIP in Chromium', { timeout: 90_000 }, () => {
  let stack;
  let browser;
  const pages = [];

  async function farEnd(name) {
    const fe = await openFarEnd(browser, stack, { name });
    pages.push(fe);
    return fe;
  }

  before(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser({ tone: true })]);
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('gateway credentials register; the registrar lists the WebSocket contact', async () => {
    const creds = await stack.credentials(alice.email);
    assert.equal(creds.extension, alice.extension);
    assert.match(creds.authorizationUser, new RegExp(`^\\d+:${alice.extension}$`));
    assert.deepEqual(creds.wsServers, [stack.wsUrl]);

    const ua = await farEnd('alice');
    assert.deepEqual(await ua.startWith(creds), { registered: true });
    const registered = (await ua.events()).find((e) => e.type === 'registered');
    assert.equal(registered?.status, 200);

    const contacts = await stack.contacts(alice.extension);
    assert.equal(contacts.length, 1, `one contact for ${alice.extension}: ${JSON.stringify(contacts)}`);
    assert.match(contacts[0].address, /\.invalid;transport=ws$/);
    // fix_nated_register() stored where the WebSocket really comes from.
    assert.match(contacts[0].received, /^sip:127\.0\.0\.1:\d+;transport=ws$/);
    assert.equal(contacts[0].socket, `tcp:127.0.0.1:${stack.wsPort}`);

    await ua.stop();
    assert.deepEqual(await stack.contacts(alice.extension), [], 'un-REGISTER removes the contact');
  });

  test('a wrong password is refused and nothing is registered', async () => {
    const creds = await stack.credentials(bob.email);
    const wrong = { ...creds, password: stack.mint({ extension: bob.extension, secret: 'not-the-secret' }).password };
    const ua = await farEnd('bob-wrong-password');
    await assert.rejects(ua.startWith(wrong), /registration failed/);
    const failed = (await ua.events()).find((e) => e.type === 'registrationFailed');
    assert.ok([401, 403].includes(failed?.status), `refused with 401/403, got ${failed?.status}`);
    assert.equal(await ua.isRegistered(), false);
    assert.deepEqual(await stack.contacts(bob.extension), []);
  });

  test('an expired credential is refused, the same one unexpired is accepted', async () => {
    const ua = await farEnd('bob-expiry');
    // Signed with the right secret: only the expiry differs between the two attempts.
    const fresh = stack.mint({ extension: bob.extension, ttlSecs: 60 });
    assert.deepEqual(await ua.startWith(fresh), { registered: true });
    await ua.stop();

    const expired = stack.mint({ extension: bob.extension, expiresAt: Math.floor(Date.now() / 1000) - 5 });
    await assert.rejects(ua.startWith(expired), /registration failed/);
    const failed = (await ua.events()).find((e) => e.type === 'registrationFailed');
    assert.ok([401, 403].includes(failed?.status), `refused with 401/403, got ${failed?.status}`);
    assert.deepEqual(await stack.contacts(bob.extension), []);
  });

  test('alice calls bob, bob answers, audio flows both ways, BYE ends it', async () => {
    const [caller, callee] = await Promise.all([farEnd('alice'), farEnd('bob')]);
    const [credsA, credsB] = await Promise.all([stack.credentials(alice.email), stack.credentials(bob.email)]);
    await Promise.all([caller.startWith(credsA), callee.startWith(credsB)]);

    const markA = await caller.mark();
    const markB = await callee.mark();
    await caller.call(bob.extension);
    const incoming = await callee.waitFor('incoming', { from: markB });
    assert.match(incoming.from, new RegExp(`^sip:${alice.extension}@`));
    assert.equal(await caller.remoteEnergy(), 0, 'no remote audio before the answer');

    await callee.answer();
    await Promise.all([
      caller.waitFor('confirmed', { from: markA }),
      callee.waitFor('confirmed', { from: markB }),
    ]);
    const [heardByAlice, heardByBob] = await Promise.all([
      caller.waitForAudio({ threshold: AUDIO_THRESHOLD }),
      callee.waitForAudio({ threshold: AUDIO_THRESHOLD }),
    ]);
    assert.ok(heardByAlice > AUDIO_THRESHOLD && heardByBob > AUDIO_THRESHOLD);

    // Negative control: once alice holds (a=sendonly), bob stops sending and alice hears nothing.
    await caller.hold();
    await callee.waitFor('hold', { from: markB, where: { originator: 'remote' } });
    const duringHold = await caller.waitForSilence({ threshold: AUDIO_THRESHOLD / 10, timeout: 3000 });
    assert.ok(duringHold < AUDIO_THRESHOLD / 10);
    await caller.unhold();
    await callee.waitFor('unhold', { from: markB, where: { originator: 'remote' } });
    await caller.waitForAudio({ threshold: AUDIO_THRESHOLD });

    await caller.hangup();
    const ended = await callee.waitFor('ended', { from: markB });
    assert.equal(ended.originator, 'remote');
    assert.equal(ended.cause, 'Terminated', 'ended by the caller\'s BYE');
    const endedA = await caller.waitFor('ended', { from: markA });
    assert.equal(endedA.originator, 'local');
  });
});
