// node scripts/lib/short-names.mjs NAMES.json GLUE.js: after `wasm-opt
// --minify-imports-and-exports-and-modules` (which printed NAMES.json), gives wasm-bindgen's
// glue the same short names. wasm-bindgen names each import after the browser method and a
// hash (`__wbg_createOffer_179e441c42d36ee9`), and the closure shims after their full Rust
// types; the page downloads each name twice (wasm and glue), and the hashes do not compress.
// Every import is a key of the one object the glue hands to the module, every export is read
// as `wasm.<name>`: anything else would be a new wasm-bindgen, so the script fails then.
import { readFileSync, writeFileSync } from 'node:fs';

const [namesFile, glueFile] = process.argv.slice(2);
const names = JSON.parse(readFileSync(namesFile, 'utf8'));
let glue = readFileSync(glueFile, 'utf8');

function fail(message) {
  console.error(`short-names: ${message}`);
  process.exit(1);
}

/** Replaces every match of `pattern` by `to`, failing unless it matched `count` times. */
function replace(pattern, to, count, what) {
  const found = glue.match(pattern)?.length ?? 0;
  if (found !== count) fail(`${what}: found ${found} times in ${glueFile}, expected ${count}`);
  glue = glue.replace(pattern, to);
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const modules = new Set();
for (const [module, base, short] of names.imports) {
  modules.add(module);
  // `    __wbg_play_26a96ac37b543ddc: function(arg0) {`: the key of the import object.
  replace(new RegExp(`(?<=^\\s*)${escape(base)}(?=: )`, 'gm'), JSON.stringify(short), 1, `import ${base}`);
}
// wasm-opt names the one module `a`.
if (modules.size !== 1) fail(`expected one import module, found ${[...modules].join(', ')}`);
replace(new RegExp(`(?<=^\\s*)${escape(JSON.stringify([...modules][0]))}(?=: )`, 'gm'), '"a"', 1, 'the import module');
for (const [long, short] of names.exports) {
  const uses = glue.match(new RegExp(`\\bwasm\\.${escape(long)}\\b`, 'g'))?.length ?? 0;
  // Exports the glue never reads (the module's own `__abort_handler`) are left as they are.
  if (uses) replace(new RegExp(`\\bwasm\\.${escape(long)}\\b`, 'g'), `wasm[${JSON.stringify(short)}]`, uses, `export ${long}`);
}
const left = glue.match(/\bwasm\.[A-Za-z_$][\w$]*/g);
if (left) fail(`the glue still reads ${[...new Set(left)].join(', ')}`);
writeFileSync(glueFile, glue);
