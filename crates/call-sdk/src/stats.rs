//! Reads a call's `RTCPeerConnection.getStats()` into the core's [`Sample`]: one pass over
//! the report, then two look-ups by id (the codec, the selected pair's candidates). The
//! browser owns these numbers; what they mean for the call is the core's (`sip_core::quality`).

use js_sys::Map;
use sip_core::quality::Sample;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::RtcPeerConnection;

use crate::js;

fn number(report: &JsValue, key: &str) -> f64 {
    js::get(report, key).as_f64().unwrap_or(0.0)
}

/// A duration the report gives in seconds, in ms; `None` when absent.
fn millis(report: &JsValue, key: &str) -> Option<f64> {
    js::get(report, key).as_f64().map(|s| s * 1000.0)
}

/// `report.get(id)[key]` as a string, empty when any part is missing.
fn linked(map: &Map, id: &JsValue, key: &str) -> String {
    js::get_string(&map.get(id), key).unwrap_or_default()
}

/// One sample of `pc`'s audio statistics. The call has one audio stream and no video, so
/// each report type is read as it comes, without looking at `kind`.
pub(crate) async fn sample(pc: &RtcPeerConnection) -> Result<Sample, JsValue> {
    let report: Map = JsFuture::from(pc.get_stats()).await?.unchecked_into();
    let mut s = Sample::default();
    let mut codec = JsValue::UNDEFINED;
    let mut selected = JsValue::UNDEFINED;
    let mut nominated = JsValue::UNDEFINED;
    report.for_each(&mut |r, _| match js::get_string(&r, "type").as_deref() {
        Some("inbound-rtp") => {
            s.jitter_ms = millis(&r, "jitter");
            s.packets_received = number(&r, "packetsReceived");
            s.packets_lost = number(&r, "packetsLost");
            s.bytes_received = number(&r, "bytesReceived");
            s.inbound_level = number(&r, "audioLevel");
            codec = js::get(&r, "codecId");
        }
        Some("outbound-rtp") => s.bytes_sent = number(&r, "bytesSent"),
        Some("remote-inbound-rtp") => s.rtt_ms = millis(&r, "roundTripTime"),
        Some("media-source") => {
            s.outbound_level = number(&r, "audioLevel");
            s.outbound_energy = number(&r, "totalAudioEnergy");
        }
        // The pair media uses: the transport names it (Chromium, Safari); else the one ICE
        // nominated (Firefox). Not by `state`: the selected pair shows `in-progress` while a
        // consent check is out, which takes a round trip.
        Some("transport") => selected = js::get(&r, "selectedCandidatePairId"),
        Some("candidate-pair") if js::get(&r, "nominated").is_truthy() => nominated = r,
        _ => {}
    });
    let pair = if selected.is_undefined() {
        nominated
    } else {
        report.get(&selected)
    };
    if !pair.is_undefined() {
        // RTCP's round trip is the media's own; before the first receiver report, ICE's.
        s.rtt_ms = s.rtt_ms.or(millis(&pair, "currentRoundTripTime"));
        s.local_candidate = linked(
            &report,
            &js::get(&pair, "localCandidateId"),
            "candidateType",
        );
        s.remote_candidate = linked(
            &report,
            &js::get(&pair, "remoteCandidateId"),
            "candidateType",
        );
    }
    let mime = linked(&report, &codec, "mimeType");
    s.codec = mime.strip_prefix("audio/").unwrap_or(&mime).to_string();
    Ok(s)
}
