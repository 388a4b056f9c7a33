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

/**
 * Samples a page's remote audio every `everyMs` ms (in the page, so the sampling is not paced
 * by round trips to Node) until stop(), which resolves with [[epoch ms, rms], ...].
 * `reader` is 'sdk' (pages/sdk.js, `id` a call id) or 'far' (pages/farend.js, `id` a session
 * id, or null for its current session, which follows a replacing session). A reader that has
 * nothing to read yet counts as silence.
 */
export async function watchEnergy(page, reader, id, everyMs = 10) {
  const key = await page.evaluate(([r, i, every]) => {
    const read = r === 'sdk'
      ? () => window.sdkPage.remoteEnergy(i ?? undefined)
      : () => window.farEnd.remoteEnergy(i ?? undefined);
    const samples = [];
    const sample = () => {
      let level = 0;
      try { level = read(); } catch { /* no session yet */ }
      samples.push([performance.timeOrigin + performance.now(), level]);
    };
    window.__energyWatches ??= new Map();
    const k = window.__energyWatches.size + 1;
    window.__energyWatches.set(k, { samples, timer: setInterval(sample, every) });
    return k;
  }, [reader, id, everyMs]);
  return {
    stop: () => page.evaluate((k) => {
      const w = window.__energyWatches.get(k);
      clearInterval(w.timer);
      window.__energyWatches.delete(k);
      return w.samples;
    }, key),
  };
}

/** The epoch ms of the first sample at or after `from` whose level exceeds `threshold`, or null. */
export function firstHeard(samples, threshold, from) {
  const hit = samples.find(([at, level]) => at >= from && level > threshold);
  return hit ? hit[0] : null;
}

/** The longest run of samples at or below `threshold`, in ms (the time between the samples around it). */
export function longestSilence(samples, threshold) {
  let longest = 0;
  let lastHeard = samples.length ? samples[0][0] : 0;
  for (const [at, level] of samples) {
    if (level > threshold) {
      longest = Math.max(longest, at - lastHeard);
      lastHeard = at;
    }
  }
  return longest;
}

/**
 * How `samples` heard a call move to a new connection: the first stretch at or below
 * `threshold` that starts at or after `from` (the far end saw the INVITE with Replaces), and
 * the first sample heard after it. { silentAt, backAt } in epoch ms; both null when audio
 * never stopped, backAt null when it never came back.
 */
export function audioAroundMove(samples, threshold, from) {
  const silent = samples.find(([at, level]) => at >= from && level <= threshold);
  if (!silent) return { silentAt: null, backAt: null };
  return { silentAt: silent[0], backAt: firstHeard(samples, threshold, silent[0]) };
}

/**
 * Watches both sides of a call between the SDK page and a JsSIP page (pages/farend.js) from
 * before a fault until stop(replaces, accepted), given JsSIP's `replaces` event of the old
 * session and `accepted` of the replacing one (its 200 OK to the INVITE with Replaces, the
 * move's 2xx). stop() resolves with, in ms: `sdkBackMs` / `farBackMs` from the 2xx until each
 * side heard the other again (0 when its audio never stopped, null when it never came back),
 * `sdkSilentMs` / `farSilentMs` how long each heard nothing, and `sdkLongestMs`, the SDK's
 * longest silence over the whole watch.
 */
export async function watchMove(sdk, far, callId, { heardBySdk, heardByFar }) {
  const [atSdk, atFar] = await Promise.all([watchEnergy(sdk.page, 'sdk', callId), watchEnergy(far.page, 'far', null)]);
  return {
    async stop(replaces, accepted) {
      const [sdkSamples, farSamples, farOrigin] = await Promise.all([
        atSdk.stop(), atFar.stop(), far.page.evaluate(() => performance.timeOrigin),
      ]);
      const okAt = farOrigin + accepted.at;
      const from = farOrigin + replaces.at;
      const sdkSide = audioAroundMove(sdkSamples, heardBySdk, from);
      const farSide = audioAroundMove(farSamples, heardByFar, from);
      const since = (a, b) => (b === null ? 0 : a === null ? null : Math.round(a - b));
      return {
        sdkBackMs: since(sdkSide.backAt, sdkSide.silentAt === null ? null : okAt),
        farBackMs: since(farSide.backAt, farSide.silentAt === null ? null : okAt),
        sdkSilentMs: since(sdkSide.backAt, sdkSide.silentAt),
        farSilentMs: since(farSide.backAt, farSide.silentAt),
        sdkLongestMs: Math.round(longestSilence(sdkSamples, heardBySdk)),
      };
    },
  };
}
