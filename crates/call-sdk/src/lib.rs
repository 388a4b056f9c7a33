//! K-Link call SDK engine: the browser drivers (WebSocket, WebRTC, timers) and the
//! wasm-bindgen facade that runs the sans-IO `sip-core` user agent in a page.
//!
//! Each driver owns its browser objects and callbacks and frees them on `Drop`; the
//! [`Engine`] (exported to JS) owns the drivers and the core, and is the only place they meet.
#![cfg_attr(not(test), warn(missing_docs))]

pub mod config;
pub mod credentials;
mod engine;
pub mod error;
pub mod ice_wait;
mod js;
pub mod media;
mod payload;
pub mod socket;
mod stats;
pub mod url;

pub use engine::Engine;
