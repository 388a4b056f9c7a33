// The SDK side of the end-to-end tests: loads @klink.cloud/call-sdk (ESM entry or script-tag
// build, chosen by the query string) and exposes `window.sdkPage` for Playwright. Every method
// returns plain JSON; every SDK event and every observation of the browser APIs the SDK drives
// (peer connections, microphone tracks, DTMF senders) lands in one ordered log.
// See tests/e2e/README.md.

/** The eleven K-Link events, then the SDK's extensions (subscribed when the SDK knows them). */
const SDK_EVENTS = [
  'ready', 'incoming', 'sessionStarted', 'sessionEnded', 'remoteStream', 'connected', 'disconnected',
  'registeredChange', 'registrationFailed', 'error', 'destroyed',
];
const EXTENSION_EVENTS = ['callUpdated', 'dtmf', 'devicechange', 'transferAccepted', 'transferFailed', 'transferRequested', 'holdFailed',
  'stats', 'qualityWarning', 'qualityWarningCleared', 'message'];

const log = [];
const waiters = new Set();

/** Appends { seq, type, source, at, ...fields } and wakes the waiters. */
function record(type, fields = {}, source = 'page') {
  const event = { seq: log.length, type, source, at: performance.now(), ...fields };
  log.push(event);
  for (const w of [...waiters]) w.check();
  return event;
}

function matches(event, where) {
  return Object.entries(where).every(([key, want]) => {
    const path = key.split('.');
    let v = event;
    for (const p of path) v = v == null ? undefined : v[p];
    return v === want;
  });
}

/** First event of `type` at index >= from whose (dotted) fields equal `where`. */
function waitFor(type, { timeout = 10000, from = 0, where = {} } = {}) {
  return new Promise((resolve, reject) => {
    const waiter = {
      check() {
        for (let i = from; i < log.length; i++) {
          if (log[i].type === type && matches(log[i], where)) {
            waiters.delete(waiter);
            clearTimeout(timer);
            resolve(log[i]);
            return;
          }
        }
      },
    };
    const timer = setTimeout(() => {
      waiters.delete(waiter);
      const seen = log.slice(from).map((e) => e.type).join(', ');
      reject(new Error(`sdkPage: no '${type}' event ${JSON.stringify(where)} within ${timeout} ms (seen: ${seen || 'nothing'})`));
    }, timeout);
    waiters.add(waiter);
    waiter.check();
  });
}

window.addEventListener('error', (e) => record('pageError', { message: String(e.message) }));
window.addEventListener('unhandledrejection', (e) =>
  record('pageError', { message: `unhandled rejection: ${e.reason && e.reason.message ? e.reason.message : String(e.reason)}` }));

// --- Instrumentation of the browser APIs the SDK uses (installed before the SDK loads) ---------

/** Every RTCPeerConnection the page created, in order. */
const peerConnections = [];
/** Every track getUserMedia handed out, and their clones. */
const localTracks = [];

const NativePeerConnection = window.RTCPeerConnection;
class ObservedPeerConnection extends NativePeerConnection {
  constructor(...args) {
    super(...args);
    peerConnections.push(this);
    const index = peerConnections.length - 1;
    record('peerConnection', { index });
    const seen = new Map(); // stream id -> the MediaStream object an earlier track event carried
    this.addEventListener('track', (e) => {
      record('track', {
        index,
        trackId: e.track.id,
        kind: e.track.kind,
        streams: e.streams.map((st) => st.id),
        // A stream id seen before but a different object: whoever kept the old one plays nothing.
        newObjectForKnownId: e.streams.some((st) => seen.has(st.id) && seen.get(st.id) !== st),
      });
      for (const st of e.streams) seen.set(st.id, st);
    });
  }
}
window.RTCPeerConnection = ObservedPeerConnection;

const mediaDevices = navigator.mediaDevices;
const nativeGetUserMedia = mediaDevices.getUserMedia.bind(mediaDevices);
mediaDevices.getUserMedia = async (constraints) => {
  const stream = await nativeGetUserMedia(constraints);
  for (const t of stream.getTracks()) localTracks.push(t);
  record('getUserMedia', { tracks: stream.getTracks().map((t) => t.kind) });
  return stream;
};

