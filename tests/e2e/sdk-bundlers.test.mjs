// The npm tarball in the apps people build. One small app (bundler-app/: it imports the package
// by name, inits, calls) is bundled from the installed tarball by each bundler of the root
// devDependencies, with no SDK-specific setting: Vite's dev server (Vite 8, and Vite 7, whose
// dependency pre-bundling leaves `new URL(..., import.meta.url)` pointing into
// node_modules/.vite/deps), `vite build`, webpack 5, and esbuild (ESM, and its default iife)
// plus the one documented copy of engine_bg.wasm. In Chromium, each registers as alice and
// calls JsSIP (bob): answered, audio both ways, hung up. Then it uses the device helpers for
// the first time (devicechange, listDevices(), preflight()): the SDK's lazy chunk devices.js,
// which no bundler may lose. Where the bundler splits (Vite, webpack), no device code was fetched
// for init and the call, and one chunk holding it comes now; esbuild without --splitting has it
// in its one bundle. Without the copy, esbuild's app gets `init_failed` naming the fix, and
// `engineUrl` fixes it.
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { elementEnergy } from './lib/audio.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { BUILD_DIR, E2E_DIR } from './lib/build.mjs';
import { esbuildBuild, packedApp, VITE_BIN, viteBuild, viteDev, webpackBuild } from './lib/bundlers.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { requireSdkBuild, sdkConfig } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const { alice, bob } = DEMO.members;
const WORK = join(BUILD_DIR, 'bundlers');
const OUT = {
  vite: join(WORK, 'app', 'dist-vite'),
  webpack: join(WORK, 'app', 'dist-webpack'),
  esm: join(WORK, 'app', 'dist-esbuild-esm'),
  iife: join(WORK, 'app', 'dist-esbuild-iife'),
  nocopy: join(WORK, 'app', 'dist-esbuild-nocopy'),
};
/** Thresholds of sdk-calls.test.mjs: JsSIP's tone reaches the SDK louder than the SDK's reaches JsSIP. */
const HEARD_BY_APP = 0.05;
const HEARD_BY_FAR = 0.01;

/** RMS of the app's <audio id=remote> (where attachAudio plays the call), measured with WebAudio. */
const remoteEnergy = (page) => elementEnergy(page, 'remote', 15);

