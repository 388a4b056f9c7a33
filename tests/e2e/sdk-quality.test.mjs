// Call quality: getStats(), the `stats` event, and the quality warnings under real network
// impairment. The SDK is alice (1001); JsSIP plays bob (1002, media direct) and dave (1003,
// media through a UDP relay, lib/udprelay.mjs, that can delay it).
//
// Impairment, as issue 14 asks (delay 200 ms ± 50 ms, loss 5 %), without netem, which this
// kernel lacks: loss by nftables in the test's network namespace, delay and jitter by the
// relay. Both need root (the e2e runs as root inside `unshare -n`); without it that test skips.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { BUILD_DIR } from './lib/build.mjs';
import { sdkCallsFarEnd } from './lib/calls.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC, sdkConfig } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';
import { canUseNft, lossRule, startRelay } from './lib/udprelay.mjs';

const { alice, bob, dave } = DEMO.members;
const WARNINGS = ['high-rtt', 'high-jitter', 'high-packet-loss', 'low-mos', 'no-inbound-audio', 'no-outbound-audio', 'constant-audio-level'];

/**
 * A 30 s WAV of speech-like bursts: tones of random pitch and loudness, 80-400 ms long, with
 * quiet noise between them, from a fixed seed. Chromium's default fake microphone beeps every
 * 500 ms and a sine is steady: sampled each second either can show the same level twice in a
 * row, which is what `constant-audio-level` is about; a voice never does.
 */
