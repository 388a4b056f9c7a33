// One function per SIP stack, each doing the same thing and timing it the same way:
// start → registered, call → INVITE on the wire, call → answered, answered → first remote audio.
// Wire times come from probe.js, which sees every stack's WebSocket identically.
import { KlinkCallSdk } from '/sdk/index.js';

const AUDIO_THRESHOLD = 0.02;
let audioContext;

/** Resolves with the first time (performance.now()) the stream's RMS exceeds the threshold. */
function firstAudio(stream, timeoutMs = 10000) {
  audioContext ??= new AudioContext();
  // Chromium only feeds a remote WebRTC stream to WebAudio while a media element plays it.
  const sink = document.createElement('audio');
  sink.muted = true;
  sink.srcObject = stream;
  sink.play().catch(() => {});
  const source = audioContext.createMediaStreamSource(stream);
  const analyser = audioContext.createAnalyser();
  analyser.fftSize = 256;
  source.connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      if (Math.sqrt(sum / buf.length) > AUDIO_THRESHOLD) {
        source.disconnect();
        sink.srcObject = null;
        resolve(performance.now());
      } else if (performance.now() > deadline) {
        source.disconnect();
        reject(new Error('no remote audio'));
      } else {
        setTimeout(poll, 1);
      }
    };
    poll();
  });
}

