// The package as bundled apps get it: `npm pack` of npm/ installed offline into an app
// directory, and the bundlers of the root devDependencies (Vite 8, Vite 7 as `vite7`,
// webpack 5, esbuild) run on it as a person runs them. Dev servers listen on 127.0.0.1 only
// and are stopped by PID.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './build.mjs';
import { exited, freePort, sleep, spawnTracked, stopPid } from './processes.mjs';

export const PACKAGE = '@klink.cloud/call-sdk';

/** The CLI of each Vite the workspace has: `vite` is Vite 8, `vite7` the last Vite 7. */
export const VITE_BIN = Object.freeze({
  vite8: join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
  vite7: join(REPO_ROOT, 'node_modules', 'vite7', 'bin', 'vite.js'),
});

const NPM_ENV = { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

function npm(args, cwd) {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...NPM_ENV } });
}

/**
 * Packs npm/ (built by scripts/build-npm) into `dir` and installs the tarball, offline and
 * alone, into a fresh app at `dir/app` made of the files of `sources` (copied). The app has no
 * node_modules of its own but the package: the bundlers resolve from the workspace's.
 * Returns { app, tarball, installed (the package's directory in the app) }.
 */
export function packedApp(dir, sources) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], join(REPO_ROOT, 'npm')));
  const tarball = join(dir, packed[0].filename);
  const app = join(dir, 'app');
  cpSync(sources, app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'bundled-app', version: '1.0.0', private: true, type: 'module' }));
  npm(['install', tarball, '--offline', '--no-package-lock', '--ignore-scripts'], app);
  return { app, tarball, installed: join(app, 'node_modules', ...PACKAGE.split('/')) };
}

/** Runs a bundler's command in `cwd`; throws with its output when it fails. */
function run(command, args, cwd, timeout = 120_000) {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout, env: { ...process.env, NO_COLOR: '1' } });
  } catch (err) {
    throw new Error(`${command} ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? err.message}`);
  }
}

/** `vite build` of `root` into `outDir`, served later under `base` (e.g. '/vite-build/'). */
export function viteBuild(root, { outDir, base = '/', bin = VITE_BIN.vite8 }) {
  return run(process.execPath, [bin, 'build', '--base', base, '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], root);
}

/**
 * webpack 5 with its defaults (production mode: asset modules, publicPath 'auto'), from its
 * Node API: `entry` → `outDir/main.js`. The page is `page` copied beside it.
 */
export function webpackBuild(root, { entry = './main.js', outDir, page = 'index.html' }) {
  const script = `
    import webpack from 'webpack';
    const config = { mode: 'production', context: ${JSON.stringify(root)}, entry: ${JSON.stringify(entry)},
      output: { path: ${JSON.stringify(outDir)}, filename: 'main.js', clean: true }, performance: { hints: false } };
    webpack(config, (err, stats) => {
      if (err || stats.hasErrors()) { console.error(err ?? stats.toString('errors-only')); process.exit(1); }
      console.log(stats.toString('minimal'));
    });`;
  const out = run(process.execPath, ['--input-type=module', '-e', script], root);
  cpSync(join(root, page), join(outDir, 'index.html'));
  return out;
}

/**
 * esbuild's CLI: `esbuild main.js --bundle [--format=esm] --outdir=outDir`. `format: null`
 * keeps esbuild's default for the browser (an iife in a classic script). The page is `page`
 * copied beside it, its module script turned classic for an iife.
 */
export function esbuildBuild(root, { entry = 'main.js', outDir, format = 'esm', page = 'index.html' }) {
  rmSync(outDir, { recursive: true, force: true });
  const args = [entry, '--bundle', `--outdir=${outDir}`, '--log-level=warning'];
  if (format) args.push(`--format=${format}`);
  const out = run(join(REPO_ROOT, 'node_modules', '.bin', 'esbuild'), args, root);
  let html = readFileSync(join(root, page), 'utf8');
  if (!format || format === 'iife') html = html.replace('<script type="module"', '<script');
  writeFileSync(join(outDir, 'index.html'), html);
  return out;
}

/**
 * Starts `vite` (the dev server) in `root` on 127.0.0.1:<free port>, with a fresh dependency
 * cache (as on a first run), and waits until it answers. Returns { url, pid, log(), stop() }.
 */
export async function viteDev(root, { bin = VITE_BIN.vite8, timeoutMs = 30_000 } = {}) {
  rmSync(join(root, 'node_modules', '.vite'), { recursive: true, force: true });
  const port = await freePort();
  const child = spawnTracked('vite-dev', process.execPath, [bin, '--host', '127.0.0.1', '--port', String(port), '--strictPort', '--clearScreen', 'false'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  const collect = (d) => {
    output += d;
    if (process.env.E2E_DEBUG) process.stderr.write(`[vite] ${d}`);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vite exited (${child.exitCode}) before serving:\n${output}`);
    const up = await fetch(url).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) {
      await stopPid(child.pid);
      throw new Error(`vite did not serve ${url} within ${timeoutMs} ms:\n${output}`);
    }
    await sleep(100);
  }
  return {
    url,
    pid: child.pid,
    log: () => output,
    async stop() {
      await stopPid(child.pid);
      await exited(child);
    },
  };
}
