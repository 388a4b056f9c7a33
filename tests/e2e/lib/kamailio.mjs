// A private Kamailio (dev/kamailio.cfg) for one test file: its own port, run directory,
// PID file and control socket, stopped by PID.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, closeSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './build.mjs';
import { exited, freePort, sleep, spawnTracked, stopPid, track } from './processes.mjs';

const execFileP = promisify(execFile);

export const KAMAILIO_BIN = process.env.KAMAILIO_BIN ?? '/usr/sbin/kamailio';
export const KAMCMD_BIN = process.env.KAMCMD_BIN ?? '/usr/sbin/kamcmd';
export const KAMAILIO_CFG = join(REPO_ROOT, 'dev', 'kamailio.cfg');

/** A signal to pid and every process whose parent it is (Kamailio's workers). */
function signalTree(pid, signal) {
  let children = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // gone already, or no procfs: the main PID alone
  }
  for (const p of [pid, ...children]) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

function canConnect(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts Kamailio in the foreground (-DD -E) on a free port.
 * opts: { secret ('klink-dev-secret'), host ('127.0.0.1': the address it listens on), port (free),
 *         runDir (fresh temp dir), debug (false),
 *         timeoutMs (10000), cluster ({ port, peer }: WITH_CLUSTER, this edge's UDP port
 *         for DMQ and edge-to-edge requests, and another edge's 'ip:port'),
 *         edge (false: WITH_EDGE, a plain RFC 5626 edge with a random flow-token secret per
 *         start and the dialog module) }.
 * Returns { pid, host, port, wsUrl, clusterPort, runDir, ctlSocket, logFile, secret, rpc(...), ulDump(), dialogs(),
 *           contacts(aor), log(), stop(), kill() (SIGKILL, as a crashed edge), freeze() (SIGSTOP,
 *           as a hung one: kill() it afterwards) }.
 */
export async function startKamailio({
  secret = 'klink-dev-secret',
  host = '127.0.0.1',
  port,
  runDir,
  debug = false,
  timeoutMs = 10000,
  cluster,
  edge = false,
} = {}) {
  const dir = runDir ?? mkdtempSync(join(tmpdir(), 'klink-kamailio-'));
  const wsPort = port ?? (await freePort());
  const pidFile = join(dir, 'kamailio.pid');
  const ctlSocket = `unix:${join(dir, 'kamailio_ctl')}`;
  const logFile = join(dir, 'kamailio.log');
  const args = [
    '-f', KAMAILIO_CFG, '-DD', '-E', '-Y', dir, '-P', pidFile,
    '-A', `LISTEN_IP=${host}`,
    '-A', `WS_PORT=${wsPort}`,
    '-A', `AUTH_SECRET=${JSON.stringify(secret)}`,
    '-A', `CTL_SOCKET=${JSON.stringify(ctlSocket)}`,
    // Small memory pools: a test registers a handful of users.
    '-m', '64', '-M', '8',
  ];
  if (debug) args.push('-A', 'WITH_DEBUG');
  if (edge) args.push('-A', 'WITH_EDGE');
  if (cluster) {
    args.push(
      '-A', 'WITH_CLUSTER',
      '-A', `CLUSTER_PORT=${cluster.port}`,
      '-A', `CLUSTER_ADDRESS="sip:${host}:${cluster.port}"`,
      '-A', `CLUSTER_PEER="sip:${cluster.peer}"`,
    );
  }
  const logFd = openSync(logFile, 'a');
  const child = spawnTracked('kamailio', KAMAILIO_BIN, args, { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');

  const deadline = Date.now() + timeoutMs;
  let ready = false;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (existsSync(pidFile) && existsSync(ctlSocket.slice(5)) && (await canConnect(host, wsPort))) {
      ready = true;
      break;
    }
    await sleep(25);
  }
  if (!ready) {
    await stopPid(child.pid, 1000);
    throw new Error(`Kamailio did not start on ${host}:${wsPort}; log ${logFile}:\n${readLog().slice(-3000)}`);
  }
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10) || child.pid;
  track(pid, 'kamailio');

  async function rpc(...command) {
    const { stdout } = await execFileP(KAMCMD_BIN, ['-s', ctlSocket, ...command], { timeout: 5000 });
    return stdout;
  }

  return {
    pid,
    port: wsPort,
    host,
    wsUrl: `ws://${host}:${wsPort}`,
    /** WITH_CLUSTER: this edge's UDP port (DMQ, edge-to-edge requests); null otherwise. */
    clusterPort: cluster?.port ?? null,
    runDir: dir,
    ctlSocket,
    logFile,
    secret,
    /** Runs one kamcmd RPC command against this instance, returns its stdout. */
    rpc,
    /** `kamcmd ul.dump` parsed: { [aor]: Contact[] }. */
    async ulDump() {
      return parseUlDump(await rpc('ul.dump'));
    },
    /** Registered contacts of an AoR ('1001' or 'sip:1001@host'); [] when none. */
    async contacts(aor) {
      const user = String(aor).replace(/^sips?:/, '').replace(/@.*$/, '');
      const dump = parseUlDump(await rpc('ul.dump'));
      return dump[user] ?? [];
    },
    /** WITH_EDGE: the dialogs the dialog module holds, as their SIP Call-IDs (`kamcmd dlg.list`). */
    async dialogs() {
      return [...(await rpc('dlg.list')).matchAll(/^\s*call-id:\s*(\S+)/gm)].map((m) => m[1]);
    },
    /** The Kamailio log so far. */
    log: readLog,
    async stop() {
      await stopPid(pid);
      if (pid !== child.pid) await stopPid(child.pid, 1000);
      await exited(child);
    },
    /** SIGKILL to the main process and its children, as a crash: the kernel closes the sockets. */
    async kill() {
      signalTree(pid, 'SIGKILL');
      await exited(child);
    },
    /** SIGSTOP to all its processes, as a hung server: connections stay open, nothing answers. */
    freeze() {
      signalTree(pid, 'SIGSTOP');
    },
  };
}

/**
 * Parses kamcmd's text rendering of ul.dump into { [aor]: [{ address, expires, received,
 * socket, instance, regId, userAgent, ... }] } (keys lower-camel-cased from the dump).
 */
export function parseUlDump(text) {
  const result = {};
  let aor = null;
  let contact = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m;
    if ((m = /^AoR:\s*(.+)$/.exec(line))) {
      aor = m[1];
      result[aor] = [];
      contact = null;
    } else if (line.startsWith('Contact: {') && aor) {
      contact = {};
      result[aor].push(contact);
    } else if (contact && (m = /^([A-Za-z][A-Za-z-]*):\s*(.*)$/.exec(line))) {
      const key = m[1].toLowerCase().replace(/-([a-z])/g, (_, c) => c.toUpperCase());
      contact[key] = m[2];
    } else if (line === '}' && contact) {
      contact = null;
    }
  }
  return result;
}
