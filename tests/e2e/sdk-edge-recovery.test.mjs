// No ghost calls behind a plain RFC 5626 edge (dev/kamailio.cfg -A WITH_EDGE: flow tokens
// in Record-Route, in-dialog requests routed by them, a flow-token secret picked at random
// at each start, the dialog module): the SDK calls JsSIP, then its WebSocket is cut, or
// Kamailio restarts on the same port, mid-call. The route set of the call names a flow that is
// gone, so the SDK moves the call to a new dialog with an INVITE with Replaces (decision
// 0007); JsSIP accepts it as a new session and ends the old one. Audio flows both ways after,
// Kamailio holds one dialog, and a hangup from either side ends the other within 1 s.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { audioBothWays, HEARD_BY_SDK, sdkCallsFarEnd } from './lib/calls.mjs';
import { DEMO } from './lib/credentials.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { startKamailio } from './lib/kamailio.mjs';
import { startTcpProxy } from './lib/netproxy.mjs';
import { sleep } from './lib/processes.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC, sdkConfig } from './lib/sdkpage.mjs';
import { startStack } from './lib/stack.mjs';

const { alice, bob } = DEMO.members;
/** The reconnect cap the SDK page uses, so a restart costs seconds, not the default 30 s. */
const MAX_DELAY_MS = 2000;
/** How long Kamailio stays down in the restart cases. */
const DOWN_MS = 1000;

