// Throwaway smoke run of the SDK build against the local stack (not a committed test).
import { launchBrowser } from './lib/browser.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { DEMO, startStack } from './lib/stack.mjs';
import { join } from 'node:path';
import { REPO_ROOT } from './lib/build.mjs';

const { alice, bob } = DEMO.members;
const [stack, browser] = await Promise.all([
  startStack({ static: { '/sdk': join(REPO_ROOT, 'npm/dist') } }),
  launchBrowser({ tone: true }),
]);
const log = (...a) => console.log('[smoke]', ...a);
try {
  const bobUa = await openFarEnd(browser, stack, { name: 'bob' });
  await bobUa.startWith(await stack.credentials(bob.email));
  log('bob registered');
  const page = await browser.newPage(stack.pageUrl('farend.html'));
  page.on('console', (m) => console.log(`[sdk page ${m.type()}] ${m.text()}`));
  await page.addScriptTag({ url: `${stack.apiBaseUrl}/sdk/klink-call-sdk.iife.js` });
  const t0 = Date.now();
  const initRes = await page.evaluate(async ([email, token, api]) => {
    window.ev = [];
    const t = performance.now();
    try {
      window.sdk = await KlinkCallSdk.init({ userEmail: email, accessToken: token, apiBaseUrl: api, logLevel: 'info' });
    } catch (e) { return { err: e.code + ': ' + e.message }; }
    for (const n of ['ready','incoming','sessionStarted','sessionEnded','remoteStream','connected','disconnected','registeredChange','registrationFailed','error','destroyed','callUpdated','dtmf']) {
      sdk.on(n, (p) => window.ev.push([Math.round(performance.now() - t), n, p && p.call ? { ...p.call } : (p && p.stream ? { callId: p.callId } : p)]));
    }
    const audio = document.createElement('audio'); audio.muted = true; document.body.append(audio);
    sdk.attachAudio(audio);
    await new Promise((r) => sdk.once('registeredChange', r));
    return { ok: true, registered: sdk.isRegistered, ms: Math.round(performance.now() - t) };
  }, [alice.email, DEMO.tokens.acme, stack.apiBaseUrl]);
  log('init', JSON.stringify(initRes), Date.now() - t0, 'ms');
  log('contacts', JSON.stringify(await stack.contacts(alice.extension)));
  const markB = await bobUa.mark();
  const callId = await page.evaluate(() => sdk.call('1002'));
  log('call id', callId);
  await bobUa.waitFor('incoming', { from: markB });
  await bobUa.answer();
  await bobUa.waitFor('confirmed', { from: markB });
  log('bob confirmed; audio at bob', await bobUa.waitForAudio({ threshold: 0.05 }).catch((e) => e.message));
  await page.evaluate(() => sdk.hold(sdk.getCalls()[0].id));
  log('hold ->', JSON.stringify(await bobUa.waitFor('hold', { from: markB }).catch((e) => e.message)));
  await page.evaluate(() => sdk.unhold(sdk.getCalls()[0].id));
  log('unhold ->', JSON.stringify(await bobUa.waitFor('unhold', { from: markB }).catch((e) => e.message)));
  await page.evaluate(() => sdk.dtmf(sdk.getCalls()[0].id, '12#'));
  await new Promise((r) => setTimeout(r, 1500));
  log('calls', JSON.stringify(await page.evaluate(() => sdk.getCalls())));
  log('misuse', await page.evaluate(() => sdk.answer('nope').catch((e) => e.code + ': ' + e.message)));
  await page.evaluate(() => sdk.hangup(sdk.getCalls()[0].id));
  log('bob ended', JSON.stringify(await bobUa.waitFor('ended', { from: markB }).catch((e) => e.message)));
  log('bob dtmf events', JSON.stringify((await bobUa.events(markB)).filter((e) => /dtmf|info|newInfo/i.test(e.type))));
  // inbound
  const m2 = await bobUa.mark();
  await bobUa.call('1001');
  const inc = await page.evaluate(() => new Promise((r) => { const c = sdk.getCalls()[0]; if (c) r(c); else sdk.once('incoming', ({ call }) => r(call)); }));
  log('incoming', JSON.stringify(inc));
  await page.evaluate((id) => sdk.answer(id), inc.id);
  await bobUa.waitFor('confirmed', { from: m2 });
  log('inbound audio at bob', await bobUa.waitForAudio({ threshold: 0.05 }).catch((e) => e.message));
  await page.evaluate((id) => sdk.mute(id), inc.id);
  log('muted: silence at bob', await bobUa.waitForSilence({ threshold: 0.01 }).catch((e) => e.message));
  await page.evaluate((id) => sdk.unmute(id), inc.id);
  log('unmuted: audio at bob', await bobUa.waitForAudio({ threshold: 0.05 }).catch((e) => e.message));
  await bobUa.sendDTMF('5', { transportType: 'INFO' });
  await new Promise((r) => setTimeout(r, 500));
  await bobUa.hangup();
  await new Promise((r) => setTimeout(r, 500));
  // reject
  const m3 = await bobUa.mark();
  await bobUa.call('1001');
  const inc2 = await page.evaluate(() => new Promise((r) => sdk.once('incoming', ({ call }) => r(call))));
  await page.evaluate((id) => sdk.reject(id), inc2.id);
  log('reject -> bob', JSON.stringify(await bobUa.waitFor('failed', { from: m3 }).catch((e) => e.message)));
  await page.evaluate(() => sdk.destroy());
  log('contacts after destroy', JSON.stringify(await stack.contacts(alice.extension)));
  log('events', JSON.stringify(await page.evaluate(() => window.ev), null, 0));
} finally {
  await browser.close();
  await stack.stop();
}
