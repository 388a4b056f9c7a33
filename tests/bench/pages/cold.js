// The first call's cost on a cold page, one function per SIP stack: from the moment the page asks
// for the library to the first time the stack says it is registered, with every download in
// between. bench.mjs opens this page in a fresh browser context per sample (empty cache), disables
// the cache and emulates a slow network before calling a run, and lifts the emulation before
// stop(). Wire times come from probe.js; bytes from Resource Timing.

const REGISTER_TIMEOUT_MS = 60000;
let running = null; // what stop() shuts down

const withTimeout = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: timed out`)), ms))]);

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

/**
 * Everything the page fetched from t0 on. `critical` are the fetches started before tReady (the
 * library usable, `init()` or `new UA()` not called yet): what a host page must load first.
 * `transfer` 0 on a same-origin file means it came from a cache, which would hide its download.
 */
function fetched(t0, tReady) {
  const all = performance.getEntriesByType('resource')
    .filter((e) => e.startTime >= t0)
    .map((e) => {
      const url = new URL(e.name);
      const sameOrigin = url.origin === location.origin;
      return {
        // Cross-origin entries (the credential API) have no sizes without Timing-Allow-Origin.
        path: sameOrigin ? url.pathname : `${url.origin}${url.pathname}`,
        sameOrigin,
        start: e.startTime,
        end: e.responseEnd,
        transfer: e.transferSize,
        gzip: e.encodedBodySize,
        raw: e.decodedBodySize,
      };
    });
  const critical = all.filter((e) => e.start < tReady);
  const sum = (list, key) => list.reduce((n, e) => n + e[key], 0);
  return {
    critical_gzip: sum(critical, 'gzip'),
    critical_raw: sum(critical, 'raw'),
    fetched_gzip: sum(all.filter((e) => e.sameOrigin), 'gzip'),
    critical_files: critical.map((e) => e.path),
    files: all.map((e) => e.path),
    cached: all.filter((e) => e.sameOrigin && e.transfer === 0).map((e) => e.path),
    // Where the time went (ms from t0): for the JSON only.
    timeline: all.map((e) => ({ path: e.path, start: e.start - t0, end: e.end - t0 })),
  };
}

function sample(t0, tReady, tReg) {
  const tOpen = probe.openAfter(t0);
  return {
    start_to_registered: tReg - t0,
    start_to_loaded: tReady - t0,
    ws_open_to_registered: probe.registeredAfter(tOpen) - tOpen,
    ...fetched(t0, tReady),
  };
}

async function ours({ config }) {
  const t0 = performance.now();
  const { KlinkCallSdk } = await import('/sdk/index.js');
  const tReady = performance.now();
  const sdk = await KlinkCallSdk.init(config);
  running = () => sdk.destroy();
  if (!sdk.isRegistered) {
    await withTimeout(new Promise((resolve) => {
      const off = sdk.on('registeredChange', ({ registered }) => registered && (off(), resolve()));
    }), REGISTER_TIMEOUT_MS, 'register');
  }
  return sample(t0, tReady, performance.now());
}

async function jssip({ creds }) {
  const t0 = performance.now();
  await loadScript('/lib/jssip.js');
  const tReady = performance.now();
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(creds.wsServers[0])],
    uri: creds.sipUri,
    authorization_user: creds.authorizationUser,
    password: creds.password,
    session_timers: false,
  });
  running = async () => {
    const unregistered = new Promise((resolve) => ua.once('unregistered', resolve));
    ua.unregister();
    await withTimeout(unregistered, 5000, 'unregister').catch(() => {});
    const closed = new Promise((resolve) => ua.once('disconnected', resolve));
    ua.stop();
    await withTimeout(closed, 5000, 'disconnect').catch(() => {});
  };
  await withTimeout(new Promise((resolve, reject) => {
    ua.once('registered', resolve);
    ua.once('registrationFailed', (e) => reject(new Error(`JsSIP registration failed: ${e.cause}`)));
    ua.start();
  }), REGISTER_TIMEOUT_MS, 'register');
  return sample(t0, tReady, performance.now());
}

async function sipjs({ creds }) {
  const t0 = performance.now();
  await loadScript('/lib/sipjs.js');
  const tReady = performance.now();
  const ua = new SIP.UserAgent({
    uri: SIP.UserAgent.makeURI(creds.sipUri),
    transportOptions: { server: creds.wsServers[0] },
    authorizationUsername: creds.authorizationUser,
    authorizationPassword: creds.password,
    logLevel: 'error',
  });
  const registerer = new SIP.Registerer(ua);
  running = async () => {
    await withTimeout(registerer.unregister(), 5000, 'unregister').catch(() => {});
    await ua.stop();
  };
  await ua.start();
  await withTimeout(new Promise((resolve, reject) => {
    registerer.stateChange.addListener((s) => s === SIP.RegistererState.Registered && resolve());
    registerer.register({ requestDelegate: { onReject: () => reject(new Error('SIP.js registration refused')) } });
  }), REGISTER_TIMEOUT_MS, 'register');
  return sample(t0, tReady, performance.now());
}

/** Unregisters and closes whatever the last run started. */
async function stop() {
  const shutdown = running;
  running = null;
  if (shutdown) await shutdown();
}

window.cold = { ours, jssip, sipjs, stop, ready: true };