describe('the npm tarball under Vite, webpack and esbuild', { timeout: 300_000 }, () => {
  let work;
  let stack;
  let browser;
  let far;

  before(async () => {
    requireSdkBuild();
    work = packedApp(WORK, join(E2E_DIR, 'bundler-app'));
    const { app } = work;
    // Built one after the other: two cores, shared.
    viteBuild(app, { outDir: OUT.vite, base: '/vite-build/' });
    webpackBuild(app, { outDir: OUT.webpack });
    esbuildBuild(app, { outDir: OUT.esm, format: 'esm' });
    esbuildBuild(app, { outDir: OUT.iife, format: null });
    esbuildBuild(app, { outDir: OUT.nocopy, format: 'esm' });
    // The documented line for esbuild, which does not copy what `new URL()` references.
    for (const dir of [OUT.esm, OUT.iife]) copyFileSync(join(work.installed, 'dist', 'engine_bg.wasm'), join(dir, 'engine_bg.wasm'));
    [stack, browser] = await Promise.all([
      startStack({
        static: {
          '/vite-build': OUT.vite,
          '/webpack': OUT.webpack,
          '/esbuild-esm': OUT.esm,
          '/esbuild-iife': OUT.iife,
          '/esbuild-nocopy': OUT.nocopy,
          '/pkg': work.installed,
        },
      }),
      launchBrowser({ tone: true }),
    ]);
    far = await openFarEnd(browser, stack, { name: 'bob (JsSIP)' });
    await far.startWith(await stack.credentials(bob.email));
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /**
   * Opens the app at url; returns { page, wasm: [{ url, status, type }] of every .wasm response,
   * scripts: [{ url, body: Promise<string> }] of every script response }.
   */
  async function openApp(url) {
    const page = await browser.context.newPage();
    const wasm = [];
    const scripts = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname.endsWith('.wasm')) wasm.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] });
      if (r.request().resourceType() === 'script') scripts.push({ url: r.url(), body: r.text().catch(() => '') });
    });
    page.on('pageerror', (e) => process.stderr.write(`[app page error] ${e.message}\n`));
    await page.goto(url);
    // Vite's dev server may reload the page once when it finishes optimizing dependencies.
    await page.waitForFunction(() => window.app && document.getElementById('state').textContent === 'ready', null, { timeout: 30_000 });
    return { page, wasm, scripts };
  }

  /** The URLs of the scripts fetched so far that hold the SDK's device code (devices.js, as bundled). */
  async function deviceCode(scripts) {
    const bodies = await Promise.all(scripts.map((s) => s.body));
    return scripts.filter((s, i) => bodies[i].includes('enumerateDevices')).map((s) => s.url);
  }

  /**
   * Registers the app as alice, calls bob (JsSIP), checks audio both ways, hangs up; then the
   * first use of the device helpers. `split`: the bundler emits the SDK's devices.js as a chunk
   * of its own, fetched only then.
   */
  async function registerAndCall({ page, scripts }, { split }) {
    const started = await page.evaluate((c) => window.app.start(c), sdkConfig(stack, alice, DEMO.tokens.acme));
    assert.deepEqual(started, { ok: true }, `init + registration: ${JSON.stringify(started)}`);
    assert.equal((await stack.contacts(alice.extension)).length, 1, 'Kamailio lists the contact');

    const fromFar = await far.mark();
    const dialled = await page.evaluate((n) => window.app.call(n), bob.extension);
    assert.equal(dialled.ok, true, `call(): ${JSON.stringify(dialled)}`);
    const incoming = await far.waitFor('incoming', { from: fromFar });
    await far.answer(incoming.session);
    await page.waitForFunction((id) => window.app.calls().some((c) => c.id === id && c.state === 'active'), dialled.value, { timeout: 10_000 });

    await far.waitForAudio({ threshold: HEARD_BY_FAR, timeout: 8000, sessionId: incoming.session });
    let heard = 0;
    for (let i = 0; i < 10 && heard <= HEARD_BY_APP; i++) heard = await remoteEnergy(page);
    assert.ok(heard > HEARD_BY_APP, `the app plays bob's audio (RMS ${heard})`);

    const hungUp = await page.evaluate((id) => window.app.hangup(id), dialled.value);
    assert.deepEqual(hungUp, { ok: true });
    await far.waitFor('ended', { from: fromFar, where: { session: incoming.session } });
    await page.waitForFunction(() => window.app.calls().length === 0, null, { timeout: 5000 });
    const before = await deviceCode(scripts);
    const used = await page.evaluate(() => window.app.devices());
    assert.equal(used.ok, true, `devicechange, listDevices(), preflight(): ${JSON.stringify(used)}`);
    const { changed, listed, preflight } = used.value;
    assert.ok(listed.audioinput.length >= 1 && listed.audiooutput.length >= 1, JSON.stringify(listed));
    assert.deepEqual(changed, listed, 'devicechange carried the lists');
    assert.equal(preflight.signalling.reachable, true, JSON.stringify(preflight));
    assert.equal(preflight.microphone.permission, 'granted', JSON.stringify(preflight));
    assert.ok(preflight.ice.host, JSON.stringify(preflight));
    const after = await deviceCode(scripts);
    if (split) {
      assert.deepEqual(before, [], 'no device code fetched for init and a call');
      assert.equal(after.length, 1, `one chunk with the device code, fetched on first use: ${after}`);
    } else {
      assert.equal(before.length, 1, `esbuild without splitting: the device code is in the one bundle: ${before}`);
      assert.deepEqual(after, before, 'nothing more fetched');
    }

    const errors = (await page.evaluate(() => window.app.events())).filter((e) => e.name === 'error');
    assert.deepEqual(errors, [], 'no error event');
    assert.deepEqual(await page.evaluate(() => window.app.destroy()), { ok: true });
    assert.deepEqual(await stack.contacts(alice.extension), [], 'unregistered');
  }

  /** Exactly one wasm response: the engine, served as wasm. */
  function assertOneEngine(wasm) {
    assert.equal(wasm.length, 1, `one wasm download: ${JSON.stringify(wasm)}`);
    assert.equal(wasm[0].status, 200, JSON.stringify(wasm[0]));
    assert.match(wasm[0].type, /^application\/wasm/, JSON.stringify(wasm[0]));
    return wasm[0].url;
  }

  for (const [name, bin] of [['Vite 8', VITE_BIN.vite8], ['Vite 7', VITE_BIN.vite7]]) {
    test(`${name} dev server (dependency pre-bundling on, no config file): registers and calls JsSIP`, async () => {
      const server = await viteDev(work.app, { bin });
      try {
        const app = await openApp(server.url);
        const { page, wasm } = app;
        await registerAndCall(app, { split: true });
        const url = assertOneEngine(wasm);
        // The entry really ran pre-bundled: the wasm came from the package, not from the optimizer's cache.
        assert.equal(new URL(url).pathname, '/node_modules/@klink.cloud/call-sdk/dist/engine_bg.wasm');
        assert.ok(
          await page.evaluate(() => performance.getEntriesByType('resource').some((e) => e.name.includes('/node_modules/.vite/deps/'))),
          'the SDK was served from node_modules/.vite/deps (pre-bundled)',
        );
        await page.close();
      } finally {
        await server.stop();
      }
    });
  }

  test('vite build: registers and calls JsSIP; the wasm is an emitted asset', async () => {
    const app = await openApp(`${stack.apiBaseUrl}/vite-build/`);
    const { page, wasm } = app;
    await registerAndCall(app, { split: true });
    assert.match(new URL(assertOneEngine(wasm)).pathname, /^\/vite-build\/assets\/engine_bg-[\w-]+\.wasm$/);
    await page.close();
  });

  test('webpack 5 (defaults, production): registers and calls JsSIP; the wasm is an emitted asset', async () => {
    const app = await openApp(`${stack.apiBaseUrl}/webpack/`);
    const { page, wasm } = app;
    await registerAndCall(app, { split: true });
    assert.match(new URL(assertOneEngine(wasm)).pathname, /^\/webpack\/[\w-]+\.wasm$/);
    await page.close();
  });

  test('esbuild --format=esm, engine_bg.wasm copied beside the bundle: registers and calls JsSIP', async () => {
    const app = await openApp(`${stack.apiBaseUrl}/esbuild-esm/`);
    const { page, wasm } = app;
    await registerAndCall(app, { split: false });
    assert.equal(new URL(assertOneEngine(wasm)).pathname, '/esbuild-esm/engine_bg.wasm');
    await page.close();
  });

  test('esbuild default format (iife in a classic script, no import.meta.url), wasm copied: registers and calls JsSIP', async () => {
    const app = await openApp(`${stack.apiBaseUrl}/esbuild-iife/`);
    const { page, wasm } = app;
    await registerAndCall(app, { split: false });
    assert.equal(new URL(assertOneEngine(wasm)).pathname, '/esbuild-iife/engine_bg.wasm');
    await page.close();
  });

  test('esbuild without the copy: init_failed names the URL and the fix; engineUrl then loads it', async () => {
    const { page } = await openApp(`${stack.apiBaseUrl}/esbuild-nocopy/`);
    const failed = await page.evaluate((c) => window.app.start(c), sdkConfig(stack, alice, DEMO.tokens.acme));
    assert.equal(failed.ok, false);
    assert.equal(failed.code, 'init_failed');
    assert.equal(failed.isSdkError, true);
    assert.match(failed.message, /\/esbuild-nocopy\/engine_bg\.wasm answered 404/);
    assert.match(failed.message, /config\.engineUrl/);
    assert.deepEqual(await stack.contacts(alice.extension), [], 'nothing registered');
    // A failed load is not cached: the same page, given the wasm's URL, phones.
    const withUrl = sdkConfig(stack, alice, DEMO.tokens.acme, { engineUrl: '/pkg/dist/engine_bg.wasm' });
    const started = await page.evaluate((c) => window.app.start(c), withUrl);
    assert.deepEqual(started, { ok: true }, JSON.stringify(started));
    assert.deepEqual(await page.evaluate(() => window.app.destroy()), { ok: true });
    await page.close();
  });
});
