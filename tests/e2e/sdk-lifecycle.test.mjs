// The page's lifecycle: leaving the page (a reload) ends the SDK's calls and unregisters on
// the way out, the tab's RFC 5626 instance id survives reloads so Kamailio keeps one contact,
// two tabs (also one opened from the other, which copies its sessionStorage) register two,
// and a page restored from the back/forward cache registers again.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC, SdkPage, sdkConfig } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const { alice, bob } = DEMO.members;
const KEY = 'klink-call-sdk:instance';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `read()` until `done(value)`; returns the last value (the caller asserts on it). */
async function until(read, done, timeout = 3000) {
  const deadline = Date.now() + timeout;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(50);
    value = await read();
  }
  return value;
}

describe('SDK page lifecycle', { timeout: 180_000 }, () => {
  let stack;
  let browser;
  let sdk;
  let far;
  const config = () => sdkConfig(stack, alice, DEMO.tokens.acme);
  const contacts = () => stack.contacts(alice.extension);

  before(async () => {
    requireSdkBuild();
    [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC }), launchBrowser()]);
    [sdk, far] = await Promise.all([
      openSdkPage(browser, stack, { name: 'alice (SDK)' }),
      openFarEnd(browser, stack, { name: 'bob (JsSIP)' }),
    ]);
    await Promise.all([
      sdk.initRegistered(config()),
      stack.credentials(bob.email).then((c) => far.startWith(c)),
    ]);
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** Reloads the SDK page and waits for the test page to be back (the SDK not initialised). */
  async function reload(page = sdk.page) {
    await page.reload();
    await page.waitForFunction(() => Boolean(window.sdkPage), null, { timeout: 15000 });
  }

  /**
   * Reloads the SDK page while `far` waits for its session to end; returns the far end's
   * `ended` event and the milliseconds from the start of the reload to Node learning of it.
   */
  async function reloadAndWatch(fromFar, session) {
    const started = Date.now();
    const ended = far.waitFor('ended', { from: fromFar, where: { session }, timeout: 5000 }).then((e) => ({
      event: e,
      ms: Date.now() - started,
    }));
    const reloaded = reload();
    const result = await ended;
    await reloaded;
    return result;
  }

  test('reload mid-call: JsSIP receives the BYE within 1 s, and the contact is gone', async () => {
    const fromFar = await far.mark();
    await sdk.must('call', bob.extension);
    const incoming = await far.waitFor('incoming', { from: fromFar });
    await far.answer(incoming.session);
    await far.waitFor('confirmed', { from: fromFar, where: { session: incoming.session } });
    await sdk.waitFor('sessionStarted');

    const { event, ms } = await reloadAndWatch(fromFar, incoming.session);
    assert.equal(event.originator, 'remote');
    assert.equal(event.cause, 'Terminated', 'ended by a BYE');
    assert.ok(ms <= 1000, `JsSIP heard the BYE ${ms} ms after the reload began`);
    // The un-REGISTER went out in the same pagehide.
    assert.deepEqual(await until(contacts, (c) => c.length === 0), [], 'Kamailio dropped the contact');
  });

  test('reload while ringing out: JsSIP gets the CANCEL within 1 s', async () => {
    await sdk.initRegistered(config());
    const fromFar = await far.mark();
    await sdk.must('call', bob.extension);
    const incoming = await far.waitFor('incoming', { from: fromFar });
    const { event, ms } = await reloadAndWatch(fromFar, incoming.session);
    assert.equal(event.originator, 'remote');
    assert.equal(event.cause, 'Canceled');
    assert.ok(ms <= 1000, `JsSIP heard the CANCEL ${ms} ms after the reload began`);
  });

  test('reload while a call rings in: JsSIP gets 480 within 1 s', async () => {
    await sdk.initRegistered(config());
    const fromFar = await far.mark();
    const session = await far.call(alice.extension);
    await sdk.waitFor('incoming');
    const { event, ms } = await reloadAndWatch(fromFar, session);
    assert.equal(event.status, 480, JSON.stringify(event));
    assert.ok(ms <= 1000, `JsSIP heard the 480 ${ms} ms after the reload began`);
  });

  test('reload 3 times: Kamailio lists one contact, always with the tab\'s instance id', async () => {
    await sdk.initRegistered(config());
    const first = await contacts();
    assert.equal(first.length, 1, JSON.stringify(first));
    const instance = first[0].instance;
    assert.match(instance, /urn:uuid:[0-9a-f-]{36}/);
    const stored = await sdk.page.evaluate((k) => sessionStorage.getItem(k), KEY);
    assert.ok(instance.includes(stored), `Kamailio holds the id of sessionStorage: ${instance} / ${stored}`);
    for (let i = 1; i <= 3; i++) {
      await reload();
      await sdk.initRegistered(config());
      const now = await contacts();
      assert.equal(now.length, 1, `after reload ${i}: ${JSON.stringify(now)}`);
      assert.equal(now[0].instance, instance, `after reload ${i}: the same instance id`);
    }
    // The id is in no console line, even though the page logged at the default level.
    assert.ok(!sdk.console.some((m) => m.text.includes(stored)), 'the instance id is not logged');
  });

  test('a reload that skips pagehide (a crash) still replaces the contact instead of adding one', async () => {
    // Kamailio also drops a contact some seconds after its WebSocket died (usrloc
    // handle_lost_tcp, every 10 s): only a run that still sees the stale contact when the new
    // REGISTER arrives proves the replacement, so try until one does.
    let proved = false;
    for (let attempt = 0; attempt < 3 && !proved; attempt++) {
      await reload();
      // Listeners on the window run in the order they were added: this one, added before
      // init(), keeps the SDK's from running, as a renderer crash or a killed tab would.
      await sdk.page.evaluate(() => window.addEventListener('pagehide', (e) => e.stopImmediatePropagation()));
      await sdk.initRegistered(config());
      const before = await contacts();
      assert.equal(before.length, 1, JSON.stringify(before));
      await reload();
      const stale = await contacts();
      await sdk.initRegistered(config());
      const now = await contacts();
      assert.equal(now.length, 1, `one contact after the registration: ${JSON.stringify(now)}`);
      assert.equal(now[0].instance, before[0].instance);
      if (stale.length === 1) {
        assert.notEqual(now[0].address, stale[0].address, 'the new contact replaced the stale one');
        proved = true;
      }
    }
    assert.ok(proved, 'the stale contact was still there when the new REGISTER replaced it');
  });

  test('two tabs register two contacts; a tab opened from another (sessionStorage copied) too', async () => {
    assert.equal((await contacts()).length, 1);
    const second = await openSdkPage(browser, stack, { name: 'alice, second tab' });
    await second.initRegistered(config());
    let now = await contacts();
    assert.equal(now.length, 2, JSON.stringify(now));
    assert.notEqual(now[0].instance, now[1].instance);

    // window.open copies the opener's sessionStorage, instance id included.
    const [popupPage] = await Promise.all([
      browser.context.waitForEvent('page'),
      sdk.page.evaluate((url) => {
        window.open(url);
      }, stack.pageUrl('sdk.html')),
    ]);
    await popupPage.waitForFunction(() => Boolean(window.sdkPage), null, { timeout: 15000 });
    const popup = new SdkPage(popupPage, 'alice, opened tab');
    const opener = await sdk.page.evaluate((k) => sessionStorage.getItem(k), KEY);
    assert.equal(await popupPage.evaluate((k) => sessionStorage.getItem(k), KEY), opener, 'the id was copied');
    await popup.initRegistered(config());
    now = await contacts();
    assert.equal(now.length, 3, JSON.stringify(now));
    assert.equal(new Set(now.map((c) => c.instance)).size, 3, 'three tabs, three instance ids');
    const own = await popupPage.evaluate((k) => sessionStorage.getItem(k), KEY);
    assert.notEqual(own, opener, 'the opened tab took an id of its own');

    for (const page of [second, popup]) {
      const r = await page.destroy();
      assert.equal(r.ok, true, JSON.stringify(r));
      await page.close();
    }
    assert.equal((await until(contacts, (c) => c.length === 1)).length, 1);
    assert.deepEqual(await sdk.eventsOf('pageError'), []);
  });
});

