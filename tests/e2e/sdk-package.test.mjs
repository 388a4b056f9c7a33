// The package as users get it: `npm pack` of npm/, installed into a fresh directory, then
// loaded from there by ESM import in one page and by a script tag in another. Each lists the
// devices: the ESM page through the lazy chunk dist/devices.js beside its entry, the script tag
// from its one file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from './lib/build.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { openSdkPage, requireSdkBuild, sdkConfig } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const { alice, bob } = DEMO.members;
const PACKAGE = '@klink.cloud/call-sdk';

function npm(args, cwd) {
  return execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
  });
}

describe('the packed npm tarball', { timeout: 120_000 }, () => {
  let work;
  let tarball;
  let installed; // <work>/app/node_modules/@klink.cloud/call-sdk
  let manifest;
  let stack;
  let browser;

  before(async () => {
    requireSdkBuild();
    work = mkdtempSync(join(tmpdir(), 'klink-sdk-pack-'));
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], join(REPO_ROOT, 'npm')));
    tarball = { path: join(work, packed[0].filename), files: packed[0].files.map((f) => f.path) };
    const app = join(work, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true, type: 'module' }));
    npm(['install', tarball.path, '--offline', '--no-package-lock', '--ignore-scripts'], app);
    installed = join(app, 'node_modules', ...PACKAGE.split('/'));
    manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    [stack, browser] = await Promise.all([startStack({ static: { '/pkg': installed } }), launchBrowser()]);
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the tarball holds the built package and nothing else, with zero runtime dependencies', () => {
    for (const f of ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/engine.js', 'dist/engine_bg.wasm', 'dist/devices.js', 'dist/klink-call-sdk.iife.js']) {
      assert.ok(tarball.files.includes(f), `${f} is packed: ${tarball.files.join(', ')}`);
    }
    assert.deepEqual(tarball.files.filter((f) => /^(src|pkg|test)\//.test(f)), [], 'no sources or staging packed');
    assert.equal(manifest.name, PACKAGE);
    assert.deepEqual(manifest.dependencies ?? {}, {}, 'zero runtime dependencies');
    const nodeModules = readdirSync(join(installed, '..', '..'));
    assert.deepEqual(nodeModules.filter((d) => !d.startsWith('.')), ['@klink.cloud'], 'installing it pulled in nothing else');
  });

  test('importing the package in Node (SSR) touches no browser global; init() there rejects init_failed', () => {
    const script = `
      const mod = await import('${PACKAGE}');
      const out = { named: typeof mod.KlinkCallSdk, error: typeof mod.KlinkCallSdkError, same: mod.default === mod.KlinkCallSdk };
      try { await mod.KlinkCallSdk.init({ userEmail: 'a@b.c', accessToken: 'kpt_x' }); out.init = 'resolved'; }
      catch (e) { out.init = e.code; out.isSdkError = e instanceof mod.KlinkCallSdkError; }
      console.log(JSON.stringify(out));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(installed, '..', '..', '..'),
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(out), { named: 'function', error: 'function', same: true, init: 'init_failed', isSdkError: true });
  });

  /** listDevices() works, and the page fetched these device chunks (paths), no other. */
  async function assertDevices(page, chunks) {
    const lists = await page.invoke('listDevices');
    assert.equal(lists.ok, true, JSON.stringify(lists));
    assert.ok(lists.value.audioinput.length >= 1, JSON.stringify(lists.value));
    const fetched = await page.page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
    assert.deepEqual(fetched.filter((p) => p.endsWith('/devices.js')), chunks);
  }

  test('ESM: the entry of the exports map, imported in a page, registers; listDevices() fetches devices.js beside it', async () => {
    const entry = manifest.exports['.'].import ?? manifest.exports['.'].default;
    const page = await openSdkPage(browser, stack, { name: 'esm', esm: `/pkg/${entry.replace(/^\.\//, '')}` });
    assert.equal((await page.info()).via, 'esm');
    await page.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme));
    assert.deepEqual(await page.isRegistered(), { value: true, type: 'boolean' });
    assert.equal((await stack.contacts(alice.extension)).length, 1, 'Kamailio lists the contact');
    await assertDevices(page, ['/pkg/dist/devices.js']);
    assert.equal((await page.destroy()).ok, true);
    assert.deepEqual(await stack.contacts(alice.extension), []);
    await page.close();
  });

  test('script tag: the IIFE build defines window.KlinkCallSdk, loads its wasm from next to it, registers; listDevices() needs no other file', async () => {
    const iife = manifest.exports['./iife'];
    assert.ok(iife, 'the exports map names the script-tag build');
    const page = await openSdkPage(browser, stack, { name: 'iife', iife: `/pkg/${iife.replace(/^\.\//, '')}` });
    const info = await page.info();
    assert.equal(info.via, 'iife');
    assert.ok(info.hasErrorClass, 'window.KlinkCallSdk.KlinkCallSdkError exists');
    await page.initRegistered(sdkConfig(stack, bob, DEMO.tokens.acme));
    assert.equal((await stack.contacts(bob.extension)).length, 1, 'Kamailio lists the contact');
    await assertDevices(page, []);
    // The bad-config path goes through the same build's error class.
    const bad = await page.init({ userEmail: bob.email, accessToken: 'nope', apiBaseUrl: stack.apiBaseUrl });
    assert.equal(bad.code, 'invalid_config');
    assert.equal(bad.isSdkError, true);
    assert.equal((await page.destroy()).ok, true);
    assert.deepEqual(await stack.contacts(bob.extension), []);
    await page.close();
  });
});
