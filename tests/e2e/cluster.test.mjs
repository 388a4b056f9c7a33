// Two Kamailio edges as one service (dev/kamailio.cfg -A WITH_CLUSTER, docs/scaling.md): the
// SDK (alice, 1001) registers on edge A, JsSIP (bob, 1002) on edge B; DMQ shares the
// registrations, and each edge reaches the other's clients through the Path it stored. Then edge
// A dies under a call and the SDK moves to B.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { watchMove } from './lib/audio.mjs';
import { audioBothWays, farEndCallsSdk, HEARD_BY_FAR, HEARD_BY_SDK, sdkCallsFarEnd } from './lib/calls.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC, sdkConfig } from './lib/sdkpage.mjs';
import { DEMO, startCluster } from './lib/stack.mjs';

const { alice, bob } = DEMO.members;

describe('two Kamailio edges sharing registrations (DMQ)', { timeout: 150_000 }, () => {
  let cluster;
  let browser;
  let sdk;
  let far;

  before(async () => {
    requireSdkBuild();
    [cluster, browser] = await Promise.all([startCluster({ static: SDK_STATIC }), launchBrowser({ tone: true })]);
    [sdk, far] = await Promise.all([
      openSdkPage(browser, cluster, { name: 'alice (SDK, edge A)' }),
      openFarEnd(browser, cluster, { name: 'bob (JsSIP, edge B)' }),
    ]);
    const creds = await cluster.credentials(bob.email);
    assert.deepEqual(creds.wsServers, cluster.wsUrls, 'the credential API hands out both edges, A first');
    await Promise.all([
      // ws:// to 127.0.0.2 and .3: the SDK takes only 127.0.0.1 and localhost for loopback.
      sdk.initRegistered(sdkConfig(cluster, alice, DEMO.tokens.acme, { allowInsecureTransport: true })),
      far.startWith(creds, { wsUrl: cluster.wsUrls[1] }),
    ]);
  });

  after(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  /** Polls until every edge's registrar holds a contact of each extension; returns the dumps. */
  async function bothEdgesSee(extensions, { timeout = 5000 } = {}) {
    const deadline = Date.now() + timeout;
    let dumps;
    do {
      dumps = await Promise.all(cluster.edges.map((e) => e.ulDump()));
      if (dumps.every((d) => extensions.every((x) => (d[x] ?? []).length > 0))) return dumps;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    assert.fail(`not every edge holds ${extensions.join(', ')}: ${JSON.stringify(dumps)}`);
  }

  /** The edge a contact's Path names: 'ip:port' of its cluster (UDP) socket. */
  function pathEdge(contact) {
    const m = /<sip:([\d.]+:\d+)[;>]/.exec(contact?.path ?? '');
    return m ? m[1] : null;
  }

  const sdkCallsFar = () => sdkCallsFarEnd(sdk, far, bob.extension);
  const farCallsSdk = () => farEndCallsSdk(sdk, far, alice.extension);

  async function sdkHangsUp({ callId, session }) {
    const fromFar = await far.mark();
    await sdk.must('hangup', callId);
    await far.waitFor('ended', { from: fromFar, where: { session } });
  }

  async function farHangsUp({ callId, session }) {
    const fromSdk = await sdk.mark();
    await far.hangup(session);
    const ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': callId } });
    assert.equal(ended.payload.cause, 'hangup_remote');
  }

  test('each edge holds both registrations, and each contact\'s Path names the edge holding its WebSocket', async () => {
    const [a, b] = await bothEdgesSee([alice.extension, bob.extension]);
    const [edgeA, edgeB] = cluster.edges.map((e) => `${e.host}:${e.clusterPort}`);
    for (const dump of [a, b]) {
      assert.equal(dump[alice.extension].length, 1, `one contact for alice: ${JSON.stringify(dump[alice.extension])}`);
      assert.equal(dump[bob.extension].length, 1, `one contact for bob: ${JSON.stringify(dump[bob.extension])}`);
      assert.equal(pathEdge(dump[alice.extension][0]), edgeA, 'alice is reached through edge A');
      assert.equal(pathEdge(dump[bob.extension][0]), edgeB, 'bob is reached through edge B');
    }
    assert.equal(a[alice.extension][0].instance, b[alice.extension][0].instance, 'the same RFC 5626 instance on both');
  });

  test('SDK on edge A calls JsSIP on edge B and back: audio both ways, each hangup reaches the other side', async () => {
    await sdkHangsUp(await sdkCallsFar());
    await farHangsUp(await sdkCallsFar());
    await sdkHangsUp(await farCallsSdk());
    await farHangsUp(await farCallsSdk());
    assert.deepEqual(await sdk.getCalls(), []);
  });

  /** performance.now() of the SDK's and JsSIP's pages, to time their events (each page has its own origin). */
  function clocks() {
    return Promise.all([sdk.page.evaluate(() => performance.now()), far.page.evaluate(() => performance.now())]);
  }

  /**
   * After edge A failed under an answered call (`fault` kills or freezes it): the SDK notices
   * (`disconnected`), registers on edge B (whose registrar then reaches alice through B), and
   * the call, whose route set names A, moves to a new dialog through B: the SDK's refresh
   * re-INVITE gets 430 Flow Failed from B, then its INVITE with Replaces reaches JsSIP, which
   * takes it in place of the old session (its app answers the new one). The call keeps its id
   * and stays active at the SDK, nothing ends there, audio flows both ways on the new session.
   * Returns { call: { callId, session: JsSIP's new session }, times: ms from the fault }.
   */
  async function failOverUnder({ callId, session }, fault, { noticeTimeout = 3000 } = {}) {
    const edgeB = cluster.edges[1];
    const fromSdk = await sdk.mark();
    const fromFar = await far.mark();
    const watch = await watchMove(sdk, far, callId, { heardBySdk: HEARD_BY_SDK, heardByFar: HEARD_BY_FAR });
    const [t0, f0] = await clocks();
    await fault(cluster.edges[0]);
    const disconnected = await sdk.waitFor('disconnected', { from: fromSdk, timeout: noticeTimeout });
    const registered = await sdk.waitFor('registeredChange', {
      from: disconnected.seq,
      timeout: 5000,
      where: { 'payload.registered': true },
    });
    const contacts = await edgeB.contacts(alice.extension);
    assert.equal(contacts.length, 1, `edge B holds one contact for alice: ${JSON.stringify(contacts)}`);
    assert.equal(pathEdge(contacts[0]), `${edgeB.host}:${edgeB.clusterPort}`, 'alice is now reached through edge B');

    const replaces = await far.waitFor('replaces', { from: fromFar, where: { session }, timeout: 5000 });
    const incoming = await far.waitFor('incoming', { from: replaces.seq, timeout: 5000 });
    assert.match(incoming.from, new RegExp(`^sip:${alice.extension}@`), 'the new session is the SDK\'s');
    await far.answer(incoming.session);
    const confirmed = await far.waitFor('confirmed', { from: replaces.seq, where: { session: incoming.session } });
    await far.waitFor('ended', { from: fromFar, where: { session } });
    const moved = { callId, session: incoming.session };
    // Audio stops when JsSIP ends the old session and comes back once the new one's media is up.
    await audioBothWays(sdk, callId, far, moved.session);
    const [audioAt] = await clocks();
    // The move's 2xx is JsSIP's `accepted` of the new session: from it the SDK hears JsSIP again
    // within 1 s (on a fresh RTCPeerConnection, decision 0007).
    const accepted = await far.waitFor('accepted', { from: replaces.seq, where: { session: incoming.session } });
    const heard = await watch.stop(replaces, accepted);
    assert.notEqual(heard.farBackMs, null, 'JsSIP hears the SDK again after the move');
    assert.ok(heard.sdkBackMs !== null && heard.sdkBackMs <= 1000, `the SDK hears JsSIP within 1 s of the move's 2xx (${heard.sdkBackMs} ms)`);

    const calls = await sdk.getCalls();
    assert.deepEqual(calls.map((c) => [c.id, c.state]), [[callId, 'active']], 'the same call, still active');
    const sdkEvents = await sdk.events(fromSdk);
    assert.deepEqual(sdkEvents.filter((e) => e.type === 'sessionEnded'), [], 'the call did not end at the SDK');
    const errors = sdkEvents.filter((e) => e.type === 'error' && e.payload.scope !== 'transport');
    assert.deepEqual(errors, [], 'no error but the lost connection');
    return {
      call: moved,
      times: {
        disconnectedMs: Math.round(disconnected.at - t0),
        registeredOnBMs: Math.round(registered.at - t0),
        movedMs: Math.round(confirmed.at - f0),
        audioBackMs: Math.round(audioAt - t0),
        sdkHearsAfter2xxMs: heard.sdkBackMs,
        farHearsAfter2xxMs: heard.farBackMs,
      },
    };
  }

  /** Ends a call at both ends if a test failed before it hung up (so the next starts clean). */
  async function forget({ callId, session }) {
    if ((await sdk.getCalls()).some((c) => c.id === callId)) await sdk.hangup(callId);
    const farSession = await far.session(session).catch(() => null);
    if (farSession && !farSession.ended) await far.hangup(session);
  }

  /** Starts edge A again and puts the SDK back on it (a new init() tries wsServers[0] first). */
  async function sdkBackOnEdgeA() {
    await cluster.restartEdge(0);
    assert.equal((await sdk.destroy()).ok, true);
    await sdk.initRegistered(sdkConfig(cluster, alice, DEMO.tokens.acme, { allowInsecureTransport: true }));
    const [a, b] = await bothEdgesSee([alice.extension, bob.extension]);
    const edgeA = `${cluster.edges[0].host}:${cluster.edges[0].clusterPort}`;
    assert.equal(pathEdge(a[alice.extension][0]), edgeA, 'the restarted edge A holds alice');
    assert.equal(pathEdge(b[alice.extension].at(-1)), edgeA, 'and edge B learnt it');
    const edgeB = `${cluster.edges[1].host}:${cluster.edges[1].clusterPort}`;
    assert.equal(pathEdge(a[bob.extension][0]), edgeB, 'the restarted edge A learnt bob from B (DMQ sync at start)');
  }

  const crash = (edge) => edge.kill();

  test('edge A dies under an outgoing call: the SDK registers on edge B, the call moves there, the SDK\'s hangup reaches JsSIP', async () => {
    const original = await sdkCallsFar();
    let call = original;
    try {
      const moved = await failOverUnder(original, crash);
      call = moved.call;
      const [, f0] = await clocks();
      const fromFar = await far.mark();
      await sdk.must('hangup', call.callId);
      const ended = await far.waitFor('ended', { from: fromFar, where: { session: call.session }, timeout: 2000 });
      console.log(`# edge A killed under the SDK's outgoing call: ${JSON.stringify({ ...moved.times, hangupReachedMs: Math.round(ended.at - f0) })}`);
    } finally {
      await forget(call);
    }
  });

  test('edge A back and the SDK on it again; A dies under an incoming call: the call moves to edge B, JsSIP\'s hangup reaches the SDK', async () => {
    await sdkBackOnEdgeA();
    const original = await farCallsSdk();
    let call = original;
    try {
      const moved = await failOverUnder(original, crash);
      call = moved.call;
      const [t0] = await clocks();
      const fromSdk = await sdk.mark();
      await far.hangup(call.session);
      const ended = await sdk.waitFor('sessionEnded', { from: fromSdk, where: { 'payload.callId': call.callId }, timeout: 2000 });
      assert.equal(ended.payload.cause, 'hangup_remote');
      console.log(`# edge A killed under the SDK's incoming call: ${JSON.stringify({ ...moved.times, hangupReachedMs: Math.round(ended.at - t0) })}`);
    } finally {
      await forget(call);
    }
  });

  test('edge A hangs (SIGSTOP) under a call: the keepalive notices, the SDK registers on B, the call moves there', async () => {
    await sdkBackOnEdgeA();
    const original = await sdkCallsFar();
    let call = original;
    try {
      // In a call the keepalive probes after 5 s of quiet and waits 4 s (architecture.md). The
      // reconnect then goes to edge B first: the hung edge's kernel would accept the TCP
      // connection and never answer the upgrade, holding a connect for its 10 s timeout.
      const moved = await failOverUnder(original, (edge) => edge.freeze(), { noticeTimeout: 12_000 });
      call = moved.call;
      const fromFar = await far.mark();
      await sdk.must('hangup', call.callId);
      await far.waitFor('ended', { from: fromFar, where: { session: call.session }, timeout: 2000 });
      console.log(`# edge A hung under the SDK's outgoing call: ${JSON.stringify(moved.times)}`);
    } finally {
      await cluster.edges[0].kill();
      await forget(call);
    }
  });
});
