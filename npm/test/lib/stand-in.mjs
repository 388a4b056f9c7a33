// What the wrapper's tests share: an engine class handed to setEngineLoader in place of the
// wasm one, the browser globals init() checks for (Node lacks some), and a credential API on
// 127.0.0.1 that answers every request with one extension.
import { after, before } from 'node:test';
import { createServer } from 'node:http';
import { KlinkCallSdk, setEngineLoader } from '../../src/sdk.js';

/**
 * Registers the file's before/after hooks for `Engine` and returns `init(extra)`: a
 * KlinkCallSdk.init() against the stand-in credential API, with `extra` config on top.
 */
export function withStandInEngine(Engine) {
  let api;
  const standIns = ['WebSocket', 'RTCPeerConnection'].filter((name) => typeof globalThis[name] !== 'function');

  before(async () => {
    for (const name of standIns) globalThis[name] = function () {};
    setEngineLoader(async () => Engine);
    api = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ extension: '1001', sipUri: 'sip:1001@pbx.test', wsServers: ['wss://pbx.test/ws'] }));
    });
    await new Promise((r) => api.listen(0, '127.0.0.1', r));
  });

  after(async () => {
    for (const name of standIns) delete globalThis[name];
    await new Promise((r) => {
      api.closeAllConnections();
      api.close(r);
    });
  });

  return (extra = {}) =>
    KlinkCallSdk.init({
      userEmail: 'agent@x.test',
      accessToken: 'kpt_test',
      apiBaseUrl: `http://127.0.0.1:${api.address().port}`,
      ...extra,
    });
}