function speechWav() {
  const out = join(BUILD_DIR, 'speech-like.wav');
  if (existsSync(out)) return out;
  mkdirSync(BUILD_DIR, { recursive: true });
  const rate = 48000;
  const samples = rate * 30;
  const data = Buffer.alloc(samples * 2);
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let i = 0; i < samples;) {
    const burst = Math.floor(rate * (0.08 + random() * 0.32));
    const gap = Math.floor(rate * (0.05 + random() * 0.25));
    const pitch = 150 + random() * 450;
    const loud = 0.1 + random() * 0.5;
    for (let j = 0; j < burst + gap && i < samples; j++, i++) {
      const env = j < burst ? Math.sin((Math.PI * j) / burst) : 0;
      const t = j / rate;
      const voice = env * loud * (Math.sin(2 * Math.PI * pitch * t) + 0.5 * Math.sin(4 * Math.PI * pitch * t)) / 1.5;
      const noise = (random() * 2 - 1) * 0.003;
      data.writeInt16LE(Math.round((voice + noise) * 32767), i * 2);
    }
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  writeFileSync(out, Buffer.concat([header, data]));
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('call quality: getStats, stats events, warnings under impairment', { timeout: 300_000 }, () => {
  let stack;
  let browser;
  let plain; // alice with the default thresholds, stats every second
  let strict; // alice again, thresholds the relay's impairment is well past
  let bobUa;
  let daveUa;
  let relay;

  before(async () => {
    requireSdkBuild();
    relay = await startRelay();
    [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC }), launchBrowser({ tone: speechWav() })]);
    [plain, strict, bobUa, daveUa] = await Promise.all([
      openSdkPage(browser, stack, { name: 'alice (SDK, defaults)' }),
      openSdkPage(browser, stack, { name: 'alice (SDK, strict thresholds)' }),
      openFarEnd(browser, stack, { name: 'bob (JsSIP)' }),
      openFarEnd(browser, stack, { name: 'dave (JsSIP, via the relay)' }),
    ]);
    await Promise.all([
      plain.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme, { statsIntervalMs: 1000 })),
      // The relay adds ~400 ms of round trip and ~33 ms of jitter (the mean gap of two uniform
      // ±50 ms delays): right at the 400 ms and 30 ms defaults, so the test sets thresholds
      // the impairment is clearly past (and the clean call clearly under).
      strict.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme, {
        qualityWarnings: { rttMs: 250, jitterMs: 15 },
        statsIntervalMs: 1000,
      })),
      stack.credentials(bob.email).then((c) => bobUa.startWith(c)),
      stack.credentials(dave.email).then((c) => daveUa.startWith(c, { relay: { sdkSide: relay.sdkSide, farSide: relay.farSide } })),
    ]);
  });

  afterEach(async () => {
    for (const sdk of [plain, strict]) {
      for (const c of await sdk.getCalls()) await sdk.hangup(c.id);
      assert.deepEqual(await sdk.eventsOf('pageError'), [], 'no uncaught error in the SDK page');
    }
  });

  after(async () => {
    relay?.close();
    await browser?.close();
    await stack?.stop();
  });

  const establish = (sdk, ua, extension) => sdkCallsFarEnd(sdk, ua, extension, { heardBySdk: 0.005, heardByFar: 0.005 });

  async function getStats(sdk, callId) {
    return sdk.must('invoke', 'getStats', callId);
  }

  test('getStats(): fields present and plausible; the stats event every second; a clean call raises no warning', async () => {
    const { callId, session, fromSdk } = await establish(plain, bobUa, bob.extension);
    const first = await getStats(plain, callId);
    await sleep(1500);
    const second = await getStats(plain, callId);
    for (const s of [first, second]) {
      assert.equal(s.callId, callId);
      assert.equal(s.codec, 'opus', JSON.stringify(s));
      assert.equal(s.localCandidateType, 'host');
      assert.equal(s.remoteCandidateType, 'host');
      assert.equal(typeof s.jitterMs, 'number');
      assert.ok(s.packetLossPercent >= 0 && s.packetLossPercent < 1, `loss ${s.packetLossPercent}`);
      // inboundLevel is the level as played: 0 here, where the page plays calls in a muted element.
      assert.ok(s.inboundLevel >= 0 && s.inboundLevel <= 1 && s.outboundLevel >= 0 && s.outboundLevel <= 1);
    }
    assert.ok(second.bytesSent > first.bytesSent && first.bytesSent > 0, `bytes sent ${first.bytesSent} -> ${second.bytesSent}`);
    assert.ok(second.bytesReceived > first.bytesReceived && first.bytesReceived > 0, `bytes received ${first.bytesReceived} -> ${second.bytesReceived}`);
    // The stats events, one a second, over 8 s: RTT comes with the first RTCP report, then MOS.
    await sleep(8000);
    const events = (await plain.eventsOf('stats', fromSdk)).map((e) => e.payload).filter((p) => p.callId === callId);
    assert.ok(events.length >= 7 && events.length <= 11, `${events.length} stats events in ~10 s`);
    const last = events.at(-1);
    assert.equal(typeof last.rttMs, 'number', JSON.stringify(last));
    assert.ok(last.rttMs >= 0 && last.rttMs < 100, `loopback RTT ${last.rttMs} ms`);
    assert.ok(last.mos > 4 && last.mos <= 4.5, `MOS ${last.mos} on loopback`);
    assert.ok(Math.max(...events.map((p) => p.outboundLevel)) > 0, 'the microphone level was seen');
    const counters = events.map((p) => p.bytesSent);
    assert.deepEqual(counters, [...counters].sort((a, b) => a - b), 'bytes only grow');
    // A clean call: no warning at all (warnings are on by default).
    assert.deepEqual(await plain.eventsOf('qualityWarning', fromSdk), []);
    // Misuse is a typed error.
    const unknown = await plain.invoke('getStats', 'no-such-call');
    assert.equal(unknown.code, 'unknown_call', JSON.stringify(unknown));
    const bad = await plain.invoke('getStats', 42);
    assert.equal(bad.code, 'invalid_argument', JSON.stringify(bad));
    const ended = await bobUa.mark();
    await plain.must('hangup', callId);
    await bobUa.waitFor('ended', { from: ended, where: { session } });
    assert.equal((await plain.invoke('getStats', callId)).code, 'unknown_call');
  });

  test('impairment (loss 5 %, delay 200 ± 50 ms) raises the warnings; removing it clears them', { skip: !canUseNft() && 'needs root and nftables (the e2e network namespace)' }, async () => {
    const { callId, fromSdk } = await establish(strict, daveUa, dave.extension);
    assert.ok(relay.counts.aToB > 0 && relay.counts.bToA > 0, 'the media crosses the relay');
    // Clean, through the relay: nothing, even against the strict thresholds.
    await sleep(8000);
    assert.deepEqual(await strict.eventsOf('qualityWarning', fromSdk), [], 'a clean call raises no warning');
    const clean = await getStats(strict, callId);
    assert.ok(clean.rttMs < 100 && clean.packetLossPercent === 0, JSON.stringify(clean));

    const impaired = await strict.mark();
    const t0 = Date.now();
    const removeLoss = lossRule([relay.sdkSide, relay.farSide], 5);
    relay.setDelay(200, 50);
    const raised = {};
    try {
      for (const name of ['high-packet-loss', 'high-jitter', 'low-mos', 'high-rtt']) {
        const e = await strict.waitFor('qualityWarning', { from: impaired, timeout: 30_000 - (Date.now() - t0), where: { 'payload.name': name } });
        assert.equal(e.payload.callId, callId);
        raised[name] = { afterMs: Date.now() - t0, value: e.payload.value, threshold: e.payload.threshold };
      }
      const during = await getStats(strict, callId);
      console.log(`impaired: ${JSON.stringify(during)}\nraised: ${JSON.stringify(raised)}`);
      for (const e of await strict.events(impaired)) {
        if (e.type === 'stats') console.log(`${Math.round(e.at)} stats rtt ${e.payload.rttMs} jitter ${e.payload.jitterMs} loss ${e.payload.packetLossPercent} mos ${e.payload.mos} pair ${e.payload.localCandidateType}`);
        else if (e.type.startsWith('quality')) console.log(`${Math.round(e.at)} ${e.type} ${e.payload.name}`);
        else console.log(`${Math.round(e.at)} ${e.type}`);
      }
      assert.ok(during.rttMs > 250, `RTT ${during.rttMs}`);
    } finally {
      removeLoss();
      relay.setDelay(0, 0);
    }
    const t1 = Date.now();
    const cleared = {};
    for (const name of Object.keys(raised)) {
      await strict.waitFor('qualityWarningCleared', { from: impaired, timeout: 30_000 - (Date.now() - t1), where: { 'payload.name': name } });
      cleared[name] = Date.now() - t1;
    }
    console.log(`cleared after (ms): ${JSON.stringify(cleared)}`);
    const names = (await strict.eventsOf('qualityWarning', impaired)).map((e) => e.payload.name);
    for (const n of names) assert.ok(WARNINGS.includes(n), n);
    // Audio never stopped: the impairment is about quality, not silence.
    assert.ok(!names.includes('no-inbound-audio') && !names.includes('no-outbound-audio'), names.join());
  });
});
