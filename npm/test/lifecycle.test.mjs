// The page's lifecycle in the JS wrapper (npm/src/lifecycle.js, npm/src/sdk.js): the tab's
// RFC 5626 instance id kept in sessionStorage and claimed with a Web Lock, so a reload keeps
// it and a duplicated tab gets its own; pagehide suspends the engine, a page restored from
// the back/forward cache starts it again, destroy() removes both listeners. Node stands in
// for the browser with an EventTarget, a storage object and a small lock manager. The real
// thing, against Kamailio: tests/e2e/sdk-lifecycle.test.mjs.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { SETTINGS } from '../src/config.js';
import { claimInstance, watchPage } from '../src/lifecycle.js';
import { KlinkCallSdk, setEngineLoader } from '../src/sdk.js';
import { byName } from './lib/stand-in.mjs';

const KEY = 'klink-call-sdk:instance';
const UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** sessionStorage as a page sees it. */
class Storage {
  map = new Map();
  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }
  setItem(k, v) {
    this.map.set(k, String(v));
  }
}

/** navigator.locks, exclusive mode only: a lock is granted when free, queued otherwise. */
class Locks {
  held = new Set();
  waiting = new Map();
  request(name, options, callback) {
    return new Promise((resolve, reject) => {
      const grant = () => {
        this.held.add(name);
        Promise.resolve()
          .then(() => callback({ name, mode: 'exclusive' }))
          .then(resolve, reject)
          .finally(() => this.#release(name));
      };
      if (!this.held.has(name)) {
        this.held.add(name);
        queueMicrotask(grant);
        return;
      }
      const queue = this.waiting.get(name) ?? [];
      this.waiting.set(name, queue);
      queue.push(grant);
      options?.signal?.addEventListener('abort', () => {
        const i = queue.indexOf(grant);
        if (i < 0) return;
        queue.splice(i, 1);
        reject(new DOMException('the request was aborted', 'AbortError'));
      });
    });
  }
  #release(name) {
    this.held.delete(name);
    const next = this.waiting.get(name)?.shift();
    if (next) next();
  }
  /** Another page takes `name` until the returned function is called. */
  holdElsewhere(name) {
    let release;
    const done = new Promise((r) => {
      release = r;
    });
    this.request(name, {}, () => done);
    return release;
  }
}

/** Installs a browser-like global for one test; restored afterwards. */
function install(name, value) {
  const before = Object.getOwnPropertyDescriptor(globalThis, name);
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  return () => {
    if (before) Object.defineProperty(globalThis, name, before);
    else delete globalThis[name];
  };
}

let restore = [];
afterEach(() => {
  for (const r of restore.reverse()) r();
  restore = [];
});

/** A tab: its sessionStorage and the origin's lock manager. */
function tab({ storage = new Storage(), locks = new Locks() } = {}) {
  restore.push(install('sessionStorage', storage));
  restore.push(install('navigator', { locks }));
  return { storage, locks };
}

test('the id is a urn:uuid kept in sessionStorage: a reload gets the same one', async () => {
  const { storage } = tab();
  const first = await claimInstance();
  assert.match(first.id, UUID);
  assert.equal(storage.getItem(KEY), first.id);
  first.release(); // the page went away
  await sleep(0);
  const reloaded = await claimInstance();
  assert.equal(reloaded.id, first.id);
  reloaded.release();
});

test('a duplicated tab (same storage, the id held by a live page) gets a new id and keeps it', async () => {
  const { storage, locks } = tab();
  const original = await claimInstance();
  // The duplicate starts with a copy of the original's sessionStorage.
  const copy = new Storage();
  copy.setItem(KEY, storage.getItem(KEY));
  restore.push(install('sessionStorage', copy));
  const started = Date.now();
  const duplicate = await claimInstance();
  assert.match(duplicate.id, UUID);
  assert.notEqual(duplicate.id, original.id);
  assert.ok(Date.now() - started >= 400, 'it gave the holder the handover time first');
  assert.equal(copy.getItem(KEY), duplicate.id, 'the duplicate keeps its own id across its reloads');
  assert.equal(storage.getItem(KEY), original.id, "the original's storage is untouched");
  assert.ok(locks.held.has(`${KEY}:${duplicate.id}`));
  duplicate.release();
  original.release();
});

test('a holder that lets go within the handover (the page a reload replaces) passes the id on', async () => {
  const { storage, locks } = tab();
  storage.setItem(KEY, 'urn:uuid:0f6e2c4a-8b1d-4e3f-9a7c-5d2b1e0f3a4c');
  const letGo = locks.holdElsewhere(`${KEY}:urn:uuid:0f6e2c4a-8b1d-4e3f-9a7c-5d2b1e0f3a4c`);
  setTimeout(letGo, 100);
  const claimed = await claimInstance();
  assert.equal(claimed.id, 'urn:uuid:0f6e2c4a-8b1d-4e3f-9a7c-5d2b1e0f3a4c');
  claimed.release();
});

test('whatever else is stored is replaced, never passed on', async () => {
  const { storage } = tab();
  for (const junk of ['', 'tab-1', 'urn:uuid:0f6e2c4a-8b1d-4e3f-9a7c-5d2b1e0f3a4c\r\nX: 1', '{"a":1}']) {
    storage.setItem(KEY, junk);
    const claimed = await claimInstance();
    assert.match(claimed.id, UUID, JSON.stringify(junk));
    assert.equal(storage.getItem(KEY), claimed.id);
    claimed.release();
    await sleep(0);
  }
});

