// The browser-side checks of preflight(): the microphone and ICE. The signalling round trip
// goes through the engine (an OPTIONS of the core); devices.js runs the three at once.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens the microphone with the calls' constraints and measures its level: the highest RMS
 * (0..1) over `ms`, through WebAudio. `level` is null when the AudioContext does not run
 * (the autoplay policy holds it until a user gesture). The tracks are stopped after.
 */
export async function microphoneCheck(audio, ms) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio });
  } catch (err) {
    // NotFoundError, NotReadableError (busy), OverconstrainedError: no usable microphone.
    return { permission: err?.name === 'NotAllowedError' ? 'denied' : 'unavailable', level: null };
  }
  let level = null;
  let context;
  try {
    context = new AudioContext();
    void context.resume();
    const analyser = context.createAnalyser();
    context.createMediaStreamSource(stream).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    let peak = 0;
    for (const end = performance.now() + ms; performance.now() < end; await sleep(50)) {
      analyser.getFloatTimeDomainData(buf);
      peak = Math.max(peak, Math.sqrt(buf.reduce((sum, v) => sum + v * v, 0) / buf.length));
    }
    if (context.state === 'running') level = Math.round(peak * 1e4) / 1e4;
  } catch {
    // no WebAudio: the level is unknown, the permission is what counts
  } finally {
    void context?.close();
    for (const track of stream.getTracks()) track.stop();
  }
  return { permission: 'granted', level };
}

/**
 * Gathers ICE candidates with the calls' `iceServers` until gathering completes or `ms`
 * passed: which kinds came (host; srflx from STUN; relay from TURN), and whether STUN and
 * TURN servers are configured at all.
 */
export async function iceCheck(iceServers, ms) {
  const urls = iceServers.flatMap((s) => s.urls ?? []).join();
  const ice = { host: false, srflx: false, relay: false, stun: /\bstuns?:/.test(urls), turn: /\bturns?:/.test(urls) };
  let pc;
  try {
    pc = new RTCPeerConnection({ iceServers });
    pc.addTransceiver('audio');
    const done = new Promise((resolve) => {
      pc.onicecandidate = ({ candidate }) => {
        if (!candidate) return resolve();
        const type = / typ (\w+)/.exec(candidate.candidate)?.[1];
        if (type in ice) ice[type] = true;
      };
      setTimeout(resolve, ms);
    });
    await pc.setLocalDescription();
    await done;
  } catch {
    // a server URL the browser refuses: no candidate from it
  } finally {
    pc?.close();
  }
  return ice;
}

/**
 * The verdict (docs/js-api.md, Preflight): `permission_denied` when the microphone was refused;
 * `blocked` when a call cannot work (no signalling answer, no usable microphone, no ICE
 * candidate); `degraded` when it would work worse than it should (a configured STUN or TURN
 * server gave no candidate, a silent microphone, a signalling round trip over 400 ms); else
 * `ready`.
 */
export function verdict({ microphone: m, signalling: s, ice: i }) {
  if (m.permission === 'denied') return 'permission_denied';
  if (!s.reachable || m.permission !== 'granted' || !(i.host || i.srflx || i.relay)) return 'blocked';
  if ((i.stun && !i.srflx) || (i.turn && !i.relay) || m.level === 0 || s.rttMs > 400) return 'degraded';
  return 'ready';
}