// setInputDevice gives each call a clone of the new microphone track.
const nativeClone = MediaStreamTrack.prototype.clone;
MediaStreamTrack.prototype.clone = function clone() {
  const track = nativeClone.call(this);
  localTracks.push(track);
  return track;
};
const nativeStop = MediaStreamTrack.prototype.stop;
MediaStreamTrack.prototype.stop = function stop() {
  record('trackStop', { id: this.id, kind: this.kind });
  return nativeStop.call(this);
};
const nativeClose = NativePeerConnection.prototype.close;
NativePeerConnection.prototype.close = function close() {
  record('peerConnectionClose', { index: peerConnections.indexOf(this) });
  return nativeClose.call(this);
};

// RFC 4733 DTMF: what the SDK asks the RTP sender to play, and what it really plays.
const observedDtmfSenders = new WeakSet();
const nativeInsertDtmf = RTCDTMFSender.prototype.insertDTMF;
RTCDTMFSender.prototype.insertDTMF = function insertDTMF(tones, ...rest) {
  if (!observedDtmfSenders.has(this)) {
    observedDtmfSenders.add(this);
    this.addEventListener('tonechange', (e) => record('tonechange', { tone: e.tone }));
  }
  record('insertDTMF', { tones: String(tones), duration: rest[0] ?? null, gap: rest[1] ?? null });
  return nativeInsertDtmf.call(this, tones, ...rest);
};

// --- Remote audio energy -------------------------------------------------------------------------

let audioContext = null;
/** callId -> { stream, element, source, analyser } */
const remoteAudio = new Map();
let lastStreamCallId = null;
const attachedElement = document.getElementById('remote-audio');

/** Plays the stream in a muted element of its own (Chromium feeds WebAudio silence otherwise) and analyses it. */
function analyse(callId, stream) {
  audioContext ??= new AudioContext();
  void audioContext.resume();
  const old = remoteAudio.get(callId);
  if (old) {
    old.source.disconnect();
    old.element.remove();
  }
  const element = document.createElement('audio');
  element.muted = true;
  element.autoplay = true;
  element.srcObject = stream;
  element.dataset.call = callId;
  document.body.appendChild(element);
  void element.play().catch(() => {});
  const source = audioContext.createMediaStreamSource(stream);
  const analyser = audioContext.createAnalyser();
  analyser.fftSize = 2048;
  source.connect(analyser);
  remoteAudio.set(callId, { stream, element, source, analyser });
  lastStreamCallId = callId;
}

function rms(callId) {
  const entry = remoteAudio.get(callId ?? lastStreamCallId);
  if (!entry) return 0;
  const buf = new Float32Array(entry.analyser.fftSize);
  entry.analyser.getFloatTimeDomainData(buf);
  let sum = 0;
  for (const v of buf) sum += v * v;
  return Math.sqrt(sum / buf.length);
}

// --- The SDK -------------------------------------------------------------------------------------

const params = new URLSearchParams(location.search);

/** Loads the SDK module: { KlinkCallSdk, KlinkCallSdkError, via }. */
async function loadSdk() {
  if (params.has('iife')) {
    const src = params.get('iife');
    await new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error(`script ${src} did not load`));
      document.head.appendChild(script);
    });
    const KlinkCallSdk = window.KlinkCallSdk;
    if (!KlinkCallSdk) throw new Error(`${src} did not define window.KlinkCallSdk`);
    return { KlinkCallSdk, KlinkCallSdkError: KlinkCallSdk.KlinkCallSdkError, via: 'iife' };
  }
  const url = params.get('esm') ?? '/sdk/index.js';
  const mod = await import(url);
  return {
    KlinkCallSdk: mod.KlinkCallSdk,
    KlinkCallSdkError: mod.KlinkCallSdkError,
    defaultExport: mod.default,
    via: 'esm',
  };
}

let lib = null;
let loadError = null;
try {
  lib = await loadSdk();
} catch (err) {
  loadError = err && err.message ? err.message : String(err);
}

