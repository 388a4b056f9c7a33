// The agent console (examples/agent-console: React, Vite, the package imported by name) as two
// agents use it, each in a browser context of their own: both sign in, alice dials bob on the
// dial pad, bob answers from the banner, they hear each other; hold, mute and DTMF from the call
// list; alice hangs up; a second call bob rejects; alice signs out.
// The console is built with Vite from the example's own config, against npm/dist.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { elementEnergy } from './lib/audio.mjs';
import { build } from 'vite';
import { launchBrowser } from './lib/browser.mjs';
import { BUILD_DIR, REPO_ROOT } from './lib/build.mjs';
import { requireSdkBuild } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const EXAMPLE = join(REPO_ROOT, 'examples', 'agent-console');
const OUT = join(BUILD_DIR, 'agent-console');

/** Highest RMS of the page's #remote-audio stream over ~0.5 s, measured in the page with WebAudio. */
const remoteEnergy = (page) => elementEnergy(page, 'remote-audio');

// The console keeps the browser's audio processing on (as the SDK's default does): noise
// suppression fades the steady test tone from about 0.2 RMS to about 0.02 within seconds, while
// a muted track is digital silence.
const HEARS = (rms) => rms > 0.01;
const SILENT = (rms) => rms < 0.002;

/** Measures until `ok(rms)` holds (at most `tries` windows); returns the last reading. */
async function energyUntil(page, ok, tries = 12) {
  let rms = await remoteEnergy(page);
  for (let i = 1; i < tries && !ok(rms); i++) rms = await remoteEnergy(page);
  return rms;
}

const badge = (page) => page.locator('#reg-state');
const callRow = (page) => page.locator('li.call');

async function signIn(page, member) {
  await page.fill('input[name=userEmail]', member.email);
  await page.fill('input[name=accessToken]', DEMO.tokens.acme);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForFunction(() => document.getElementById('reg-state').textContent === 'registered', null, { timeout: 15000 });
}

async function dialOnPad(page, digits) {
  const pad = page.getByRole('form', { name: 'Dial pad' });
  for (const d of digits) await pad.getByRole('button', { name: d, exact: true }).click();
  assert.equal(await page.inputValue('#number'), digits, 'the pad typed the number');
  await pad.getByRole('button', { name: 'Call' }).click();
}

async function waitState(page, state) {
  await page.waitForFunction((s) => document.querySelector('li.call')?.dataset.state === s, state, { timeout: 10000 });
}

async function waitNoCalls(page) {
  await page.waitForFunction(() => document.querySelector('.calls .empty')?.textContent === 'No calls.', null, { timeout: 10000 });
}

