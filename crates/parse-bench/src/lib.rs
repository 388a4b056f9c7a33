//! Parse throughput probe: the same work for every message, natively or in wasm.

use wasm_bindgen::prelude::wasm_bindgen;

/// The shipped engine's allocator (crates/call-sdk/src/lib.rs): parsing allocates.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

/// Parses `text` and reads what a user agent reads of every message it receives (the
/// transaction and dialog keys), the same fields JsSIP's parser extracts eagerly.
/// Returns a checksum so the work cannot be optimised away; 0 means a parse error.
pub fn parse_once(text: &str) -> u32 {
    let Ok(message) = sip_core::message::parse(text) else {
        return 0;
    };
    let mut sum = message.call_id().len() as u32;
    sum = sum.wrapping_add(message.cseq().seq);
    sum = sum.wrapping_add(message.from().tag().map_or(0, str::len) as u32);
    sum = sum.wrapping_add(message.to().tag().map_or(0, str::len) as u32);
    sum = sum.wrapping_add(
        message
            .top_via()
            .and_then(|v| v.branch())
            .map_or(0, str::len) as u32,
    );
    sum = sum.wrapping_add(message.contacts().len() as u32);
    sum.wrapping_add(message.body().len() as u32)
}

/// Parses `text` `iterations` times; returns the summed checksums.
#[wasm_bindgen(js_name = parseRepeatedly)]
pub fn parse_repeatedly(text: &str, iterations: u32) -> u32 {
    (0..iterations).fold(0u32, |acc, _| acc.wrapping_add(parse_once(text)))
}
