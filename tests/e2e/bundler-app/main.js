// The smallest app that phones: it imports the SDK by its package name, exactly as an app
// built with Vite, webpack or esbuild does, and the e2e test (sdk-bundlers.test.mjs) drives it
// through window.app. Nothing here is specific to a bundler.
import { KlinkCallSdk, KlinkCallSdkError } from '@klink.cloud/call-sdk';

let sdk = null;
const events = [];
const state = document.getElementById('state');

const failure = (err) => ({
  ok: false,
  code: err && err.code,
  message: String(err && err.message),
  isSdkError: err instanceof KlinkCallSdkError,
});

window.app = {
  /** init(), then waits for the registration; resolves { ok } or the error. */
  async start(config) {
    try {
      sdk = await KlinkCallSdk.init(config);
    } catch (err) {
      state.textContent = `init failed: ${err.code}`;
      return failure(err);
    }
    for (const name of ['registeredChange', 'sessionStarted', 'callUpdated', 'sessionEnded', 'error']) {
      sdk.on(name, (payload) => events.push({ name, state: payload && payload.call ? payload.call.state : null, detail: payload && payload.detail }));
    }
    sdk.attachAudio(document.getElementById('remote'));
    const registered = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), 10000);
      sdk.on('registeredChange', ({ registered: r }) => r && (clearTimeout(timer), resolve(true)));
    });
    state.textContent = registered ? 'registered' : 'not registered';
    return registered ? { ok: true } : { ok: false, code: 'timeout', message: 'not registered within 10 s' };
  },
  async call(number) {
    try {
      return { ok: true, value: await sdk.call(number) };
    } catch (err) {
      return failure(err);
    }
  },
  /**
   * The first use of the device helpers (a chunk the SDK loads now): subscribes to
   * devicechange, lets the browser fire one, then lists the devices and runs preflight().
   */
  async devices() {
    try {
      const changed = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no devicechange within 5 s')), 5000);
        sdk.on('devicechange', (lists) => resolve(lists, clearTimeout(timer)));
      });
      navigator.mediaDevices.dispatchEvent(new Event('devicechange'));
      const lists = await changed;
      return { ok: true, value: { changed: lists, listed: await sdk.listDevices(), preflight: await sdk.preflight({ timeoutMs: 2000 }) } };
    } catch (err) {
      return failure(err);
    }
  },
  calls: () => sdk.getCalls(),
  hangup: (id) => sdk.hangup(id).then(() => ({ ok: true }), failure),
  destroy: () => sdk.destroy().then(() => ({ ok: true }), failure),
  events: () => events,
};
state.textContent = 'ready';