describe('examples/agent-console: two agents in two browser contexts', { timeout: 180_000 }, () => {
  let stack;
  let browser;
  let alice;
  let bob;

  before(async () => {
    requireSdkBuild();
    await build({
      root: EXAMPLE,
      configFile: join(EXAMPLE, 'vite.config.js'),
      logLevel: 'warn',
      build: { outDir: OUT, emptyOutDir: true },
    });
    stack = await startStack({ static: { '/console': OUT } });
    browser = await launchBrowser({ tone: true });
    // Two agents do not share a browser profile: one context each, like two machines.
    const contexts = [browser.context, await browser.browser.newContext()];
    for (const context of contexts) {
      // What the console asks of the browser's DTMF sender is recorded, to check the keypad.
      await context.addInitScript(() => {
        window.__dtmf = [];
        const insert = RTCDTMFSender.prototype.insertDTMF;
        RTCDTMFSender.prototype.insertDTMF = function (tones, ...rest) {
          window.__dtmf.push(tones);
          return insert.call(this, tones, ...rest);
        };
      });
    }
    const url = `${stack.apiBaseUrl}/console/`;
    [alice, bob] = await Promise.all(contexts.map(async (context) => {
      const page = await context.newPage();
      page.on('pageerror', (e) => process.stderr.write(`[console page error] ${e.message}\n`));
      await page.goto(url);
      return page;
    }));
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('both agents sign in; the API defaults to the page origin; Kamailio lists both', async () => {
    for (const page of [alice, bob]) {
      assert.equal(await badge(page).textContent(), 'signed out');
      assert.equal(await page.inputValue('input[name=apiBaseUrl]'), stack.apiBaseUrl);
    }
    await signIn(alice, DEMO.members.alice);
    await signIn(bob, DEMO.members.bob);
    assert.equal((await stack.contacts(DEMO.members.alice.extension)).length, 1);
    assert.equal((await stack.contacts(DEMO.members.bob.extension)).length, 1);
    assert.match(await alice.locator('header .account').textContent(), /alice@acme\.test/);
  });

  test('alice dials bob on the pad; bob answers from the banner; audio flows both ways', async () => {
    await dialOnPad(alice, DEMO.members.bob.extension);
    const banner = bob.locator('.banner');
    await banner.waitFor({ timeout: 10000 });
    assert.match(await banner.textContent(), /Incoming call from Alice \(1001\)/);
    await bob.screenshot({ path: join(BUILD_DIR, 'example-agent-console-incoming.png'), fullPage: true });
    assert.equal(await callRow(alice).count(), 1, 'alice sees her outgoing call');
    await banner.getByRole('button', { name: 'Answer' }).click();
    await Promise.all([waitState(alice, 'active'), waitState(bob, 'active')]);
    assert.equal(await bob.locator('.banner').count(), 0, 'the banner goes once answered');

    const [aliceHears, bobHears] = await Promise.all([energyUntil(alice, HEARS), energyUntil(bob, HEARS)]);
    assert.ok(HEARS(aliceHears), `alice hears bob's tone (RMS ${aliceHears})`);
    assert.ok(HEARS(bobHears), `bob hears alice's tone (RMS ${bobHears})`);
  });

  test('mute silences alice for bob, unmute brings her back', async () => {
    const row = callRow(alice);
    await row.getByRole('button', { name: 'Mute' }).click();
    await row.locator('.flag.muted').waitFor({ timeout: 5000 });
    const muted = await energyUntil(bob, SILENT);
    assert.ok(SILENT(muted), `bob hears silence while alice is muted (RMS ${muted})`);
    await row.getByRole('button', { name: 'Unmute' }).click();
    await row.locator('.flag.muted').waitFor({ state: 'detached', timeout: 5000 });
    const back = await energyUntil(bob, HEARS);
    assert.ok(HEARS(back), `bob hears alice again (RMS ${back})`);
  });

  test('hold and resume show on both sides', async () => {
    const row = callRow(alice);
    await row.getByRole('button', { name: 'Hold' }).click();
    await waitState(alice, 'held');
    await bob.locator('li.call .flag.remote-held').waitFor({ timeout: 10000 });
    await row.getByRole('button', { name: 'Resume' }).click();
    await waitState(alice, 'active');
    await bob.locator('li.call .flag.remote-held').waitFor({ state: 'detached', timeout: 10000 });
    const back = await energyUntil(alice, HEARS);
    assert.ok(HEARS(back), `alice hears bob after resuming (RMS ${back})`);
  });

  test('the call keypad sends DTMF through the browser', async () => {
    const row = callRow(alice);
    await row.getByRole('button', { name: 'Keypad' }).click();
    const keypad = row.getByLabel('DTMF keypad');
    for (const key of ['1', '#', '5']) await keypad.getByRole('button', { name: key, exact: true }).click();
    await alice.waitForFunction(() => window.__dtmf.join('') === '1#5', null, { timeout: 5000 });
    assert.equal(await row.getByLabel('Tones sent').textContent(), '1#5');
    await alice.screenshot({ path: join(BUILD_DIR, 'example-agent-console-call.png'), fullPage: true });
  });

  test('alice hangs up: the call ends on both sides with the right cause', async () => {
    await callRow(alice).getByRole('button', { name: 'Hang up' }).click();
    await Promise.all([waitNoCalls(alice), waitNoCalls(bob)]);
    assert.match(await alice.textContent('#log'), /sessionEnded.*hangup_local/);
    assert.match(await bob.textContent('#log'), /sessionEnded.*hangup_remote/);
    for (const page of [alice, bob]) {
      assert.equal(await page.locator('#log li.failed').count(), 0, `no control failed: ${await page.textContent('#log')}`);
    }
  });

  test('bob rejects a second call from the banner; alice sees it end busy', async () => {
    await dialOnPad(alice, DEMO.members.bob.extension);
    const banner = bob.locator('.banner');
    await banner.waitFor({ timeout: 10000 });
    await banner.getByRole('button', { name: 'Reject' }).click();
    await Promise.all([waitNoCalls(alice), waitNoCalls(bob)]);
    assert.match(await alice.locator('#log li').first().textContent(), /sessionEnded.*busy \(486\)/);
    await alice.screenshot({ path: join(BUILD_DIR, 'example-agent-console.png'), fullPage: true });
  });

  test('signing out unregisters', async () => {
    await alice.getByRole('button', { name: 'Sign out' }).click();
    await alice.waitForFunction(() => document.getElementById('reg-state').textContent === 'signed out', null, { timeout: 10000 });
    assert.deepEqual(await stack.contacts(DEMO.members.alice.extension), []);
    assert.equal(await alice.getByRole('form', { name: 'Sign in' }).count(), 1, 'the sign-in form is back');
  });
});
