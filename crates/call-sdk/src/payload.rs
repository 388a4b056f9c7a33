//! The JS payloads of events and `getCalls()`: plain objects with the K-Link field names.

use js_sys::Object;
use sip_core::events::{CallId, CallInfo, Event};
use sip_core::quality::Stats;
use sip_core::timer::Instant;
use wasm_bindgen::JsValue;

use crate::js;

/// Converts the core's clock (`performance.now()` milliseconds) to Unix milliseconds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WallClock {
    /// `Date.now() - performance.now()` when the engine started.
    origin_ms: f64,
}

impl WallClock {
    /// Captures the offset between the two clocks now.
    pub(crate) fn capture() -> Self {
        Self {
            origin_ms: js::date_now() - js::now_ms() as f64,
        }
    }

    /// The Unix time in milliseconds of a core instant.
    pub(crate) fn unix_ms(self, at: Instant) -> f64 {
        (self.origin_ms + at.0 as f64).round()
    }
}

fn opt_str(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

fn opt_u16(n: Option<u16>) -> JsValue {
    n.map_or(JsValue::NULL, |n| JsValue::from_f64(f64::from(n)))
}

/// The `call` object of `incoming`, `sessionStarted`, `callUpdated` and `getCalls()`.
pub(crate) fn call(info: &CallInfo, clock: WallClock) -> Object {
    js::object(&[
        ("id", JsValue::from_str(info.id.as_str())),
        ("direction", JsValue::from_str(info.direction.as_str())),
        ("state", JsValue::from_str(info.state.as_str())),
        ("remoteNumber", JsValue::from_str(&info.remote_number)),
        ("remoteName", opt_str(info.remote_name.as_deref())),
        (
            "startedAt",
            JsValue::from_f64(clock.unix_ms(info.started_at)),
        ),
        (
            "answeredAt",
            info.answered_at
                .map_or(JsValue::NULL, |t| JsValue::from_f64(clock.unix_ms(t))),
        ),
        ("muted", JsValue::from_bool(info.muted)),
        ("mutedIn", JsValue::from_bool(info.muted_in)),
        ("held", JsValue::from_bool(info.held.local)),
        ("remoteHeld", JsValue::from_bool(info.held.remote)),
        ("localNumber", JsValue::from_str(&info.local_number)),
        ("status", opt_u16(info.status)),
        // Whole seconds since the answer (to the end, for an ended call), when the
        // snapshot was taken.
        (
            "duration",
            info.answered_at.map_or(JsValue::NULL, |at| {
                let end = info.ended_at.map_or(js::now_ms(), |e| e.0);
                JsValue::from_f64((end.saturating_sub(at.0) / 1000) as f64)
            }),
        ),
    ])
}

fn opt_num(n: Option<f64>) -> JsValue {
    n.map_or(JsValue::NULL, JsValue::from_f64)
}

/// Two decimals: what a score or a percentage is read to.
fn cents(n: f64) -> f64 {
    (n * 100.0).round() / 100.0
}

/// The object of `getStats()` and the `stats` event.
pub(crate) fn stats(call: &CallId, stats: &Stats) -> Object {
    let s = &stats.sample;
    js::object(&[
        ("callId", JsValue::from_str(call.as_str())),
        ("rttMs", opt_num(s.rtt_ms)),
        ("jitterMs", opt_num(s.jitter_ms)),
        (
            "packetLossPercent",
            JsValue::from_f64(cents(stats.packet_loss_pct)),
        ),
        ("mos", opt_num(stats.mos.map(cents))),
        ("inboundLevel", JsValue::from_f64(s.inbound_level)),
        ("outboundLevel", JsValue::from_f64(s.outbound_level)),
        ("bytesSent", JsValue::from_f64(s.bytes_sent)),
        ("bytesReceived", JsValue::from_f64(s.bytes_received)),
        ("codec", JsValue::from_str(&s.codec)),
        ("localCandidateType", JsValue::from_str(&s.local_candidate)),
        (
            "remoteCandidateType",
            JsValue::from_str(&s.remote_candidate),
        ),
    ])
}

/// The event name and payload JS listeners receive, or `None` for events the facade handles
/// itself (credential refresh, teardown).
pub(crate) fn event(ev: &Event, clock: WallClock) -> Option<(&'static str, JsValue)> {
    let payload: JsValue = match ev {
        Event::Connected | Event::Disconnected => JsValue::UNDEFINED,
        Event::RegisteredChange { registered } => {
            js::object(&[("registered", JsValue::from_bool(*registered))]).into()
        }
        Event::RegistrationFailed { code, reason } => js::object(&[
            ("code", JsValue::from_f64(f64::from(*code))),
            ("message", JsValue::from_str(reason)),
        ])
        .into(),
        Event::Incoming(info) | Event::SessionStarted(info) | Event::CallUpdated(info) => {
            js::object(&[("call", call(info, clock).into())]).into()
        }
        Event::SessionEnded {
            call,
            cause,
            status,
        } => js::object(&[
            ("callId", JsValue::from_str(call.as_str())),
            ("cause", JsValue::from_str(cause.as_str())),
            ("status", opt_u16(*status)),
        ])
        .into(),
        Event::Dtmf { call, tone } => {
            let mut buf = [0u8; 4];
            js::object(&[
                ("callId", JsValue::from_str(call.as_str())),
                ("tone", JsValue::from_str(tone.encode_utf8(&mut buf))),
            ])
            .into()
        }
        Event::HoldFailed {
            call,
            hold,
            status,
            reason,
        } => js::object(&[
            ("callId", JsValue::from_str(call.as_str())),
            ("hold", JsValue::from_bool(*hold)),
            ("status", opt_u16(*status)),
            ("reason", JsValue::from_str(reason)),
        ])
        .into(),
        Event::TransferAccepted { call } => {
            js::object(&[("callId", JsValue::from_str(call.as_str()))]).into()
        }
        Event::TransferFailed {
            call,
            status,
            reason,
        } => js::object(&[
            ("callId", JsValue::from_str(call.as_str())),
            (
                "status",
                status.map_or(JsValue::NULL, |s| JsValue::from_f64(f64::from(s))),
            ),
            ("reason", JsValue::from_str(reason)),
        ])
        .into(),
        Event::TransferRequested { call, target } => js::object(&[
            ("callId", JsValue::from_str(call.as_str())),
            ("target", JsValue::from_str(target)),
        ])
        .into(),
        Event::Error { scope, detail } => js::object(&[
            ("scope", JsValue::from_str(scope.as_str())),
            ("detail", JsValue::from_str(detail)),
        ])
        .into(),
        // For the wrapper's preflight(), which listens for it; not a public event.
        Event::Pong { status, rtt_ms } => js::object(&[
            ("status", JsValue::from_f64(f64::from(*status))),
            ("rttMs", JsValue::from_f64(*rtt_ms as f64)),
        ])
        .into(),
        Event::Stats { call, stats: s } => stats(call, s).into(),
        Event::QualityWarning {
            call,
            warning,
            value,
            threshold,
        } => js::object(&[
            ("callId", JsValue::from_str(call.as_str())),
            ("name", JsValue::from_str(warning.as_str())),
            ("value", JsValue::from_f64(*value)),
            ("threshold", JsValue::from_f64(*threshold)),
        ])
        .into(),
        Event::QualityWarningCleared { call, warning } => js::object(&[
            ("callId", JsValue::from_str(call.as_str())),
            ("name", JsValue::from_str(warning.as_str())),
        ])
        .into(),
        Event::Message {
            call,
            from,
            text,
            content_type,
        } => js::object(&[
            ("callId", opt_str(call.as_ref().map(CallId::as_str))),
            ("from", JsValue::from_str(from)),
            ("text", JsValue::from_str(text)),
            ("contentType", JsValue::from_str(content_type)),
        ])
        .into(),
        Event::CredentialsExpiring | Event::Destroyed => return None,
    };
    Some((ev.name(), payload))
}
