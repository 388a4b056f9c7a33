//! The JS payloads of events, `getCalls()` and `getStats()`, as arrays of values by position:
//! npm/src/events.js names the places and builds the objects with the K-Link field names. Each
//! name the engine set on an object cost the wasm the string and a call; a value here is an
//! enum until [`array`] turns the list into JS, in one place.

use js_sys::Array;
use sip_core::events::{CallId, CallInfo, Event};
use sip_core::quality::Stats;
use sip_core::timer::Instant;
use wasm_bindgen::JsValue;

use crate::js;

/// The events by number: `emit(kind, values)` hands the wrapper the event's position in
/// `EVENTS` of npm/src/events.js, which lists its payload's fields in the order of the values
/// (the tests below and npm/test/events.test.mjs compare the two tables).
pub(crate) mod kind {
    pub(crate) const CONNECTED: u32 = 0;
    pub(crate) const DISCONNECTED: u32 = 1;
    pub(crate) const REGISTERED_CHANGE: u32 = 2;
    pub(crate) const REGISTRATION_FAILED: u32 = 3;
    pub(crate) const INCOMING: u32 = 4;
    pub(crate) const SESSION_STARTED: u32 = 5;
    pub(crate) const CALL_UPDATED: u32 = 6;
    pub(crate) const SESSION_ENDED: u32 = 7;
    pub(crate) const DTMF: u32 = 8;
    pub(crate) const HOLD_FAILED: u32 = 9;
    pub(crate) const TRANSFER_ACCEPTED: u32 = 10;
    pub(crate) const TRANSFER_FAILED: u32 = 11;
    pub(crate) const TRANSFER_REQUESTED: u32 = 12;
    pub(crate) const ERROR: u32 = 13;
    pub(crate) const PONG: u32 = 14;
    pub(crate) const STATS: u32 = 15;
    pub(crate) const QUALITY_WARNING: u32 = 16;
    pub(crate) const QUALITY_WARNING_CLEARED: u32 = 17;
    pub(crate) const MESSAGE: u32 = 18;
    pub(crate) const REMOTE_STREAM: u32 = 19;
    pub(crate) const DESTROYED: u32 = 20;
}

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

/// One value of a payload.
#[derive(Clone, Copy)]
pub(crate) enum Value<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
    Null,
    Js(&'a JsValue),
    /// A call's snapshot: the array of [`call`], taken when it is made into JS.
    Call(&'a CallInfo),
}

use Value::{Bool, Null, Num, Str};

fn opt_str(s: Option<&str>) -> Value<'_> {
    s.map_or(Null, Str)
}

fn opt_num(n: Option<f64>) -> Value<'static> {
    n.map_or(Null, Num)
}

fn opt_u16(n: Option<u16>) -> Value<'static> {
    opt_num(n.map(f64::from))
}

/// The values of a call object (`CALL` of npm/src/events.js): for `incoming`,
/// `sessionStarted`, `callUpdated` and `getCalls()`. `now` is the core's clock, for the
/// duration of a call not ended yet.
pub(crate) fn call(info: &CallInfo, clock: WallClock, now: u64) -> [Value<'_>; 15] {
    [
        Str(info.id.as_str()),
        Str(info.direction.as_str()),
        Str(info.state.as_str()),
        Str(&info.remote_number),
        opt_str(info.remote_name.as_deref()),
        Num(clock.unix_ms(info.started_at)),
        opt_num(info.answered_at.map(|t| clock.unix_ms(t))),
        Bool(info.muted),
        Bool(info.muted_in),
        Bool(info.held.local),
        Bool(info.held.remote),
        Str(&info.local_number),
        opt_u16(info.status),
        // Whole seconds since the answer (to the end, for an ended call), when the
        // snapshot was taken.
        opt_num(info.answered_at.map(|at| {
            let end = info.ended_at.map_or(now, |e| e.0);
            (end.saturating_sub(at.0) / 1000) as f64
        })),
        // Raw `Name:value` lines: npm/src/events.js makes `headers` and `assertedIdentity`.
        Str(&info.headers),
    ]
}

/// Two decimals: what a score or a percentage is read to.
fn cents(n: f64) -> f64 {
    (n * 100.0).round() / 100.0
}

/// The values of `getStats()` and the `stats` event (`STATS` of npm/src/events.js).
pub(crate) fn stats<'a>(call: &'a CallId, stats: &'a Stats) -> [Value<'a>; 12] {
    let s = &stats.sample;
    [
        Str(call.as_str()),
        opt_num(s.rtt_ms),
        opt_num(s.jitter_ms),
        Num(cents(stats.packet_loss_pct)),
        opt_num(stats.mos.map(cents)),
        Num(s.inbound_level),
        Num(s.outbound_level),
        Num(s.bytes_sent),
        Num(s.bytes_received),
        Str(&s.codec),
        Str(&s.local_candidate),
        Str(&s.remote_candidate),
    ]
}

