// Node-side driver for the SDK test page (pages/sdk.html + pages/sdk.js), and where the SDK
// under test comes from: npm/dist (built by scripts/build-npm), served at /sdk/.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './build.mjs';

/** The built package's files (scripts/build-npm); `SDK_DIST` points elsewhere, e.g. a private build. */
export const NPM_DIST = process.env.SDK_DIST ?? join(REPO_ROOT, 'npm', 'dist');

/** Static mounts for startStack: the built SDK at /sdk/. */
export const SDK_STATIC = Object.freeze({ '/sdk': NPM_DIST });

/** Throws a clear error when npm/dist has not been built. */
export function requireSdkBuild() {
  for (const f of ['index.js', 'engine.js', 'engine_bg.wasm', 'klink-call-sdk.iife.js']) {
    if (!existsSync(join(NPM_DIST, f))) {
      throw new Error(`${join(NPM_DIST, f)} is missing: run bash scripts/build-npm first`);
    }
  }
}

/**
 * Opens pages/sdk.html and waits for `window.sdkPage`.
 * opts.esm: URL of the ESM entry to import (default /sdk/index.js);
 * opts.iife: URL of the script-tag build to load instead.
 */
export async function openSdkPage(browserHandle, stack, { name = 'sdk', esm, iife } = {}) {
  const query = new URLSearchParams();
  if (iife) query.set('iife', iife);
  else if (esm) query.set('esm', esm);
  const qs = query.toString();
  const page = await browserHandle.newPage(stack.pageUrl(`sdk.html${qs ? `?${qs}` : ''}`));
  await page.waitForFunction(() => Boolean(window.sdkPage), null, { timeout: 15000 });
  const sdk = new SdkPage(page, name);
  page.on('console', (m) => sdk.console.push({ type: m.type(), text: m.text(), at: Date.now() }));
  const info = await sdk.info();
  if (!info.loaded) throw new Error(`${name}: the SDK did not load: ${info.error}`);
  return sdk;
}

/** The init config for a stack member: { userEmail, accessToken, apiBaseUrl, ...extra }. */
export function sdkConfig(stack, member, token, extra = {}) {
  return {
    userEmail: member.email,
    accessToken: token,
    apiBaseUrl: stack.apiBaseUrl,
    ...extra,
  };
}

/** Node-side handle on one SDK page; each method is one page.evaluate. */
export class SdkPage {
  constructor(page, name) {
    this.page = page;
    this.name = name;
    /** The page's console messages since it opened: { type, text, at (Date.now() in Node) }. */
    this.console = [];
  }

