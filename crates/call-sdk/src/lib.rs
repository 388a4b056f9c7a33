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

/// The engine's heap: `lol_alloc`'s first-fit free list with neighbour coalescing, 2.2 KB gzip
/// smaller than the default dlmalloc. Wasm memory after 100 calls and after 100 more stays
/// flat with it (docs/size.md, "Engine plumbing after issues 13, 14 and 16"). The locked form
/// needs no `unsafe`; the page runs the engine on one thread.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
