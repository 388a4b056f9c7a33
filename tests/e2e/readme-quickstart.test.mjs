// The README's npm quick start, run as written. The code block under "### npm (bundled app)" is
// read from README.md at test time, so the docs and this test cannot drift apart, and runs as
// a module in real Chromium against the real stack, with JsSIP (bob, 1002) as the far end.
// Only what must change changes, and nothing is added to the block:
//   - the import specifier '@klink.cloud/call-sdk' resolves to the built package (npm/dist)
//     through the page's import map, as a bundler would resolve it;
//   - the two config values ('agent@example.com', 'kpt_...') become alice's email and token;
//   - the block names no apiBaseUrl, so the SDK asks K-Link's own host: requests to it are
//     answered by the stack's dev gateway (Playwright routing, in place of DNS).
// What the page does is observed from outside the block: a module loaded before it records
// each call() and each WebSocket open, and uncaught errors; the console carries the block's
// own output (its sessionEnded log line, and its catch's console.error).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from './lib/build.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { requireSdkBuild, SDK_STATIC } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const { alice, bob } = DEMO.members;
/** The default apiBaseUrl (npm/src/config.js): the block does not set one. */
const KLINK_API = 'https://apigw.klinkcx.com';

/** The first ```js block after the "### npm (bundled app)" heading of README.md. */
function quickStartBlock(readme) {
  const section = readme.indexOf('\n### npm (bundled app)\n');
  assert.ok(section >= 0, 'README.md has a "### npm (bundled app)" section');
  const match = /\n```js\n([\s\S]*?)\n```\n/.exec(readme.slice(section));
  assert.ok(match, 'the section has a ```js code block');
  return match[1];
}

/** `code` with `literal` replaced by `value` (as a JS string); the literal must occur exactly once. */
function substitute(code, literal, value) {
  const parts = code.split(literal);
  assert.equal(parts.length, 2, `the quick start has ${literal} exactly once`);
  return parts.join(JSON.stringify(value));
}

/** Loaded before the block: records what the block does, without touching it. */
const PROBE = `
import { KlinkCallSdk } from '@klink.cloud/call-sdk';
const probe = (window.quickstart = { calls: [], opens: [], errors: [] });
const call = KlinkCallSdk.prototype.call;
KlinkCallSdk.prototype.call = function (...args) {
  const entry = { number: args[0], at: performance.now(), settled: null };
  probe.calls.push(entry);
  const result = call.apply(this, args);
  result.then(
    (id) => { entry.settled = { ok: true, id, at: performance.now() }; },
    (e) => { entry.settled = { ok: false, code: e && e.code, message: String(e && e.message), at: performance.now() }; },
  );
  return result;
};
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('open', () => probe.opens.push(performance.now()));
  }
};
window.addEventListener('error', (e) => probe.errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => probe.errors.push('unhandled rejection: ' + String(e.reason && e.reason.message || e.reason)));
`;

