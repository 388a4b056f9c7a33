// Child processes the harness starts: tracked by PID, stopped by PID, and never left
// behind when the test process exits (normally, on an uncaught error, or on SIGINT/SIGTERM).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const live = new Map(); // pid -> name
const exitHooks = new Set();

function killAllNow() {
  for (const pid of live.keys()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const hook of exitHooks) {
    try {
      hook();
    } catch {
      // best effort on the way out
    }
  }
  exitHooks.clear();
}

/** Runs fn (synchronously) if the process exits before remove() is called; returns remove. */
export function atExit(fn) {
  exitHooks.add(fn);
  return () => exitHooks.delete(fn);
}

process.on('exit', killAllNow);
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.once(signal, () => {
    killAllNow();
    process.exit(code);
  });
}

/** Spawns a tracked child; stdio as given. Returns the ChildProcess. */
export function spawnTracked(name, command, args, options = {}) {
  const child = spawn(command, args, options);
  if (child.pid) {
    live.set(child.pid, name);
    child.once('exit', () => live.delete(child.pid));
  }
  return child;
}

/** Also clean up a PID that was not spawned directly (e.g. read from a PID file). */
export function track(pid, name) {
  live.set(pid, name);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, wait up to graceMs for the PID to vanish, then SIGKILL. */
export async function stopPid(pid, graceMs = 5000) {
  live.delete(pid);
  if (!alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return;
    await sleep(25);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}

/** Waits for a ChildProcess to exit (resolves at once if it already has). */
export function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', resolve));
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