  #eval(fn, ...args) {
    return this.page.evaluate(fn, args);
  }

  info() {
    return this.#eval(() => window.sdkPage.info());
  }

  /** Resolves { ok: true, elapsedMs } or { ok: false, code, message, name, isSdkError, elapsedMs }. */
  init(config, opts = {}) {
    return this.#eval(([c, o]) => window.sdkPage.init(c, o), config, opts);
  }

  /** init() that must succeed; then waits for registeredChange { registered: true }. */
  async initRegistered(config, { timeout = 10000 } = {}) {
    const from = await this.mark();
    const result = await this.init(config);
    if (!result.ok) throw new Error(`${this.name}: init failed: ${result.code}: ${result.message}`);
    await this.waitFor('registeredChange', { from, timeout, where: { 'payload.registered': true } });
    return result;
  }

  /** Each control resolves { ok: true, value } or the error as JSON ({ ok: false, code, message, ... }). */
  call(number) { return this.#eval(([n]) => window.sdkPage.call(n), number); }
  answer(callId) { return this.#eval(([id]) => window.sdkPage.answer(id), callId); }
  reject(callId) { return this.#eval(([id]) => window.sdkPage.reject(id), callId); }
  hangup(callId) { return this.#eval(([id]) => window.sdkPage.hangup(id), callId); }
  hold(callId) { return this.#eval(([id]) => window.sdkPage.hold(id), callId); }
  unhold(callId) { return this.#eval(([id]) => window.sdkPage.unhold(id), callId); }
  mute(callId) { return this.#eval(([id]) => window.sdkPage.mute(id), callId); }
  unmute(callId) { return this.#eval(([id]) => window.sdkPage.unmute(id), callId); }
  dtmf(callId, tones) { return this.#eval(([id, t]) => window.sdkPage.dtmf(id, t), callId, tones); }
  /** Any SDK method with any JSON arguments, e.g. invoke('reject', id, { code: 603 }). */
  invoke(method, ...args) { return this.#eval(([m, a]) => window.sdkPage.invoke(m, a), method, args); }
  fireDeviceChange() { return this.#eval(() => window.sdkPage.fireDeviceChange()); }
  sinkId() { return this.#eval(() => window.sdkPage.sinkId()); }

  /** Like the controls, but throws unless the method resolved; returns its value. */
  async must(method, ...args) {
    const r = await (typeof this[method] === 'function' ? this[method](...args) : this.invoke(method, ...args));
    if (!r.ok) throw new Error(`${this.name}: ${method}(${args.map((a) => JSON.stringify(a)).join(', ')}) failed: ${r.code}: ${r.message}`);
    return r.value;
  }

  /** Counting listeners on `event` through on/unsubscribe, once, on/off and on; see probeCounts(). */
  probeListeners(event) { return this.#eval(([e]) => window.sdkPage.probeListeners(e), event); }
  /** { unsubscribed, once, off, on }: how many times each probe listener ran. */
  probeCounts() { return this.#eval(() => window.sdkPage.probeCounts()); }
  getCalls() { return this.#eval(() => window.sdkPage.getCalls()); }
  /** { value, type } of the isRegistered property. */
  isRegistered() { return this.#eval(() => window.sdkPage.isRegistered()); }
  destroy() { return this.#eval(() => window.sdkPage.destroy()); }
  attachedAudio() { return this.#eval(() => window.sdkPage.attachedAudio()); }
  media() { return this.#eval(() => window.sdkPage.media()); }

  remoteEnergy(callId) {
    return this.#eval(([id]) => window.sdkPage.remoteEnergy(id ?? undefined), callId ?? null);
  }

  peakEnergy(windowMs = 600, callId) {
    return this.#eval(([w, id]) => window.sdkPage.peakEnergy(w, id ?? undefined), windowMs, callId ?? null);
  }

  /** Polls peakEnergy until it exceeds threshold; resolves with the peak, rejects on timeout. */
  async waitForAudio({ threshold = 0.01, timeout = 5000, windowMs = 300, callId } = {}) {
    const deadline = Date.now() + timeout;
    let peak = 0;
    while (Date.now() < deadline) {
      peak = await this.peakEnergy(windowMs, callId);
      if (peak > threshold) return peak;
    }
    throw new Error(`${this.name}: remote audio stayed below ${threshold} for ${timeout} ms (peak ${peak})`);
  }

  /** Polls peakEnergy until a whole window stays below threshold; rejects on timeout. */
  async waitForSilence({ threshold = 0.005, timeout = 5000, windowMs = 300, callId } = {}) {
    const deadline = Date.now() + timeout;
    let peak = 1;
    while (Date.now() < deadline) {
      peak = await this.peakEnergy(windowMs, callId);
      if (peak < threshold) return peak;
    }
    throw new Error(`${this.name}: remote audio stayed above ${threshold} for ${timeout} ms (peak ${peak})`);
  }

  events(from = 0) {
    return this.#eval(([f]) => window.sdkPage.events(f), from);
  }

  /** Events of one type (from index `from`). */
  async eventsOf(type, from = 0) {
    return (await this.events(from)).filter((e) => e.type === type);
  }

  mark() {
    return this.#eval(() => window.sdkPage.mark());
  }

  /** First event of type at index >= from whose dotted fields equal where (e.g. 'payload.registered'). */
  waitFor(type, { timeout = 10000, from = 0, where = {} } = {}) {
    return this.#eval(([t, o]) => window.sdkPage.waitFor(t, o), type, { timeout, from, where });
  }

  close() {
    return this.page.close();
  }
}
