// The dev gateway (crates/dev-gateway): the credential API and the static file server
// for test pages, started on a free port and stopped by PID.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BUILD_DIR, PAGES_DIR, REPO_ROOT } from './build.mjs';
import { exited, spawnTracked, stopPid } from './processes.mjs';

export const GATEWAY_CONFIG = join(REPO_ROOT, 'dev', 'gateway.toml');

/** Static mounts every test gets: /e2e/ (tests/e2e/pages) and /e2e-build/ (tests/e2e/.build). */
export const E2E_STATIC = Object.freeze({ '/e2e': PAGES_DIR, '/e2e-build': BUILD_DIR });

/**
 * The gateway binary: $DEV_GATEWAY_BIN, else target/debug/dev-gateway (under
 * $CARGO_TARGET_DIR when set), built with cargo when missing.
 */
export function gatewayBinary() {
  if (process.env.DEV_GATEWAY_BIN) return process.env.DEV_GATEWAY_BIN;
  const targetDir = process.env.CARGO_TARGET_DIR ?? join(REPO_ROOT, 'target');
  const bin = join(targetDir, 'debug', 'dev-gateway');
  if (!existsSync(bin)) {
    execFileSync('bash', ['-c', '. scripts/lib/env.sh && cargo build --quiet -p dev-gateway'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  return bin;
}

/**
 * Starts the gateway on 127.0.0.1:<free>.
 * opts: { wsUrl (required: the wsServers it hands out, one URL or a list), config (dev/gateway.toml),
 *         ttlSecs, static ({ prefix: dir }, merged over E2E_STATIC), args ([] extra),
 *         timeoutMs (15000) }.
 * Returns { pid, baseUrl, request(email, token), credentials(email, token), log(), stop() }.
 */
export async function startGateway({
  wsUrl,
  config = GATEWAY_CONFIG,
  ttlSecs,
  static: mounts = {},
  args = [],
  timeoutMs = 15000,
} = {}) {
  if (!wsUrl) throw new Error('startGateway: wsUrl is required');
  const argv = ['--config', config, '--listen', '127.0.0.1:0'];
  for (const url of [wsUrl].flat()) argv.push('--ws-server', url);
  for (const [prefix, dir] of Object.entries({ ...E2E_STATIC, ...mounts })) {
    argv.push('--static', `${prefix}=${dir}`);
  }
  if (ttlSecs !== undefined) argv.push('--ttl-secs', String(ttlSecs));
  argv.push(...args);

  const child = spawnTracked('dev-gateway', gatewayBinary(), argv, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (d) => {
    output += d;
    if (process.env.E2E_DEBUG) process.stderr.write(`[dev-gateway] ${d}`);
  });
  const baseUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev-gateway did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      output += `${line}\n`;
      const m = /listening on (http:\/\/[^\s]+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ''));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`dev-gateway exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
  // Keep draining stdout so the gateway never blocks on a full pipe.
  child.stdout.resume();

  /** GET the credential endpoint: { status, body } whatever the status. */
  async function request(email, token) {
    const url = `${baseUrl}/v1/telephony/webphone/credentials?email=${encodeURIComponent(email)}`;
    const headers = token === undefined ? {} : { Authorization: `Bearer ${token}` };
    const res = await fetch(url, { headers });
    const text = await res.text();
    let body = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body };
  }

  return {
    pid: child.pid,
    baseUrl,
    request,
    /** Everything the gateway wrote so far (one access-log line per request: `GET /path 200 …`). */
    log: () => output,
    /** The credential JSON for a member; throws unless the gateway answers 200. */
    async credentials(email, token) {
      const { status, body } = await request(email, token);
      if (status !== 200) throw new Error(`credentials for ${email}: HTTP ${status} ${JSON.stringify(body)}`);
      return body;
    },
    async stop() {
      await stopPid(child.pid);
      await exited(child);
    },
  };
}
