import { launchBrowser } from './lib/browser.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { DEMO, startStack } from './lib/stack.mjs';
import { join } from 'node:path';
import { REPO_ROOT } from './lib/build.mjs';
const { alice, bob } = DEMO.members;
const [stack, browser] = await Promise.all([startStack({ static: { '/sdk': join(REPO_ROOT, 'npm/dist') } }), launchBrowser({ tone: true })]);
const log = (...a) => console.log('[smoke]', ...a);
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
try {
  const bobUa = await openFarEnd(browser, stack, { name: 'bob' });
  await bobUa.startWith(await stack.credentials(bob.email));
  const page = await browser.newPage(stack.pageUrl('farend.html'));
  page.on('console', (m) => { if (m.type() !== 'log') console.log(`[sdk ${m.type()}] ${m.text()}`); });
  await page.evaluate(() => { window.pcs = []; const O = window.RTCPeerConnection; window.RTCPeerConnection = function (...a) { const p = new O(...a); window.pcs.push(p); return p; }; window.RTCPeerConnection.prototype = O.prototype; window.gums = []; const g = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices); navigator.mediaDevices.getUserMedia = async (c) => { const st = await g(c); window.gums.push(st); return st; }; });
  await page.addScriptTag({ url: `${stack.apiBaseUrl}/sdk/klink-call-sdk.iife.js` });
  await page.evaluate(async ([email, token, api]) => {
    window.sdk = await KlinkCallSdk.init({ userEmail: email, accessToken: token, apiBaseUrl: api, audioConstraints: { noiseSuppression: false, autoGainControl: false } });
    window.ev = [];
    for (const n of ['sessionStarted','sessionEnded','remoteStream','error','destroyed','incoming']) sdk.on(n, (p) => ev.push([n, p && p.callId, p && (p.cause || p.detail)]));
    window.audio = document.createElement('audio'); audio.muted = true; document.body.append(audio); sdk.attachAudio(audio);
    await new Promise((r) => sdk.once('registeredChange', r));
  }, [alice.email, DEMO.tokens.acme, stack.apiBaseUrl]);
  const state = () => page.evaluate(() => ({ calls: sdk.getCalls().map((c) => [c.id, c.state, c.held]), src: audio.srcObject ? audio.srcObject.id : null, mics: gums.map((s) => s.getTracks().map((t) => t.readyState).join()), pcs: pcs.map((p) => p.connectionState + '/' + p.signalingState) }));
  // call 1, answered; remote hangs up
  const m1 = await bobUa.mark();
  const c1 = await page.evaluate(() => sdk.call('1002'));
  await bobUa.waitFor('incoming', { from: m1 }); await bobUa.answer(); await bobUa.waitFor('confirmed', { from: m1 });
  await wait(500);
  log('in call', JSON.stringify(await state()));
  log('sdk hears bob', await page.evaluate(async () => { const ctx = new AudioContext(); const an = ctx.createAnalyser(); ctx.createMediaStreamSource(audio.srcObject).connect(an); const b = new Float32Array(an.fftSize); await new Promise((r) => setTimeout(r, 400)); an.getFloatTimeDomainData(b); return Math.max(...b.map(Math.abs)); }));
  await bobUa.hangup();
  await wait(500);
  log('after remote hangup', JSON.stringify(await state()));
  // two calls: bob calls twice (second one from a second far end)
  const carolUa = await openFarEnd(browser, stack, { name: 'dave' });
  await carolUa.startWith(await stack.credentials(DEMO.members.dave.email, DEMO.tokens.globex));
  const m2 = await bobUa.mark();
  await page.evaluate(() => sdk.call('1002'));
  await bobUa.waitFor('incoming', { from: m2 }); await bobUa.answer(); await bobUa.waitFor('confirmed', { from: m2 });
  const first = (await state()).calls[0][0];
  await page.evaluate((id) => sdk.hold(id), first);
  await wait(300);
  const m3 = await carolUa.mark();
  await page.evaluate(() => sdk.call('1003'));
  await carolUa.waitFor('incoming', { from: m3 }); await carolUa.answer(); await carolUa.waitFor('confirmed', { from: m3 });
  await wait(500);
  log('two calls', JSON.stringify(await state()));
  // destroy with calls up
  await page.evaluate(() => sdk.destroy());
  await wait(300);
  log('after destroy', JSON.stringify(await page.evaluate(() => ({ src: audio.srcObject, mics: gums.map((s) => s.getTracks().map((t) => t.readyState).join()), pcs: pcs.map((p) => p.connectionState + '/' + p.signalingState), reg: sdk.isRegistered, calls: sdk.getCalls() }))));
  log('bob/dave ended', JSON.stringify((await bobUa.events(m2)).filter((e) => e.type === 'ended')), JSON.stringify((await carolUa.events(m3)).filter((e) => e.type === 'ended')));
  log('after destroy call', await page.evaluate(() => sdk.call('1002').catch((e) => e.code)));
  log('events', JSON.stringify(await page.evaluate(() => ev)));
  log('contacts', JSON.stringify(await stack.contacts(alice.extension)));
} finally { await browser.close(); await stack.stop(); }
