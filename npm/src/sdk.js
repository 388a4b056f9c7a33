// The public API of @klink.cloud/call-sdk: a thin wrapper over the wasm engine.
// Nothing here runs at import time but declarations: importing is safe during SSR and in Node.
import { engineSettings, parseConfig } from './config.js';
import { fetchCredentials, refresher } from './credentials.js';
import { KlinkCallSdkError } from './error.js';
import { callObject, event, statsObject } from './events.js';
import { claimInstance, watchPage } from './lifecycle.js';

export { KlinkCallSdkError };

/** Every event a listener can subscribe to: the eleven K-Link events, then the extensions. */
const EVENTS = [
  'ready',
  'incoming',
  'sessionStarted',
  'sessionEnded',
  'remoteStream',
  'connected',
  'disconnected',
  'registeredChange',
  'registrationFailed',
  'error',
  'destroyed',
  'callUpdated',
  'dtmf',
  'devicechange',
  'transferAccepted',
  'transferFailed',
  'transferRequested',
  'holdFailed',
  'stats',
  'qualityWarning',
  'qualityWarningCleared',
  'message',
];

/**
 * The engine's commands: `Engine.command` takes a command's position in this list. `mod command`
 * of crates/call-sdk/src/engine.rs numbers them the same way; npm/test/commands.test.mjs fails
 * when the two differ.
 */
const COMMANDS = [
  'answer', 'reject', 'hangup', 'hold', 'unhold', 'mute', 'unmute', 'dtmf', 'call', 'start', 'destroy', 'attachAudio',
  'getCalls', 'isRegistered', 'credentials', 'suspend', 'setInputDevice', 'transfer', 'transferReplacing',
  'acceptTransfer', 'rejectTransfer', 'ping', 'iceServers', 'getStats', 'sendMessage',
];

/**
 * Runs an engine command; `id` is the call's id (the target for `call`), `arg` the DTMF tones,
 * the element of `attachAudio` or the credential response of `credentials`.
 */
const run = (engine, name, id = '', arg) => engine.command(COMMANDS.indexOf(name), id, arg);

/**
 * Turns whatever the engine threw into a KlinkCallSdkError. The engine throws `{ code, message }`
 * with a code of its `ErrorCode`, each a documented code (npm/test/error-codes.test.mjs); what
 * browsers throw has a number for `code` (DOMException) or none, and gets `fallbackCode`.
 */
function toError(err, fallbackCode) {
  if (err instanceof KlinkCallSdkError) return err;
  if (err && typeof err === 'object' && typeof err.code === 'string') {
    return new KlinkCallSdkError(err.code, String(err.message));
  }
  const message = err && err.message ? err.message : String(err);
  return new KlinkCallSdkError(fallbackCode, message);
}

// How the engine module is found differs between the ESM entry (import.meta.url) and the
// script-tag build (document.currentScript): each entry installs its loader.
let engineLoader = null;
let enginePromise = null;

/**
 * @internal Set by the entry module: `loader(engineUrl)` resolves to the wasm-bindgen `Engine`
 * class; `engineUrl` is config.engineUrl, or undefined for the entry's own default.
 */
export function setEngineLoader(loader) {
  engineLoader = loader;
}

/**
 * @internal The engine's wasm response, for the glue. A bundler or server that did not ship the
 * file answers 404, or an SPA's index.html with 200: either is refused here with the fix,
 * instead of the glue's "expected magic word" later.
 */
export function fetchWasm(url) {
  const wasm = fetch(url).then((res) => {
    const type = res.headers.get('content-type') || '';
    if (!res.ok || type.includes('html')) {
      throw new Error(`${url} answered ${res.status} ${type}, not engine_bg.wasm: serve it there or set config.engineUrl (README: Bundlers)`);
    }
    return res;
  });
  wasm.catch(() => {}); // reported by the glue when it awaits it, not as unhandled
  return wasm;
}

/** The engine class, loaded once; `engineUrl` counts on the load that succeeds. */
function loadEngine(engineUrl) {
  if (!enginePromise) {
    enginePromise = Promise.resolve()
      .then(() => engineLoader(engineUrl))
      .catch((err) => {
        enginePromise = null; // a later init() may try again (e.g. after a network blip)
        throw new KlinkCallSdkError(
          'init_failed',
          'could not load the call engine: ' + (err && err.message ? err.message : String(err)),
        );
      });
  }
  return enginePromise;
}

