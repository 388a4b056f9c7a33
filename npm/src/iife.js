// Script-tag entry: exposes window.KlinkCallSdk (with KlinkCallSdk.KlinkCallSdkError). The
// engine is bundled in; its wasm is fetched on init() from next to this script.
import { KlinkCallSdk, KlinkCallSdkError, fetchWasm, setEngineLoader } from './sdk.js';
import initEngine, { Engine } from './engine.js';

// Only valid while this script first runs: capture it now.
const scriptUrl = typeof document !== 'undefined' && document.currentScript ? document.currentScript.src : '';

setEngineLoader(async (engineUrl) => {
  await initEngine({ module_or_path: fetchWasm(engineUrl || new URL('engine_bg.wasm', scriptUrl || location.href)) });
  return Engine;
});

KlinkCallSdk.KlinkCallSdkError = KlinkCallSdkError;
globalThis.KlinkCallSdk = KlinkCallSdk;
