// ESM entry of @klink.cloud/call-sdk. The engine (wasm-bindgen glue + engine_bg.wasm, both next
// to this file) is imported on the first init(), never at import time.
import { KlinkCallSdk, KlinkCallSdkError, fetchWasm, setDevicesLoader, setEngineLoader } from './sdk.js';

// A bundle in a classic script (esbuild's default `iife` format) has no import.meta.url: the
// engine is then looked for beside that script, as in the script-tag build. Read now: only
// valid while the script first runs.
const script = typeof document != 'undefined' && document.currentScript;

/** Where engine_bg.wasm is, when config.engineUrl does not say. */
function wasmUrl() {
  let url;
  try {
    // This exact expression is what Vite and webpack 5 look for to ship the file.
    url = new URL('./engine_bg.wasm', import.meta.url).href;
  } catch {
    return new URL('engine_bg.wasm', (script && script.src) || location.href);
  }
  // Vite's dev server before Vite 8 serves dependencies pre-bundled in node_modules/.vite/deps/
  // without the files they reference; the package's own copy is still served from node_modules.
  return url.replace(/\.vite\/deps\/engine_bg\.wasm$/, '@klink.cloud/call-sdk/dist/engine_bg.wasm');
}

setEngineLoader(async (engineUrl) => {
  // The wasm download starts with the glue's, not after it: the glue awaits the response.
  const wasm = fetchWasm(engineUrl || wasmUrl());
  const engine = await import('./engine.js');
  await engine.default({ module_or_path: wasm });
  return engine.Engine;
});

// The device helpers and preflight(): a chunk of their own, fetched on their first use (sdk.js).
setDevicesLoader(() => import('./devices.js'));

export { KlinkCallSdk, KlinkCallSdkError };
export default KlinkCallSdk;