/**
 * The device helpers and preflight (devices.js), loaded on first use through the entry's
 * loader: the ESM build ships them as a chunk of their own, off the path to a call; the
 * script-tag build has them bundled in. A failed load is not kept: the next use tries again.
 */
let devicesLoader = null;
let extras = null;

/** @internal Set by the entry module: `loader()` resolves to the devices.js module. */
export function setDevicesLoader(loader) {
  devicesLoader = loader;
}

function devicesModule() {
  extras ??= Promise.resolve()
    .then(() => devicesLoader())
    .then((m) => m.default(KlinkCallSdkError, toError))
    .catch((err) => {
      extras = null;
      throw new KlinkCallSdkError('network_error', `could not load the SDK's devices.js: ${err?.message ?? err}`);
    });
  return extras;
}

function missingBrowserApi() {
  const g = globalThis;
  if (typeof g.WebSocket !== 'function') return 'WebSocket';
  if (typeof g.RTCPeerConnection !== 'function') return 'RTCPeerConnection';
  if (typeof g.fetch !== 'function') return 'fetch';
  if (typeof g.WebAssembly !== 'object') return 'WebAssembly';
  return null;
}

function report(err) {
  // A listener's exception must not break the engine, nor vanish.
  if (typeof globalThis.reportError === 'function') globalThis.reportError(err);
  else setTimeout(() => { throw err; }, 0);
}

const INTERNAL = Symbol('KlinkCallSdk.internal');

/** A headless phone: one registered extension, its calls, and their audio. */
export class KlinkCallSdk {
  #engine;
  #listeners = new Map();
  #destroyed = false;
  #destroying = null;
  #resolveDestroyed = null;
  #stopRefresh = () => {};
  /** Delivers the events queued during init(); later calls do nothing. */
  #release = () => {};
  /** Removes the page listeners and frees this tab's instance id (lifecycle.js). */
  #unwatch = () => {};
  /** Whether the SIP WebSocket is open: set by the engine's events as it emits them. */
  #up = false;
  /** How long `call()` waits for the connection (config `connectionWaitMs`). */
  #waitMs = 0;
  /** Config `incomingTransfer`: whether a peer's REFER nobody answered is accepted. */
  #acceptTransfers = true;
  /** The wake-ups of commands waiting for the connection: `wake()` to look again, `wake(err)` to fail. */
  #waiting = new Set();
  /** getUserMedia's `audio` for new calls (config `audioConstraints`, then `setInputDevice`). */
  #audio = true;
  /** The element of `attachAudio`, and the output device chosen for it. */
  #element = null;
  #sink = null;
  /** preflight()s and sendMessage()s waiting for the engine's `pong` (a message's has its id). */
  #pongs = new Set();
  /** The id of the last sendMessage(). */
  #sent = 0;

  /** @private Use `KlinkCallSdk.init(config)`. */
  constructor(token, engine) {
    if (token !== INTERNAL) {
      throw new TypeError('KlinkCallSdk cannot be constructed directly: use await KlinkCallSdk.init(config)');
    }
    this.#engine = engine;
  }

