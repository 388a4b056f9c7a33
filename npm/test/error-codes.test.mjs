// The codes a KlinkCallSdkError can carry: the wrapper passes on the code the engine threw
// (npm/src/sdk.js `toError`), so every code of the engine's `ErrorCode`
// (crates/call-sdk/src/error.rs) must be one of the documented `KlinkCallSdkErrorCode`s of
// npm/src/index.d.ts; what browsers throw gets the method's own code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KlinkCallSdkError, _COMMANDS as COMMANDS } from '../src/sdk.js';
import { withStandInEngine } from './lib/stand-in.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The strings of `ErrorCode::as_str`'s match arms. */
function engineCodes(source) {
  const body = source.match(/pub fn as_str\(self\) -> &'static str \{([\s\S]*?)\n {4}\}/);
  assert.ok(body, 'error.rs has `ErrorCode::as_str`');
  return [...body[1].matchAll(/Self::\w+ => "([a-z_]+)"/g)].map(([, code]) => code);
}

/** The members of `type KlinkCallSdkErrorCode = | '...' | ...;`. */
function documentedCodes(dts) {
  const body = dts.match(/export type KlinkCallSdkErrorCode =([^;]*);/);
  assert.ok(body, 'index.d.ts declares KlinkCallSdkErrorCode');
  return [...body[1].matchAll(/'([a-z_]+)'/g)].map(([, code]) => code);
}

test('every code the engine throws is a documented KlinkCallSdkErrorCode', () => {
  const engine = engineCodes(readFileSync(join(ROOT, 'crates', 'call-sdk', 'src', 'error.rs'), 'utf8'));
  const documented = documentedCodes(readFileSync(join(ROOT, 'npm', 'src', 'index.d.ts'), 'utf8'));
  assert.ok(engine.length >= 9, `found ${engine.length} engine codes`);
  for (const code of engine) assert.ok(documented.includes(code), `engine code ${code} is not in index.d.ts`);
  // The readers themselves: a code missing from the documented list is caught.
  assert.ok(!documentedCodes("export type KlinkCallSdkErrorCode =\n  | 'invalid_config';").includes('unknown_call'));
});

/** An engine whose `answer` throws `thrown`; every other command does what init() needs. */
class ThrowingEngine {
  static thrown = null;
  static create(settings, credentials, emit) {
    return new ThrowingEngine(emit);
  }

  constructor(emit) {
    this.emit = emit;
  }

  command(kind) {
    const name = COMMANDS[kind];
    if (name === 'start') setTimeout(() => this.emit('connected'), 0);
    if (name === 'destroy') setTimeout(() => this.emit('destroyed'), 0);
    if (name === 'answer') throw ThrowingEngine.thrown;
    return undefined;
  }

  free() {}
}

const init = withStandInEngine(ThrowingEngine);

test("the engine's { code, message } is the rejection's code and message; anything else gets the method's code", async () => {
  const sdk = await init();
  const rejection = async (thrown) => {
    ThrowingEngine.thrown = thrown;
    const err = await sdk.answer('c1').then(() => assert.fail('resolved'), (e) => e);
    assert.ok(err instanceof KlinkCallSdkError);
    return [err.code, err.message];
  };
  assert.deepEqual(await rejection({ code: 'unknown_call', message: 'no call c1' }), ['unknown_call', 'no call c1']);
  assert.deepEqual(await rejection({ code: 'invalid_state', message: 'c1 is not ringing' }), ['invalid_state', 'c1 is not ringing']);
  const dom = Object.assign(new Error('The object is in an invalid state.'), { name: 'InvalidStateError', code: 11 });
  assert.deepEqual(await rejection(dom), ['invalid_state', 'The object is in an invalid state.']);
  assert.deepEqual(await rejection('gone'), ['invalid_state', 'gone']);
  await sdk.destroy();
});
