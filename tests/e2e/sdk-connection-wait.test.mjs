// Commands while the SIP connection is not up, with the real engine: call() waits for the
// connection (the server down at start, or a reconnect mid-life) and dials once it is back;
// past connectionWaitMs it rejects with network_error and dials nothing; destroy() ends the
// wait with invalid_state. The controls of a call that exists (hold) do not wait: they resolve
// during the outage and reach JsSIP over the new connection. The SDK's WebSocket goes through a
// TCP relay the test refuses and cuts (lib/netproxy.mjs). The wrapper's logic alone, with a
// stand-in engine: npm/test/connection-wait.test.mjs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { startTcpProxy } from './lib/netproxy.mjs';
import { sleep } from './lib/processes.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const { alice, bob, dave } = DEMO.members;
/** The reconnect cap of these pages, so a test waits seconds, not the default 30 s. */
const MAX_DELAY_MS = 2000;

describe('SDK commands before the connection is up', { timeout: 150_000 }, () => {
  let stack;
  let browser;
  let bobUa;
  let daveUa;
  const proxies = [];

  before(async () => {
    requireSdkBuild();
    [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC }), launchBrowser({ tone: true })]);
    [bobUa, daveUa] = await Promise.all([
      openFarEnd(browser, stack, { name: 'bob (JsSIP)' }),
      openFarEnd(browser, stack, { name: 'dave (JsSIP)' }),
    ]);
    await Promise.all([
      stack.credentials(bob.email).then((c) => bobUa.startWith(c)),
      stack.credentials(dave.email).then((c) => daveUa.startWith(c)),
    ]);
  });

  after(async () => {
    for (const p of proxies) await p.close();
    await browser?.close();
    await stack?.stop();
  });

  /** An SDK page (alice) whose WebSocket goes through a relay in `mode`: { sdk, relay, config }. */
  async function behindRelay(mode, extra = {}) {
    const relay = await startTcpProxy({ targetPort: stack.wsPort, mode });
    proxies.push(relay);
    const gateway = await stack.startGateway({ wsUrl: relay.wsUrl });
    const sdk = await openSdkPage(browser, stack, { name: 'alice (SDK)' });
    const config = {
      userEmail: alice.email,
      accessToken: DEMO.tokens.acme,
      apiBaseUrl: gateway.baseUrl,
      reconnect: { maxDelayMs: MAX_DELAY_MS },
      ...extra,
    };
    return { sdk, relay, config };
  }

  async function finish(sdk) {
    for (const c of await sdk.getCalls()) await sdk.hangup(c.id);
    await sdk.destroy();
    await sdk.waitFor('destroyed', { timeout: 6000 }).catch(() => {});
    assert.deepEqual(await sdk.eventsOf('pageError'), [], 'no uncaught error in the SDK page');
    await sdk.close();
  }

  /** Fails if `ua` saw an incoming call since `from`. */
  async function assertNoIncoming(ua, from, why) {
    const seen = (await ua.events(from)).filter((e) => e.type === 'incoming');
    assert.deepEqual(seen, [], why);
  }

  test('server down at start: call() waits, then dials once the connection is up', async () => {
    const { sdk, relay, config } = await behindRelay('refuse');
    const fromSdk = await sdk.mark();
    const fromFar = await bobUa.mark();
    const init = await sdk.init(config);
    assert.equal(init.ok, true, JSON.stringify(init));
    // Not awaited: call() is pending while the server refuses.
    const pending = sdk.call(bob.extension);
    await sdk.waitFor('error', { from: fromSdk, timeout: 3000, where: { 'payload.scope': 'transport' } });
    await sleep(1500);
    assert.ok(relay.attempts.length >= 2, `the SDK kept trying: ${relay.attempts.length} attempts`);
    await assertNoIncoming(bobUa, fromFar, 'nothing dialled while the server is down');
    assert.deepEqual(await sdk.eventsOf('sessionStarted', fromSdk), [], 'no session before the connection');

    relay.setMode('forward');
    const result = await pending;
    assert.equal(result.ok, true, `call() resolved once connected: ${JSON.stringify(result)}`);
    const callId = result.value;
    const incoming = await bobUa.waitFor('incoming', { from: fromFar, timeout: 5000 });
    assert.match(incoming.from, new RegExp(`^sip:${alice.extension}@`));
    // The session started (dialling) after the connection opened.
    const connected = await sdk.waitFor('connected', { from: fromSdk });
    const started = await sdk.waitFor('sessionStarted', { from: fromSdk, where: { 'payload.call.id': callId } });
    assert.ok(connected.seq < started.seq, 'connected, then dialled');
    await bobUa.answer(incoming.session);
    await sdk.waitFor('callUpdated', { from: fromSdk, where: { 'payload.call.id': callId, 'payload.call.state': 'active' } });
    await sdk.must('hangup', callId);
    await bobUa.waitFor('ended', { from: fromFar, where: { session: incoming.session } });
    await finish(sdk);
  });

  test('past connectionWaitMs, call() rejects with network_error and nothing is dialled later', async () => {
    const { sdk, relay, config } = await behindRelay('refuse', { connectionWaitMs: 1500 });
    const fromSdk = await sdk.mark();
    const fromFar = await bobUa.mark();
    assert.equal((await sdk.init(config)).ok, true);
    const start = Date.now();
    const result = await sdk.call(bob.extension);
    const waited = Date.now() - start;
    assert.equal(result.ok, false, JSON.stringify(result));
    assert.equal(result.isSdkError, true);
    assert.equal(result.code, 'network_error');
    assert.match(result.message, /connectionWaitMs \(1500 ms\)/);
    assert.ok(waited >= 1400 && waited < 4000, `rejected at the deadline: ${waited} ms`);

    // The server comes back: the SDK registers, and the abandoned call stays abandoned.
    relay.setMode('forward');
    await sdk.waitFor('registeredChange', { from: fromSdk, timeout: MAX_DELAY_MS + 4000, where: { 'payload.registered': true } });
    await sleep(500);
    await assertNoIncoming(bobUa, fromFar, 'the call that timed out was never dialled');
    assert.deepEqual(await sdk.getCalls(), []);
    assert.deepEqual(await sdk.eventsOf('sessionStarted', fromSdk), []);
    await finish(sdk);
  });

  test('destroy() while call() waits: the call rejects with invalid_state at once, nothing is dialled', async () => {
    const { sdk, config } = await behindRelay('refuse');
    const fromSdk = await sdk.mark();
    const fromFar = await bobUa.mark();
    assert.equal((await sdk.init(config)).ok, true);
    const pending = sdk.call(bob.extension);
    await sleep(300);
    const destroyedAt = Date.now();
    const destroy = sdk.destroy();
    const result = await pending;
    const afterMs = Date.now() - destroyedAt;
    assert.equal(result.ok, false, JSON.stringify(result));
    assert.equal(result.code, 'invalid_state');
    assert.match(result.message, /destroyed/);
    assert.ok(afterMs < 1000, `at once, not at the 10 s deadline: ${afterMs} ms`);
    assert.equal((await destroy).ok, true);
    await sdk.waitFor('destroyed', { from: fromSdk, timeout: 3000 });
    await sleep(300);
    await assertNoIncoming(bobUa, fromFar, 'nothing dialled');
    assert.deepEqual(await sdk.eventsOf('pageError'), [], 'no uncaught error in the SDK page');
    await sdk.close();
  });

  test('while reconnecting mid-call: hold() reaches JsSIP after the reconnect and resolves on its answer; call() waits and dials on the new connection', async () => {
    const { sdk, relay, config } = await behindRelay('forward');
    await sdk.initRegistered(config);
    // An answered call to bob.
    let fromSdk = await sdk.mark();
    let fromBob = await bobUa.mark();
    const first = await sdk.must('call', bob.extension);
    const incoming = await bobUa.waitFor('incoming', { from: fromBob });
    await bobUa.answer(incoming.session);
    await sdk.waitFor('callUpdated', { from: fromSdk, where: { 'payload.call.id': first, 'payload.call.state': 'active' } });

    // The connection drops and the server refuses for a while.
    fromSdk = await sdk.mark();
    fromBob = await bobUa.mark();
    const fromDave = await daveUa.mark();
    relay.setMode('refuse');
    assert.equal(relay.cut(), 1, "the SDK's connection was cut");
    await sdk.waitFor('disconnected', { from: fromSdk, timeout: 3000 });
    // hold() settles on the peer's answer, which can only come after the reconnect.
    const hold = sdk.hold(first);
    const pending = sdk.call(dave.extension);
    await sleep(1500);
    await assertNoIncoming(daveUa, fromDave, 'nothing dialled while disconnected');
    assert.deepEqual((await bobUa.events(fromBob)).filter((e) => e.type === 'hold'), [], 'no hold without a connection');

    relay.setMode('forward');
    const result = await pending;
    assert.equal(result.ok, true, `call() resolved after the reconnect: ${JSON.stringify(result)}`);
    const second = result.value;
    const daveIncoming = await daveUa.waitFor('incoming', { from: fromDave, timeout: 5000 });
    assert.match(daveIncoming.from, new RegExp(`^sip:${alice.extension}@`));
    const reconnected = await sdk.waitFor('connected', { from: fromSdk });
    const started = await sdk.waitFor('sessionStarted', { from: fromSdk, where: { 'payload.call.id': second } });
    assert.ok(reconnected.seq < started.seq, 'dialled on the new connection');
    const held = await bobUa.waitFor('hold', { from: fromBob, timeout: 5000, where: { session: incoming.session, originator: 'remote' } });
    assert.ok(['sendonly', 'inactive'].includes(held.direction), `held with ${held.direction}`);
    const holdResult = await hold;
    assert.equal(holdResult.ok, true, `hold() made during the outage resolves once JsSIP answered it: ${JSON.stringify(holdResult)}`);
    await daveUa.answer(daveIncoming.session);
    await sdk.waitFor('callUpdated', { from: fromSdk, where: { 'payload.call.id': second, 'payload.call.state': 'active' } });
    const calls = Object.fromEntries((await sdk.getCalls()).map((c) => [c.id, c]));
    assert.equal(calls[first]?.held, true, 'the first call is held');
    assert.equal(calls[second]?.state, 'active');
    assert.deepEqual(await sdk.eventsOf('sessionEnded', fromSdk), [], 'no call ended');

    await sdk.must('hangup', first);
    await sdk.must('hangup', second);
    await Promise.all([
      bobUa.waitFor('ended', { from: fromBob, where: { session: incoming.session } }),
      daveUa.waitFor('ended', { from: fromDave, where: { session: daveIncoming.session } }),
    ]);
    await finish(sdk);
  });
});
