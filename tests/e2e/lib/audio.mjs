// Audio energy of a media element in a page: how the example and bundler suites tell that a
// call is heard, without any SDK helper inside the page under test.

/**
 * Highest RMS of the audio in `#elementId`'s srcObject over `samples` × 20 ms, measured in the
 * page with a WebAudio AnalyserNode. 0 when the element has no audio track yet.
 */
export function elementEnergy(page, elementId, samples = 25) {
  return page.evaluate(async ([id, count]) => {
    const el = document.getElementById(id);
    const stream = el && el.srcObject;
    if (!stream || stream.getAudioTracks().length === 0) return 0;
    window.__ctx ??= new AudioContext();
    const source = window.__ctx.createMediaStreamSource(stream);
    const analyser = window.__ctx.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    let peak = 0;
    for (let i = 0; i < count; i++) {
      await new Promise((r) => setTimeout(r, 20));
      analyser.getFloatTimeDomainData(buf);
      peak = Math.max(peak, Math.sqrt(buf.reduce((s, v) => s + v * v, 0) / buf.length));
    }
    source.disconnect();
    return peak;
  }, [elementId, samples]);
}
