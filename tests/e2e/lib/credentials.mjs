// Ephemeral SIP credentials as Kamailio's auth_ephemeral checks them (username_format=1,
// sha_algorithm=0). The gateway mints the real ones; this copy lets tests forge the
// invalid ones (wrong secret, past expiry) the gateway will never hand out.
import { createHmac } from 'node:crypto';

/** Demo tenants and members of dev/gateway.toml. */
export const DEMO = Object.freeze({
  secret: 'klink-dev-secret',
  tokens: Object.freeze({ acme: 'kpt_acme_demo_0001', globex: 'kpt_globex_demo_0001' }),
  members: Object.freeze({
    alice: Object.freeze({ email: 'alice@acme.test', extension: '1001' }),
    bob: Object.freeze({ email: 'bob@acme.test', extension: '1002' }),
    carol: Object.freeze({ email: 'carol@acme.test', extension: null }),
    dave: Object.freeze({ email: 'dave@globex.test', extension: '1003' }),
  }),
});

/** base64(HMAC-SHA1(secret, authorizationUser)). */
export function ephemeralPassword(secret, authorizationUser) {
  return createHmac('sha1', secret).update(authorizationUser).digest('base64');
}

/**
 * Mints a credential in the gateway's JSON shape.
 * expiresAt (unix seconds) wins over ttlSecs (default 3600); domain defaults to 127.0.0.1.
 */
export function mintCredentials({
  extension,
  secret = DEMO.secret,
  ttlSecs = 3600,
  expiresAt,
  domain = '127.0.0.1',
  displayName = extension,
  wsUrl,
}) {
  const expiry = expiresAt ?? Math.floor(Date.now() / 1000) + ttlSecs;
  const authorizationUser = `${expiry}:${extension}`;
  return {
    extension,
    displayName,
    sipUri: `sip:${extension}@${domain}`,
    authorizationUser,
    password: ephemeralPassword(secret, authorizationUser),
    realm: domain,
    expiresAt: new Date(expiry * 1000).toISOString(),
    wsServers: wsUrl ? [wsUrl] : [],
    iceServers: [],
  };
}
