// Every way init() can fail rejects with a KlinkCallSdkError carrying the documented code.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { openSdkPage, requireSdkBuild, SDK_STATIC } from './lib/sdkpage.mjs';
import { DEMO, startStack } from './lib/stack.mjs';

const { alice, carol } = DEMO.members;

/** Listens on 127.0.0.1:<free>; returns { server, url }. */
async function listen(handler) {
  const server = createServer(handler);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

/** A URL on 127.0.0.1 where nothing listens: a port bound then released. */
async function closedPortUrl() {
  const { server, url } = await listen(() => {});
  await new Promise((r) => server.close(r));
  return url;
}

describe('SDK init errors', { timeout: 120_000 }, () => {
  let stack;
  let browser;
  let sdk;
  let silent; // a server that accepts and never answers
  const held = new Set();

  before(async () => {
    requireSdkBuild();
    [stack, browser] = await Promise.all([startStack({ static: SDK_STATIC }), launchBrowser()]);
    sdk = await openSdkPage(browser, stack);
    silent = await listen((req, res) => {
      held.add(res); // never answered: init() must give up on its own
      silent.requests.push({ method: req.method, url: req.url, at: Date.now() });
    });
    silent.requests = [];
  });

  after(async () => {
    for (const res of held) res.destroy();
    silent?.server.closeAllConnections();
    await new Promise((r) => (silent ? silent.server.close(r) : r()));
    await browser?.close();
    await stack?.stop();
  });

  /** init(config) must reject with `code`; returns the error as JSON. */
  async function expectInitError(config, code) {
    const result = await sdk.init(config);
    assert.equal(result.ok, false, `init rejected: ${JSON.stringify(result)}`);
    assert.equal(result.code, code, `code ${code}: ${JSON.stringify(result)}`);
    assert.equal(result.isSdkError, true, 'an instance of KlinkCallSdkError');
    assert.equal(result.isError, true, 'an Error');
    assert.equal(result.name, 'KlinkCallSdkError');
    assert.ok(result.message.length > 10, `a message that says what to fix: "${result.message}"`);
    return result;
  }

  const valid = () => ({ userEmail: alice.email, accessToken: DEMO.tokens.acme, apiBaseUrl: stack.apiBaseUrl });

  test('an unknown token → auth_failed', async () => {
    await expectInitError({ ...valid(), accessToken: 'kpt_acme_wrong_9999' }, 'auth_failed');
  });

  test('a token without the telephony ability → auth_failed, the message says so', async () => {
    const r = await expectInitError({ ...valid(), accessToken: 'kpt_acme_readonly_0001' }, 'auth_failed');
    assert.match(r.message, /telephony|abilit|permission|scope/i);
  });

  test('an email unknown in the token\'s tenant → extension_not_found', async () => {
    await expectInitError({ ...valid(), userEmail: 'nobody@acme.test' }, 'extension_not_found');
    // Tenants never see each other: globex's member through acme's token is not found either.
    await expectInitError({ ...valid(), userEmail: DEMO.members.dave.email }, 'extension_not_found');
  });

  test('a member without an extension → extension_not_provisioned', async () => {
    await expectInitError({ ...valid(), userEmail: carol.email }, 'extension_not_provisioned');
  });

  test('the API unreachable (closed port) → network_error', async () => {
    await expectInitError({ ...valid(), apiBaseUrl: await closedPortUrl() }, 'network_error');
  });

  test('the API slower than requestTimeoutMs → network_error after about requestTimeoutMs', async () => {
    const requestTimeoutMs = 1500;
    const before = silent.requests.length;
    const r = await expectInitError({ ...valid(), apiBaseUrl: silent.url, requestTimeoutMs }, 'network_error');
    assert.ok(silent.requests.length > before, 'the SDK did reach the silent server');
    assert.ok(r.elapsedMs >= requestTimeoutMs - 100, `gave up no earlier than the timeout (${r.elapsedMs} ms)`);
    assert.ok(r.elapsedMs < requestTimeoutMs + 2500, `gave up soon after the timeout (${r.elapsedMs} ms)`);
  });

  describe('missing or garbage config → invalid_config naming the field', () => {
    const cases = [
      ['no config at all', () => undefined, /config/i],
      ['config not an object', () => 'alice@acme.test', /config/i],
      ['no userEmail', () => ({ ...valid(), userEmail: undefined }), /userEmail/],
      ['userEmail not an email', () => ({ ...valid(), userEmail: 'alice' }), /userEmail/],
      ['no accessToken', () => ({ ...valid(), accessToken: undefined }), /accessToken/],
      ['accessToken not kpt_', () => ({ ...valid(), accessToken: 'Bearer abc' }), /accessToken/],
      ['apiBaseUrl not a URL', () => ({ ...valid(), apiBaseUrl: 'not a url' }), /apiBaseUrl/],
      ['apiBaseUrl insecure and not loopback', () => ({ ...valid(), apiBaseUrl: 'http://example.com' }), /apiBaseUrl/],
      ['apiBaseUrl not http(s)', () => ({ ...valid(), apiBaseUrl: 'ftp://127.0.0.1/' }), /apiBaseUrl/],
      ['requestTimeoutMs not a number', () => ({ ...valid(), requestTimeoutMs: 'soon' }), /requestTimeoutMs/],
      ['requestTimeoutMs negative', () => ({ ...valid(), requestTimeoutMs: -5 }), /requestTimeoutMs/],
    ];
    for (const [name, config, field] of cases) {
      test(name, async () => {
        const r = await expectInitError(config(), 'invalid_config');
        assert.match(r.message, field, `the message names the field: "${r.message}"`);
      });
    }
  });

  test('after all these failures a valid init still registers', async () => {
    const from = await sdk.mark();
    const r = await sdk.init(valid());
    assert.equal(r.ok, true, JSON.stringify(r));
    await sdk.waitFor('registeredChange', { from, where: { 'payload.registered': true } });
    assert.equal((await stack.contacts(alice.extension)).length, 1);
    assert.equal((await sdk.destroy()).ok, true);
    assert.deepEqual(await stack.contacts(alice.extension), []);
    assert.deepEqual(await sdk.eventsOf('pageError'), [], 'no uncaught error in the page');
  });
});