  /**
   * Checks the config (a bad one rejects with `invalid_config` before the engine is loaded),
   * fetches the member's SIP credentials with the access token (again before they expire)
   * and starts connecting; after
   * the promise resolves, emits `ready`, then `connected` and `registeredChange` as the
   * registration completes.
   * @param {object} config
   * @returns {Promise<KlinkCallSdk>}
   */
  static async init(config) {
    const settings = parseConfig(config);
    const missing = missingBrowserApi();
    if (missing) {
      throw new KlinkCallSdkError(
        'init_failed',
        `KlinkCallSdk needs a browser: ${missing} is not available here (server-side rendering or Node?). Call init() in the page.`,
      );
    }
    // The engine and the credentials load in parallel (init() costs the slower of the two, not
    // their sum); a failure to load the engine is still reported first.
    const credentials = fetchCredentials(settings);
    credentials.catch(() => {});
    const Engine = await loadEngine(settings.engineUrl);
    // This tab's RFC 5626 instance id, the same across reloads (lifecycle.js), claimed while
    // the credentials are on their way.
    const { id, release } = await claimInstance();
    settings.instanceId = id;
    let sdk = null;
    let engine;
    // Events wait here until the caller, resumed by init()'s promise, has had its turn to
    // subscribe; the connection itself starts at once (opening a socket takes a round trip).
    let early = [];
    const emit = (name, payload) => {
      // The link state is the engine's now, not the listeners' (who may still be queued).
      if (name === 'connected' || name === 'disconnected') sdk?.#link(name === 'connected');
      // The answer to preflight()'s OPTIONS or a sendMessage(), for their waiters only.
      if (name === 'pong') return sdk?.#pongs.forEach((wake) => wake(payload));
      if (early) early.push([name, payload]);
      else sdk.#dispatch(name, payload);
    };
    const fresh = refresher(settings, (body) => run(engine, 'credentials', '', body), (payload) => emit('error', payload));
    try {
      // The response goes straight to the engine, which keeps the password: nothing here holds it.
      engine = Engine.create(engineSettings(settings), await credentials, (kind, values) => emit(...event(kind, values)), fresh.refresh);
    } catch (err) {
      release();
      throw toError(err, 'init_failed');
    }
    sdk = new KlinkCallSdk(INTERNAL, engine);
    sdk.#stopRefresh = fresh.stop;
    sdk.#waitMs = settings.connectionWaitMs;
    sdk.#acceptTransfers = settings.incomingTransfer === 'accept';
    try {
      run(engine, 'start');
    } catch (err) {
      early.push(['error', { scope: 'transport', detail: toError(err, 'init_failed').message }]);
    }
    // Leaving the page ends the calls and unregisters at once, synchronously: no timer or
    // answer comes after pagehide. A page restored from the back/forward cache connects again.
    const quietly = (name) => () => {
      try {
        run(engine, name);
      } catch {
        // best effort: the page is going, or the engine is already shutting down
      }
    };
    const unwatch = watchPage(quietly('suspend'), quietly('start'));
    sdk.#audio = settings.audioConstraints;
    // A device plugged in or out: the new lists for the `devicechange` listeners, unless the
    // SDK is gone by the time they come. Subscribing loaded devices.js (#subscribe).
    const md = globalThis.navigator?.mediaDevices;
    const onDevices = () =>
      sdk.#listeners.get('devicechange')?.size &&
      devicesModule()
        .then((d) => d.devices())
        .then((lists) => sdk.#engine && sdk.#dispatch('devicechange', lists), report);
    md?.addEventListener?.('devicechange', onDevices);
    sdk.#unwatch = () => {
      unwatch();
      md?.removeEventListener?.('devicechange', onDevices);
      release();
    };
    sdk.#release = () => {
      const queued = early;
      if (!queued) return;
      early = null;
      if (!sdk.#destroyed && !sdk.#destroying) sdk.#dispatch('ready', undefined);
      for (const [name, payload] of queued) sdk.#dispatch(name, payload);
    };
    setTimeout(sdk.#release, 0);
    return sdk;
  }

  /**
   * Subscribes to an event.
   * @param {string} event
   * @param {Function} listener
   * @returns {() => void} a function that unsubscribes
   */
  on(event, listener) {
    return this.#subscribe(event, listener, false);
  }

  /** Subscribes for the next occurrence only; returns an unsubscribe function. */
  once(event, listener) {
    return this.#subscribe(event, listener, true);
  }

  /** Removes a listener added with `on` or `once` (each of its subscriptions to that event). */
  off(event, listener) {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const entry of set) if (entry.listener === listener) set.delete(entry);
  }