describe('SDK behind a plain RFC 5626 edge: a cut or a restart mid-call leaves no ghost call', { timeout: 300_000 }, () => {
  let stack;
  let browser;
  /** The Kamailio now serving the stack's port (the stack's own until the first restart). */
  let kamailio;
  const closers = [];

  before(async () => {
    requireSdkBuild();
    [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC, edge: true }), launchBrowser({ tone: true })]);
    kamailio = stack.kamailio;
  });

  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
    await browser?.close();
    if (kamailio && kamailio !== stack?.kamailio) await kamailio.stop();
    await stack?.stop();
  });

  /** Polls until fn() returns a truthy value; rejects after timeout ms with `what`. */
  async function until(fn, what, timeout = 5000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`${what} within ${timeout} ms`);
      await sleep(50);
    }
  }

  /**
   * The longest stretch in which the SDK heard nothing of the call, sampled every ~60 ms
   * until stop() is called: { stop(): Promise<gap ms> }.
   */
  function watchSdkAudio(sdk, callId) {
    let running = true;
    let longest = 0;
    let silentSince = null;
    const done = (async () => {
      while (running) {
        const level = await sdk.peakEnergy(40, callId).catch(() => 0);
        const now = Date.now();
        if (level > HEARD_BY_SDK) {
          if (silentSince !== null) longest = Math.max(longest, now - silentSince);
          silentSince = null;
        } else if (silentSince === null) {
          silentSince = now;
        }
      }
      return longest;
    })();
    return {
      async stop() {
        running = false;
        return done;
      },
    };
  }

  async function restartKamailio() {
    await kamailio.stop();
    await sleep(DOWN_MS);
    kamailio = await startKamailio({ secret: stack.secret, port: stack.wsPort, edge: true });
  }

  async function scenario(fault, hangupBy) {
    const far = await openFarEnd(browser, stack, { name: 'bob (JsSIP)' });
    closers.push(() => far.close());
    await far.startWith(await stack.credentials(bob.email));
    const relay = await startTcpProxy({ targetPort: stack.wsPort });
    closers.push(() => relay.close());
    const gateway = await stack.startGateway({ wsUrl: relay.wsUrl });
    const sdk = await openSdkPage(browser, stack, { name: 'alice (SDK)' });
    closers.push(() => sdk.close());
    await sdk.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme, {
      apiBaseUrl: gateway.baseUrl,
      reconnect: { maxDelayMs: MAX_DELAY_MS },
    }));

    const { callId, session, incoming } = await sdkCallsFarEnd(sdk, far, bob.extension);
    assert.equal((await kamailio.dialogs()).length, 1, 'Kamailio holds the call\'s dialog');

    const fromSdk = await sdk.mark();
    const fromFar = await far.mark();
    const audio = watchSdkAudio(sdk, callId);
    const faultAt = Date.now();
    if (fault === 'cut') {
      assert.equal(relay.cut(), 1, 'the SDK\'s connection was cut');
    } else {
      await restartKamailio();
    }

    // JsSIP gets the INVITE with Replaces for its session and takes it: the new session
    // rings (an application answers a replacing call at once), the old one ends.
    await far.waitFor('replaces', { from: fromFar, timeout: 15_000, where: { session } });
    const replacing = await far.waitFor('incoming', { from: fromFar, timeout: 5000 });
    await far.answer(replacing.session);
    await far.waitFor('confirmed', { from: fromFar, where: { session: replacing.session } });
    const movedMs = Date.now() - faultAt;
    const oldEnded = await far.waitFor('ended', { from: fromFar, timeout: 5000, where: { session } });
    assert.equal(oldEnded.originator, 'local', 'JsSIP ended the replaced session itself');
    assert.notEqual(replacing.callId, incoming.callId, 'a new dialog (Call-ID)');

    await audioBothWays(sdk, callId, far, replacing.session);
    const gapMs = await audio.stop();
    console.log(`# ${fault}: fault → new dialog confirmed ${movedMs} ms; longest silence at the SDK ${gapMs} ms`);

    // Same call at the SDK: no sessionEnded, still listed, still active.
    const sdkEvents = (await sdk.events(fromSdk)).filter((e) => e.source === 'sdk');
    assert.deepEqual(sdkEvents.filter((e) => e.type === 'sessionEnded'), [], `no sessionEnded: ${sdkEvents.map((e) => e.type).join(', ')}`);
    const calls = await sdk.getCalls();
    assert.deepEqual(calls.map((c) => [c.id, c.state]), [[callId, 'active']]);
    // One dialog at Kamailio: the new one (after a cut, the old one ended with JsSIP's BYE;
    // after a restart, it died with the old process).
    const dialogs = await until(async () => {
      const d = await kamailio.dialogs();
      return d.length === 1 ? d : null;
    }, `one dialog at Kamailio (has ${JSON.stringify(await kamailio.dialogs())})`);
    assert.equal(dialogs[0], replacing.callId, 'Kamailio\'s dialog is the new one');

    const fromSdk2 = await sdk.mark();
    const fromFar2 = await far.mark();
    const hangupAt = Date.now();
    if (hangupBy === 'sdk') {
      await sdk.must('hangup', callId);
      const ended = await far.waitFor('ended', { from: fromFar2, timeout: 1000, where: { session: replacing.session } });
      assert.equal(ended.originator, 'remote', 'JsSIP got the SDK\'s BYE');
    } else {
      await far.hangup(replacing.session);
      const ended = await sdk.waitFor('sessionEnded', { from: fromSdk2, timeout: 1000, where: { 'payload.callId': callId } });
      assert.equal(ended.payload.cause, 'hangup_remote', 'the SDK got JsSIP\'s BYE');
    }
    const endedMs = Date.now() - hangupAt;
    console.log(`# ${fault}, hangup by ${hangupBy}: the other side ended ${endedMs} ms later`);
    assert.ok(endedMs <= 1000, `ended within 1 s (${endedMs} ms)`);
    await until(async () => (await kamailio.dialogs()).length === 0, 'no dialog left at Kamailio');
    assert.deepEqual(await sdk.getCalls(), []);
    assert.deepEqual(await sdk.eventsOf('pageError'), [], 'no uncaught error in the SDK page');
    await sdk.destroy();
    await far.stop();
  }

  test('WebSocket cut mid-call, then the SDK hangs up', () => scenario('cut', 'sdk'));
  test('WebSocket cut mid-call, then JsSIP hangs up', () => scenario('cut', 'far'));
  test('Kamailio restart mid-call, then the SDK hangs up', () => scenario('restart', 'sdk'));
  test('Kamailio restart mid-call, then JsSIP hangs up', () => scenario('restart', 'far'));
});
