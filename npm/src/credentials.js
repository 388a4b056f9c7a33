// The credential request (docs/credential-api.md): the access token for the member's
// short-lived SIP credentials. Made here rather than in the engine, whose async fetch code cost
// more wasm than this costs script. The engine gets the parsed body, checks the fields it uses,
// keeps the password, and asks for a fresh body through `refresher` before the old one expires.
// Neither the token nor the password is ever logged, kept here, or put in an error message.
import { KlinkCallSdkError } from './error.js';

const fail = (code, message) => {
  throw new KlinkCallSdkError(code, message);
};

/** The error of a non-2xx answer; the server's own message, when it sent one, is appended. */
export function statusError(status, serverMessage) {
  const [code, message] = {
    401: ['auth_failed', 'the access token was refused (unknown, malformed, expired or revoked)'],
    403: ['auth_failed', 'the access token lacks the telephony ability; issue one that has it'],
    404: ['extension_not_found', "no member with that userEmail in the token's tenant"],
    409: ['extension_not_provisioned', 'the member has no extension; provision one in K-Link first'],
  }[status] ?? ['init_failed', 'the credential API answered with an unexpected status'];
  const detail = serverMessage ? `: ${serverMessage.slice(0, 200)}` : '';
  return new KlinkCallSdkError(code, `${message} (HTTP ${status})${detail}`);
}

/** The server's explanation: `{ error: { message } }` (K-Link's envelope), `{ message }` or `{ error: "..." }`. */
function serverMessage(body) {
  const error = body?.error;
  const text = typeof error?.message === 'string' ? error.message : typeof error === 'string' ? error : body?.message;
  return typeof text === 'string' ? text : undefined;
}

/**
 * Fetches the member's credentials within `requestTimeoutMs` (headers and body together) and
 * returns the response body. `settings` is what `parseConfig` returned: its `apiBaseUrl` is
 * already checked (https://, or http:// to loopback) — the one check of where the token goes.
 * @throws {KlinkCallSdkError} `auth_failed`, `extension_not_found`, `extension_not_provisioned`,
 *   `network_error` or `init_failed`
 */
export async function fetchCredentials({ userEmail, accessToken, apiBaseUrl, requestTimeoutMs }) {
  const controller = new AbortController();
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, requestTimeoutMs);
  const late = () => fail('network_error', `the credential API did not answer within requestTimeoutMs (${requestTimeoutMs} ms)`);
  let status;
  let parsed; // { body } when the body is JSON
  try {
    const response = await fetch(`${apiBaseUrl}/v1/telephony/webphone/credentials?email=${encodeURIComponent(userEmail)}`, {
      headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
      signal: controller.signal,
      credentials: 'omit',
      cache: 'no-store',
    });
    status = response.status;
    parsed = await response.json().then((body) => ({ body }), () => null);
  } catch (err) {
    if (timedOut) late();
    const why = err?.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err?.message ?? String(err);
    fail('network_error', `could not reach the credential API at ${apiBaseUrl}: ${why}`);
  } finally {
    clearTimeout(deadline);
  }
  if (timedOut) late();
  if (status < 200 || status > 299) throw statusError(status, serverMessage(parsed?.body));
  if (!parsed) fail('init_failed', 'the credential response is not JSON');
  return parsed.body;
}

/** The wait before retry number `failures` of a refresh: 2 s, doubling, at most 30 s. */
export const retryDelay = (failures) => Math.min(2000 * 2 ** Math.min(failures - 1, 5), 30000);

/**
 * Keeps the engine's credentials fresh. `refresh()` (the engine calls it when the credentials
 * expire soon) fetches a new body and hands it to `deliver` (the engine, which may throw
 * `{ code, message }` for a body it cannot use). A failure goes to `report` as the payload of an
 * `error` event, scope `registration`, with the code; calls go on. A passing failure is retried
 * with backoff; a refused token is not: registration ends when the current credentials
 * expire, until init() runs again with a valid token. `stop()` ends it all (on destroy).
 */
export function refresher(settings, deliver, report) {
  let busy = false;
  let stopped = false;
  let failures = 0;
  let retry;
  const refresh = () => {
    if (busy || stopped) return;
    busy = true;
    clearTimeout(retry);
    fetchCredentials(settings)
      .then((body) => stopped || deliver(body))
      .then(
        () => {
          busy = false;
          failures = 0;
        },
        (err) => {
          busy = false;
          if (stopped) return;
          failures += 1;
          const code = err?.code ?? 'init_failed';
          // What a later attempt may fix; not a refused token, an unknown or unprovisioned
          // member, or a response the engine refuses as insecure (invalid_config).
          const again = code === 'network_error' || code === 'init_failed';
          report({
            scope: 'registration',
            code,
            detail: `credential refresh failed (${code}): ${err?.message}${again ? '; retrying'
              : '; calls go on, but registration ends when the current credentials expire: call init() again with a valid token'}`,
          });
          if (again) retry = setTimeout(refresh, retryDelay(failures));
        },
      );
  };
  return {
    refresh,
    stop() {
      stopped = true;
      clearTimeout(retry);
    },
  };
}
