// The example page (examples/basic) as a person uses it: two tabs, alice calls bob by typing
// and clicking, bob answers, both hear each other, alice hangs up.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { elementEnergy } from './lib/audio.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { REPO_ROOT } from './lib/build.mjs';
import { SDK_STATIC, requireSdkBuild } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const EXAMPLE = join(REPO_ROOT, 'examples', 'basic');

/** RMS of the page's #remote-audio stream, measured in the page with WebAudio. */
const remoteEnergy = (page) => elementEnergy(page, 'remote-audio');

async function signIn(page, member) {
  await page.fill('input[name=userEmail]', member.email);
  await page.fill('input[name=accessToken]', DEMO.tokens.acme);
  await page.click('#init');
  await page.waitForFunction(() => document.getElementById('reg-state').textContent === 'registered', null, { timeout: 15000 });
}

describe('examples/basic in two tabs', () => {
  let stack;
  let browser;
  before(async () => {
    requireSdkBuild();
    stack = await startStack({ static: { ...SDK_STATIC, '/example': EXAMPLE } });
    browser = await launchBrowser({ tone: true });
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  test('alice calls bob by clicking; bob answers; audio both ways; alice hangs up', async () => {
    const alice = await browser.newPage(`${stack.apiBaseUrl}/example/`);
    const bob = await browser.newPage(`${stack.apiBaseUrl}/example/`);
    for (const page of [alice, bob]) {
      assert.equal(await page.inputValue('input[name=apiBaseUrl]'), stack.apiBaseUrl, 'the form defaults the API to the page origin');
    }
    await signIn(alice, DEMO.members.alice);
    await signIn(bob, DEMO.members.bob);

    await alice.fill('#number', DEMO.members.bob.extension);
    await alice.click('#dial');
    await bob.getByRole('button', { name: 'Answer' }).click({ timeout: 10000 });
    for (const page of [alice, bob]) {
      await page.waitForFunction(() => /active/.test(document.getElementById('calls').textContent), null, { timeout: 10000 });
    }
    // The page plays remote audio through attachAudio(#remote-audio): it must carry the tone.
    let aliceHears = 0;
    let bobHears = 0;
    for (let i = 0; i < 10 && (aliceHears < 0.01 || bobHears < 0.01); i++) {
      [aliceHears, bobHears] = await Promise.all([remoteEnergy(alice), remoteEnergy(bob)]);
    }
    assert.ok(aliceHears > 0.01, `alice hears bob (RMS ${aliceHears})`);
    assert.ok(bobHears > 0.01, `bob hears alice (RMS ${bobHears})`);

    // DTMF keys go to the active call; the log records no failure.
    await alice.click('#keypad button:text("5")');
    await alice.getByRole('button', { name: 'Hang up' }).click();
    for (const page of [alice, bob]) {
      await page.waitForFunction(() => document.getElementById('calls').textContent.includes('No calls.'), null, { timeout: 10000 });
    }
    const aliceLog = await alice.textContent('#log');
    const bobLog = await bob.textContent('#log');
    assert.match(aliceLog, /sessionEnded .*hangup_local/);
    assert.match(bobLog, /sessionEnded .*hangup_remote/);
    assert.doesNotMatch(aliceLog, /✗/, 'no control failed on alice’s page');

    await alice.click('#destroy');
    await alice.waitForFunction(() => document.getElementById('reg-state').textContent === 'stopped', null, { timeout: 10000 });
    await alice.screenshot({ path: join(REPO_ROOT, 'tests', 'e2e', '.build', 'example-basic.png'), fullPage: true });
  });
});
