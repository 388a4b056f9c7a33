// Node-side driver for the JsSIP far end (pages/farend.html + pages/farend.js).
import { ensureJssipBundle } from './build.mjs';

/**
 * Opens the JsSIP far-end page (pages/farend.html) from the stack's static server and
 * returns a FarEnd driving its `window.farEnd`. browserHandle comes from launchBrowser().
 */
export async function openFarEnd(browserHandle, stack, { name = 'farend' } = {}) {
  await ensureJssipBundle();
  const page = await browserHandle.newPage(stack.pageUrl('farend.html'));
  await page.waitForFunction(() => Boolean(window.farEnd));
  return new FarEnd(page, name);
}

/** Node-side handle on one far-end page; each method is one page.evaluate. */
export class FarEnd {
  constructor(page, name) {
    this.page = page;
    this.name = name;
  }

  #eval(fn, ...args) {
    return this.page.evaluate(fn, args);
  }

  /** Registers with credentials as returned by the gateway (plus wsUrl). Rejects on refusal. */
  start(config) {
    return this.#eval(([c]) => window.farEnd.start(c), config);
  }

  /** Registers with gateway credentials: credentials are the gateway's JSON body. */
  startWith(credentials, extra = {}) {
    return this.start({
      wsUrl: credentials.wsServers[0],
      sipUri: credentials.sipUri,
      authorizationUser: credentials.authorizationUser,
      password: credentials.password,
      displayName: credentials.displayName,
      iceServers: credentials.iceServers,
      ...extra,
    });
  }

  stop() {
    return this.#eval(() => window.farEnd.stop());
  }

  isRegistered() {
    return this.#eval(() => window.farEnd.isRegistered());
  }

  /** Returns the new session's id. opts: { extraHeaders, g729Only, sessionTimersExpires } (pages/farend.js). */
  call(target, opts = {}) {
    return this.#eval(([t, o]) => window.farEnd.call(t, o), target, opts);
  }

  answer(sessionId) {
    return this.#eval(([id]) => window.farEnd.answer(id ?? undefined), sessionId ?? null);
  }

  reject(status = 486, sessionId) {
    return this.#eval(([s, id]) => window.farEnd.reject(s, id ?? undefined), status, sessionId ?? null);
  }

  hangup(sessionId) {
    return this.#eval(([id]) => window.farEnd.hangup(id ?? undefined), sessionId ?? null);
  }

  /** opts: { useUpdate } (JsSIP's hold options). */
  hold(sessionId, opts = {}) {
    return this.#eval(([id, o]) => window.farEnd.hold(id ?? undefined, o), sessionId ?? null, opts);
  }

  refuseMessages(status) {
    return this.#eval(([s]) => window.farEnd.refuseMessages(s), status);
  }

  refuseReinvites(status, sessionId) {
    return this.#eval(([st, id]) => window.farEnd.refuseReinvites(st, id ?? undefined), status, sessionId ?? null);
  }

  unhold(sessionId, opts = {}) {
    return this.#eval(([id, o]) => window.farEnd.unhold(id ?? undefined, o), sessionId ?? null, opts);
  }

  /** A new offer in the session; opts: { useUpdate }. */
  renegotiate(sessionId, opts = {}) {
    return this.#eval(([id, o]) => window.farEnd.renegotiate(id ?? undefined, o), sessionId ?? null, opts);
  }

  sendDTMF(tones, opts = {}, sessionId) {
    return this.#eval(([t, o, id]) => window.farEnd.sendDTMF(t, o, id ?? undefined), tones, opts, sessionId ?? null);
  }

  /** A transfer of the session to target; replacesSession makes it attended (RFC 3891). */
  refer(target, sessionId, replacesSession) {
    return this.#eval(
      ([t, id, r]) => window.farEnd.refer(t, id ?? undefined, r ?? undefined),
      target,
      sessionId ?? null,
      replacesSession ?? null,
    );
  }

  sendMessage(target, body, contentType) {
    return this.#eval(([t, b, c]) => window.farEnd.sendMessage(t, b, c ?? undefined), target, body, contentType ?? null);
  }

  sendDialogMessage(body, sessionId) {
    return this.#eval(([b, id]) => window.farEnd.sendDialogMessage(b, id ?? undefined), body, sessionId ?? null);
  }

  session(sessionId) {
    return this.#eval(([id]) => window.farEnd.session(id ?? undefined), sessionId ?? null);
  }

  remoteEnergy(sessionId) {
    return this.#eval(([id]) => window.farEnd.remoteEnergy(id ?? undefined), sessionId ?? null);
  }

  peakEnergy(windowMs = 600, sessionId) {
    return this.#eval(([w, id]) => window.farEnd.peakEnergy(w, id ?? undefined), windowMs, sessionId ?? null);
  }

  /** Polls peakEnergy until it exceeds threshold; resolves with the peak, rejects on timeout. */
  async waitForAudio({ threshold = 0.01, timeout = 5000, windowMs = 300, sessionId } = {}) {
    const deadline = Date.now() + timeout;
    let peak = 0;
    while (Date.now() < deadline) {
      peak = await this.peakEnergy(windowMs, sessionId);
      if (peak > threshold) return peak;
    }
    throw new Error(`${this.name}: remote audio stayed below ${threshold} for ${timeout} ms (peak ${peak})`);
  }

  /**
   * Polls peakEnergy until it stays below threshold for one window; resolves with that peak,
   * rejects on timeout. Audio fades rather than stops (jitter buffer, loss concealment).
   */
  async waitForSilence({ threshold = 0.005, timeout = 5000, windowMs = 300, sessionId } = {}) {
    const deadline = Date.now() + timeout;
    let peak = 1;
    while (Date.now() < deadline) {
      peak = await this.peakEnergy(windowMs, sessionId);
      if (peak < threshold) return peak;
    }
    throw new Error(`${this.name}: remote audio stayed above ${threshold} for ${timeout} ms (peak ${peak})`);
  }

  events(from = 0) {
    return this.#eval(([f]) => window.farEnd.events(f), from);
  }

  /** Index to pass as `from` so waitFor only sees what happens next. */
  mark() {
    return this.#eval(() => window.farEnd.mark());
  }

  /**
   * Resolves with the first event of type (at index >= from, matching every field in
   * where), rejects after timeout ms.
   */
  waitFor(type, { timeout = 10000, from = 0, where = {} } = {}) {
    return this.#eval(([t, o]) => window.farEnd.waitFor(t, o), type, { timeout, from, where });
  }

  close() {
    return this.page.close();
  }
}
