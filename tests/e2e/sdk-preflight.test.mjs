// preflight(): the verdict and its measurements on the real stack. ready with the dev stack;
// degraded with a STUN server that gives no candidate; permission_denied in a browser that
// refuses the microphone; blocked with Kamailio stopped. The SDK is alice (1001).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC, sdkConfig } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const { alice } = DEMO.members;

describe('SDK preflight()', { timeout: 120_000 }, () => {
  let stack;
  let browser;
  let denying;

  before(async () => {
    requireSdkBuild();
    [stack, browser, denying] = await Promise.all([
      startStack({ static: SDK_STATIC }),
      launchBrowser(),
      launchBrowser({ denyMicrophone: true }),
    ]);
  });

  after(async () => {
    await browser?.close();
    await denying?.close();
    await stack?.stop();
  });

  async function preflight(sdk, options) {
    const r = await sdk.invoke('preflight', ...(options ? [options] : []));
    assert.equal(r.ok, true, JSON.stringify(r));
    return r.value;
  }

  test('ready on the dev stack, without a call: microphone level, OPTIONS round trip, host candidates', async () => {
    const sdk = await openSdkPage(browser, stack, { name: 'alice (SDK)' });
    await sdk.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme));
    const from = await sdk.mark();
    const report = await preflight(sdk);
    assert.equal(report.verdict, 'ready', JSON.stringify(report));
    assert.equal(report.microphone.permission, 'granted');
    assert.ok(report.microphone.level > 0.001, `the fake microphone's beep is heard: ${report.microphone.level}`);
    assert.equal(report.signalling.reachable, true);
    assert.equal(typeof report.signalling.status, 'number', 'Kamailio answered the OPTIONS');
    assert.ok(report.signalling.rttMs >= 0 && report.signalling.rttMs < 400, JSON.stringify(report.signalling));
    assert.deepEqual(
      { host: report.ice.host, srflx: report.ice.srflx, relay: report.ice.relay, stun: report.ice.stun, turn: report.ice.turn },
      { host: true, srflx: false, relay: false, stun: false, turn: false },
    );
    for (const k of ['microphoneMs', 'signallingMs', 'iceMs', 'totalMs']) assert.equal(typeof report.timings[k], 'number', k);
    assert.ok(report.timings.totalMs >= 1000, 'the microphone was listened to for about a second');
    // What preflight opened it closed: the microphone's tracks and its peer connection.
    const media = await sdk.media();
    assert.ok(media.localTracks.length >= 1 && media.localTracks.every((t) => t.readyState === 'ended'), JSON.stringify(media.localTracks));
    assert.ok(media.peerConnections.every((pc) => pc.signalingState === 'closed'), JSON.stringify(media.peerConnections));
    assert.deepEqual(await sdk.getCalls(), [], 'no call was made');
    assert.deepEqual(await sdk.eventsOf('sessionStarted', from), []);

    const bad = await sdk.invoke('preflight', { timeoutMs: 'soon' });
    assert.equal(bad.code, 'invalid_argument', JSON.stringify(bad));
    await sdk.destroy();
    await sdk.page.close();
  });

  test('degraded when a configured STUN server gives no server-reflexive candidate', async () => {
    const sdk = await openSdkPage(browser, stack, { name: 'alice (SDK, silent STUN)' });
    await sdk.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme, { iceServers: [{ urls: 'stun:127.0.0.1:3479' }] }));
    const report = await preflight(sdk, { timeoutMs: 1000 });
    assert.equal(report.verdict, 'degraded', JSON.stringify(report));
    assert.equal(report.ice.stun, true);
    assert.equal(report.ice.srflx, false);
    assert.equal(report.ice.host, true);
    assert.equal(report.signalling.reachable, true);
    await sdk.destroy();
    await sdk.page.close();
  });

  test('permission_denied when the browser refuses the microphone', async () => {
    const sdk = await openSdkPage(denying, stack, { name: 'alice (SDK, microphone refused)' });
    await sdk.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme));
    const report = await preflight(sdk);
    assert.equal(report.verdict, 'permission_denied', JSON.stringify(report));
    assert.equal(report.microphone.permission, 'denied');
    assert.equal(report.microphone.level, null);
    assert.equal(report.signalling.reachable, true, 'the other checks still ran');
    // (Without a media permission Chromium gathers no loopback candidate: ice is not asserted.)
    await sdk.destroy();
  });

  test('blocked when the signalling server is down', async () => {
    const sdk = await openSdkPage(browser, stack, { name: 'alice (SDK, Kamailio down)' });
    await sdk.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme));
    const from = await sdk.mark();
    await stack.kamailio.stop();
    await sdk.waitFor('disconnected', { from, timeout: 5000 });
    const started = Date.now();
    const report = await preflight(sdk, { timeoutMs: 1500 });
    assert.equal(report.verdict, 'blocked', JSON.stringify(report));
    assert.deepEqual({ reachable: report.signalling.reachable, rttMs: report.signalling.rttMs }, { reachable: false, rttMs: null });
    assert.equal(report.microphone.permission, 'granted');
    assert.ok(Date.now() - started < 5000, 'bounded by timeoutMs (and the microphone second)');
  });
});
