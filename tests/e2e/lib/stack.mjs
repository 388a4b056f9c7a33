// The whole local stack for one test file: a private Kamailio plus the dev gateway
// pointing at it. Works on plain loopback and inside a private network namespace.
import { rmSync } from 'node:fs';
import { DEMO, mintCredentials } from './credentials.mjs';
import { startGateway } from './gateway.mjs';
import { startKamailio } from './kamailio.mjs';
import { atExit, freePort } from './processes.mjs';

/**
 * Starts Kamailio and the gateway.
 * opts: { secret (DEMO.secret: must match the gateway config's shared secret),
 *         gatewayConfig (dev/gateway.toml), ttlSecs (gateway default), static ({ prefix: dir }),
 *         debug (Kamailio WITH_DEBUG), edge (Kamailio WITH_EDGE: a plain RFC 5626 edge),
 *         keepRunDir (false) }.
 * Returns a Stack:
 *   wsUrl, wsPort, apiBaseUrl, secret, runDir, kamailio, gateway,
 *   pageUrl(path)                 URL of tests/e2e/pages/<path> on the gateway,
 *   credentials(email, token?)    gateway credentials (token defaults to the email's demo tenant),
 *   requestCredentials(email, token?) -> { status, body } for negative cases,
 *   mint(opts)                    a locally signed credential (credentials.mjs#mintCredentials)
 *                                 with this stack's secret and wsUrl, e.g. an expired one,
 *   contacts(aor), ulDump()       what Kamailio's registrar holds (kamcmd ul.dump),
 *   startGateway(opts)            one more gateway on this Kamailio (e.g. another ttlSecs),
 *   stop()                        stops everything by PID (also done on process exit).
 */
export async function startStack({
  secret = DEMO.secret,
  gatewayConfig,
  ttlSecs,
  static: mounts = {},
  debug = false,
  edge = false,
  keepRunDir = Boolean(process.env.E2E_KEEP),
} = {}) {
  const kamailio = await startKamailio({ secret, debug, edge });
  const removeRunDir = () => {
    if (!keepRunDir) rmSync(kamailio.runDir, { recursive: true, force: true });
  };
  const cancelExitHook = atExit(removeRunDir);
  const gateways = [];
  const stack = {
    kamailio,
    wsUrl: kamailio.wsUrl,
    wsPort: kamailio.port,
    secret,
    runDir: kamailio.runDir,

    async startGateway(opts = {}) {
      const gw = await startGateway({
        wsUrl: kamailio.wsUrl,
        config: gatewayConfig,
        static: mounts,
        ttlSecs,
        ...opts,
      });
      gateways.push(gw);
      return gw;
    },

    pageUrl(path) {
      return `${stack.apiBaseUrl}/e2e/${String(path).replace(/^\//, '')}`;
    },

    credentials(email, token = tokenFor(email)) {
      return stack.gateway.credentials(email, token);
    },

    requestCredentials(email, token = tokenFor(email)) {
      return stack.gateway.request(email, token);
    },

    mint(opts) {
      return mintCredentials({ secret, wsUrl: kamailio.wsUrl, ...opts });
    },

    contacts: (aor) => kamailio.contacts(aor),
    ulDump: () => kamailio.ulDump(),

    async stop() {
      await Promise.all(gateways.map((g) => g.stop()));
      await kamailio.stop();
      cancelExitHook();
      removeRunDir();
    },
  };
  try {
    stack.gateway = await stack.startGateway();
  } catch (err) {
    await stack.stop();
    throw err;
  }
  stack.apiBaseUrl = stack.gateway.baseUrl;
  return stack;
}

/**
 * Two Kamailio edges as one service (dev/kamailio.cfg -A WITH_CLUSTER): each on its own address
 * (127.0.0.2 and 127.0.0.3, as two hosts would be; the SIP domain stays 127.0.0.1), sharing
 * registrations by DMQ over their UDP cluster ports, one gateway handing out both as
 * wsServers [A, B] (the SDK tries A first).
 * opts: { secret, static, debug, keepRunDir } as startStack.
 * Returns a Stack-like object: apiBaseUrl, pageUrl(path), credentials(email, token?), secret,
 *   edges [A, B] (startKamailio handles), wsUrls,
 *   restartEdge(i)   starts edge i again on its ports (after edges[i].kill()), and replaces edges[i],
 *   stop().
 */
export async function startCluster({
  secret = DEMO.secret,
  static: mounts = {},
  debug = false,
  keepRunDir = Boolean(process.env.E2E_KEEP),
} = {}) {
  const [wsPort, dmqPort] = await distinctFreePorts(2);
  const plan = [
    { host: '127.0.0.2', port: wsPort, cluster: { port: dmqPort, peer: `127.0.0.3:${dmqPort}` } },
    { host: '127.0.0.3', port: wsPort, cluster: { port: dmqPort, peer: `127.0.0.2:${dmqPort}` } },
  ];
  const edges = [];
  const runDirs = [];
  const removeRunDirs = () => {
    if (!keepRunDir) for (const dir of runDirs) rmSync(dir, { recursive: true, force: true });
  };
  const cancelExitHook = atExit(removeRunDirs);
  const startEdge = async (i) => {
    const edge = await startKamailio({ secret, debug, ...plan[i], runDir: runDirs[i] });
    runDirs[i] = edge.runDir;
    edges[i] = edge;
    return edge;
  };
  const cluster = {
    edges,
    secret,
    wsUrls: plan.map((p) => `ws://${p.host}:${p.port}`),
    restartEdge: startEdge,
    pageUrl(path) {
      return `${cluster.apiBaseUrl}/e2e/${String(path).replace(/^\//, '')}`;
    },
    credentials(email, token = tokenFor(email)) {
      return cluster.gateway.credentials(email, token);
    },
    async stop() {
      await cluster.gateway?.stop();
      await Promise.all(edges.map((e) => e.stop()));
      cancelExitHook();
      removeRunDirs();
    },
  };
  try {
    await startEdge(0);
    await startEdge(1);
    cluster.gateway = await startGateway({ wsUrl: cluster.wsUrls, static: mounts });
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  cluster.apiBaseUrl = cluster.gateway.baseUrl;
  return cluster;
}

/** n different free ports (freePort() may hand the same one out twice once it is closed). */
async function distinctFreePorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** The demo token of the tenant an email belongs to (globex.test or acme.test). */
export function tokenFor(email) {
  return String(email).endsWith('@globex.test') ? DEMO.tokens.globex : DEMO.tokens.acme;
}

export { DEMO };
