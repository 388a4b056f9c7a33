// Parse throughput of the same INVITE by sip-core (wasm) and by JsSIP's parser, in one page.
import init, { parseRepeatedly } from '/bench-build/parse_bench.js';

function rate(fn, ms) {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    fn();
    n += 100;
  }
  return (n * 1000) / (performance.now() - start);
}

async function run({ text, rounds = 7, roundMs = 300 }) {
  await init({ module_or_path: '/bench-build/parse_bench_bg.wasm' });
  if (parseRepeatedly(text, 1) === 0) throw new Error('sip-core failed to parse the bench INVITE');
  const fakeUa = {};
  const parsed = JsSIPParser.parseMessage(text, fakeUa);
  if (!parsed || parsed.method !== 'INVITE') throw new Error('JsSIP failed to parse the bench INVITE');
  const ours = [];
  const jssip = [];
  for (let r = 0; r < rounds; r++) {
    ours.push(rate(() => parseRepeatedly(text, 100), roundMs));
    jssip.push(rate(() => { for (let i = 0; i < 100; i++) JsSIPParser.parseMessage(text, fakeUa); }, roundMs));
  }
  return { ours, jssip };
}

window.parseBench = { run, ready: true };
