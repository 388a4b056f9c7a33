// The start most SDK suites share: a stack, a browser with the test tone, the SDK page
// registered as alice, and JsSIP far ends registered as other members; and calls between
// them set up the usual way: one side dials, the other answers, audio is heard both ways.
import assert from 'node:assert/strict';
import { launchBrowser } from './browser.mjs';
import { openFarEnd } from './farend.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC, sdkConfig } from './sdkpage.mjs';
import { DEMO, startStack } from './stack.mjs';

/**
 * Audio thresholds (RMS of the remote stream). JsSIP's tone reaches the SDK unprocessed; the
 * SDK's reaches JsSIP through Chromium's noise suppression, which settles it near 0.02.
 */
export const HEARD_BY_SDK = 0.05;
export const HEARD_BY_FAR = 0.01;

/**
 * Starts the stack and the browser, opens the SDK page and one JsSIP page per far end, and
 * registers them all.
 * opts: { sdk: extra init() options for alice, farEnds: [{ member, name, start }] where
 *         `start` is FarEnd.startWith's options }.
 * Returns { stack, browser, sdk, farEnds: [FarEnd...], credentials: [far end credentials...],
 *           stop() }.
 */
export async function startScene({ sdk: sdkOptions = {}, farEnds = [] } = {}) {
  requireSdkBuild();
  const [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC }), launchBrowser({ tone: true })]);
  const scene = {
    stack,
    browser,
    async stop() {
      await browser.close();
      await stack.stop();
    },
  };
  try {
    const [sdk, ...uas] = await Promise.all([
      openSdkPage(browser, stack, { name: 'alice (SDK)' }),
      ...farEnds.map((f) => openFarEnd(browser, stack, { name: f.name ?? `${f.member.extension} (JsSIP)` })),
    ]);
    const [, ...credentials] = await Promise.all([
      sdk.initRegistered(sdkConfig(stack, DEMO.members.alice, DEMO.tokens.acme, sdkOptions)),
      ...farEnds.map(async (f, i) => {
        const c = await stack.credentials(f.member.email);
        await uas[i].startWith(c, f.start);
        return c;
      }),
    ]);
    return Object.assign(scene, { sdk, farEnds: uas, credentials });
  } catch (e) {
    await scene.stop().catch(() => {});
    throw e;
  }
}

/** Waits until `sdk` hears `ua` and `ua` hears `sdk` on the call; a threshold of null skips that side. */
export async function audioBothWays(sdk, callId, ua, session, { heardBySdk = HEARD_BY_SDK, heardByFar = HEARD_BY_FAR } = {}) {
  await Promise.all([
    heardBySdk === null ? null : sdk.waitForAudio({ threshold: heardBySdk, timeout: 8000, callId }),
    heardByFar === null ? null : ua.waitForAudio({ threshold: heardByFar, timeout: 8000, sessionId: session }),
  ]);
}

/**
 * The SDK calls `ua` at `extension` and `ua` answers: the SDK's `callUpdated` to active and
 * JsSIP's `confirmed`, then audio both ways unless `audio` is false (thresholds as in
 * audioBothWays). Returns { callId, session, incoming (JsSIP's event), fromSdk, fromFar }.
 */
export async function sdkCallsFarEnd(sdk, ua, extension, { audio = true, ...thresholds } = {}) {
  const fromSdk = await sdk.mark();
  const fromFar = await ua.mark();
  const callId = await sdk.must('call', extension);
  const incoming = await ua.waitFor('incoming', { from: fromFar });
  await ua.answer(incoming.session);
  await sdk.waitFor('callUpdated', { from: fromSdk, where: { 'payload.call.id': callId, 'payload.call.state': 'active' } });
  await ua.waitFor('confirmed', { from: fromFar, where: { session: incoming.session } });
  if (audio) await audioBothWays(sdk, callId, ua, incoming.session, thresholds);
  return { callId, session: incoming.session, incoming, fromSdk, fromFar };
}

/**
 * `ua` calls the SDK at `extension` (with JsSIP call options `call`) and the SDK answers;
 * then audio both ways unless `audio` is false. Returns { callId, session, fromSdk, fromFar }.
 */
export async function farEndCallsSdk(sdk, ua, extension, { audio = true, call, ...thresholds } = {}) {
  const fromSdk = await sdk.mark();
  const fromFar = await ua.mark();
  const session = await ua.call(extension, call);
  const incoming = await sdk.waitFor('incoming', { from: fromSdk });
  const callId = incoming.payload.call.id;
  await sdk.must('answer', callId);
  await ua.waitFor('confirmed', { from: fromFar, where: { session } });
  if (audio) await audioBothWays(sdk, callId, ua, session, thresholds);
  return { callId, session, fromSdk, fromFar };
}

/**
 * After a test: hangs up whatever the SDK still has (so one failure does not cascade), then
 * asserts there was nothing left or, when the suite's tests leave their calls to this
 * (`leftAllowed`), that hanging up removed them; and that the page threw nothing.
 */
export async function hangUpLeftovers(sdk, { leftAllowed = false } = {}) {
  const left = await sdk.getCalls();
  for (const c of left) await sdk.hangup(c.id);
  const ids = (leftAllowed ? await sdk.getCalls() : left).map((c) => c.id);
  assert.deepEqual(ids, [], 'no call left in getCalls()');
  assert.deepEqual(await sdk.eventsOf('pageError'), [], 'no uncaught error in the SDK page');
}

/**
 * Silence is judged against the audio level measured just before in the same call: a tenth of
 * it, and never above 0.005 (the SDK's noise-suppressed tone settles near 0.02 after an early
 * AGC swing up to ~0.5, so a tenth of an early peak would be no silence at all).
 */
export function silenceBelow(level) {
  return Math.min(Math.max(level / 10, 0.0005), 0.005);
}

/**
 * The DTMF suites' far ends: bob offers RFC 4733 as Chromium does; dave's SDP has no
 * telephone-event, so DTMF to him must go by SIP INFO.
 */
export const BOB_AND_INFO_DAVE = Object.freeze([
  { member: DEMO.members.bob, name: 'bob (JsSIP)' },
  { member: DEMO.members.dave, name: 'dave (JsSIP, INFO DTMF)', start: { stripTelephoneEvent: true } },
]);
