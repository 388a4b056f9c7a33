// Benchmarks the SDK side by side with JsSIP and SIP.js: one run, one machine, one Kamailio,
// one headless Chromium. Prints a Markdown table (min / median / max, ratio ours ÷ JsSIP) and
// writes the raw samples as JSON. Usage: node tests/bench/bench.mjs [--reps N] [--soak N]
// [--concurrent N] [--settle-ms N] [--only ours,jssip,sipjs] [--parts calls,parse,soak,cold]
// [--out DIR]. scripts/bench builds what it needs and isolates the network.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import { launchBrowser } from '../e2e/lib/browser.mjs';
import { ensureJssipBundle } from '../e2e/lib/build.mjs';
import { startStack, DEMO } from '../e2e/lib/stack.mjs';
import { startGzipServer } from './gzip-server.mjs';

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(dirname(HERE));
const BUILD = join(HERE, '.build');
const DIST = join(ROOT, 'npm', 'dist');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const REPS = Number(option('reps', 10));
const SOAK = Number(option('soak', 200));
const CONCURRENT = Number(option('concurrent', 10));
const SETTLE_MS = Number(option('settle-ms', 34000));
const OUT = option('out', join(ROOT, 'bench-results'));
const STACKS = option('only', 'ours,jssip,sipjs').split(',');
// calls: the warm timing rows; parse: the parse race; soak: memory; cold: the first call on a cold
// page under network throttling. The size tables are always printed.
const PARTS = option('parts', 'calls,parse,soak,cold').split(',');
for (const part of PARTS) {
  if (!['calls', 'parse', 'soak', 'cold'].includes(part)) throw new Error(`--parts: unknown part ${part}`);
}

// Chrome DevTools' throttling presets (Slow3GConditions and Fast4GConditions in devtools-frontend
// front_end/core/sdk/NetworkManager.ts), as CDP Network.emulateNetworkConditions takes them:
// throughput in bytes/s, latency in ms added to each request.
const PRESETS = {
  'Fast 4G': { latency: 60 * 2.75, downloadThroughput: (9e6 / 8) * 0.9, uploadThroughput: (1.5e6 / 8) * 0.9 },
  'Slow 3G': { latency: 400 * 5, downloadThroughput: (500e3 / 8) * 0.8, uploadThroughput: (500e3 / 8) * 0.8 },
};
// What each stack's cold run must fetch: `critical` before the library can be called (nothing
// else may load then), `later` until registered. `size` and `whole` name the size-table rows the
// bytes on the wire must equal (size: before init(); whole: everything the run fetched).
const COLD = {
  ours: { critical: ['/sdk/index.js'], later: ['/sdk/engine.js', '/sdk/engine_bg.wasm', '/v1/telephony/webphone/credentials'], size: 'ours_entry', whole: 'ours_esm' },
  jssip: { critical: ['/lib/jssip.js'], later: [], size: 'jssip', whole: 'jssip' },
  sipjs: { critical: ['/lib/sipjs.js'], later: [], size: 'sipjs', whole: 'sipjs' },
};
const COLD_METRICS = ['start_to_registered', 'start_to_loaded', 'ws_open_to_registered', 'critical_gzip', 'critical_raw', 'fetched_gzip'];

// ---------------------------------------------------------------- builds and sizes
async function bundle(entry, globalName, file) {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [entry], bundle: true, format: 'iife', globalName, platform: 'browser',
    target: 'chrome110', minify: true, outfile: join(BUILD, file), logLevel: 'silent',
  });
  return join(BUILD, file);
}

