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
  console.log('during', JSON.stringify(await sdk.media()));
  await sdk.page.evaluate(() => { window.__pc = null; });
  await sdk.hangup(id);
  await sdk.waitFor('sessionEnded');
  await new Promise(r => setTimeout(r, 500));
  console.log('after', JSON.stringify(await sdk.media()));
  console.log(JSON.stringify((await sdk.events()).filter(e=>e.source==='page' || e.type==='remoteStream'))); console.log(sdk.console.map(m => m.type + ' ' + m.text).join('\n'));
} finally { await browser.close(); await stack.stop(); }