describe('SDK page in the back/forward cache', { timeout: 90_000 }, () => {
  let stack;
  let browser;
  let origin;
  let proxy;

  before(async () => {
    requireSdkBuild();
    [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC }), launchBrowser({ bfcache: true })]);
    // The dev gateway serves every file with Cache-Control: no-store, which keeps a page out
    // of the back/forward cache: the pages come through this relay, without that header.
    proxy = createServer(async (req, res) => {
      const upstream = await fetch(stack.apiBaseUrl + req.url);
      const drop = ['cache-control', 'content-length', 'content-encoding', 'transfer-encoding', 'connection'];
      res.writeHead(upstream.status, Object.fromEntries([...upstream.headers].filter(([k]) => !drop.includes(k))));
      res.end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${proxy.address().port}`;
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
    proxy?.close();
  });

  test('leaving unregisters; coming back from the cache registers again', async () => {
    const page = await browser.newPage(`${origin}/e2e/sdk.html`);
    await page.waitForFunction(() => Boolean(window.sdkPage), null, { timeout: 15000 });
    const sdk = new SdkPage(page, 'alice (SDK)');
    await sdk.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme));
    assert.equal((await stack.contacts(alice.extension)).length, 1);
    const from = await sdk.mark();
    await sdk.page.evaluate(() => {
      window.addEventListener('pageshow', (e) => {
        window.restoredFromCache = e.persisted;
      });
    });

    await sdk.page.goto(`${origin}/e2e/farend.html`);
    assert.deepEqual(await until(() => stack.contacts(alice.extension), (c) => c.length === 0), [],
      'pagehide unregistered');
    // A page restored from the cache fires no load event: wait for the commit, then pageshow
    // (or a fresh document's load, when it was not restored).
    await sdk.page.goBack({ waitUntil: 'commit' });
    await sdk.page.waitForFunction(() => 'restoredFromCache' in window || document.readyState === 'complete');
    const restored = await sdk.page.evaluate(() => window.restoredFromCache === true);
    const reasons = restored ? null : await sdk.page.evaluate(() =>
      JSON.stringify(performance.getEntriesByType('navigation')[0]?.notRestoredReasons ?? null));
    assert.ok(restored, `the page came back from the back/forward cache (not restored because: ${reasons})`);

    // The same document, so its event log goes on: disconnected on the way out, then again
    // connected and registered.
    await sdk.waitFor('registeredChange', { from, where: { 'payload.registered': true }, timeout: 10000 });
    const order = (await sdk.events(from)).filter((e) => e.source === 'sdk').map((e) =>
      e.type === 'registeredChange' ? `registered:${e.payload.registered}` : e.type);
    assert.deepEqual(order, ['disconnected', 'registered:false', 'connected', 'registered:true']);
    assert.equal((await stack.contacts(alice.extension)).length, 1);
    const r = await sdk.destroy();
    assert.equal(r.ok, true);
  });
});