function sizes(files) {
  const data = Buffer.concat(files.map((f) => readFileSync(f)));
  let gzip = 0;
  let brotli = 0;
  // Each file is a separate download: compress them one by one.
  for (const f of files) {
    const d = readFileSync(f);
    gzip += gzipSync(d, { level: 9 }).length;
    brotli += brotliCompressSync(d, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length;
  }
  return { raw: data.length, gzip, brotli, files: files.map((f) => f.replace(`${ROOT}/`, '')) };
}

// ---------------------------------------------------------------- statistics
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const summary = (xs) => (xs.length
  ? { min: Math.min(...xs), median: median(xs), max: Math.max(...xs), n: xs.length }
  : { min: NaN, median: NaN, max: NaN, n: 0 });
const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

async function main() {
  mkdirSync(BUILD, { recursive: true });
  mkdirSync(OUT, { recursive: true });
  const jssipBundle = await ensureJssipBundle();
  const sipjsBundle = await bundle(require.resolve('sip.js'), 'SIP', 'sipjs.js');
  await bundle(require.resolve('jssip/lib/Parser.js'), 'JsSIPParser', 'jssip-parser.js');
  for (const f of ['parse_bench_bg.wasm', 'core_probe_bg.wasm']) {
    if (!existsSync(join(BUILD, f))) throw new Error(`${f} missing: run scripts/bench`);
  }

  const size = {
    ours_esm: sizes(['index.js', 'engine.js', 'engine_bg.wasm'].map((f) => join(DIST, f))),
    ours_script_tag: sizes(['klink-call-sdk.iife.js', 'engine_bg.wasm'].map((f) => join(DIST, f))),
    ours_wasm: sizes([join(DIST, 'engine_bg.wasm')]),
    // The lazy chunk (device helpers, preflight()): fetched on their first use, not to call.
    ours_devices: sizes([join(DIST, 'devices.js')]),
    ours_esm_all: sizes(['index.js', 'engine.js', 'engine_bg.wasm', 'devices.js'].map((f) => join(DIST, f))),
    // What a host page must load before it can call init(): the engine loads on init().
    ours_entry: sizes([join(DIST, 'index.js')]),
    ours_iife: sizes([join(DIST, 'klink-call-sdk.iife.js')]),
    ours_core_alone: sizes(['core_probe.min.js', 'core_probe_bg.wasm'].map((f) => join(BUILD, f))),
    jssip: sizes([jssipBundle]),
    sipjs: sizes([sipjsBundle]),
  };

  const nativeParse = PARTS.includes('parse') ? JSON.parse(execFileSync('bash', ['-c',
    '. scripts/lib/env.sh && cargo bench --quiet -p parse-bench --bench parse 2>/dev/null | grep native_parse'],
  { cwd: ROOT, encoding: 'utf8' }).trim()) : undefined;

  const stack = await startStack({
    static: { '/sdk': DIST, '/bench': join(HERE, 'pages'), '/bench-build': BUILD },
  });
  const browser = await launchBrowser({ tone: true, args: ['--enable-precise-memory-info', '--js-flags=--expose-gc'] });
  // The cold pages' own web server, a different origin from the credential API (as a host page
  // and the K-Link API are): the credential request pays its CORS preflight.
  const web = PARTS.includes('cold') ? await startGzipServer({
    '/cold/cold.html': join(HERE, 'pages', 'cold.html'),
    '/cold/cold.js': join(HERE, 'pages', 'cold.js'),
    '/cold/probe.js': join(HERE, 'pages', 'probe.js'),
    ...Object.fromEntries(['index.js', 'engine.js', 'engine_bg.wasm'].map((f) => [`/sdk/${f}`, join(DIST, f)])),
    '/lib/jssip.js': jssipBundle,
    '/lib/sipjs.js': sipjsBundle,
  }) : undefined;
  const results = { machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30) }, reps: REPS, parts: PARTS, size, nativeParse };
  try {
    const config = { userEmail: DEMO.members.alice.email, accessToken: DEMO.tokens.acme, apiBaseUrl: stack.apiBaseUrl };
    const target = DEMO.members.bob.extension;
    const order = ['ours', 'jssip', 'sipjs'].filter((s) => STACKS.includes(s));
    let caller;
    if (PARTS.includes('calls') || PARTS.includes('soak')) {
      const answerer = await browser.newPage(`${stack.apiBaseUrl}/bench/bench.html`);
      await answerer.waitForFunction(() => window.bench && window.bench.ready);
      await answerer.evaluate((creds) => window.bench.answer({ creds }), await stack.credentials(DEMO.members.bob.email));
      caller = await browser.newPage(`${stack.apiBaseUrl}/bench/bench.html`);
      await caller.waitForFunction(() => window.bench && window.bench.ready);
    }
    const runs = { ours: [], jssip: [], sipjs: [] };
    for (let rep = 0; rep < (PARTS.includes('calls') ? REPS : 0); rep++) {
      // Rotate the order so drift on a shared machine spreads over all three.
      for (let k = 0; k < order.length; k++) {
        const who = order[(rep + k) % order.length];
        let sample;
        if (who === 'ours') {
          sample = await caller.evaluate((a) => window.bench.sdkRun(a), { config, target });
        } else {
          const creds = await stack.credentials(DEMO.members.alice.email);
          const fn = who === 'jssip' ? 'jssipRun' : 'sipjsRun';
          sample = await caller.evaluate(([f, a]) => window.bench[f](a), [fn, { creds, target }]);
        }
        runs[who].push(sample);
      }
      process.stderr.write(`rep ${rep + 1}/${REPS}\n`);
    }
    if (PARTS.includes('calls')) results.runs = runs;

    if (PARTS.includes('parse')) {
      const parsePage = await browser.newPage(`${stack.apiBaseUrl}/bench/parse.html`);
      await parsePage.waitForFunction(() => window.parseBench && window.parseBench.ready);
      results.parse = await parsePage.evaluate((text) => window.parseBench.run({ text }),
        readFileSync(join(HERE, 'invite.sip'), 'utf8'));
    }

    if (PARTS.includes('cold')) {
      results.presets = PRESETS;
      results.cold = {};
      for (const preset of Object.keys(PRESETS)) results.cold[preset] = { ours: [], jssip: [], sipjs: [] };
      const coldStart = Date.now();
      for (let rep = 0; rep < REPS; rep++) {
        for (const preset of Object.keys(PRESETS)) {
          for (let k = 0; k < order.length; k++) {
            const who = order[(rep + k) % order.length];
            // JsSIP and SIP.js get their credentials up front; ours fetches them inside init().
            const args = who === 'ours' ? { config } : { creds: await stack.credentials(DEMO.members.alice.email) };
            results.cold[preset][who].push(await coldRun(browser, `${web.baseUrl}/cold/cold.html`, PRESETS[preset], who, args));
          }
        }
        process.stderr.write(`cold rep ${rep + 1}/${REPS} (${Math.round((Date.now() - coldStart) / 1000)} s)\n`);
      }
    }

    if (PARTS.includes('soak') && STACKS.includes('ours') && (SOAK > 0 || CONCURRENT > 0)) {
      results.soak = await caller.evaluate((a) => window.bench.sdkSoak(a),
        { config, target, sequential: SOAK, concurrent: CONCURRENT, settleMs: SETTLE_MS });
    }
  } finally {
    await browser.close();
    await stack.stop();
    await web?.close();
  }

  const problems = check(results);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(OUT, `bench-${stamp}.json`), JSON.stringify(results, null, 2));
  const table = render(results);
  writeFileSync(join(OUT, 'latest.md'), table);
  process.stdout.write(table);
  if (problems.length) {
    console.error(`bench: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
}

/**
 * One cold-page sample: a fresh browser context (its own empty HTTP cache and connections), the
 * page loaded at full speed, then the cache disabled and the network throttled before the run
 * asks for the library. The emulation is lifted again to unregister.
 */
async function coldRun(browser, url, conditions, who, args) {
  const context = await browser.browser.newContext();
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => process.stderr.write(`[cold page error] ${e.message}\n`));
    await page.goto(url);
    await page.waitForFunction(() => window.cold && window.cold.ready);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, ...conditions });
    const sample = await page.evaluate(([f, a]) => window.cold[f](a), [who, args]);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.evaluate(() => window.cold.stop());
    return sample;
  } finally {
    await context.close();
  }
}

/** What must hold for the numbers to mean anything: every sample measured, nothing left running. */
function check(r) {
  const problems = [];
  for (const [who, samples] of Object.entries(r.runs ?? {})) {
    for (const [i, s] of samples.entries()) {
      for (const [k, v] of Object.entries(s)) {
        if (!Number.isFinite(v) || v < 0) problems.push(`${who} run ${i + 1}: ${k} = ${v}`);
      }
    }
  }
  for (const key of r.parse ? ['ours', 'jssip'] : []) {
    if (!r.parse[key].every((x) => Number.isFinite(x) && x > 0)) problems.push(`parse ${key}: ${r.parse[key]}`);
  }
  for (const [preset, byStack] of Object.entries(r.cold ?? {})) {
    for (const [who, samples] of Object.entries(byStack)) {
      const want = COLD[who];
      for (const [i, s] of samples.entries()) {
        const at = `${preset} ${who} run ${i + 1}`;
        for (const k of COLD_METRICS) {
          if (!Number.isFinite(s[k]) || s[k] < 0) problems.push(`${at}: ${k} = ${s[k]}`);
        }
        // A file from a cache would hide its download; another file before init() would
        // make the critical-path row wrong (the engine must load on init(), not on import).
        if (s.cached.length) problems.push(`${at}: served from a cache: ${s.cached.join(', ')}`);
        if (s.critical_files.join() !== want.critical.join()) {
          problems.push(`${at}: loaded before the library was called: ${s.critical_files.join(', ')} (expected ${want.critical.join(', ')})`);
        }
        for (const f of [...want.critical, ...want.later]) {
          if (!s.files.some((p) => p.endsWith(f))) problems.push(`${at}: ${f} was not fetched`);
        }
        // The bytes on the wire are the size table's: nothing skipped, nothing else loaded.
        const first = r.size[want.size];
        if (s.critical_gzip !== first.gzip || s.critical_raw !== first.raw) {
          problems.push(`${at}: ${s.critical_gzip} B gzip (${s.critical_raw} B raw) fetched before the library was called, the size table says ${first.gzip} (${first.raw})`);
        }
        if (s.fetched_gzip !== r.size[want.whole].gzip) {
          problems.push(`${at}: ${s.fetched_gzip} B gzip fetched in all, the size table says ${r.size[want.whole].gzip}`);
        }
      }
    }
  }
  if (r.soak) {
    if (r.soak.afterSequential.peers !== 0) problems.push(`${r.soak.afterSequential.peers} peer connections left after sequential calls`);
    if (r.soak.secondBatch.peers !== 0) problems.push(`${r.soak.secondBatch.peers} peer connections left after the second batch`);
    // A leak grows linear memory past the first batch's high-water mark (a 64 KB page of slack).
    if (r.soak.sequential >= 50 && r.soak.secondBatch.wasm > r.soak.afterSequential.wasm + 65536) {
      problems.push(`wasm memory grew from ${r.soak.afterSequential.wasm} to ${r.soak.secondBatch.wasm} B over a second batch of calls`);
    }
    if (r.soak.afterConcurrent.peers !== 0) problems.push(`${r.soak.afterConcurrent.peers} peer connections left after concurrent calls`);
    if (r.soak.during.calls !== r.soak.concurrent) problems.push(`getCalls() showed ${r.soak.during.calls} of ${r.soak.concurrent} concurrent calls`);
  }
  return problems;
}

function render(r) {
  const lines = [];
  const m = r.machine;
  lines.push(`Machine: ${m.cpus} × ${m.cpu}, ${m.memGiB} GiB; ${r.reps} repetitions; Chromium headless, Kamailio on loopback.`, '');
  lines.push('| metric | ours min / median / max | JsSIP min / median / max | SIP.js median | ours ÷ JsSIP (median) |');
  lines.push('| --- | --- | --- | --- | --- |');
  const metric = (label, key) => {
    if (!r.runs) return;
    const o = summary(r.runs.ours.map((s) => s[key]));
    const j = summary(r.runs.jssip.map((s) => s[key]));
    const s = summary(r.runs.sipjs.map((x) => x[key]));
    lines.push(`| ${label} (ms) | ${fmt(o.min)} / **${fmt(o.median)}** / ${fmt(o.max)} | ${fmt(j.min)} / **${fmt(j.median)}** / ${fmt(j.max)} | ${fmt(s.median)} | ${fmt(o.median / j.median, 2)} |`);
  };
  metric('start → registered (ours: `init()`, incl. wasm + credential fetch)', 'start_to_registered');
  metric('WebSocket open → registered (engine only)', 'ws_open_to_registered');
  metric('`call()` → INVITE on the wire', 'call_to_invite');
  metric('`call()` → answered', 'call_to_answered');
  metric('answered → first remote audio', 'answered_to_audio');
  if (r.parse) {
    const po = summary(r.parse.ours);
    const pj = summary(r.parse.jssip);
    lines.push(`| parse, messages/s in the page (1.6 KB INVITE) | ${fmt(po.min, 0)} / **${fmt(po.median, 0)}** / ${fmt(po.max, 0)} | ${fmt(pj.min, 0)} / **${fmt(pj.median, 0)}** / ${fmt(pj.max, 0)} | | ${fmt(po.median / pj.median, 1)} |`);
    const np = r.nativeParse.native_parse_msgs_per_s;
    lines.push(`| parse, messages/s native (sip-core) | ${fmt(np.min, 0)} / **${fmt(np.median, 0)}** / ${fmt(np.max, 0)} | | | |`);
  }
  for (const [preset, byStack] of Object.entries(r.cold ?? {})) {
    const cold = (label, key) => {
      const o = summary(byStack.ours.map((x) => x[key]));
      const j = summary(byStack.jssip.map((x) => x[key]));
      const s = summary(byStack.sipjs.map((x) => x[key]));
      lines.push(`| cold page, ${preset}: ${label} (ms) | ${fmt(o.min, 0)} / **${fmt(o.median, 0)}** / ${fmt(o.max, 0)} | ${fmt(j.min, 0)} / **${fmt(j.median, 0)}** / ${fmt(j.max, 0)} | ${fmt(s.median, 0)} | ${fmt(o.median / j.median, 2)} |`);
    };
    cold('library requested → registered, downloads included (ours: `import` + `init()`: entry, engine, credentials)', 'start_to_registered');
    cold('library requested → callable (ours: the ESM entry; JsSIP, SIP.js: the whole bundle)', 'start_to_loaded');
  }
  lines.push('', '| what a page downloads to call | raw (B) | gzip -9 (B) | brotli (B) | ours ÷ JsSIP (gzip) |', '| --- | --- | --- | --- | --- |');
  for (const [label, key] of [['ours, ESM (index.js + engine.js + engine_bg.wasm)', 'ours_esm'], ['ours, ESM lazy chunk devices.js (device helpers and `preflight()`, fetched on first use; not in the row above)', 'ours_devices'], ['ours, ESM with the lazy chunk (all four files)', 'ours_esm_all'], ['ours, script tag (iife + wasm; devices bundled in)', 'ours_script_tag'], ['ours, engine wasm alone (core + browser drivers)', 'ours_wasm'], ['sans-IO core alone, not shipped (crates/core-probe: wasm + glue, no drivers)', 'ours_core_alone'], ['JsSIP 3.13.8 (esbuild, minified)', 'jssip'], ['SIP.js 0.21.2 (esbuild, minified)', 'sipjs']]) {
    const s = r.size[key];
    lines.push(`| ${label} | ${s.raw} | ${s.gzip} | ${s.brotli} | ${fmt(s.gzip / r.size.jssip.gzip, 2)} |`);
  }
  lines.push('', '| on the host page\'s critical path before `init()` | raw (B) | gzip -9 (B) | brotli (B) | gzip on the wire, cold runs (B) | ours ÷ JsSIP (gzip) |', '| --- | --- | --- | --- | --- | --- |');
  const onWire = (who) => {
    const xs = Object.values(r.cold ?? {}).flatMap((byStack) => byStack[who] ?? []).map((x) => x.critical_gzip);
    return xs.length ? fmt(median(xs), 0) : '';
  };
  for (const [label, key, who] of [['ours, ESM entry (index.js; engine.js + engine_bg.wasm load on `init()`)', 'ours_entry', 'ours'], ['ours, script tag (klink-call-sdk.iife.js, glue included; the wasm loads on `init()`)', 'ours_iife', ''], ['JsSIP 3.13.8 (the whole bundle, before `new UA()`)', 'jssip', 'jssip'], ['SIP.js 0.21.2 (the whole bundle, before `new UserAgent()`)', 'sipjs', 'sipjs']]) {
    const s = r.size[key];
    lines.push(`| ${label} | ${s.raw} | ${s.gzip} | ${s.brotli} | ${who ? onWire(who) : ''} | ${fmt(s.gzip / r.size.jssip.gzip, 2)} |`);
  }
  if (r.soak) {
    const s = r.soak;
    const kb = (x) => fmt(x / 1024, 0);
    lines.push('', `| memory (ours) | JS heap (KB) | wasm memory (KB) | live RTCPeerConnections |`, '| --- | --- | --- | --- |');
    lines.push(`| after 1 warm-up call | ${kb(s.before.js)} | ${kb(s.before.wasm)} | ${s.before.peers} |`);
    lines.push(`| after ${s.sequential} sequential calls | ${kb(s.afterSequential.js)} | ${kb(s.afterSequential.wasm)} | ${s.afterSequential.peers} (max between calls: ${s.peersLeftMax}) |`);
    if (s.settled.afterMs > 0) lines.push(`| ${fmt(s.settled.afterMs / 1000, 0)} s later (ended calls past RFC 6026 Timer M) | ${kb(s.settled.js)} | ${kb(s.settled.wasm)} | ${s.settled.peers} |`);
    lines.push(`| after ${s.sequential} more sequential calls | ${kb(s.secondBatch.js)} | ${kb(s.secondBatch.wasm)} | ${s.secondBatch.peers} |`);
    lines.push(`| during ${s.concurrent} concurrent calls | ${kb(s.during.js)} | ${kb(s.during.wasm)} | ${s.during.peers} |`);
    lines.push(`| after they ended | ${kb(s.afterConcurrent.js)} | ${kb(s.afterConcurrent.wasm)} | ${s.afterConcurrent.peers} |`);
  }
  return `${lines.join('\n')}\n`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