/// The values as a JS array.
pub(crate) fn array(values: &[Value<'_>], clock: WallClock) -> Array {
    let out = Array::new();
    for value in values {
        out.push(&match *value {
            Str(s) => JsValue::from_str(s),
            Num(n) => JsValue::from_f64(n),
            Bool(b) => JsValue::from_bool(b),
            Null => JsValue::NULL,
            Value::Js(v) => v.clone(),
            Value::Call(info) => array(&call(info, clock, js::now_ms()), clock).into(),
        });
    }
    out
}

/// Hands `out` the number and the values of the event JS listeners receive; `None` for events
/// the facade handles itself (credential refresh, teardown).
pub(crate) fn event<R>(ev: &Event, out: impl FnOnce(u32, &[Value<'_>]) -> R) -> Option<R> {
    let mut tone = [0u8; 4];
    Some(match ev {
        Event::Connected => out(kind::CONNECTED, &[]),
        Event::Disconnected => out(kind::DISCONNECTED, &[]),
        Event::RegisteredChange { registered } => {
            out(kind::REGISTERED_CHANGE, &[Bool(*registered)])
        }
        Event::RegistrationFailed { code, reason } => out(
            kind::REGISTRATION_FAILED,
            &[Num(f64::from(*code)), Str(reason)],
        ),
        Event::Incoming(info) => out(kind::INCOMING, &[Value::Call(info)]),
        Event::SessionStarted(info) => out(kind::SESSION_STARTED, &[Value::Call(info)]),
        Event::CallUpdated(info) => out(kind::CALL_UPDATED, &[Value::Call(info)]),
        Event::SessionEnded {
            call,
            cause,
            status,
        } => out(
            kind::SESSION_ENDED,
            &[Str(call.as_str()), Str(cause.as_str()), opt_u16(*status)],
        ),
        Event::Dtmf { call, tone: t } => out(
            kind::DTMF,
            &[Str(call.as_str()), Str(t.encode_utf8(&mut tone))],
        ),
        Event::HoldFailed {
            call,
            hold,
            status,
            reason,
        } => out(
            kind::HOLD_FAILED,
            &[
                Str(call.as_str()),
                Bool(*hold),
                opt_u16(*status),
                Str(reason),
            ],
        ),
        Event::TransferAccepted { call } => out(kind::TRANSFER_ACCEPTED, &[Str(call.as_str())]),
        Event::TransferFailed {
            call,
            status,
            reason,
        } => out(
            kind::TRANSFER_FAILED,
            &[Str(call.as_str()), opt_u16(*status), Str(reason)],
        ),
        Event::TransferRequested { call, target } => {
            out(kind::TRANSFER_REQUESTED, &[Str(call.as_str()), Str(target)])
        }
        Event::Error { scope, detail } => out(kind::ERROR, &[Str(scope.as_str()), Str(detail)]),
        // For the wrapper's preflight() and sendMessage() (the id), which listen for it;
        // not a public event.
        Event::Pong { id, status, rtt_ms } => out(
            kind::PONG,
            &[Num(f64::from(*status)), Num(*rtt_ms as f64), opt_u16(*id)],
        ),
        Event::Stats { call, stats: s } => out(kind::STATS, &stats(call, s)),
        Event::QualityWarning {
            call,
            warning,
            value,
            threshold,
        } => out(
            kind::QUALITY_WARNING,
            &[
                Str(call.as_str()),
                Str(warning.as_str()),
                Num(*value),
                Num(*threshold),
            ],
        ),
        Event::QualityWarningCleared { call, warning } => out(
            kind::QUALITY_WARNING_CLEARED,
            &[Str(call.as_str()), Str(warning.as_str())],
        ),
        Event::Message {
            call,
            from,
            text,
            content_type,
        } => out(
            kind::MESSAGE,
            &[
                opt_str(call.as_ref().map(CallId::as_str)),
                Str(from),
                Str(text),
                Str(content_type),
            ],
        ),
        Event::CredentialsExpiring | Event::Destroyed => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip_core::events::{CallDirection, CallState, EndCause, ErrorScope, HoldState};
    use sip_core::quality::{Sample, Warning};

    /// Each event by number, then its payload's fields in the order of the values: the same
    /// table as `EVENTS` of npm/src/events.js (npm/test/events.test.mjs compares them).
    const EVENTS: [&str; 21] = [
        "connected",
        "disconnected",
        "registeredChange registered",
        "registrationFailed code message",
        "incoming call",
        "sessionStarted call",
        "callUpdated call",
        "sessionEnded callId cause status",
        "dtmf callId tone",
        "holdFailed callId hold status reason",
        "transferAccepted callId",
        "transferFailed callId status reason",
        "transferRequested callId target",
        "error scope detail code",
        "pong status rttMs id",
        "stats callId rttMs jitterMs packetLossPercent mos inboundLevel outboundLevel bytesSent bytesReceived codec localCandidateType remoteCandidateType",
        "qualityWarning callId name value threshold",
        "qualityWarningCleared callId name",
        "message callId from text contentType",
        "remoteStream callId stream",
        "destroyed",
    ];

    /// The fields of a call object: `CALL` of npm/src/events.js.
    const CALL: [&str; 15] = [
        "id",
        "direction",
        "state",
        "remoteNumber",
        "remoteName",
        "startedAt",
        "answeredAt",
        "muted",
        "mutedIn",
        "held",
        "remoteHeld",
        "localNumber",
        "status",
        "duration",
        "headers",
    ];

    fn info() -> CallInfo {
        CallInfo {
            id: CallId::from("c1"),
            direction: CallDirection::Outbound,
            state: CallState::Active,
            remote_number: "1002".into(),
            remote_name: None,
            started_at: Instant(1_000),
            answered_at: Some(Instant(3_000)),
            ended_at: None,
            muted: false,
            muted_in: false,
            held: HoldState::default(),
            local_number: "1001".into(),
            status: Some(200),
            headers: "X-Ticket:T-1".into(),
        }
    }

    fn fields(kind: u32) -> Vec<&'static str> {
        EVENTS[kind as usize].split(' ').collect()
    }

    #[test]
    fn every_event_has_its_number_and_as_many_values_as_fields() {
        let call = CallId::from("c1");
        let stats = Stats {
            sample: Sample::default(),
            packet_loss_pct: 0.0,
            mos: None,
        };
        let events = [
            Event::Connected,
            Event::Disconnected,
            Event::RegisteredChange { registered: true },
            Event::RegistrationFailed {
                code: 403,
                reason: "Forbidden".into(),
            },
            Event::Incoming(info()),
            Event::SessionStarted(info()),
            Event::CallUpdated(info()),
            Event::SessionEnded {
                call: call.clone(),
                cause: EndCause::HangupLocal,
                status: None,
            },
            Event::Dtmf {
                call: call.clone(),
                tone: '#',
            },
            Event::HoldFailed {
                call: call.clone(),
                hold: true,
                status: Some(488),
                reason: "no".into(),
            },
            Event::TransferAccepted { call: call.clone() },
            Event::TransferFailed {
                call: call.clone(),
                status: None,
                reason: "no".into(),
            },
            Event::TransferRequested {
                call: call.clone(),
                target: "sip:1003@x".into(),
            },
            Event::Error {
                scope: ErrorScope::Call,
                detail: "x".into(),
            },
            Event::Pong {
                id: Some(3),
                status: 200,
                rtt_ms: 5,
            },
            Event::Stats {
                call: call.clone(),
                stats,
            },
            Event::QualityWarning {
                call: call.clone(),
                warning: Warning::HighRtt,
                value: 500.0,
                threshold: 400.0,
            },
            Event::QualityWarningCleared {
                call: call.clone(),
                warning: Warning::HighRtt,
            },
            Event::Message {
                call: None,
                from: "sip:1002@x".into(),
                text: "hi".into(),
                content_type: "text/plain".into(),
            },
        ];
        let mut seen = Vec::new();
        for ev in &events {
            let (kind, count) = event(ev, |kind, values| (kind, values.len())).unwrap();
            let fields = fields(kind);
            assert_eq!(fields[0], ev.name());
            // `error` carries a `code` only when the engine has one (autoplay_blocked).
            let optional = usize::from(kind == kind::ERROR);
            assert_eq!(count + optional, fields.len() - 1, "{}", ev.name());
            seen.push(kind);
        }
        assert!(event(&Event::CredentialsExpiring, |k, _| k).is_none());
        assert!(event(&Event::Destroyed, |k, _| k).is_none());
        // The engine's own events.
        assert_eq!(
            fields(kind::REMOTE_STREAM),
            ["remoteStream", "callId", "stream"]
        );
        assert_eq!(fields(kind::DESTROYED), ["destroyed"]);
        seen.extend([kind::REMOTE_STREAM, kind::DESTROYED]);
        seen.sort_unstable();
        assert_eq!(seen, (0..EVENTS.len() as u32).collect::<Vec<_>>());
    }

    #[test]
    fn call_and_stats_values_fill_their_tables() {
        let clock = WallClock { origin_ms: 0.0 };
        let info = info();
        let values = call(&info, clock, 10_500);
        assert_eq!(values.len(), CALL.len());
        assert!(matches!(values[0], Str("c1")));
        assert!(matches!(values[5], Num(n) if n == 1_000.0));
        // Answered at 3 s, 10.5 s now: 7 whole seconds.
        assert!(matches!(values[13], Num(n) if n == 7.0));
        assert!(matches!(values[4], Null));
        assert!(matches!(values[14], Str("X-Ticket:T-1")));
        let stats_fields = fields(kind::STATS);
        let s = Stats {
            sample: Sample::default(),
            packet_loss_pct: 1.234,
            mos: Some(4.111),
        };
        let id = CallId::from("c1");
        let values = stats(&id, &s);
        assert_eq!(values.len(), stats_fields.len() - 1);
        assert!(matches!(values[3], Num(n) if n == 1.23));
        assert!(matches!(values[4], Num(n) if n == 4.11));
    }
}
