// ESM entry of @klink.cloud/call-sdk. The engine (wasm-bindgen glue + engine_bg.wasm, both next
// to this file) is imported on the first init(), never at import time.
import { KlinkCallSdk, KlinkCallSdkError, setEngineLoader } from './sdk.js';

setEngineLoader(async () => {
  // The wasm download starts with the glue's, not after it: the glue awaits the response.
  const wasm = fetch(new URL('./engine_bg.wasm', import.meta.url));
  wasm.catch(() => {}); // reported by the glue when it awaits it, not as unhandled
  const engine = await import('./engine.js');
  await engine.default({ module_or_path: wasm });
  return engine.Engine;
});

export { KlinkCallSdk, KlinkCallSdkError };
export default KlinkCallSdk;
