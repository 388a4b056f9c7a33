// ESM entry of @klink.cloud/call-sdk. The engine (wasm-bindgen glue + engine_bg.wasm, both next
// to this file) is imported on the first init(), never at import time.
import { KlinkCallSdk, KlinkCallSdkError, setEngineLoader } from './sdk.js';

setEngineLoader(async () => {
  const engine = await import('./engine.js');
  await engine.default({ module_or_path: new URL('./engine_bg.wasm', import.meta.url) });
  return engine.Engine;
});

export { KlinkCallSdk, KlinkCallSdkError };
export default KlinkCallSdk;
