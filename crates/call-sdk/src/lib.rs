//! K-Link call SDK engine: the browser drivers (WebSocket, WebRTC, timers, fetch) and the
//! wasm-bindgen facade that runs the sans-IO [`sip_core`] user agent in a page.
#![cfg_attr(not(test), warn(missing_docs))]

pub mod config;
pub mod credentials;
pub mod error;
pub mod media;
mod js;
pub mod socket;
pub mod url;
