// The SDK under Chromium's autoplay policy, driven by nothing but its own script and one real
// click (see sdk-autoplay.html). Every observation is a console line `autoplay {json}`; after
// the click the test may evaluate `window.autoplayPage`.
import { KlinkCallSdk } from '/sdk/index.js';

const report = (type, fields = {}) => console.log(`autoplay ${JSON.stringify({ type, at: performance.now(), ...fields })}`);
const element = document.getElementById('call-audio');
const state = () => ({ paused: element.paused, currentTime: element.currentTime, hasStream: element.srcObject instanceof MediaStream });

window.addEventListener('unhandledrejection', (e) => report('pageError', { message: String(e.reason?.message ?? e.reason) }));

let audioContext = null;
let sdk;
try {
  sdk = await KlinkCallSdk.init(JSON.parse(new URLSearchParams(location.search).get('config')));
} catch (err) {
  report('initFailed', { code: err.code, message: err.message });
  throw err;
}
sdk.attachAudio(element);
sdk.on('registeredChange', ({ registered }) => report('registeredChange', { registered }));
sdk.on('error', (payload) => report('error', { payload, element: state() }));
sdk.on('incoming', ({ call }) => {
  sdk.answer(call.id).then(() => report('answered', { callId: call.id }), (err) => report('answerFailed', { code: err.code }));
});
sdk.on('remoteStream', () => report('remoteStream', { element: state() }));
setInterval(() => report('state', { element: state() }), 250);

// What an application's "enable sound" button does: resumeAudio() inside the click.
document.getElementById('enable-sound').addEventListener('click', () => {
  audioContext ??= new AudioContext();
  void audioContext.resume();
  sdk.resumeAudio().then(
    () => report('resumeAudio', { ok: true, element: state() }),
    (err) => report('resumeAudio', { ok: false, code: err.code, message: err.message }),
  );
});

window.autoplayPage = {
  state,
  /** Highest RMS over windowMs of what the element plays (its captureStream()), every 20 ms. */
  async energy(windowMs) {
    const source = audioContext.createMediaStreamSource(element.captureStream());
    const analyser = audioContext.createAnalyser();
    analyser.fftSize = 2048;
    source.connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    let peak = 0;
    const end = performance.now() + windowMs;
    while (performance.now() < end) {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      peak = Math.max(peak, Math.sqrt(sum / buf.length));
      await new Promise((r) => setTimeout(r, 20));
    }
    source.disconnect();
    return peak;
  },
  hangupAll: () => Promise.all(sdk.getCalls().map((c) => sdk.hangup(c.id))),
};
report('ready');
