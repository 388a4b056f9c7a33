import { launchBrowser } from './lib/browser.mjs';
import { startStack } from './lib/stack.mjs';
const [stack, browser] = await Promise.all([startStack(), launchBrowser({ tone: true })]);
try {
  const page = await browser.newPage(stack.pageUrl('farend.html'));
  const r = await page.evaluate(async () => {
    const st = await navigator.mediaDevices.getUserMedia({ audio: { noiseSuppression: false, autoGainControl: false } });
    const ctx = new AudioContext(); const src = ctx.createMediaStreamSource(st); const an = ctx.createAnalyser(); src.connect(an);
    const buf = new Float32Array(an.fftSize); const out = [];
    for (let i = 0; i < 12; i++) { await new Promise((r) => setTimeout(r, 500)); an.getFloatTimeDomainData(buf); let m = 0; for (const v of buf) m = Math.max(m, Math.abs(v)); out.push(m.toFixed(3)); }
    return out;
  });
  console.log('mic peak every 500 ms:', r.join(' '));
} finally { await browser.close(); await stack.stop(); }
