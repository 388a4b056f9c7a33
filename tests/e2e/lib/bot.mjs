// The native SIP bot (crates/sip-bot): started with a configuration written for the test's
// Kamailio, read through its JSON-line reports on stdout, stopped by PID.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './build.mjs';
import { spawnTracked, stopPid } from './processes.mjs';

/**
 * The bot binary: $SIP_BOT_BIN, else target/debug/sip-bot (under $CARGO_TARGET_DIR when set),
 * brought up to date with cargo (a no-op when it is: the bot changes with the core, and a
 * stale binary would test old code).
 */
export function botBinary() {
  if (process.env.SIP_BOT_BIN) return process.env.SIP_BOT_BIN;
  const targetDir = process.env.CARGO_TARGET_DIR ?? join(REPO_ROOT, 'target');
  const bin = join(targetDir, 'debug', 'sip-bot');
  try {
    execFileSync('bash', ['-c', '. scripts/lib/env.sh && cargo build --quiet -p sip-bot'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch (e) {
    if (!existsSync(bin)) throw e;
  }
  return bin;
}

/** One [[bot]] table of the TOML file (string values quoted, the rest as they are). */
function botToml({ extension, role, ...rest }) {
  const lines = ['[[bot]]', `extension = ${JSON.stringify(extension)}`, `role = ${JSON.stringify(role)}`];
  for (const [k, v] of Object.entries(rest)) lines.push(`${k} = ${typeof v === 'string' ? JSON.stringify(v) : v}`);
  return lines.join('\n');
}

/**
 * Starts sip-bot against `stack` (its wsUrl and secret) with `bots`
 * ([{ extension, role, ...role options }]) and waits until every bot is registered.
 * Returns { pid, reports(), waitFor(event, where, { timeout, from }), mark(), stop() }.
 */
export async function startBots(stack, bots, { timeoutMs = 10000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sip-bot-'));
  const config = join(dir, 'bots.toml');
  writeFileSync(
    config,
    [`ws_servers = [${JSON.stringify(stack.wsUrl)}]`, `secret = ${JSON.stringify(stack.secret)}`, '', ...bots.map(botToml), ''].join('\n'),
  );
  const child = spawnTracked('sip-bot', botBinary(), ['--config', config], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const reports = [];
  const waiters = new Set();
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    let report;
    try {
      report = JSON.parse(line);
    } catch {
      return;
    }
    if (process.env.E2E_DEBUG) process.stderr.write(`[sip-bot] ${line}\n`);
    reports.push(report);
    for (const w of waiters) w();
  });

  const matches = (r, event, where) => r.event === event && Object.entries(where).every(([k, v]) => r[k] === v);
  const handle = {
    pid: child.pid,
    /** Every report so far, in order. */
    reports: (from = 0) => reports.slice(from),
    /** The position to read reports from (pass as `from`). */
    mark: () => reports.length,
    /** The first report from `from` on with `event` and the fields of `where`. */
    waitFor(event, where = {}, { timeout = 10000, from = 0 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = reports.slice(from).find((r) => matches(r, event, where));
          if (!hit) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`sip-bot: no ${event} ${JSON.stringify(where)} in ${timeout} ms; reports:\n${reports.map((r) => JSON.stringify(r)).join('\n')}\n${stderr}`));
        }, timeout);
        if (!check()) waiters.add(check);
      });
    },
    async stop() {
      await stopPid(child.pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(bots.map((b) => handle.waitFor('registered', { bot: b.extension, registered: true }, { timeout: timeoutMs })));
  } catch (e) {
    await handle.stop();
    throw e;
  }
  return handle;
}
