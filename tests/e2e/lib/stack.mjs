// The whole local stack for one test file: a private Kamailio plus the dev gateway
// pointing at it. Works on plain loopback and inside a private network namespace.
import { rmSync } from 'node:fs';
import { DEMO, mintCredentials } from './credentials.mjs';
import { startGateway } from './gateway.mjs';
import { startKamailio } from './kamailio.mjs';
import { atExit } from './processes.mjs';

/**
 * Starts Kamailio and the gateway.
 * opts: { secret (DEMO.secret: must match the gateway config's shared secret),
 *         gatewayConfig (dev/gateway.toml), ttlSecs (gateway default), static ({ prefix: dir }),
 *         debug (Kamailio WITH_DEBUG), keepRunDir (false) }.
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
  keepRunDir = Boolean(process.env.E2E_KEEP),
} = {}) {
  const kamailio = await startKamailio({ secret, debug });
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

/** The demo token of the tenant an email belongs to (globex.test or acme.test). */
export function tokenFor(email) {
  return String(email).endsWith('@globex.test') ? DEMO.tokens.globex : DEMO.tokens.acme;
}

export { DEMO };