describe('README quick start, verbatim, against the real stack', { timeout: 120_000 }, () => {
  let stack;
  let browser;
  let far;
  let dir;

  before(async () => {
    requireSdkBuild();
    dir = mkdtempSync(join(tmpdir(), 'klink-quickstart-'));
    [stack, browser] = await Promise.all([
      startStack({ static: { ...SDK_STATIC, '/quickstart': dir } }),
      launchBrowser({ tone: true }),
    ]);
    far = await openFarEnd(browser, stack, { name: 'bob (JsSIP)' });
    await far.startWith(await stack.credentials(bob.email));
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the npm quick start registers, dials 1002 (JsSIP), answers an incoming call and logs both ends', async () => {
    const block = quickStartBlock(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
    assert.match(block, /from '@klink\.cloud\/call-sdk'/, 'the block imports the package by its name');
    assert.match(block, /await sdk\.call\('1002'\)/, 'the block dials 1002, which is bob (JsSIP) on the stack');
    assert.equal(bob.extension, '1002');
    let code = substitute(block, "'agent@example.com'", alice.email);
    code = substitute(code, "'kpt_...'", DEMO.tokens.acme);

    writeFileSync(join(dir, 'quickstart.js'), `${code}\n`);
    writeFileSync(join(dir, 'probe.js'), PROBE);
    writeFileSync(join(dir, 'index.html'), [
      '<!doctype html><meta charset="utf-8"><title>README quick start</title><link rel="icon" href="data:,">',
      '<audio></audio>',
      '<script type="importmap">{ "imports": { "@klink.cloud/call-sdk": "/sdk/index.js" } }</script>',
      '<script type="module" src="probe.js"></script>',
      '<script type="module" src="quickstart.js"></script>',
    ].join('\n'));

    const page = await browser.newPage();
    const consoleLines = [];
    page.on('console', (m) => consoleLines.push({ type: m.type(), text: m.text() }));
    // K-Link's API host, answered by the dev gateway.
    const apiRequests = [];
    await page.route(`${KLINK_API}/**`, async (route) => {
      const url = new URL(route.request().url());
      apiRequests.push(`${route.request().method()} ${url.pathname}`);
      const response = await route.fetch({ url: `${stack.apiBaseUrl}${url.pathname}${url.search}` });
      await route.fulfill({ response });
    });
    const fromFar = await far.mark();
    await page.goto(`${stack.apiBaseUrl}/quickstart/index.html`);

    // The block's call('1002') reaches JsSIP, from alice's extension.
    const incoming = await far.waitFor('incoming', { from: fromFar, timeout: 15000 });
    assert.match(incoming.from, new RegExp(`^sip:${alice.extension}@`));
    assert.deepEqual(apiRequests, ['GET /v1/telephony/webphone/credentials'], 'one credential request, to K-Link\'s host');
    // It was made before the SIP connection was open (init() resolves first), and waited for it.
    const probe = await page.evaluate(() => window.quickstart);
    assert.equal(probe.calls.length, 1, 'the block called once');
    assert.equal(probe.calls[0].number, '1002');
    assert.ok(probe.opens.length >= 1, 'the SDK opened its WebSocket');
    assert.ok(probe.calls[0].at < probe.opens[0],
      `call() ran before the WebSocket was open (call at ${probe.calls[0].at}, open at ${probe.opens[0]})`);

    // bob answers: the call resolves with its id, and audio flows to bob.
    await far.answer(incoming.session);
    await far.waitFor('confirmed', { from: fromFar, where: { session: incoming.session } });
    await page.waitForFunction(() => window.quickstart.calls[0].settled, null, { timeout: 5000 });
    const settled = (await page.evaluate(() => window.quickstart.calls[0].settled));
    assert.equal(settled.ok, true, `call() resolved: ${JSON.stringify(settled)}`);
    assert.ok(settled.at > probe.opens[0], 'call() resolved after the connection opened');
    await far.waitForAudio({ threshold: 0.01, timeout: 8000, sessionId: incoming.session });
    // attachAudio(document.querySelector('audio')) plays the call.
    await page.waitForFunction(() => document.querySelector('audio').srcObject?.getAudioTracks().length > 0, null, { timeout: 5000 });

    // bob hangs up: the block's sessionEnded listener logs "<callId> hangup_remote".
    await far.hangup(incoming.session);
    const ended = `${settled.id} hangup_remote`;
    await waitForConsole(consoleLines, (l) => l.type === 'log' && l.text === ended, `console.log("${ended}")`);

    // bob calls alice: the block's incoming listener answers.
    const fromFar2 = await far.mark();
    const session = await far.call(alice.extension);
    const accepted = await far.waitFor('accepted', { from: fromFar2, timeout: 10000, where: { session } });
    assert.equal(accepted.status, 200, 'answered by sdk.answer(call.id)');
    await far.waitFor('confirmed', { from: fromFar2, where: { session } });
    await far.hangup(session);
    await waitForConsole(consoleLines, (l) => l.type === 'log' && / hangup_remote$/.test(l.text) && l.text !== ended,
      'a second sessionEnded line');

    // Nothing failed: no console.error from the block's catch, no uncaught error.
    assert.deepEqual(consoleLines.filter((l) => l.type === 'error'), [], 'no console.error');
    assert.deepEqual((await page.evaluate(() => window.quickstart.errors)), [], 'no uncaught error');
    await page.close();
  });
});

async function waitForConsole(lines, predicate, what, timeout = 5000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (lines.some(predicate)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`no ${what} on the console within ${timeout} ms; saw: ${JSON.stringify(lines)}`);
}
