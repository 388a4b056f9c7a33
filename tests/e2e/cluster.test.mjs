// Two Kamailio edges as one service (dev/kamailio.cfg -A WITH_CLUSTER, docs/scaling.md): the
// SDK (alice, 1001) registers on edge A, JsSIP (bob, 1002) on edge B; DMQ shares the
// registrations, and each edge reaches the other's clients through the Path it stored. Then edge
// A dies under a call and the SDK moves to B.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC, sdkConfig } from './lib/sdkpage.mjs';
import { DEMO, startCluster } from './lib/stack.mjs';

const { alice, bob } = DEMO.members;
/** As in sdk-calls.test.mjs: JsSIP's tone arrives unprocessed, the SDK's through noise suppression. */
const HEARD_BY_SDK = 0.05;
const HEARD_BY_FAR = 0.01;

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

  /** The SDK calls bob, bob answers, audio both ways: { callId, session }. */
  async function sdkCallsFar() {
    const fromSdk = await sdk.mark();
    const fromFar = await far.mark();
    const callId = await sdk.must('call', bob.extension);
    const incoming = await far.waitFor('incoming', { from: fromFar });
    await far.answer(incoming.session);
    await sdk.waitFor('callUpdated', { from: fromSdk, where: { 'payload.call.id': callId, 'payload.call.state': 'active' } });
    await far.waitFor('confirmed', { from: fromFar, where: { session: incoming.session } });
    await audioBothWays(callId, incoming.session);
    return { callId, session: incoming.session };
  }

  /** bob calls the SDK, the SDK answers, audio both ways: { callId, session }. */
  async function farCallsSdk() {
    const fromSdk = await sdk.mark();
    const fromFar = await far.mark();
    const session = await far.call(alice.extension);
    const incoming = await sdk.waitFor('incoming', { from: fromSdk });
    const callId = incoming.payload.call.id;
    await sdk.must('answer', callId);
    await far.waitFor('confirmed', { from: fromFar, where: { session } });
    await audioBothWays(callId, session);
    return { callId, session };
  }

  function audioBothWays(callId, session, timeout = 8000) {
    return Promise.all([
      sdk.waitForAudio({ threshold: HEARD_BY_SDK, timeout, callId }),
      far.waitForAudio({ threshold: HEARD_BY_FAR, timeout, sessionId: session }),
    ]);
  }

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
});
