// node scripts/lib/trim-glue.mjs GLUE.js: after short-names.mjs, rewrites wasm-bindgen's glue
// into less script doing the same for this engine. Each rewrite names the text it expects and
// how often; a glue that differs (a new wasm-bindgen) fails the build rather than shipping a
// half-rewritten file.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const [glueFile] = process.argv.slice(2);
let glue = readFileSync(glueFile, 'utf8');

function fail(message) {
  console.error(`trim-glue: ${message}`);
  process.exit(1);
}

/**
 * Replaces every match of `pattern` by `to`; `count` is how many matches are expected: a
 * number, or `+` for at least one.
 */
function replace(pattern, to, count, what) {
  const found = glue.match(pattern)?.length ?? 0;
  if (count === '+' ? found === 0 : found !== count) {
    fail(`${what}: found ${found} times in ${glueFile}, expected ${count === '+' ? 'at least one' : count}`);
  }
  glue = glue.replace(pattern, to);
  return found;
}

/** Replaces `from` (exact text, found once) by `to`. */
function exact(from, to, what) {
  const at = glue.indexOf(from);
  if (at < 0 || glue.indexOf(from, at + 1) >= 0) fail(`${what}: expected once in ${glueFile}`);
  glue = glue.slice(0, at) + to + glue.slice(at + from.length);
}

// The import object's functions are called by the wasm only, never as methods: arrows do.
// Those that catch an exception for the wasm (`handleError`) get it from a wrapper built once.
{
  const n = replace(/function\(\) \{ return handleError\(function \(/g, 'handleError((', '+', 'handleError calls');
  replace(/\}, arguments\); \},$/gm, '}),', n, 'handleError call ends');
  replace(/(?<=^ {8}"[\w$]+": handleError\(\([\w, ]*\)) \{$/gm, ' => {', n, 'handleError callbacks');
  exact(`function handleError(f, args) {
    try {
        return f.apply(this, args);
    } catch (e) {`, `function handleError(f) {
    return (...args) => { try {
        return f(...args);
    } catch (e) {`, 'handleError');
  exact(`(addHeapObject(e));
    }
}`, `(addHeapObject(e));
    } };
}`, 'handleError end');
  replace(/(?<=^ {8}"[\w$]+": )function\(([\w, ]*)\) \{$/gm, '($1) => {', '+', 'import functions');
  const imports = glue.slice(glue.indexOf('function __wbg_get_imports()'), glue.indexOf('\n}\n', glue.indexOf('function __wbg_get_imports()')));
  const left = imports.replace(/^\s*\/\/.*$/gm, '').match(/.*(\bthis\b|\barguments\b|: function\().*/);
  if (left) fail(`an import function uses \`this\` or \`arguments\`, or is left a function: ${left[0].trim()}`);
}

// `const ret = X; return ret;` and `return addHeapObject(ret);`: one expression.
{
  replace(/const ret = ([^;\n]+);\n\s*return ret;/g, 'return $1;', '+', 'returned values');
  replace(/const ret = ([^;\n]+);\n\s*return addHeapObject\(ret\);/g, 'return addHeapObject($1);', '+', 'returned objects');
}

// What neither the SDK nor its browsers take: `Symbol.dispose` (the wrapper frees the engine
// itself), a browser without `FinalizationRegistry` (Chrome 84, Firefox 79, Safari 14.1 have
// it), `passStringToWasm0` without `realloc` (every call passes it).
exact('if (Symbol.dispose) Engine.prototype[Symbol.dispose] = Engine.prototype.free;\n', '', 'Symbol.dispose');
replace(/\(typeof FinalizationRegistry === 'undefined'\)\n {4}\? \{ register: \(\) => \{\}, unregister: \(\) => \{\} \}\n {4}: new FinalizationRegistry/g,
  'new FinalizationRegistry', 2, 'FinalizationRegistry fallbacks');
exact(`    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }
`, '', 'the encode fallback');

// The loader. wasm-bindgen's takes a URL, a Request, a Response, bytes or a module, in two
// calling conventions; the SDK's entries (npm/src/index.js, iife.js) always pass
// `{ module_or_path }` with the promise of a checked Response (sdk.js `fetchWasm`), and the
// package test `initSync({ module })` with the bytes. What stays: one instantiation, streaming
// unless the server did not say `application/wasm`. The text replaced must be the one this was
// written against (its SHA-256): a new wasm-bindgen's loader is read before it is replaced.
const LOADER_SHA256 = '824a6e2d1b022428f9125f50222576e5327e8c7c22d8e90b62d9cfdec8922dc2';
{
  const at = glue.indexOf('let wasmModule, wasmInstance, wasm;\n');
  const sha = at < 0 ? 'none' : createHash('sha256').update(glue.slice(at)).digest('hex');
  if (sha !== LOADER_SHA256) fail(`the loader is not the one expected (SHA-256 ${sha}): read it and update this script`);
  glue = glue.slice(0, at) + `let wasm;
function __wbg_finalize_init(instance) {
    wasm = instance.exports;
    cachedDataViewMemory0 = null;
    cachedUint8ArrayMemory0 = null;
    return wasm;
}

async function __wbg_init({ module_or_path }) {
    if (wasm !== undefined) return wasm;
    const imports = __wbg_get_imports();
    const response = await module_or_path;
    let result;
    try {
        result = await WebAssembly.instantiateStreaming(response, imports);
    } catch (e) {
        if (response.headers.get('Content-Type') === 'application/wasm') throw e;
        console.warn('engine_bg.wasm is not served as application/wasm, so it compiles after the download:', e);
        result = await WebAssembly.instantiate(await response.arrayBuffer(), imports);
    }
    return __wbg_finalize_init(result.instance);
}

function initSync({ module }) {
    if (wasm !== undefined) return wasm;
    if (!(module instanceof WebAssembly.Module)) module = new WebAssembly.Module(module);
    return __wbg_finalize_init(new WebAssembly.Instance(module, __wbg_get_imports()));
}

export { initSync, __wbg_init as default };
`;
}

writeFileSync(glueFile, glue);
