import { launchBrowser } from './lib/browser.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { DEMO, startStack } from './lib/stack.mjs';
import { join } from 'node:path';
import { REPO_ROOT } from './lib/build.mjs';
const { alice, bob } = DEMO.members;
const [stack, browser] = await Promise.all([startStack({ static: { '/sdk': join(REPO_ROOT, 'npm/dist') } }), launchBrowser({ tone: !process.env.BEEP })]);
const log = (...a) => console.log('[smoke]', ...a);
try {
  const bobUa = await openFarEnd(browser, stack, { name: 'bob' });
  await bobUa.startWith(await stack.credentials(bob.email));
  const page = await browser.newPage(stack.pageUrl('farend.html'));
  page.on('console', (m) => console.log(`[sdk ${m.type()}] ${m.text()}`));
  await page.evaluate(() => { window.pcs = []; const O = window.RTCPeerConnection; window.RTCPeerConnection = function (...a) { const p = new O(...a); window.pcs.push(p); return p; }; window.RTCPeerConnection.prototype = O.prototype; window.gums = []; const g = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices); navigator.mediaDevices.getUserMedia = async (c) => { const st = await g(c); window.gums.push(st); return st; }; });
  await page.addScriptTag({ url: `${stack.apiBaseUrl}/sdk/klink-call-sdk.iife.js` });
  await page.evaluate(async ([email, token, api]) => {
    window.sdk = await KlinkCallSdk.init({ userEmail: email, accessToken: token, apiBaseUrl: api, logLevel: 'info', audioConstraints: { noiseSuppression: false, autoGainControl: false, echoCancellation: false } });
    window.ev = []; const t = performance.now();
    for (const n of ['ready','incoming','sessionStarted','sessionEnded','remoteStream','connected','disconnected','registeredChange','registrationFailed','error','destroyed','callUpdated','dtmf']) {
      sdk.on(n, (p) => window.ev.push([Math.round(performance.now() - t), n, p && p.call ? { state: p.call.state, muted: p.call.muted } : (p && p.stream ? { callId: p.callId } : p)]));
    }
    await new Promise((r) => sdk.once('registeredChange', r));
  }, [alice.email, DEMO.tokens.acme, stack.apiBaseUrl]);
  const m2 = await bobUa.mark();
  await bobUa.call('1001');
  const inc = await page.evaluate(() => new Promise((r) => { const c = sdk.getCalls()[0]; if (c) r(c); else sdk.once('incoming', ({ call }) => r(call)); }));
  await page.evaluate((id) => sdk.answer(id), inc.id);
  await bobUa.waitFor('confirmed', { from: m2 });
  log('inbound audio at bob', await bobUa.waitForAudio({ threshold: 0.05 }).catch((e) => e.message));
  const lvl = () => page.evaluate(async () => { let l; (await pcs[0].getStats()).forEach((r) => { if (r.type === 'media-source') l = r.audioLevel; }); return [l, pcs[0].getSenders()[0].track.enabled, pcs[0].getSenders()[0].track.id, gums.map((st) => st.getTracks().map((t) => [t.id, t.enabled, t.readyState]))]; });
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  log('before mute', JSON.stringify(await lvl()), await bobUa.peakEnergy(300));
  if (!process.env.NOMUTE) await page.evaluate((id) => sdk.mute(id), inc.id);
  await wait(1500);
  log('muted', JSON.stringify(await lvl()), await bobUa.peakEnergy(300));
  await page.evaluate((id) => sdk.unmute(id), inc.id);
  for (let i = 0; i < 5; i++) { await wait(700); log('unmuted', JSON.stringify(await lvl()), await bobUa.peakEnergy(300)); }
  log('sender', JSON.stringify(await page.evaluate(async () => { const p = pcs[0]; const s = p.getSenders().map((x) => ({ kind: x.track && x.track.kind, enabled: x.track && x.track.enabled, state: x.track && x.track.readyState })); const st = []; (await p.getStats()).forEach((r) => { if (r.type === 'media-source' || r.type === 'outbound-rtp') st.push({ type: r.type, audioLevel: r.audioLevel, bytesSent: r.bytesSent, packetsSent: r.packetsSent }); }); return { n: pcs.length, s, st, dirs: p.getTransceivers().map((t) => [t.direction, t.currentDirection]) }; })));
  log('calls', JSON.stringify(await page.evaluate(() => sdk.getCalls())));
  await bobUa.sendDTMF('5', { transportType: 'INFO' });
  log('sdk dtmf', JSON.stringify(await page.evaluate(() => new Promise((r) => { sdk.once('dtmf', r); setTimeout(() => r('none'), 2000); }))));
  await bobUa.hangup();
  log('sdk ended', JSON.stringify(await page.evaluate(() => new Promise((r) => { sdk.once('sessionEnded', r); setTimeout(() => r('none'), 3000); }))));
  log('bob events', JSON.stringify(await bobUa.events(m2)));
  log('events', JSON.stringify(await page.evaluate(() => window.ev)));
  log('sdk pc', await page.evaluate(() => 'n/a'));
  await page.evaluate(() => sdk.destroy());
} finally { await browser.close(); await stack.stop(); }
