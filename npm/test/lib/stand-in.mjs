// What the wrapper's tests share: an engine class handed to setEngineLoader in place of the
// wasm one, the browser globals init() checks for (Node lacks some), and a credential API on
// 127.0.0.1 that answers every request with one extension.
import { after, before } from 'node:test';
import { createServer } from 'node:http';
import { KlinkCallSdk, setEngineLoader } from '../../src/sdk.js';
import { CALL, EVENTS } from '../../src/events.js';

/**
 * The values the engine hands `emit` for the event `name` with `payload` (the reverse of
 * npm/src/events.js), so a stand-in engine can emit by name.
 */
export function positional(name, payload) {
  const [, ...fields] = EVENTS.find(([n]) => n === name);
  // A call's `headers` go back to `Name:value` lines (its assertedIdentity is not rebuilt).
  const values = fields.map((field) => (field === 'call'
    ? CALL.map((key) => (key === 'headers' ? Object.entries(payload.call.headers ?? {}).map((h) => h.join(':')).join('\n') : payload.call[key]))
    : payload?.[field]));
  while (values.length && values.at(-1) === undefined) values.pop();
  return [EVENTS.findIndex(([n]) => n === name), values];
}

/** `Engine` with `create` handing it an `emit(name, payload)`, as stand-ins call it. */
export const byName = (Engine) => ({
  create: (settings, credentials, emit, refresh) =>
    Engine.create(settings, credentials, (name, payload) => emit(...positional(name, payload)), refresh),
});

/**
 * Registers the file's before/after hooks for `Engine` and returns `init(extra)`: a
 * KlinkCallSdk.init() against the stand-in credential API, with `extra` config on top.
 */
export function withStandInEngine(Engine) {
  let api;
  const standIns = ['WebSocket', 'RTCPeerConnection'].filter((name) => typeof globalThis[name] !== 'function');

  before(async () => {
    for (const name of standIns) globalThis[name] = function () {};
    setEngineLoader(async () => byName(Engine));
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