let sdk = null;
let probe = null;

/** A rejection as JSON: what tests assert on. */
function describeError(err) {
  return {
    ok: false,
    code: err && err.code !== undefined ? err.code : null,
    message: err && err.message !== undefined ? String(err.message) : String(err),
    name: err && err.name ? err.name : null,
    status: err && err.status !== undefined ? err.status : null,
    isSdkError: Boolean(lib && lib.KlinkCallSdkError && err instanceof lib.KlinkCallSdkError),
    isError: err instanceof Error,
  };
}

function plainCall(call) {
  return call && typeof call === 'object' ? JSON.parse(JSON.stringify(call)) : call;
}

/** An event payload as JSON (a MediaStream becomes its id and audio track count). */
function plainPayload(name, payload) {
  if (payload === undefined) return { payloadType: 'undefined' };
  if (name === 'remoteStream') {
    const stream = payload.stream;
    const isStream = stream instanceof MediaStream;
    const audio = isStream ? stream.getAudioTracks() : [];
    return {
      callId: payload.callId,
      isStream,
      streamId: isStream ? stream.id : null,
      audioTracks: audio.length,
      trackIds: isStream ? stream.getTracks().map((t) => t.id) : [],
      hasAudioTrack: audio.length > 0,
    };
  }
  try {
    return JSON.parse(JSON.stringify(payload));
  } catch {
    return { unserializable: String(payload) };
  }
}

function subscribe(instance) {
  for (const name of [...SDK_EVENTS, ...EXTENSION_EVENTS]) {
    try {
      instance.on(name, (payload) => {
        if (name === 'remoteStream' && payload && payload.stream instanceof MediaStream) {
          analyse(payload.callId, payload.stream);
        }
        record(name, { payload: plainPayload(name, payload) }, 'sdk');
      });
    } catch (err) {
      if (SDK_EVENTS.includes(name)) record('subscribeFailed', { name, ...describeError(err) });
    }
  }
}

/** Runs an SDK method; distinguishes a synchronous throw from a rejected promise. */
async function control(name, ...args) {
  if (!sdk) return { ok: false, code: null, message: 'sdkPage: init() first' };
  let result;
  try {
    result = sdk[name](...args);
  } catch (err) {
    return { ...describeError(err), sync: true };
  }
  const isPromise = Boolean(result && typeof result.then === 'function');
  try {
    const value = await result;
    // In the event log too, so a test can tell what the promise waited for.
    record('settled', { name, ok: true });
    return { ok: true, value: value === undefined ? null : value, isPromise };
  } catch (err) {
    record('settled', { name, ok: false });
    return { ...describeError(err), isPromise };
  }
}

