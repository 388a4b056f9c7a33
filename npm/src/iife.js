// Script-tag entry: exposes window.KlinkCallSdk (with KlinkCallSdk.KlinkCallSdkError). The
// engine is bundled in; its wasm is fetched on init() from next to this script.
import { KlinkCallSdk, KlinkCallSdkError, setEngineLoader } from './sdk.js';
import initEngine, { Engine } from './engine.js';

// Only valid while this script first runs: capture it now.
const scriptUrl = typeof document !== 'undefined' && document.currentScript ? document.currentScript.src : '';

setEngineLoader(async () => {
  const base = scriptUrl || (typeof location !== 'undefined' ? location.href : '');
  await initEngine({ module_or_path: new URL('engine_bg.wasm', base) });
  return Engine;
});

KlinkCallSdk.KlinkCallSdkError = KlinkCallSdkError;
globalThis.KlinkCallSdk = KlinkCallSdk;