const withTimeout = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: timed out`)), ms))]);

async function sdkRun({ config, target, calls = 1 }) {
  const t0 = performance.now();
  const sdk = await KlinkCallSdk.init(config);
  if (!sdk.isRegistered) {
    await withTimeout(new Promise((resolve) => {
      const off = sdk.on('registeredChange', ({ registered }) => registered && (off(), resolve()));
    }), 10000, 'register');
  }
  const tReg = performance.now();
  const tOpen = probe.openAfter(t0);
  const samples = {
    start_to_registered: tReg - t0,
    ws_open_to_registered: probe.registeredAfter(tOpen) - tOpen,
  };
  for (let i = 0; i < calls; i++) {
    const tCall = performance.now();
    const answered = new Promise((resolve) => { const off = sdk.on('callUpdated', ({ call }) => call.state === 'active' && (off(), resolve(performance.now()))); });
    const audio = new Promise((resolve) => sdk.once('remoteStream', ({ stream }) => resolve(firstAudio(stream))));
    const callId = await sdk.call(target);
    const tAnswered = await withTimeout(answered, 10000, 'answer');
    const tAudio = await withTimeout(audio, 10000, 'audio');
    samples.call_to_invite = probe.sentAfter(tCall, 'INVITE ') - tCall;
    samples.call_to_answered = tAnswered - tCall;
    samples.answered_to_audio = Math.max(0, tAudio - tAnswered);
    const ended = new Promise((resolve) => sdk.once('sessionEnded', resolve));
    await sdk.hangup(callId);
    await withTimeout(ended, 10000, 'hangup');
  }
  await sdk.destroy();
  return samples;
}

async function jssipRun({ creds, target }) {
  const t0 = performance.now();
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(creds.wsServers[0])],
    uri: creds.sipUri,
    authorization_user: creds.authorizationUser,
    password: creds.password,
    session_timers: false,
  });
  const registered = new Promise((resolve, reject) => {
    ua.once('registered', resolve);
    ua.once('registrationFailed', (e) => reject(new Error(`JsSIP registration failed: ${e.cause}`)));
  });
  ua.start();
  await withTimeout(registered, 10000, 'register');
  const tReg = performance.now();
  const tOpen = probe.openAfter(t0);
  const samples = {
    start_to_registered: tReg - t0,
    ws_open_to_registered: probe.registeredAfter(tOpen) - tOpen,
  };
  const tCall = performance.now();
  let audio;
  const session = ua.call(target, {
    mediaConstraints: { audio: true, video: false },
    pcConfig: { iceServers: [] },
    eventHandlers: {
      peerconnection: ({ peerconnection }) => {
        audio = new Promise((resolve) => peerconnection.addEventListener('track', (e) => resolve(firstAudio(e.streams[0]))));
      },
    },
  });
  const tAnswered = await withTimeout(new Promise((resolve, reject) => {
    session.once('confirmed', () => resolve(performance.now()));
    session.once('failed', (e) => reject(new Error(`JsSIP call failed: ${e.cause}`)));
  }), 10000, 'answer');
  const tAudio = await withTimeout(audio, 10000, 'audio');
  samples.call_to_invite = probe.sentAfter(tCall, 'INVITE ') - tCall;
  samples.call_to_answered = tAnswered - tCall;
  samples.answered_to_audio = Math.max(0, tAudio - tAnswered);
  const ended = new Promise((resolve) => session.once('ended', resolve));
  session.terminate();
  await withTimeout(ended, 10000, 'hangup');
  await stopJssip(ua);
  return samples;
}

async function stopJssip(ua) {
  const done = new Promise((resolve) => ua.once('unregistered', resolve));
  ua.unregister();
  await withTimeout(done, 5000, 'unregister').catch(() => {});
  const closed = new Promise((resolve) => ua.once('disconnected', resolve));
  ua.stop();
  await withTimeout(closed, 5000, 'disconnect').catch(() => {});
}

async function sipjsRun({ creds, target }) {
  const t0 = performance.now();
  const ua = new SIP.UserAgent({
    uri: SIP.UserAgent.makeURI(creds.sipUri),
    transportOptions: { server: creds.wsServers[0] },
    authorizationUsername: creds.authorizationUser,
    authorizationPassword: creds.password,
    logLevel: 'error',
    sessionDescriptionHandlerFactoryOptions: { peerConnectionConfiguration: { iceServers: [] } },
  });
  await ua.start();
  const registerer = new SIP.Registerer(ua);
  await withTimeout(new Promise((resolve, reject) => {
    registerer.stateChange.addListener((s) => s === SIP.RegistererState.Registered && resolve());
    registerer.register({ requestDelegate: { onReject: () => reject(new Error('SIP.js registration refused')) } });
  }), 10000, 'register');
  const tReg = performance.now();
  const tOpen = probe.openAfter(t0);
  const samples = {
    start_to_registered: tReg - t0,
    ws_open_to_registered: probe.registeredAfter(tOpen) - tOpen,
  };
  const domain = creds.sipUri.split('@')[1];
  const inviter = new SIP.Inviter(ua, SIP.UserAgent.makeURI(`sip:${target}@${domain}`), {
    sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } },
  });
  const tCall = performance.now();
  let audio;
  const tAnswered = await withTimeout(new Promise((resolve, reject) => {
    inviter.stateChange.addListener((s) => {
      if (s === SIP.SessionState.Established) {
        const pc = inviter.sessionDescriptionHandler.peerConnection;
        const stream = new MediaStream(pc.getReceivers().map((r) => r.track));
        audio = firstAudio(stream);
        resolve(performance.now());
      } else if (s === SIP.SessionState.Terminated) reject(new Error('SIP.js call failed'));
    });
    inviter.invite();
  }), 10000, 'answer');
  const tAudio = await withTimeout(audio, 10000, 'audio');
  samples.call_to_invite = probe.sentAfter(tCall, 'INVITE ') - tCall;
  samples.call_to_answered = tAnswered - tCall;
  samples.answered_to_audio = Math.max(0, tAudio - tAnswered);
  await withTimeout(new Promise((resolve) => {
    inviter.stateChange.addListener((s) => s === SIP.SessionState.Terminated && resolve());
    inviter.bye();
  }), 10000, 'hangup');
  await registerer.unregister().catch(() => {});
  await ua.stop();
  return samples;
}

/** Many calls one after another, then several at once: memory and peer connections. */
async function sdkSoak({ config, target, sequential, concurrent, settleMs = 0 }) {
  const gc = () => (window.gc ? window.gc() : undefined);
  const heap = () => (performance.memory ? performance.memory.usedJSHeapSize : NaN);
  const sdk = await KlinkCallSdk.init(config);
  if (!sdk.isRegistered) {
    await withTimeout(new Promise((resolve) => {
      const off = sdk.on('registeredChange', ({ registered }) => registered && (off(), resolve()));
    }), 10000, 'register');
  }
  // The probe logs every frame for the timing runs: empty it so the heap measures the SDK.
  const forgetWire = () => {
    probe.wire.opens.length = 0;
    probe.wire.sends.length = 0;
    probe.wire.recvs.length = 0;
  };
  const oneCall = async () => {
    forgetWire();
    const answered = new Promise((resolve) => { const off = sdk.on('callUpdated', ({ call }) => call.state === 'active' && (off(), resolve())); });
    const id = await sdk.call(target);
    await withTimeout(answered, 10000, 'answer');
    return id;
  };
  const endAll = async (ids) => {
    const pending = new Set(ids);
    const done = new Promise((resolve) => {
      const off = sdk.on('sessionEnded', ({ callId }) => {
        pending.delete(callId);
        if (pending.size === 0) { off(); resolve(); }
      });
    });
    for (const id of ids) await sdk.hangup(id);
    await withTimeout(done, 15000, 'hangup');
  };
  // Warm up once so lazily created things don't count as growth.
  await endAll([await oneCall()]);
  gc();
  const before = { js: heap(), wasm: probe.wasmMemoryBytes(), peers: probe.livePeers() };
  let peersLeftMax = 0;
  for (let i = 0; i < sequential; i++) {
    await endAll([await oneCall()]);
    peersLeftMax = Math.max(peersLeftMax, probe.livePeers());
  }
  gc();
  const afterSequential = { js: heap(), wasm: probe.wasmMemoryBytes(), peers: probe.livePeers() };
  // Ended calls are kept 32 s (RFC 6026 Timer M) to re-ACK a late 2xx: measure past that too.
  if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
  gc();
  const settled = { js: heap(), wasm: probe.wasmMemoryBytes(), peers: probe.livePeers(), afterMs: settleMs };
  // Linear memory never shrinks: a second batch as long as the first shows a leak as growth
  // past the first batch's high-water mark.
  for (let i = 0; i < sequential; i++) await endAll([await oneCall()]);
  gc();
  const secondBatch = { js: heap(), wasm: probe.wasmMemoryBytes(), peers: probe.livePeers() };
  const ids = [];
  for (let i = 0; i < concurrent; i++) ids.push(await oneCall());
  const during = { js: heap(), wasm: probe.wasmMemoryBytes(), peers: probe.livePeers(), calls: sdk.getCalls().length };
  await endAll(ids);
  gc();
  const afterConcurrent = { js: heap(), wasm: probe.wasmMemoryBytes(), peers: probe.livePeers() };
  await sdk.destroy();
  return { before, afterSequential, settled, secondBatch, during, afterConcurrent, peersLeftMax, sequential, concurrent };
}

/** The far end: answers every call at once and hangs up when the caller does. */
async function answer({ creds }) {
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(creds.wsServers[0])],
    uri: creds.sipUri,
    authorization_user: creds.authorizationUser,
    password: creds.password,
    session_timers: false,
  });
  ua.on('newRTCSession', ({ session, originator }) => {
    if (originator !== 'remote') return;
    session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
  });
  await withTimeout(new Promise((resolve, reject) => {
    ua.once('registered', resolve);
    ua.once('registrationFailed', (e) => reject(new Error(`answerer registration failed: ${e.cause}`)));
    ua.start();
  }), 10000, 'answerer register');
  return true;
}

window.bench = { sdkRun, jssipRun, sipjsRun, sdkSoak, answer, ready: true };
