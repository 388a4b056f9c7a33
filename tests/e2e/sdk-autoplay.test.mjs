// Autoplay: with Chromium's autoplay policy on, the SDK's play() of call audio is refused
// before any user gesture; that is `error {scope:'audio', code:'autoplay_blocked'}`, and a real
// click (Playwright's, a trusted input event) on a button whose handler calls resumeAudio()
// plays it. The SDK (alice) runs in pages/sdk-autoplay.html, in a browser with the policy on,
// driven by its own script: Playwright's page.evaluate() is a user gesture, so nothing is
// evaluated there before the click. JsSIP (bob), in another browser, calls it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { requireSdkBuild, SDK_STATIC, sdkConfig } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const { alice, bob } = DEMO.members;

describe('SDK audio under the autoplay policy', { timeout: 120_000 }, () => {
  let stack;
  let sdkBrowser;
  let farBrowser;
  let page;
  let bobUa;
  const lines = [];

  /** The first console report of `type` (after index `from`) that satisfies `pred`. */
  async function reported(type, pred = () => true, { from = 0, timeout = 10_000 } = {}) {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      const hit = lines.slice(from).find((l) => l.type === type && pred(l));
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`no '${type}' report within ${timeout} ms; seen: ${lines.slice(from).map((l) => l.type).join(', ')}`);
  }

  before(async () => {
    requireSdkBuild();
    [stack, sdkBrowser, farBrowser] = await Promise.all([
      startStack({ static: SDK_STATIC }),
      launchBrowser({ tone: true, autoplayPolicy: true }),
      launchBrowser({ tone: true }),
    ]);
    bobUa = await openFarEnd(farBrowser, stack, { name: 'bob (JsSIP)' });
    await stack.credentials(bob.email).then((c) => bobUa.startWith(c));
    page = await sdkBrowser.context.newPage();
    page.on('console', (m) => {
      const text = m.text();
      if (text.startsWith('autoplay ')) lines.push(JSON.parse(text.slice('autoplay '.length)));
    });
    const config = JSON.stringify(sdkConfig(stack, alice, DEMO.tokens.acme));
    await page.goto(stack.pageUrl(`sdk-autoplay.html?config=${encodeURIComponent(config)}`));
    await reported('registeredChange', (l) => l.registered);
  });

  after(async () => {
    await sdkBrowser?.close();
    await farBrowser?.close();
    await stack?.stop();
  });

  test('play() refused before a gesture is autoplay_blocked; resumeAudio() from a real click plays the call', async () => {
    const fromFar = await bobUa.mark();
    await bobUa.call(alice.extension);
    await bobUa.waitFor('confirmed', { from: fromFar });
    await reported('answered');

    const blocked = await reported('error', (l) => l.payload.scope === 'audio');
    assert.equal(blocked.payload.code, 'autoplay_blocked', JSON.stringify(blocked.payload));
    assert.match(blocked.payload.detail, /NotAllowedError/);
    assert.equal(blocked.element.paused, true);
    // Over the next second the element holds the call's stream but does not play it.
    const from = lines.length;
    await new Promise((r) => setTimeout(r, 1000));
    const states = lines.slice(from).filter((l) => l.type === 'state');
    assert.ok(states.length >= 3, `state reports: ${states.length}`);
    for (const s of states) {
      assert.deepEqual(s.element, { paused: true, currentTime: states[0].element.currentTime, hasStream: true }, 'nothing plays before the click');
    }

    const clicked = lines.length;
    await page.click('#enable-sound');
    const resumed = await reported('resumeAudio', () => true, { from: clicked });
    assert.equal(resumed.ok, true, JSON.stringify(resumed));
    assert.equal(resumed.element.paused, false, 'the element plays after the click');
    const t0 = await page.evaluate(() => window.autoplayPage.state().currentTime);
    await new Promise((r) => setTimeout(r, 500));
    const t1 = await page.evaluate(() => window.autoplayPage.state().currentTime);
    assert.ok(t1 > t0, `playback time advances after the click: ${t0} -> ${t1}`);
    const energy = await page.evaluate(() => window.autoplayPage.energy(1500));
    assert.ok(energy > 0.01, `bob's tone comes out of the element after the click (peak ${energy})`);
    assert.deepEqual(lines.slice(clicked).filter((l) => l.type === 'error' || l.type === 'pageError'), [], 'no error after the click');
    await page.evaluate(() => window.autoplayPage.hangupAll());
  });
});
