import { launchBrowser } from './lib/browser.mjs';
import { openFarEnd } from './lib/farend.mjs';
import { openSdkPage, SDK_STATIC, sdkConfig } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';
const { alice, bob } = DEMO.members;
const [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC }), launchBrowser({ tone: true })]);
try {
  const sdk = await openSdkPage(browser, stack);
  const far = await openFarEnd(browser, stack);
  await sdk.initRegistered(sdkConfig(stack, alice, DEMO.tokens.acme, { logLevel: 'info' }));
  await far.startWith(await stack.credentials(bob.email));
  const id = await sdk.must('call', '1002');
  await far.waitFor('incoming'); await far.answer();
  await sdk.waitFor('sessionStarted');
  console.log('before hold', await sdk.peakEnergy(600, id));
  const m = await sdk.mark();
  await sdk.must('hold', id);
  await new Promise(r => setTimeout(r, 1500));
  console.log('held', await sdk.peakEnergy(600, id));
  await sdk.must('unhold', id);
  await new Promise(r => setTimeout(r, 2000));
  console.log('resumed', await sdk.peakEnergy(600, id));
  console.log(JSON.stringify((await sdk.events()).filter(e => e.type==='track' || e.type==='remoteStream')));console.log(JSON.stringify((await far.events()).filter(e=>e.type==='sdp'||e.type==='remoteTrack')));
  console.log(JSON.stringify(await sdk.page.evaluate(() => [...document.querySelectorAll('audio')].map(a => ({ id: a.id, call: a.dataset.call, paused: a.paused, tracks: a.srcObject ? a.srcObject.getTracks().map(t => [t.id, t.readyState, t.muted, t.enabled]) : null })))));
  console.log(sdk.console.map(m => m.type + ' ' + m.text).join('\n'));
} finally { await browser.close(); await stack.stop(); }
