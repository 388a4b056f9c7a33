//! Small bindings to browser globals and helpers for reading and building plain JS objects.
//!
//! Globals are bound by name (not through `window()`), so the engine also loads in workers, and
//! a missing API surfaces as a caught `Err` instead of a panic.

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A browser timer that runs `f` once; dropping it cancels. Every timer of the engine goes
/// through this one closure type, as each closure type costs its own wasm glue.
pub(crate) fn timeout(ms: u32, f: Box<dyn FnOnce()>) -> gloo_timers::callback::Timeout {
    gloo_timers::callback::Timeout::new(ms, f)
}

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: monotonic milliseconds since the page started.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;

    /// `crypto.getRandomValues(buf)`.
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;

    /// `navigator.mediaDevices.getUserMedia(constraints)`.
    #[wasm_bindgen(js_namespace = ["navigator", "mediaDevices"], js_name = getUserMedia, catch)]
    pub(crate) fn get_user_media(constraints: &JsValue) -> Result<Promise, JsValue>;

    /// `Number(value)`: JS's own number parsing (keeps Rust's float parser out of the wasm).
    #[wasm_bindgen(js_name = Number)]
    pub(crate) fn to_number(value: &JsValue) -> f64;

    /// `Date.now()`: wall-clock milliseconds since the Unix epoch.
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    pub(crate) fn date_now() -> f64;

    #[wasm_bindgen(js_namespace = console, js_name = log)]
    pub(crate) fn console_log(msg: &str);
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    pub(crate) fn console_warn(msg: &str);
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    pub(crate) fn console_error(msg: &str);
}

/// Monotonic time in whole milliseconds, the clock the core runs on.
pub(crate) fn now_ms() -> u64 {
    let t = performance_now();
    if t.is_finite() && t > 0.0 {
        t as u64
    } else {
        0
    }
}

/// Eight bytes from the browser's CSPRNG, or `None` when there is no `crypto`.
pub(crate) fn random_u64() -> Option<u64> {
    let mut buf = [0u8; 8];
    get_random_values(&mut buf).ok()?;
    Some(u64::from_le_bytes(buf))
}

/// Reads `obj[key]`; `undefined` when `obj` is not an object or has no such property.
pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Reads `obj[key]` as a string when it is one.
pub(crate) fn get_string(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

/// Adds `f` as the listener of each of `events` on `target`, or removes it (`add` false).
/// Every browser callback of the engine goes through here: the shared `addEventListener`
/// and `removeEventListener` imports cost less than an `on*` setter import per event.
pub(crate) fn listen(
    target: &web_sys::EventTarget,
    events: &[&str],
    f: &js_sys::Function,
    add: bool,
) {
    for event in events {
        let _ = if add {
            target.add_event_listener_with_callback(event, f)
        } else {
            target.remove_event_listener_with_callback(event, f)
        };
    }
}

/// Sets `obj[key] = value`, ignoring failure (a frozen object is not ours to fix).
pub(crate) fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// Builds a plain object from key/value pairs.
pub(crate) fn object(pairs: &[(&str, JsValue)]) -> Object {
    let obj = Object::new();
    for (key, value) in pairs {
        set(&obj, key, value);
    }
    obj
}

/// A best-effort human message for a thrown JS value (an `Error`'s message, or its string).
pub(crate) fn describe(err: &JsValue) -> String {
    if let Some(e) = err.dyn_ref::<js_sys::Error>() {
        let name: String = e.name().into();
        let message: String = e.message().into();
        if name.is_empty() || name == "Error" {
            return message;
        }
        return [name.as_str(), ": ", message.as_str()].concat();
    }
    err.as_string().unwrap_or_else(|| "unknown error".into())
}
