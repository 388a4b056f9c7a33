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
import { watchMove } from './lib/audio.mjs';
import { audioBothWays, HEARD_BY_FAR, HEARD_BY_SDK, sdkCallsFarEnd } from './lib/calls.mjs';
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
    // Both sides' remote audio, sampled every 10 ms from before the fault to after the move.
    const watch = await watchMove(sdk, far, callId, { heardBySdk: HEARD_BY_SDK, heardByFar: HEARD_BY_FAR });
    const faultAt = Date.now();
    if (fault === 'cut') {
      assert.equal(relay.cut(), 1, 'the SDK\'s connection was cut');
    } else {
      await restartKamailio();
    }

    // JsSIP gets the INVITE with Replaces for its session and takes it: the new session
    // rings (an application answers a replacing call at once), the old one ends.
    const replaces = await far.waitFor('replaces', { from: fromFar, timeout: 15_000, where: { session } });
    const replacing = await far.waitFor('incoming', { from: fromFar, timeout: 5000 });
    await far.answer(replacing.session);
    await far.waitFor('confirmed', { from: fromFar, where: { session: replacing.session } });
    const movedMs = Date.now() - faultAt;
    const oldEnded = await far.waitFor('ended', { from: fromFar, timeout: 5000, where: { session } });
    assert.equal(oldEnded.originator, 'local', 'JsSIP ended the replaced session itself');
    assert.notEqual(replacing.callId, incoming.callId, 'a new dialog (Call-ID)');

    await audioBothWays(sdk, callId, far, replacing.session);
    // The move's 2xx: JsSIP's `accepted` of the replacing session (its 200 OK went out).
    const accepted = await far.waitFor('accepted', { from: fromFar, where: { session: replacing.session } });
    const heard = await watch.stop(replaces, accepted);
    console.log(`# ${fault}: fault → new dialog confirmed ${movedMs} ms; after the move's 2xx the SDK hears JsSIP again in ` +
      `${heard.sdkBackMs} ms (silent ${heard.sdkSilentMs} ms), JsSIP hears the SDK in ${heard.farBackMs} ms ` +
      `(silent ${heard.farSilentMs} ms); longest silence at the SDK ${heard.sdkLongestMs} ms`);
    assert.notEqual(heard.farBackMs, null, 'JsSIP hears the SDK again after the move');
    assert.ok(heard.sdkBackMs !== null && heard.sdkBackMs <= 1000, `the SDK hears JsSIP within 1 s of the move's 2xx (${heard.sdkBackMs} ms)`);

    // Same call at the SDK: no sessionEnded, still listed, still active.
    const sdkEvents = (await sdk.events(fromSdk)).filter((e) => e.source === 'sdk');
    assert.deepEqual(sdkEvents.filter((e) => e.type === 'sessionEnded'), [], `no sessionEnded: ${sdkEvents.map((e) => e.type).join(', ')}`);
    const calls = await sdk.getCalls();
    assert.deepEqual(calls.map((c) => [c.id, c.state]), [[callId, 'active']]);
    // One connection carries the call: the one of the move (the old one is closed).
    const openConnections = async () => (await sdk.media()).peerConnections.filter((pc) => pc.signalingState !== 'closed');
    assert.equal((await openConnections()).length, 1, `one open RTCPeerConnection: ${JSON.stringify((await sdk.media()).peerConnections)}`);
    // Its audio is a new remote stream, which the attachAudio element plays.
    const streams = (await sdk.eventsOf('remoteStream', fromSdk)).filter((e) => e.payload.callId === callId);
    assert.equal(streams.length, 1, 'one new remoteStream for the new connection');
    const attached = await sdk.attachedAudio();
    assert.deepEqual([attached.streamId, attached.paused], [streams[0].payload.streamId, false], 'the attached element plays it');
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
    await until(async () => (await openConnections()).length === 0, 'every RTCPeerConnection closed after the call');
    assert.deepEqual(await sdk.eventsOf('pageError'), [], 'no uncaught error in the SDK page');
    await sdk.destroy();
    await far.stop();
  }

  test('WebSocket cut mid-call, then the SDK hangs up', () => scenario('cut', 'sdk'));
  test('WebSocket cut mid-call, then JsSIP hangs up', () => scenario('cut', 'far'));
  test('Kamailio restart mid-call, then the SDK hangs up', () => scenario('restart', 'sdk'));
  test('Kamailio restart mid-call, then JsSIP hangs up', () => scenario('restart', 'far'));
});