  #subscribe(event, listener, once) {
    if (!EVENTS.includes(event)) {
      throw new KlinkCallSdkError('invalid_argument', `unknown event "${event}"; events are: ${EVENTS.join(', ')}`);
    }
    if (typeof listener !== 'function') {
      throw new KlinkCallSdkError('invalid_argument', `the listener of "${event}" must be a function`);
    }
    // Loaded now rather than when a device comes or goes (say a dock, which may take the
    // network with it); that event tries again if this load failed.
    if (event === 'devicechange') devicesModule().catch(() => {});
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    // One entry per subscription, so the same function may be subscribed twice.
    const entry = { listener, once };
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  #dispatch(name, payload) {
    if (name === 'destroyed') this.#finishDestroy();
    const set = this.#listeners.get(name);
    if (set) {
      for (const entry of [...set]) {
        if (!set.has(entry)) continue; // unsubscribed by an earlier listener
        if (entry.once) set.delete(entry);
        try {
          entry.listener(payload);
        } catch (err) {
          report(err);
        }
      }
    }
    if (name === 'destroyed') this.#listeners.clear();
    // Policy 'accept': a transfer no listener answered is accepted (a new call to the target).
    if (name === 'transferRequested' && this.#acceptTransfers && this.#engine) {
      try {
        run(this.#engine, 'acceptTransfer', payload.callId);
      } catch {
        // answered by a listener already, or the call ended meanwhile
      }
    }
  }

  #finishDestroy() {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#stopRefresh();
    this.#unwatch();
    this.#wake(this.#gone());
    this.#pongs.forEach((wake) => wake());
    const engine = this.#engine;
    this.#engine = null;
    if (this.#resolveDestroyed) this.#resolveDestroyed();
    // Freed after the current engine call has returned.
    setTimeout(() => engine && engine.free(), 0);
  }

