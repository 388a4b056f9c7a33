// Calls and registration survive network trouble: the SDK's WebSocket is cut mid-call (TCP
// reset through a relay, as on a Wi-Fi drop or a network change) or dies silently (the relay
// swallows its bytes without closing: the keepalive notices), the server is down at start
// or for a while, the first server of wsServers is dead, and the ephemeral SIP credential
// expires (refreshed with the token; a revoked token is reported without cutting the call).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { DEMO } from './lib/credentials.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { startTcpProxy } from './lib/netproxy.mjs';
import { freePort, sleep } from './lib/processes.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC } from './lib/sdkpage.mjs';
import { startStack } from './lib/stack.mjs';

const { alice, bob, dave } = DEMO.members;
/** As in sdk-calls: the far end's tone reaches the SDK unprocessed, the SDK's is noise-suppressed. */
const HEARD_BY_SDK = 0.05;
const HEARD_BY_FAR = 0.01;
/** The reconnect cap the SDK pages use, so a test waits seconds, not the default 30 s. */
const MAX_DELAY_MS = 2000;
/** Events that come and go beside a recovery: call updates, and quality warnings (the test tone is a constant level). */
const BESIDE_RECOVERY = ['callUpdated', 'qualityWarning', 'qualityWarningCleared', 'stats'];
const ADMIN_KEY = 'klink-dev-admin';

/** The SDK's console lines `send:` / `recv:` of REGISTER (logLevel debug), with when they were seen. */
function registerTraffic(sdk) {
  return sdk.console
    .filter((m) => /\] (send|recv):\n(REGISTER |SIP\/2\.0 \d+ [^\n]*\n[\s\S]*CSeq: \d+ REGISTER)/.test(m.text))
    .map((m) => ({
      at: m.at,
      sent: m.text.includes('] send:'),
      status: Number(/SIP\/2\.0 (\d+)/.exec(m.text)?.[1] ?? 0),
      username: /username="([^"]+)"/.exec(m.text)?.[1] ?? null,
    }));
}

/** Credential requests in a gateway's access log: [status, ...]. */
function credentialRequests(gateway) {
  return [...gateway.log().matchAll(/GET \/v1\/telephony\/webphone\/credentials (\d+)/g)].map((m) => Number(m[1]));
}

