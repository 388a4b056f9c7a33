// A TCP relay between a client (the SDK's WebSocket) and a server (Kamailio) that a test can
// break the way networks break: cut every live connection with a TCP reset (a Wi-Fi drop, a
// network change), freeze them (the flow dies silently: no reset, no close, bytes vanish, as
// when a NAT forgets the mapping or the laptop moves to another access point), or refuse new
// connections by resetting them at once (a server that is down behind its address). Only
// 127.0.0.1; stopped with close().
import { createServer, connect } from 'node:net';

/**
 * Starts relaying 127.0.0.1:<free port> → 127.0.0.1:targetPort.
 * Returns { port, wsUrl, mode, setMode(mode), cut(), freeze(), attempts, live(), close() }:
 *   mode       'forward' (relay) or 'refuse' (accept, then reset at once: the client sees the
 *              connection fail, as with a server that is down),
 *   cut()      resets every live connection on both sides; resolves with how many it cut,
 *   freeze()   stops relaying on every live connection, both ways, without closing either
 *              side (bytes are read and dropped); connections opened later relay normally;
 *              returns how many it froze,
 *   attempts   [{ at: Date.now(), mode }] for every connection the client opened,
 *   live()     how many relayed connections are open now.
 */
export async function startTcpProxy({ targetPort, mode: initialMode = 'forward' }) {
  let mode = initialMode;
  const attempts = [];
  const pairs = new Set();

  const server = createServer((client) => {
    attempts.push({ at: Date.now(), mode });
    if (mode !== 'forward') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    const pair = { client, upstream };
    pairs.add(pair);
    const done = () => {
      pairs.delete(pair);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    client.on('error', done);
    upstream.on('error', done);
    client.on('close', done);
    upstream.on('close', done);
    // Relayed by hand rather than piped, so a frozen pair can swallow bytes while both
    // sockets stay open.
    pair.frozen = false;
    client.on('data', (chunk) => {
      if (!pair.frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!pair.frozen) client.write(chunk);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  return {
    port,
    wsUrl: `ws://127.0.0.1:${port}`,
    attempts,
    get mode() {
      return mode;
    },
    setMode(next) {
      if (next !== 'forward' && next !== 'refuse') throw new Error(`unknown proxy mode ${next}`);
      mode = next;
    },
    cut() {
      const n = pairs.size;
      for (const { client, upstream } of [...pairs]) {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
      return n;
    },
    freeze() {
      for (const pair of pairs) pair.frozen = true;
      return pairs.size;
    },
    live: () => pairs.size,
    close() {
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
