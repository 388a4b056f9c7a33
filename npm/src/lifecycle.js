// The page's lifecycle: this tab's RFC 5626 instance id, and leaving the page.
//
// A registrar that sees a REGISTER with the `+sip.instance` (and reg-id) of a binding it holds
// replaces that binding instead of adding one. So an agent who reloads the page keeps one
// contact instead of piling them up until the registrar refuses the extension, as long as the
// id survives the reload: it lives in sessionStorage, which is per tab and outlives reloads.
// A tab duplicated from another (or opened by it with window.open) starts with a copy of that
// storage, though, and two live tabs must not share an id (each would replace the other's
// contact). So the id is also claimed with a Web Lock named after it: the browser drops a
// lock when the page holding it goes away, so a lock still held means another live page uses
// the id, and this page takes a new one (and keeps that one across its own reloads).
// Without sessionStorage (storage disabled, a sandboxed frame) the id lasts as long as the
// page; without Web Locks a duplicated tab shares the id of the tab it came from.

const KEY = 'klink-call-sdk:instance';
const UUID = /^urn:uuid:[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/;
/**
 * How long a lock's holder may take to let go. On a reload the page that held it is being
 * torn down while this one starts; anything holding it longer is alive. Only a duplicated tab
 * waits this long, while the engine and the credentials load.
 */
const HANDOVER_MS = 500;

/** `urn:uuid:` and a random (version 4) UUID. */
function newId() {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Runs `fn` on sessionStorage; `undefined` where storage is missing or refused (it may throw). */
function session(fn) {
  try {
    const store = globalThis.sessionStorage;
    return store ? fn(store) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Holds a Web Lock named after `id`. Resolves the function that releases it, or null when
 * another page keeps it past HANDOVER_MS. Where Web Locks are missing or refused, resolves a
 * function that does nothing: the id is used unguarded.
 */
function hold(id) {
  const locks = globalThis.navigator?.locks;
  if (!locks || typeof locks.request !== 'function') return Promise.resolve(() => {});
  return new Promise((resolve) => {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), HANDOVER_MS);
    let release;
    const held = new Promise((r) => {
      release = r;
    });
    const granted = () => {
      clearTimeout(timer);
      resolve(() => release());
      return held; // the lock lasts until this settles
    };
    let pending;
    try {
      pending = locks.request(`${KEY}:${id}`, { signal: abort.signal }, granted);
    } catch {
      pending = Promise.reject(new Error('refused'));
    }
    pending.catch((err) => {
      clearTimeout(timer);
      resolve(err && err.name === 'AbortError' ? null : () => {});
    });
  });
}

/**
 * This tab's instance id, claimed: the one in sessionStorage when no other live page holds it
 * (a reload), else a new one, stored for the next reload. Never rejects.
 * @returns {Promise<{ id: string, release: () => void }>} `release()` frees the id for the
 *   next SDK of this tab (after `destroy()`).
 */
export async function claimInstance() {
  const stored = session((s) => s.getItem(KEY));
  if (UUID.test(stored ?? '')) {
    const release = await hold(stored);
    if (release) return { id: stored, release };
  }
  const id = newId();
  session((s) => s.setItem(KEY, id));
  return { id, release: (await hold(id)) ?? (() => {}) };
}

/**
 * Calls `hide()` on `pagehide` (the page unloads, or goes into the back/forward cache) and
 * `show()` on a `pageshow` that restores it from that cache. Returns the function that removes
 * both listeners. Outside a page it does nothing.
 */
export function watchPage(hide, show) {
  const g = globalThis;
  if (typeof g.addEventListener !== 'function') return () => {};
  const onHide = () => hide();
  const onShow = (e) => {
    if (e.persisted) show();
  };
  g.addEventListener('pagehide', onHide);
  g.addEventListener('pageshow', onShow);
  return () => {
    g.removeEventListener('pagehide', onHide);
    g.removeEventListener('pageshow', onShow);
  };
}