window.sdkPage = {
  /** How the SDK was loaded: { loaded, via, error, exports }. */
  info() {
    return {
      loaded: Boolean(lib),
      via: lib ? lib.via : null,
      error: loadError,
      hasInit: Boolean(lib && typeof lib.KlinkCallSdk?.init === 'function'),
      hasErrorClass: Boolean(lib && typeof lib.KlinkCallSdkError === 'function'),
      defaultIsClass: lib && lib.via === 'esm' ? lib.defaultExport === lib.KlinkCallSdk : null,
    };
  },

  /**
   * KlinkCallSdk.init(config), then subscribes to every event and attaches the page's muted
   * <audio>. Resolves { ok: true, elapsedMs } or the error as JSON (with elapsedMs).
   */
  async init(config, { attachAudio = true } = {}) {
    if (!lib) return { ok: false, code: null, message: `SDK not loaded: ${loadError}` };
    const started = performance.now();
    try {
      const instance = await lib.KlinkCallSdk.init(config);
      const elapsedMs = performance.now() - started;
      sdk = instance;
      subscribe(instance);
      if (attachAudio) instance.attachAudio(attachedElement);
      record('initResolved', { elapsedMs });
      return { ok: true, elapsedMs, isInstance: instance instanceof lib.KlinkCallSdk };
    } catch (err) {
      const elapsedMs = performance.now() - started;
      record('initRejected', { code: err && err.code, elapsedMs });
      return { ...describeError(err), elapsedMs };
    }
  },

  call: (number) => control('call', number),
  answer: (callId) => control('answer', callId),
  reject: (callId) => control('reject', callId),
  hangup: (callId) => control('hangup', callId),
  hold: (callId) => control('hold', callId),
  unhold: (callId) => control('unhold', callId),
  mute: (callId) => control('mute', callId),
  unmute: (callId) => control('unmute', callId),
  dtmf: (callId, tones) => control('dtmf', callId, tones),
  /** Any method with any arguments (options objects included). */
  invoke: (name, args) => control(name, ...args),

  /** Fires `devicechange` on navigator.mediaDevices, as the browser does when a device comes or goes. */
  fireDeviceChange() {
    navigator.mediaDevices.dispatchEvent(new Event('devicechange'));
  },

  /** The sink (output device) of the page's attachAudio element: '' is the default output. */
  sinkId() {
    return attachedElement.sinkId ?? null;
  },

  /**
   * Subscribes four counting listeners to `event`: `on` then its returned unsubscribe called,
   * `once`, `on` then `off`, and plain `on`. probeCounts() reads what each received.
   */
  probeListeners(event) {
    const counts = { unsubscribed: 0, once: 0, off: 0, on: 0 };
    const unsubscribe = sdk.on(event, () => { counts.unsubscribed++; });
    const returned = typeof unsubscribe;
    unsubscribe();
    unsubscribe(); // twice is harmless
    sdk.once(event, () => { counts.once++; });
    const removed = () => { counts.off++; };
    sdk.on(event, removed);
    sdk.off(event, removed);
    sdk.on(event, () => { counts.on++; });
    probe = counts;
    return { returned };
  },

  probeCounts() {
    return probe;
  },

  /** sdk.getCalls() as JSON. */
  getCalls() {
    return sdk ? sdk.getCalls().map(plainCall) : null;
  },

  /** sdk.isRegistered as read (a property), and what kind of member it is. */
  isRegistered() {
    if (!sdk) return { value: null, type: 'no sdk' };
    const value = sdk.isRegistered;
    return { value, type: typeof value };
  },

  /** sdk.destroy(); resolves { ok, elapsedMs } or the error. */
  async destroy() {
    const started = performance.now();
    const result = await control('destroy');
    return { ...result, elapsedMs: performance.now() - started };
  },

  /** What the SDK's attachAudio element plays right now. */
  attachedAudio() {
    const src = attachedElement.srcObject;
    return {
      streamId: src instanceof MediaStream ? src.id : null,
      audioTracks: src instanceof MediaStream ? src.getAudioTracks().length : 0,
      paused: attachedElement.paused,
    };
  },

  /** State of every peer connection and microphone track the SDK created. */
  media() {
    return {
      peerConnections: peerConnections.map((pc) => ({
        signalingState: pc.signalingState,
        connectionState: pc.connectionState,
        senders: pc.signalingState === 'closed' ? [] : pc.getSenders().map((s) => ({
          track: s.track ? {
            id: s.track.id, enabled: s.track.enabled, readyState: s.track.readyState, deviceId: s.track.getSettings().deviceId ?? null,
          } : null,
        })),
      })),
      localTracks: localTracks.map((t) => ({ id: t.id, kind: t.kind, enabled: t.enabled, readyState: t.readyState })),
    };
  },

  /** RMS (0..1) of a call's remote audio now (default: the latest remote stream). */
  remoteEnergy(callId) {
    return rms(callId ?? undefined);
  },

  /** Highest RMS over windowMs, sampled every 20 ms. */
  async peakEnergy(windowMs = 600, callId) {
    let peak = 0;
    const end = performance.now() + windowMs;
    while (performance.now() < end) {
      peak = Math.max(peak, rms(callId ?? undefined));
      await new Promise((r) => setTimeout(r, 20));
    }
    return peak;
  },

  events(from = 0) {
    return log.slice(from);
  },

  mark() {
    return log.length;
  },

  waitFor,
};
record('pageReady', { loaded: Boolean(lib), error: loadError });
