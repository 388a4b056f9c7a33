// Headless Chromium for the end-to-end suites, with fake media and loopback WebRTC.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { ensureSineWav } from './build.mjs';

/** Chromium flags the local stack needs (docs/local-stack.md explains each). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  // Without it WebRTC ignores the loopback interface and calls never get media.
  '--allow-loopback-in-peer-connection',
  // Lets the far end's AudioContext run without a user gesture.
  '--autoplay-policy=no-user-gesture-required',
];

/** Chromium binary: $CHROMIUM_PATH or Debian's /usr/bin/chromium. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Launches headless Chromium.
 * opts.tone: true feeds the fake microphone a continuous 1 kHz sine (generated once)
 *   instead of Chromium's default beep every ~500 ms; a string is a WAV path to use.
 * opts.args: extra Chromium flags.
 * opts.bfcache: true keeps the back/forward cache, which Playwright turns off by default.
 * opts.autoplayPolicy: true keeps Chromium's autoplay policy (unmuted play() needs a user gesture).
 * opts.denyMicrophone: true refuses every permission prompt (getUserMedia: NotAllowedError).
 * Returns { browser, context, newPage(url), close() }; one context shared by all pages,
 * microphone permission granted.
 */
export async function launchBrowser({ tone = false, args = [], headless = true, bfcache = false, autoplayPolicy = false, denyMicrophone = false } = {}) {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH} (set CHROMIUM_PATH)`);
  // The desktop default, named. Note that page.evaluate() counts as a user gesture (Playwright
  // evaluates with userGesture), so a page under test of the policy must run on its own.
  const base = autoplayPolicy
    ? [...CHROMIUM_ARGS.filter((f) => !f.startsWith('--autoplay-policy=')), '--autoplay-policy=document-user-activation-required']
    : CHROMIUM_ARGS;
  const flags = denyMicrophone
    ? [...base.filter((f) => f !== '--use-fake-ui-for-media-stream'), '--deny-permission-prompts', ...args]
    : [...base, ...args];
  if (tone) {
    const wav = typeof tone === 'string' ? tone : ensureSineWav();
    flags.push(`--use-file-for-fake-audio-capture=${wav}`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless,
    args: flags,
    ignoreDefaultArgs: [...(bfcache ? ['--disable-back-forward-cache'] : []), ...(autoplayPolicy ? ['--mute-audio'] : [])],
  });
  const context = await browser.newContext();
  const pages = new Set();

  return {
    browser,
    context,
    /** Opens url in a new page; browser console errors and page crashes go to stderr when E2E_DEBUG is set. */
    async newPage(url) {
      const page = await context.newPage();
      pages.add(page);
      if (process.env.E2E_DEBUG) {
        page.on('console', (m) => process.stderr.write(`[page ${m.type()}] ${m.text()}\n`));
      }
      page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
      if (url) await page.goto(url);
      return page;
    },
    async close() {
      await browser.close().catch(() => {});
    },
  };
}