describe('SDK resilience: reconnect, failover, credential refresh', { timeout: 200_000 }, () => {
  let stack;
  let browser;
  let far;
  const pages = [];
  const proxies = [];

  before(async () => {
    requireSdkBuild();
    [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC }), launchBrowser({ tone: true })]);
    far = await openFarEnd(browser, stack, { name: 'bob (JsSIP)' });
    await far.startWith(await stack.credentials(bob.email));
  });

  after(async () => {
    for (const p of proxies) await p.close();
    await browser?.close();
    await stack?.stop();
  });

  async function proxy(opts) {
    const p = await startTcpProxy({ targetPort: stack.wsPort, ...opts });
    proxies.push(p);
    return p;
  }

  /** A fresh SDK page, initialised against `gateway` (with `extra` config), not waiting for anything. */
  async function sdkOn(gateway, member, token, name, extra = {}) {
    const sdk = await openSdkPage(browser, stack, { name });
    pages.push(sdk);
    const config = {
      userEmail: member.email,
      accessToken: token,
      apiBaseUrl: gateway.baseUrl,
      reconnect: { maxDelayMs: MAX_DELAY_MS },
      ...extra,
    };
    return { sdk, config };
  }

  async function finish(sdk) {
    for (const c of await sdk.getCalls()) await sdk.hangup(c.id);
    await sdk.destroy();
    await sdk.waitFor('destroyed', { timeout: 6000 }).catch(() => {});
    assert.deepEqual(await sdk.eventsOf('pageError'), [], 'no uncaught error in the SDK page');
    await sdk.close();
  }

  /** The SDK calls bob, bob answers, audio flows both ways: { callId, session }. */
  async function answeredCall(sdk) {
    const fromSdk = await sdk.mark();
    const fromFar = await far.mark();
    const callId = await sdk.must('call', bob.extension);
    const incoming = await far.waitFor('incoming', { from: fromFar });
    await far.answer(incoming.session);
    // The answer of an outbound call: callUpdated to active (sessionStarted came with the dialling).
    await sdk.waitFor('callUpdated', { from: fromSdk, where: { 'payload.call.id': callId, 'payload.call.state': 'active' } });
    await Promise.all([
      sdk.waitForAudio({ threshold: HEARD_BY_SDK, timeout: 8000, callId }),
      far.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 8000, sessionId: incoming.session }),
    ]);
    return { callId, session: incoming.session };
  }

  /**
   * Cuts the SDK's connection under an answered call and checks the recovery: disconnected →
   * connected → registered again on a new flow, a re-INVITE reaches JsSIP, the call stays
   * active with audio both ways and nothing ended. Returns the timings.
   */
  async function cutAndRecover(sdk, relay, { callId, session }) {
    const [before] = await stack.contacts(alice.extension);
    assert.ok(before, 'alice is registered before the cut');
    const fromSdk = await sdk.mark();
    const fromFar = await far.mark();
    const cutAt = Date.now();
    assert.equal(relay.cut(), 1, 'one live connection (the SDK\'s) was cut');

    const disconnected = await sdk.waitFor('disconnected', { from: fromSdk, timeout: 3000 });
    const connected = await sdk.waitFor('connected', { from: disconnected.seq, timeout: MAX_DELAY_MS + 3000 });
    const registered = await sdk.waitFor('registeredChange', {
      from: connected.seq,
      timeout: 5000,
      where: { 'payload.registered': true },
    });
    const registeredAt = Date.now();
    const reinvite = await far.waitFor('reinvite', { from: fromFar, timeout: 5000, where: { session } });
    assert.equal(reinvite.direction, 'sendrecv', 're-INVITE keeps the call two-way');

    const sdkEvents = (await sdk.events(fromSdk)).filter((e) => e.source === 'sdk');
    const names = sdkEvents.map((e) => e.type);
    assert.deepEqual(sdkEvents.filter((e) => e.type === 'sessionEnded'), [], `no sessionEnded: ${names.join(', ')}`);
    const unregistered = sdkEvents.find((e) => e.type === 'registeredChange' && e.payload.registered === false);
    assert.ok(unregistered && unregistered.seq < registered.seq, `registeredChange false, then true: ${names.join(', ')}`);
    assert.deepEqual(names.filter((n) => !BESIDE_RECOVERY.includes(n)).slice(0, 4),
      ['disconnected', 'registeredChange', 'connected', 'registeredChange'], `the flicker's events: ${names.join(', ')}`);
    const errors = sdkEvents.filter((e) => e.type === 'error' || e.type === 'registrationFailed');
    assert.deepEqual(errors, [], `no error while recovering: ${JSON.stringify(errors)}`);

    const calls = await sdk.getCalls();
    assert.equal(calls.length, 1, 'the call is still listed');
    assert.equal(calls[0].id, callId);
    assert.equal(calls[0].state, 'active');

    const contacts = await stack.contacts(alice.extension);
    const mine = contacts.filter((c) => c.instance === before.instance);
    assert.equal(mine.length, 1, `one binding for this instance: ${JSON.stringify(contacts)}`);
    assert.notEqual(mine[0].received, before.received, 'the binding moved to the new flow');

    await Promise.all([
      sdk.waitForAudio({ threshold: HEARD_BY_SDK, timeout: 5000, callId }),
      far.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 5000, sessionId: session }),
    ]);
    const farSession = await far.session(session);
    assert.equal(farSession.ended, false, 'JsSIP still has the call');
    return {
      disconnectedMs: Math.round(disconnected.at - (await sdk.events(fromSdk))[0].at),
      registeredAfterCutMs: registeredAt - cutAt,
    };
  }

  test('WebSocket reset mid-call: reconnect, re-register, re-INVITE; audio goes on; JsSIP\'s BYE reaches the SDK', async () => {
    const relay = await proxy();
    const gateway = await stack.startGateway({ wsUrl: relay.wsUrl });
    const { sdk, config } = await sdkOn(gateway, alice, DEMO.tokens.acme, 'alice (SDK)');
    await sdk.initRegistered(config);
    const call = await answeredCall(sdk);
    const timing = await cutAndRecover(sdk, relay, call);
    console.log(`# cut → registered again: ${timing.registeredAfterCutMs} ms`);

    const fromSdk = await sdk.mark();
    await far.hangup(call.session);
    const ended = await sdk.waitFor('sessionEnded', { from: fromSdk, timeout: 5000, where: { 'payload.callId': call.callId } });
    assert.equal(ended.payload.cause, 'hangup_remote', 'JsSIP\'s BYE reached the SDK over the new flow');
    await finish(sdk);
  });

  test('WebSocket reset mid-call, twice: the SDK\'s BYE afterwards reaches JsSIP', async () => {
    const relay = await proxy();
    const gateway = await stack.startGateway({ wsUrl: relay.wsUrl });
    const { sdk, config } = await sdkOn(gateway, alice, DEMO.tokens.acme, 'alice (SDK)');
    await sdk.initRegistered(config);
    const call = await answeredCall(sdk);
    await cutAndRecover(sdk, relay, call);
    await cutAndRecover(sdk, relay, call);

    const fromSdk = await sdk.mark();
    const fromFar = await far.mark();
    await sdk.must('hangup', call.callId);
    const farEnded = await far.waitFor('ended', { from: fromFar, timeout: 5000, where: { session: call.session } });
    assert.equal(farEnded.originator, 'remote');
    assert.equal(farEnded.cause, 'Terminated', 'JsSIP got the BYE');
    const ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': call.callId } });
    assert.equal(ended.payload.cause, 'hangup_local');
    await finish(sdk);
  });

  /**
   * Freezes the SDK's flow under an answered call (no reset, no close: bytes vanish) and checks
   * that the keepalive notices, the SDK reconnects on a new connection, registers again and
   * re-INVITEs, and the call goes on with audio both ways. `nudge` runs right after the
   * freeze. Returns the ms from the freeze to `disconnected`.
   */
  async function freezeAndRecover(sdk, relay, { callId, session }, nudge = async () => {}) {
    const fromSdk = await sdk.mark();
    const fromFar = await far.mark();
    const attemptsBefore = relay.attempts.length;
    const frozenAt = Date.now();
    assert.equal(relay.freeze(), 1, 'one live connection (the SDK\'s) was frozen');
    await nudge();

    // Keepalive during a call: a probe after 5 s without traffic, dead 4 s later.
    const disconnected = await sdk.waitFor('disconnected', { from: fromSdk, timeout: 15_000 });
    const detectedMs = Date.now() - frozenAt;
    const connected = await sdk.waitFor('connected', { from: disconnected.seq, timeout: MAX_DELAY_MS + 3000 });
    await sdk.waitFor('registeredChange', { from: connected.seq, timeout: 5000, where: { 'payload.registered': true } });
    assert.ok(relay.attempts.length > attemptsBefore, 'registered again over a new connection');
    assert.equal(relay.live(), 2, 'the frozen connection is still open (never reset), beside the new one');
    const reinvite = await far.waitFor('reinvite', { from: fromFar, timeout: 5000, where: { session } });
    assert.equal(reinvite.direction, 'sendrecv', 're-INVITE keeps the call two-way');

    const sdkEvents = (await sdk.events(fromSdk)).filter((e) => e.source === 'sdk');
    const names = sdkEvents.map((e) => e.type);
    assert.deepEqual(names.filter((n) => !BESIDE_RECOVERY.includes(n)).slice(0, 4),
      ['disconnected', 'registeredChange', 'connected', 'registeredChange'], `the recovery's events: ${names.join(', ')}`);
    assert.deepEqual(sdkEvents.filter((e) => e.type === 'sessionEnded'), [], `no sessionEnded: ${names.join(', ')}`);
    const [call] = await sdk.getCalls();
    assert.equal(call?.id, callId);
    assert.equal(call?.state, 'active');
    await Promise.all([
      sdk.waitForAudio({ threshold: HEARD_BY_SDK, timeout: 5000, callId }),
      far.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 5000, sessionId: session }),
    ]);
    assert.equal((await far.session(session)).ended, false, 'JsSIP still has the call');
    return detectedMs;
  }

  test('silent network death mid-call: the keepalive detects it, reconnect, re-register, re-INVITE; audio goes on', async () => {
    const relay = await proxy();
    const gateway = await stack.startGateway({ wsUrl: relay.wsUrl });
    const { sdk, config } = await sdkOn(gateway, alice, DEMO.tokens.acme, 'alice (SDK)');
    await sdk.initRegistered(config);
    const call = await answeredCall(sdk);
    const detectedMs = await freezeAndRecover(sdk, relay, call);
    console.log(`# frozen flow → disconnected: ${detectedMs} ms`);
    assert.ok(detectedMs >= 3500, `not before the probe's bound: ${detectedMs} ms`);
    assert.ok(detectedMs <= 10_000, `a silent death in a call is noticed within 10 s: ${detectedMs} ms`);
    await finish(sdk);
  });

  test('silent network death while idle: noticed within 20 s, registered again on a new connection', async () => {
    const relay = await proxy();
    const gateway = await stack.startGateway({ wsUrl: relay.wsUrl });
    const { sdk, config } = await sdkOn(gateway, alice, DEMO.tokens.acme, 'alice (SDK)');
    await sdk.initRegistered(config);
    // The worst case: the flow dies right after a frame from the server. Wait for the
    // answer to the ping the SDK sends when its connection opens (or its REGISTER's 200),
    // then a little longer, so the freeze comes at least a ping's timeout after it.
    await sleep(500);
    const from = await sdk.mark();
    const attemptsBefore = relay.attempts.length;
    const frozenAt = Date.now();
    assert.equal(relay.freeze(), 1, 'the SDK\'s connection was frozen');
    const disconnected = await sdk.waitFor('disconnected', { from, timeout: 25_000 });
    const detectedMs = Date.now() - frozenAt;
    console.log(`# idle frozen flow → disconnected: ${detectedMs} ms`);
    assert.ok(detectedMs >= 3500, `not before the probe's bound: ${detectedMs} ms`);
    assert.ok(detectedMs <= 20_000, `a silent death while idle is noticed within 20 s: ${detectedMs} ms`);
    await sdk.waitFor('registeredChange', { from: disconnected.seq, timeout: MAX_DELAY_MS + 5000, where: { 'payload.registered': true } });
    assert.ok(relay.attempts.length > attemptsBefore, 'registered again over a new connection');
    await finish(sdk);
  });

  test('silent network death, then the browser reports the network back (online): detected within the probe bound', async () => {
    const relay = await proxy();
    const gateway = await stack.startGateway({ wsUrl: relay.wsUrl });
    const { sdk, config } = await sdkOn(gateway, alice, DEMO.tokens.acme, 'alice (SDK)');
    await sdk.initRegistered(config);
    const call = await answeredCall(sdk);
    const detectedMs = await freezeAndRecover(sdk, relay, call,
      () => sdk.page.evaluate(() => window.dispatchEvent(new Event('online'))));
    console.log(`# frozen flow + online event → disconnected: ${detectedMs} ms`);
    assert.ok(detectedMs < 6000, `probed at once, dead after the 4 s bound: ${detectedMs} ms`);
    await finish(sdk);
  });

  test('server down at start, then a long outage: transport errors, retries with backoff, registers when it is back', async () => {
    const relay = await proxy({ mode: 'refuse' });
    const gateway = await stack.startGateway({ wsUrl: relay.wsUrl });
    const { sdk, config } = await sdkOn(gateway, alice, DEMO.tokens.acme, 'alice (SDK)');
    const from = await sdk.mark();
    const init = await sdk.init(config);
    assert.equal(init.ok, true, `init resolves (the credential API is up): ${JSON.stringify(init)}`);

    const failure = await sdk.waitFor('error', { from, timeout: 3000, where: { 'payload.scope': 'transport' } });
    assert.match(failure.payload.detail, new RegExp(`127\\.0\\.0\\.1:${relay.port}`), 'the error names the server');
    const deadline = Date.now() + 8000;
    while (relay.attempts.length < 5 && Date.now() < deadline) await sleep(100);
    assert.ok(relay.attempts.length >= 5, `kept retrying: ${relay.attempts.length} attempts`);
    const gaps = relay.attempts.slice(1).map((a, i) => a.at - relay.attempts[i].at);
    assert.ok(gaps.every((g) => g <= MAX_DELAY_MS + 500), `no wait above maxDelayMs: ${gaps}`);
    assert.ok(gaps.at(-1) > gaps[0], `the waits grow (backoff): ${gaps}`);
    assert.equal((await sdk.isRegistered()).value, false);
    assert.equal((await sdk.eventsOf('registeredChange', from)).length, 0, 'never registered meanwhile');

    relay.setMode('forward');
    const upAt = Date.now();
    await sdk.waitFor('registeredChange', { from, timeout: MAX_DELAY_MS + 4000, where: { 'payload.registered': true } });
    console.log(`# server up → registered: ${Date.now() - upAt} ms after ${relay.attempts.length - 1} failed attempts`);
    assert.equal((await sdk.isRegistered()).value, true);

    // A long outage while registered: the server refuses for ~5 s, then comes back.
    const fromOutage = await sdk.mark();
    const attemptsBefore = relay.attempts.length;
    relay.setMode('refuse');
    relay.cut();
    await sdk.waitFor('disconnected', { from: fromOutage, timeout: 3000 });
    await sdk.waitFor('registeredChange', { from: fromOutage, timeout: 3000, where: { 'payload.registered': false } });
    await sleep(5000);
    assert.ok(relay.attempts.length - attemptsBefore >= 3, `retried during the outage: ${relay.attempts.length - attemptsBefore}`);
    relay.setMode('forward');
    await sdk.waitFor('registeredChange', { from: fromOutage, timeout: MAX_DELAY_MS + 4000, where: { 'payload.registered': true } });
    assert.equal((await stack.contacts(alice.extension)).length, 1, 'Kamailio holds the binding again');
    await finish(sdk);
  });

  test('failover: the first of wsServers is dead, the SDK registers through the second', async () => {
    const dead = `ws://127.0.0.1:${await freePort()}`;
    const gateway = await stack.startGateway({ wsUrl: dead, args: ['--ws-server', stack.wsUrl] });
    const served = await gateway.credentials(alice.email, DEMO.tokens.acme);
    assert.deepEqual(served.wsServers, [dead, stack.wsUrl], 'the gateway hands out the dead server first');
    const { sdk, config } = await sdkOn(gateway, alice, DEMO.tokens.acme, 'alice (SDK)');
    const started = Date.now();
    await sdk.initRegistered(config, { timeout: 5000 });
    console.log(`# failover: registered ${Date.now() - started} ms after init()`);
    const contacts = await stack.contacts(alice.extension);
    assert.equal(contacts.length, 1);
    assert.equal(contacts[0].socket, `tcp:127.0.0.1:${stack.wsPort}`);
    const errors = await sdk.eventsOf('error');
    assert.ok(errors.some((e) => e.payload.scope === 'transport' && e.payload.detail.includes(dead.slice(5))),
      `the dead server was reported: ${JSON.stringify(errors)}`);
    await finish(sdk);
  });

  test('credential refresh: re-fetched before expiry, registration valid past it; a revoked token is an auth_failed error and the call goes on', async () => {
    const TTL = 12;
    const [gwAlice, gwDave] = await Promise.all([
      stack.startGateway({ ttlSecs: TTL }),
      stack.startGateway({ ttlSecs: TTL }),
    ]);
    const extra = { logLevel: 'debug', registerExpires: 30 };
    const a = await sdkOn(gwAlice, alice, DEMO.tokens.acme, 'alice (SDK)', extra);
    const d = await sdkOn(gwDave, dave, DEMO.tokens.globex, 'dave (SDK)', extra);
    await Promise.all([a.sdk.initRegistered(a.config), d.sdk.initRegistered(d.config)]);
    const firstUser = registerTraffic(a.sdk).find((r) => r.username)?.username;
    assert.ok(firstUser, 'the first authenticated REGISTER is in the debug log');
    const firstExpiry = Number(firstUser.split(':')[0]) * 1000;
    assert.ok(firstExpiry - Date.now() < TTL * 1000 + 1000, 'the credential is short-lived');

    // dave: a call in progress, then his token is revoked.
    const call = await answeredCall(d.sdk);
    const fromDave = await d.sdk.mark();
    const revoke = await fetch(`${gwDave.baseUrl}/admin/tokens/revoke`, {
      method: 'POST',
      headers: { 'X-Admin-Key': ADMIN_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: DEMO.tokens.globex }),
    });
    assert.ok(revoke.ok, `token revoked: HTTP ${revoke.status}`);

    // Past the first credential's expiry and past a REGISTER refresh (granted 30 s → every 15 s
    // after the first REGISTER). The expiry is in whole seconds, so the refresh can come up to a
    // second after expiry + 4 s: wait for it (at most 10 s more) rather than for a fixed time.
    await sleep(Math.max(0, firstExpiry - Date.now()) + 4000);
    const renewed = () => registerTraffic(a.sdk).some((r) => r.at > firstExpiry && !r.sent && r.status === 200);
    for (let waited = 0; !renewed() && waited < 10000; waited += 250) await sleep(250);

    // alice: a second credential request before the first expired, a REGISTER with the new
    // credential after the old one expired, answered 200; registered throughout.
    const requests = credentialRequests(gwAlice);
    assert.ok(requests.length >= 2 && requests.every((s) => s === 200), `credentials fetched again: ${requests}`);
    const traffic = registerTraffic(a.sdk);
    const laterUser = traffic.find((r) => r.sent && r.username && r.username !== firstUser);
    assert.ok(laterUser, `a REGISTER with new credentials: ${JSON.stringify(traffic)}`);
    assert.ok(Number(laterUser.username.split(':')[0]) * 1000 > firstExpiry, 'the new credential expires later');
    const afterExpiry = traffic.filter((r) => r.at > firstExpiry);
    assert.ok(afterExpiry.some((r) => !r.sent && r.status === 200), `a REGISTER answered 200 after the first credential expired: ${JSON.stringify(traffic)}`);
    assert.deepEqual(await a.sdk.eventsOf('registrationFailed'), [], 'alice never lost her registration');
    assert.deepEqual(await a.sdk.eventsOf('error'), [], 'no error for alice');
    assert.equal((await a.sdk.isRegistered()).value, true);

    // dave: the refresh failed with auth_failed, reported as an error; the call is untouched.
    const errors = await d.sdk.eventsOf('error', fromDave);
    const authFailed = errors.find((e) => e.payload.code === 'auth_failed');
    assert.ok(authFailed, `an error event with code auth_failed: ${JSON.stringify(errors)}`);
    assert.match(authFailed.payload.detail, /auth_failed|refused/);
    // Without a fresh credential dave's next REGISTER is refused: the refresh above was real.
    const refused = await d.sdk.waitFor('registrationFailed', { from: fromDave, timeout: 8000 });
    assert.ok([401, 403].includes(refused.payload.code), `expired credential refused: ${JSON.stringify(refused.payload)}`);
    assert.deepEqual(await d.sdk.eventsOf('sessionEnded', fromDave), [], 'the call was not cut');
    const [live] = await d.sdk.getCalls();
    assert.equal(live?.state, 'active');
    await Promise.all([
      d.sdk.waitForAudio({ threshold: HEARD_BY_SDK, timeout: 5000, callId: call.callId }),
      far.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 5000, sessionId: call.session }),
    ]);
    const fromFar = await far.mark();
    await d.sdk.must('hangup', call.callId);
    const farEnded = await far.waitFor('ended', { from: fromFar, timeout: 5000, where: { session: call.session } });
    assert.equal(farEnded.cause, 'Terminated', 'the SDK can still end the call');
    await Promise.all([finish(a.sdk), finish(d.sdk)]);
  });
});
