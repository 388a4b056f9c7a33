// Build artifacts the end-to-end pages need, made once and cached in tests/e2e/.build/:
// the JsSIP browser bundle (its npm package ships none) and a 1 kHz sine WAV for
// Chromium's fake microphone.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Absolute path of tests/e2e/. */
export const E2E_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
/** Absolute path of the repository root. */
export const REPO_ROOT = dirname(dirname(E2E_DIR));
/** Where built artifacts are cached (git-ignored). */
export const BUILD_DIR = join(E2E_DIR, '.build');
/** Static pages served to the browser (far end, SDK test pages). */
export const PAGES_DIR = join(E2E_DIR, 'pages');

/** Writes through a temporary file so a concurrent reader never sees half a file. */
function writeAtomic(path, data) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Bundles JsSIP as an IIFE exposing `window.JsSIP` into BUILD_DIR/jssip.js (served to
 * pages as /e2e-build/jssip.js). A stamp file records the JsSIP version, so an upgrade
 * rebuilds and a rerun reuses. Returns the bundle's absolute path.
 */
export async function ensureJssipBundle() {
  const pkgPath = require.resolve('jssip/package.json');
  const { version } = JSON.parse(readFileSync(pkgPath, 'utf8'));
  const out = join(BUILD_DIR, 'jssip.js');
  const stamp = `${out}.version`;
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === version) return out;
  mkdirSync(BUILD_DIR, { recursive: true });
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [require.resolve('jssip')],
    bundle: true,
    format: 'iife',
    globalName: 'JsSIP',
    platform: 'browser',
    target: 'chrome110',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  writeAtomic(out, result.outputFiles[0].contents);
  writeAtomic(stamp, version);
  return out;
}

/**
 * A 1 s, 48 kHz, 16-bit mono sine (1000 whole periods, so Chromium's looped playback
 * is seamless): a continuous tone, unlike the default fake microphone's beeps.
 * Returns the absolute path.
 */
export function ensureSineWav({ frequency = 1000, amplitude = 0.3, sampleRate = 48000 } = {}) {
  const out = join(BUILD_DIR, `sine-${frequency}hz.wav`);
  if (existsSync(out)) return out;
  mkdirSync(BUILD_DIR, { recursive: true });
  const samples = sampleRate;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    const v = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
    data.writeInt16LE(v, i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  writeAtomic(out, Buffer.concat([header, data]));
  return out;
}
