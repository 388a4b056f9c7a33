// The JS↔wasm command table has two halves: the names in npm/src/sdk.js (a command's number is its
// position) and the numbers in `mod command` of crates/call-sdk/src/engine.rs. A mismatch would
// only show at run time, as the wrong command or an unknown one: compare them here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _COMMANDS } from '../src/sdk.js';

const ENGINE_RS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'crates', 'call-sdk', 'src', 'engine.rs');

/** `mod command { pub(super) const GET_CALLS: u32 = 12; ... }` → [['getCalls', 12], ...]. */
function rustCommands(source) {
  const body = source.match(/mod command \{([\s\S]*?)\n\}/);
  assert.ok(body, 'engine.rs has a `mod command { ... }` block');
  return [...body[1].matchAll(/const ([A-Z_]+): u32 = (\d+);/g)].map(([, name, n]) => [
    name.toLowerCase().replace(/_([a-z])/g, (_, c) => c.toUpperCase()),
    Number(n),
  ]);
}

test('every engine command number names the same command in the wrapper, and none is missing', () => {
  const rust = rustCommands(readFileSync(ENGINE_RS, 'utf8'));
  assert.ok(rust.length > 0, 'no command constants found in engine.rs');
  const numbers = rust.map(([, n]) => n).sort((a, b) => a - b);
  assert.deepEqual(numbers, [...numbers.keys()], 'engine command numbers are 0..n without gaps or repeats');
  const byNumber = rust.sort((a, b) => a[1] - b[1]).map(([name]) => name);
  assert.deepEqual(byNumber, _COMMANDS);
});

test('a renamed or moved command is caught', () => {
  const rust = rustCommands('mod command {\n    pub(super) const ANSWER: u32 = 1;\n    pub(super) const REJECT: u32 = 0;\n}');
  const byNumber = rust.sort((a, b) => a[1] - b[1]).map(([name]) => name);
  assert.notDeepEqual(byNumber, _COMMANDS.slice(0, 2));
});
