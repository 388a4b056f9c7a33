// Script-tag entry: exposes window.KlinkCallSdk (with KlinkCallSdk.KlinkCallSdkError). The
// engine is bundled in; its wasm is fetched on init() from next to this script.
import { KlinkCallSdk, KlinkCallSdkError, fetchWasm, setDevicesLoader, setEngineLoader } from './sdk.js';
import initEngine, { Engine } from './engine.js';
import devices from './devices.js';

// Only valid while this script first runs: capture it now.
const scriptUrl = typeof document !== 'undefined' && document.currentScript ? document.currentScript.src : '';

setEngineLoader(async (engineUrl) => {
  await initEngine({ module_or_path: fetchWasm(engineUrl || new URL('engine_bg.wasm', scriptUrl || location.href)) });
  return Engine;
});

// One file: the device helpers and preflight() are bundled in, not a chunk beside the script.
setDevicesLoader(async () => ({ default: devices }));

KlinkCallSdk.KlinkCallSdkError = KlinkCallSdkError;
globalThis.KlinkCallSdk = KlinkCallSdk;