  #gone() {
    return new KlinkCallSdkError('invalid_state', 'this KlinkCallSdk was destroyed; call KlinkCallSdk.init() again');
  }

  #use() {
    if (this.#destroyed || this.#destroying || !this.#engine) throw this.#gone();
    return this.#engine;
  }

  /** The engine connected or lost its connection: commands waiting for it may go. */
  #link(up) {
    this.#up = up;
    if (up) this.#wake();
  }

  /** Wakes every waiting command: to look again, or to fail with `err`. */
  #wake(err) {
    for (const wake of [...this.#waiting]) wake(err);
  }

  /**
   * Resolves once the SIP WebSocket is open, at once when it is. The engine opens it right
   * after init() and again after every drop, so a command made meanwhile waits for it rather
   * than failing; past `connectionWaitMs` it rejects with `network_error`, and `destroy()`
   * rejects it with `invalid_state`.
   */
  async #connection(waitMs = this.#waitMs) {
    const deadline = Date.now() + waitMs;
    // A wake-up is a chance, not a promise: the link may have dropped again before this runs.
    while (!this.#up) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new KlinkCallSdkError(
          'network_error',
          `no SIP connection within connectionWaitMs (${waitMs} ms): see the "transport" error events`,
        );
      }
      await new Promise((resolve, reject) => {
        const wake = (err) => {
          clearTimeout(timer);
          this.#waiting.delete(wake);
          if (err) reject(err);
          else resolve();
        };
        const timer = setTimeout(wake, left);
        this.#waiting.add(wake);
      });
    }
  }

  /**
   * Runs a command on a call: `tones` for `dtmf` (after `prefix`, its duration and gap), the
   * status for `reject`, the direction for `mute` and `unmute`.
   */
  async #control(name, callId, tones, prefix = '') {
    const engine = this.#use();
    if (typeof callId !== 'string' || callId === '') {
      throw new KlinkCallSdkError('invalid_argument', `${name}(callId) needs the call's id (a string)`);
    }
    if (name === 'dtmf') {
      if (typeof tones === 'number') tones = String(tones);
      if (typeof tones !== 'string' || tones === '') {
        throw new KlinkCallSdkError('invalid_argument', 'dtmf(callId, tones) needs tones such as "123#"');
      }
    }
    try {
      return run(engine, name, callId, name === 'dtmf' ? prefix + tones : tones);
    } catch (err) {
      throw toError(err, 'invalid_state');
    }
  }

  /**
   * Calls a number (or a `sip:` URI). Before the SIP WebSocket is open (right after `init()`,
   * or while reconnecting) it waits for it, at most `connectionWaitMs`.
   * @param {string} number
   * @returns {Promise<string>} the new call's id
   */
  call(number, options) {
    const { headers, displayName = '' } = options || {};
    // The engine reads the display name, then a `Name:value` line per header, LF between: a
    // line break inside one goes as CR, which the engine refuses (invalid_argument) with the
    // rest of what it may not send.
    return this.#dial('call', number, [displayName, ...Object.entries(headers || {}).map((h) => h.join(':'))]
      .map((line) => `${line}`.replace(/\n/g, '\r')).join('\n'));
  }

  /**
   * Sends `text` (1 to 8192 bytes as UTF-8) to `target` (a number or `sip:` URI, as for
   * `call()`) in a SIP MESSAGE, waiting first for the connection as `call()` does. Resolves
   * when the target accepted it (2xx); rejects with `message_failed` and the SIP `status`
   * when it was refused, or unanswered (408). The engine checks `text` (`invalid_argument`).
   * @param {string} target
   * @param {string} text
   */
  async sendMessage(target, text) {
    // The message's id goes first, as one character: its outcome is the `pong` naming it.
    // Text that is not a string goes as none, which the engine refuses (invalid_argument).
    const id = this.#sent = (this.#sent % 5e4) + 1;
    await this.#dial('sendMessage', target, String.fromCharCode(id) + (typeof text == 'string' ? text : ''));
    const status = await new Promise((resolve) => {
      const wake = (pong) => (!pong || pong.id === id) && resolve(pong?.status, this.#pongs.delete(wake));
      this.#pongs.add(wake);
    });
    if (!(status < 300)) {
      throw status ? Object.assign(new KlinkCallSdkError('message_failed', `the MESSAGE was refused: SIP ${status}`), { status }) : this.#gone();
    }
  }

  /** `call`, or `sendMessage` with `arg`, to `target` once connected: the engine's id. */
  async #dial(name, target, arg) {
    this.#use();
    if (typeof target === 'number') target = String(target);
    if (typeof target !== 'string' || target.trim() === '') {
      throw new KlinkCallSdkError('invalid_argument', `${name}() needs a number or a sip: URI`);
    }
    await this.#connection();
    try {
      return run(this.#use(), name, target.trim(), arg);
    } catch (err) {
      throw toError(err, 'invalid_state');
    }
  }

  /** Answers an incoming call. */
  answer(callId) { return this.#control('answer', callId); }
  /**
   * Rejects an incoming call: `code` 486 Busy Here (default), 603 Decline or 480 Temporarily
   * Unavailable.
   */
  reject(callId, options) {
    const code = options?.code ?? 486;
    if (code !== 486 && code !== 603 && code !== 480) {
      return Promise.reject(new KlinkCallSdkError('invalid_argument', 'reject(callId, { code }): code must be 486, 603 or 480'));
    }
    return this.#control('reject', callId, String(code));
  }
  /** Ends a call: cancels it while ringing, hangs it up once answered. */
  hangup(callId) { return this.#control('hangup', callId); }
  /**
   * Puts a call on hold: resolves when the peer accepted (the `callUpdated` with `held`
   * arrived), rejects with `hold_failed` when it refused (`holdFailed` says why; the call
   * stays as it was).
   */
  hold(callId) { return this.#hold('hold', callId); }
  /** Resumes a held call; settles as `hold()` does. */
  unhold(callId) { return this.#hold('unhold', callId); }

  async #hold(name, callId) {
    const wanted = name === 'hold';
    await this.#control(name, callId);
    // Already as wanted: nothing was sent.
    if (this.getCalls().find((c) => c.id === callId)?.held === wanted) return;
    return this.#outcome(callId, {
      callUpdated: (p, resolve) => p.call.held === wanted && resolve(),
      holdFailed: (p, resolve, reject) => reject(new KlinkCallSdkError('hold_failed', p.reason)),
      sessionEnded: (p, resolve, reject) => reject(new KlinkCallSdkError('invalid_state', `the call ended (${p.cause}) before the peer answered`)),
    });
  }
  /**
   * Mutes a call: `direction` 'out' (default: our microphone, the peer hears silence), 'in'
   * (the remote audio, here only) or 'all'.
   */
  mute(callId, options) { return this.#mute('mute', callId, options); }
  /** Unmutes what `mute` silenced, in the same `direction` ('out' by default). */
  unmute(callId, options) { return this.#mute('unmute', callId, options); }

  #mute(name, callId, options) {
    const direction = options?.direction ?? 'out';
    if (direction !== 'out' && direction !== 'in' && direction !== 'all') {
      return Promise.reject(new KlinkCallSdkError('invalid_argument', `${name}(callId, { direction }): direction must be 'out', 'in' or 'all'`));
    }
    return this.#control(name, callId, direction);
  }

  /**
   * Sends DTMF tones: `0-9 * # A-D`, and `,` for a pause; each tone lasts `duration` ms
   * (40 to 6000, default 100) with `gap` ms of silence after it (30 to 6000, default 70).
   * @param {string} callId
   * @param {string} tones
   * @param {{ duration?: number, gap?: number }} [options]
   */
  dtmf(callId, tones, options) {
    const duration = options?.duration ?? 100;
    const gap = options?.gap ?? 70;
    if (!Number.isInteger(duration) || duration < 40 || duration > 6000 || !Number.isInteger(gap) || gap < 30 || gap > 6000) {
      return Promise.reject(new KlinkCallSdkError('invalid_argument', 'dtmf(callId, tones, { duration, gap }): duration must be 40 to 6000 ms, gap 30 to 6000 ms (whole numbers)'));
    }
    // The engine reads the two numbers as the code points of two characters.
    return this.#control('dtmf', callId, tones, String.fromCharCode(duration, gap));
  }

  /**
   * Transfers an answered call: blind to `target` (a number or `sip:` URI, as for `call()`),
   * or attended with `{ replaces: otherCallId }` (the peer of `callId` calls the peer of our
   * answered call `otherCallId`, replacing it). The call is not put on hold first. Resolves
   * when the peer accepted the REFER (`transferAccepted`); rejects with `transfer_failed`
   * when it refused it or did not answer. Later, the call ends with cause `transferred`, or
   * `transferFailed` says why not and the call stays as it was.
   * @param {string} callId
   * @param {string | { replaces: string }} target
   */
  async transfer(callId, target) {
    // The engine checks the target (a number or URI; the other call's id with `replaces`).
    const other = target?.replaces;
    await this.#control(other ? 'transferReplacing' : 'transfer', callId, other || (typeof target === 'number' ? String(target) : target));
    // The peer's answer comes in a later frame: listening now misses nothing.
    return this.#outcome(callId, {
      transferAccepted: (p, resolve) => resolve(),
      transferFailed: (p, resolve, reject) => reject(new KlinkCallSdkError('transfer_failed', `the peer refused the transfer: ${p.status ?? ''} ${p.reason}`)),
      sessionEnded: (p, resolve, reject) => reject(new KlinkCallSdkError('invalid_state', `the call ended (${p.cause}) before the peer took the transfer`)),
    });
  }

  /**
   * Settles with the first of `outcomes` (event name → `(payload, resolve, reject)`, which
   * returns `false` when the event decides nothing) about `callId`, then stops listening.
   */
  #outcome(callId, outcomes) {
    return new Promise((resolve, reject) => {
      const offs = Object.entries(outcomes).map(([name, settle]) => this.on(name, (p) => {
        if ((p.callId ?? p.call?.id) === callId && settle(p, resolve, reject) !== false) {
          offs.forEach((off) => off());
        }
      }));
    });
  }

  /**
   * Accepts the peer's transfer request (`transferRequested`, config `incomingTransfer: 'ask'`):
   * resolves with the id of the new call to the target. The call ends `transferred` once
   * the new one is answered.
   * @returns {Promise<string>}
   */
  acceptTransfer(callId) { return this.#control('acceptTransfer', callId); }
  /** Declines the peer's transfer request (603); the call goes on. */
  rejectTransfer(callId) { return this.#control('rejectTransfer', callId); }

  /**
   * Reads a call's statistics now: RTT, jitter, loss, MOS, audio levels, bytes, codec and the
   * selected ICE candidate pair's types. Rejects with `invalid_state` before the call has media.
   * @param {string} callId
   */
  async getStats(callId) {
    const stats = await new Promise((resolve, reject) => {
      this.#control('getStats', callId, (values) => resolve(values && statsObject(values))).catch(reject);
    });
    if (!stats) throw new KlinkCallSdkError('invalid_state', `the statistics of call ${callId} could not be read: the call ended`);
    return stats;
  }

  /**
   * Plays every call's remote audio in this element (`<audio>` or `<video>`); `null` detaches.
   * @param {HTMLMediaElement | null} element
   */
  attachAudio(element) {
    const engine = this.#use();
    try {
      run(engine, 'attachAudio', '', element ?? null);
    } catch (err) {
      throw toError(err, 'invalid_argument');
    }
    this.#element = element ?? null;
    const sink = this.#sink;
    // A sink was set by setOutputDevice(), so devices.js is loaded.
    if (element && sink !== null) {
      element.setSinkId?.(sink).catch((err) => devicesModule().then((d) => this.#dispatch('error', { scope: 'audio', detail: d.deviceError(err, sink).message })));
    }
  }

  /**
   * The audio inputs and outputs (`navigator.mediaDevices.enumerateDevices`).
   * @returns {Promise<{audioinput: object[], audiooutput: object[]}>}
   */
  async listDevices() {
    this.#use();
    return (await devicesModule()).devices();
  }

  /**
   * Uses this microphone (`''`: the default one) for new calls, and at once on the calls in
   * progress: their new track keeps the call's mute and hold, their old track is stopped.
   * A device that cannot be opened rejects (`invalid_argument` for an unknown id) and
   * changes nothing.
   * @param {string} id
   */
  async setInputDevice(id) {
    this.#use();
    // devices.js opens the device, then hands its track to the engine here.
    await (await devicesModule()).input(id, this.#audio, (audio, track) => {
      const swaps = run(this.#use(), 'setInputDevice', '', { audio, track });
      this.#audio = audio;
      return swaps;
    });
  }

  /**
   * Plays call audio on this output device (`''`: the default one): `setSinkId` on the
   * `attachAudio` element, now and on elements attached later.
   * @param {string} id
   */
  async setOutputDevice(id) {
    this.#use();
    await (await devicesModule()).output(id, this.#element);
    this.#sink = id;
  }

  /**
   * Checks what a call needs, before or during calls: the microphone (permission, level
   * over 1 s), the signalling server (an OPTIONS round trip), ICE (the candidate kinds the
   * configured servers give). Resolves with a verdict and the measurements (docs/js-api.md).
   * @param {{ timeoutMs?: number }} [options] bounds the signalling and ICE checks (3000)
   */
  async preflight(options) {
    this.#use();
    const d = await devicesModule();
    return d.preflight(options, {
      audio: this.#audio,
      iceServers: run(this.#use(), 'iceServers'),
      connection: (ms) => this.#connection(ms),
      ping: () => run(this.#use(), 'ping'),
      pongs: this.#pongs,
    });
  }

  /**
   * Plays the attached element's audio after the browser's autoplay policy refused it
   * (`error` with code `autoplay_blocked`): call it from a user gesture (a click).
   */
  async resumeAudio() {
    this.#use();
    const el = this.#element;
    if (!el || !el.srcObject || !el.paused) return;
    try {
      await el.play();
    } catch (err) {
      throw new KlinkCallSdkError(err?.name === 'NotAllowedError' ? 'autoplay_blocked' : 'invalid_state', `play(): ${err?.name}: call resumeAudio() from a user gesture`);
    }
  }

  /** Snapshots of the calls in progress. */
  getCalls() {
    if (this.#destroyed || !this.#engine) return [];
    return run(this.#engine, 'getCalls').map(callObject);
  }

  /** Whether the extension is registered right now. */
  get isRegistered() {
    return !this.#destroyed && !!this.#engine && run(this.#engine, 'isRegistered');
  }

  /**
   * Unregisters, ends every call, closes the connection, emits `destroyed` and frees the
   * engine. Resolves once `destroyed` has been emitted. Calling it again returns the same promise.
   */
  destroy() {
    if (this.#destroying) return this.#destroying;
    if (this.#destroyed) return Promise.resolve();
    this.#destroying = new Promise((resolve) => {
      this.#resolveDestroyed = resolve;
    });
    // A call() waiting for the connection would only find the SDK gone: it fails now.
    this.#wake(this.#gone());
    // Destroyed before init()'s next task: what happened so far is delivered first.
    this.#release();
    try {
      run(this.#engine, 'destroy');
    } catch (err) {
      // The engine could not shut down in order: announce the end anyway.
      report(err);
      this.#dispatch('destroyed', undefined);
    }
    return this.#destroying;
  }
}

export { EVENTS as _EVENTS, COMMANDS as _COMMANDS };