test('without sessionStorage (missing, or throwing) each page gets a fresh id; nothing throws', async () => {
  const ids = new Set();
  restore.push(install('navigator', { locks: new Locks() }));
  restore.push(install('sessionStorage', undefined));
  ids.add((await claimInstance()).id);
  restore.push(() => delete globalThis.sessionStorage);
  Object.defineProperty(globalThis, 'sessionStorage', {
    configurable: true,
    get() {
      throw new DOMException('storage is disabled', 'SecurityError');
    },
  });
  ids.add((await claimInstance()).id);
  assert.equal(ids.size, 2);
  for (const id of ids) assert.match(id, UUID);
});

test('without Web Locks (or when they refuse) the stored id is used as is', async () => {
  const storage = new Storage();
  restore.push(install('sessionStorage', storage));
  restore.push(install('navigator', {}));
  const a = await claimInstance();
  const b = await claimInstance();
  assert.equal(a.id, b.id, 'no lock: a duplicated tab would share the id (documented)');
  restore.push(install('navigator', { locks: { request: () => Promise.reject(new DOMException('no', 'SecurityError')) } }));
  assert.equal((await claimInstance()).id, a.id);
  restore.push(install('navigator', { locks: { request: () => { throw new TypeError('no'); } } }));
  assert.equal((await claimInstance()).id, a.id);
});

test('watchPage: pagehide hides, pageshow only from the back/forward cache shows, removal is complete', () => {
  const page = new EventTarget();
  restore.push(install('addEventListener', page.addEventListener.bind(page)));
  restore.push(install('removeEventListener', page.removeEventListener.bind(page)));
  const calls = [];
  const unwatch = watchPage(() => calls.push('hide'), () => calls.push('show'));
  const show = (persisted) => Object.assign(new Event('pageshow'), { persisted });
  page.dispatchEvent(show(false)); // the first load
  page.dispatchEvent(new Event('pagehide'));
  page.dispatchEvent(show(true));
  assert.deepEqual(calls, ['hide', 'show']);
  unwatch();
  page.dispatchEvent(new Event('pagehide'));
  page.dispatchEvent(show(true));
  assert.deepEqual(calls, ['hide', 'show']);
});

// ----- through the wrapper, on a stand-in engine -------------------------------------------

const COMMANDS = ['answer', 'reject', 'hangup', 'hold', 'unhold', 'mute', 'unmute', 'dtmf', 'call', 'start', 'destroy',
  'attachAudio', 'getCalls', 'isRegistered', 'credentials', 'suspend'];

class StandInEngine {
  static created = [];
  static create(settings, credentials, emit) {
    const engine = new StandInEngine(settings, emit);
    StandInEngine.created.push(engine);
    return engine;
  }
  constructor(settings, emit) {
    // The engine's settings array (engineSettings), read back by name.
    this.settings = Object.fromEntries(SETTINGS.map((name, i) => [name, settings[i]]));
    this.emit = emit;
    this.commands = [];
  }
  command(kind) {
    const name = COMMANDS[kind];
    this.commands.push(name);
    if (name === 'destroy') setTimeout(() => this.emit('destroyed'), 5);
    return name === 'getCalls' ? [] : undefined;
  }
  free() {}
}

let api;
let undoGlobals = [];
before(async () => {
  for (const name of ['WebSocket', 'RTCPeerConnection']) {
    if (typeof globalThis[name] !== 'function') undoGlobals.push(install(name, function () {}));
  }
  setEngineLoader(async () => byName(StandInEngine));
  api = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ extension: '1001', sipUri: 'sip:1001@pbx.test', wsServers: ['wss://pbx.test/ws'] }));
  });
  await new Promise((r) => api.listen(0, '127.0.0.1', r));
});

after(async () => {
  for (const undo of undoGlobals) undo();
  await new Promise((r) => {
    api.closeAllConnections();
    api.close(r);
  });
});

const init = () =>
  KlinkCallSdk.init({ userEmail: 'agent@x.test', accessToken: 'kpt_test', apiBaseUrl: `http://127.0.0.1:${api.address().port}` });

test('init() hands the engine the tab id; pagehide suspends it, a cached page coming back starts it, destroy() stops listening', async () => {
  const { storage } = tab();
  const page = new EventTarget();
  restore.push(install('addEventListener', page.addEventListener.bind(page)));
  restore.push(install('removeEventListener', page.removeEventListener.bind(page)));

  const sdk = await init();
  const engine = StandInEngine.created.at(-1);
  assert.match(engine.settings.instanceId, UUID);
  assert.equal(engine.settings.instanceId, storage.getItem(KEY));
  assert.deepEqual(engine.commands, ['start']);

  page.dispatchEvent(new Event('pagehide'));
  assert.deepEqual(engine.commands, ['start', 'suspend'], 'suspended synchronously, inside pagehide');
  page.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
  assert.deepEqual(engine.commands, ['start', 'suspend', 'start']);

  await sdk.destroy();
  page.dispatchEvent(new Event('pagehide'));
  page.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
  assert.deepEqual(engine.commands, ['start', 'suspend', 'start', 'destroy'], 'nothing after destroy()');

  // The next SDK of this tab (sign out, sign in) gets the same id: destroy() let it go.
  const again = await init();
  assert.equal(StandInEngine.created.at(-1).settings.instanceId, engine.settings.instanceId);
  await again.destroy();
});

test('two SDKs alive in one tab at once get two ids', async () => {
  tab();
  const [a, b] = await Promise.all([init(), init()]);
  const [ea, eb] = StandInEngine.created.slice(-2);
  assert.notEqual(ea.settings.instanceId, eb.settings.instanceId);
  await Promise.all([a.destroy(), b.destroy()]);
});
