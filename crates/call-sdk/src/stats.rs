//! Reads a call's `RTCPeerConnection.getStats()` into the core's [`Sample`]. The walk over the
//! report is plain JS (`stats.js`, bundled into the glue), which hands back the raw values by
//! position; here each is taken as a number or a string, or left out. The browser owns these
//! numbers; what they mean for the call is the core's (`sip_core::quality`).

use js_sys::{Array, Promise};
use sip_core::quality::Sample;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::RtcPeerConnection;

#[wasm_bindgen(module = "/src/stats.js")]
extern "C" {
    /// The report's values: the RTCP round trip, then the inbound jitter, packets received
    /// and lost, bytes received and level, the bytes sent, the microphone's level and energy,
    /// the selected pair's round trip and candidate types, the codec's MIME type.
    #[wasm_bindgen(js_name = readStats)]
    fn read_stats(pc: &RtcPeerConnection) -> Promise;
}

/// One sample of `pc`'s audio statistics.
pub(crate) async fn sample(pc: &RtcPeerConnection) -> Result<Sample, JsValue> {
    let v: Array = JsFuture::from(read_stats(pc)).await?.unchecked_into();
    let num = |i| v.get(i).as_f64();
    let count = |i| num(i).unwrap_or(0.0);
    // A duration the report gives in seconds, in ms.
    let ms = |i| num(i).map(|s| s * 1000.0);
    let text = |i| v.get(i).as_string().unwrap_or_default();
    let mime = text(12);
    Ok(Sample {
        // RTCP's round trip is the media's own; before the first receiver report, ICE's.
        rtt_ms: ms(0).or(ms(9)),
        jitter_ms: ms(1),
        packets_received: count(2),
        packets_lost: count(3),
        bytes_received: count(4),
        inbound_level: count(5),
        bytes_sent: count(6),
        outbound_level: count(7),
        outbound_energy: count(8),
        local_candidate: text(10),
        remote_candidate: text(11),
        codec: mime.strip_prefix("audio/").unwrap_or(&mime).to_string(),
    })
}
