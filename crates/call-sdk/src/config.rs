//! The engine's settings: the `init(config)` object as npm/src/config.js completes it, handed
//! over as one array (`engineSettings`) with a place per field ([`FIELDS`]).
//!
//! The JS wrapper checks every field, names what is wrong and applies the defaults before the
//! engine is loaded, so none of that is in the wasm. Here each field the engine uses is only
//! read, by position: reading a property by name costs the wasm a string and a call per field.
//! One that is missing, of the wrong type or out of bounds (the engine called without the
//! wrapper) is refused as `invalid_config`, naming the field. The credential request's fields (`userEmail`, `accessToken`,
//! `apiBaseUrl`, `requestTimeoutMs`) are not read: the wrapper makes that request, and the
//! token never enters the engine.

use js_sys::Array;
use sip_core::ua::BusyPolicy;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{ErrorCode, SdkError};

/// How much the engine writes to the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Nothing.
    Silent,
    /// Failures only.
    Error,
    /// Failures and recoverable trouble (the default).
    Warn,
    /// Lifecycle: connected, registered, calls.
    Info,
    /// Every SIP message and media step (passwords are never logged).
    Debug,
}

/// Whether and how the engine reconnects after the WebSocket drops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reconnect {
    /// Reconnect at all.
    pub enabled: bool,
    /// The longest wait between two attempts, in milliseconds.
    pub max_delay_ms: u32,
}

/// RFC 4028 session timers, when enabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionTimers {
    /// The Session-Expires to ask for, in seconds.
    pub expires_secs: u32,
    /// Our Min-SE, in seconds.
    pub min_secs: u32,
}

/// The settings of one engine.
#[derive(Clone, Debug)]
pub struct Config {
    /// `RTCIceServer[]` replacing those of the credential response, when given.
    pub ice_servers: Option<Array>,
    /// Console verbosity.
    pub log_level: LogLevel,
    /// Allows `ws://` to hosts other than loopback (never for production).
    pub allow_insecure_transport: bool,
    /// Reconnect policy.
    pub reconnect: Reconnect,
    /// Keepalive policy: idle interval, call interval and answer timeout in ms; `None` when
    /// turned off.
    pub keepalive: Option<[u32; 3]>,
    /// Session timers (`None`: off).
    pub session_timers: Option<SessionTimers>,
    /// Bounded ICE-gathering wait after the first candidate.
    pub ice_gathering_timeout_ms: u32,
    /// The registration lifetime to ask for, in seconds.
    pub register_expires_secs: u32,
    /// How long ICE may stay `disconnected` before a call restarts it, in ms.
    pub ice_disconnected_grace_ms: u32,
    /// How long an ICE restart may take before the call ends, in ms.
    pub media_recovery_timeout_ms: u32,
    /// The `audio` member of the `getUserMedia` constraints: `true` or `MediaTrackConstraints`.
    pub audio_constraints: JsValue,
    /// The RFC 5626 `+sip.instance` of this tab, `urn:uuid:` and a UUID (npm/src/lifecycle.js
    /// keeps it across reloads). It goes into a SIP header, so nothing else is accepted.
    pub instance_id: String,
    /// An incoming call while another is up: ring (the default) or refuse it with 486.
    pub incoming_while_busy: BusyPolicy,
    /// The `stats` event's interval in ms (0: no event).
    pub stats_interval_ms: u32,
    /// The quality warnings' thresholds (`None`: no warnings).
    pub quality_warnings: Option<sip_core::quality::Thresholds>,
}

/// The settings' places in the array of `engineSettings` in npm/src/config.js
/// (npm/test/settings.test.mjs compares the two lists): three JS values, then numbers. A
/// boolean or a choice is a number (`logLevel`: its position in silent, error, warn, info,
/// debug; `incomingWhileBusy`: 1 for reject); a group that can be off (`keepalive`,
/// `sessionTimers`, `qualityWarnings`) has a 0/1 place and its fields are 0 when it is off.
pub const FIELDS: [&str; 25] = [
    "iceServers",
    "audioConstraints",
    "instanceId",
    "logLevel",
    "allowInsecureTransport",
    "reconnect.enabled",
    "reconnect.maxDelayMs",
    "keepalive",
    "keepalive.idleIntervalMs",
    "keepalive.callIntervalMs",
    "keepalive.timeoutMs",
    "sessionTimers",
    "sessionTimers.expiresSec",
    "sessionTimers.minSec",
    "iceGatheringTimeoutMs",
    "registerExpires",
    "iceDisconnectedGraceMs",
    "mediaRecoveryTimeoutMs",
    "incomingWhileBusy",
    "statsIntervalMs",
    "qualityWarnings",
    "qualityWarnings.rttMs",
    "qualityWarnings.jitterMs",
    "qualityWarnings.packetLossPercent",
    "qualityWarnings.mos",
];

/// Where the numbers start in [`FIELDS`].
const NUMBERS: usize = 3;

/// The bounds of each number (from `logLevel` on): the wrapper's, or looser where no value
/// can make the engine misbehave. A group's fields may be 0 here; when the group is on, the
/// ones that would make the core spin are checked in [`Config::read`].
const BOUNDS: [(u32, u32); 22] = [
    (0, 4),
    (0, 1),
    (0, 1),
    (1_000, 3_600_000),
    (0, 1),
    (0, u32::MAX),
    (0, u32::MAX),
    (0, u32::MAX),
    (0, 1),
    (0, 86_400),
    (0, 86_400),
    (0, 10_000),
    (10, 86_400),
    (0, 60_000),
    (1_000, 600_000),
    (0, 1),
    (0, 3_600_000),
    (0, 1),
    (0, u32::MAX),
    (0, u32::MAX),
    (0, u32::MAX),
    (0, u32::MAX),
];

/// The error for a field the wrapper would have filled in correctly.
fn invalid(field: &str) -> SdkError {
    SdkError::new(
        ErrorCode::InvalidConfig,
        ["config.", field, " is missing or invalid"].concat(),
    )
}

impl Config {
    /// Reads the settings npm/src/config.js made from the object given to `init()`, as
    /// `engineSettings` lays them out.
    pub fn read(cfg: &JsValue) -> Result<Self, SdkError> {
        if !Array::is_array(cfg) {
            return Err(invalid("settings"));
        }
        let cfg: &Array = cfg.unchecked_ref();
        let mut n = [0.0; 22];
        for (i, slot) in n.iter_mut().enumerate() {
            let (min, max) = BOUNDS[i];
            match cfg.get((NUMBERS + i) as u32).as_f64() {
                Some(v) if v >= f64::from(min) && v <= f64::from(max) => *slot = v,
                _ => return Err(invalid(FIELDS[NUMBERS + i])),
            }
        }
        let [log_level, insecure, reconnect, max_delay, keepalive, idle, call, timeout, timers, expires, min_se, gathering, register, grace, recovery, busy, stats, warnings, rtt_ms, jitter_ms, packet_loss_pct, mos] =
            n;
        // A probe interval or answer timeout under 0.5 s, or a zero session interval, would
        // make the core spin.
        let keepalive = match keepalive == 1.0 {
            false => None,
            true if idle.min(call).min(timeout) >= 500.0 => {
                Some([idle as u32, call as u32, timeout as u32])
            }
            true => return Err(invalid("keepalive")),
        };
        let session_timers = match timers == 1.0 {
            false => None,
            true if expires.min(min_se) >= 1.0 => Some(SessionTimers {
                expires_secs: expires as u32,
                min_secs: min_se as u32,
            }),
            true => return Err(invalid("sessionTimers")),
        };
        let ice = cfg.get(0);
        let ice_servers = if ice.is_null() {
            None
        } else if Array::is_array(&ice) {
            Some(Array::from(&ice))
        } else {
            return Err(invalid("iceServers"));
        };
        let audio_constraints = cfg.get(1);
        if audio_constraints.as_bool() != Some(true) && !audio_constraints.is_object() {
            return Err(invalid("audioConstraints"));
        }
        Ok(Self {
            ice_servers,
            log_level: match log_level as u8 {
                0 => LogLevel::Silent,
                1 => LogLevel::Error,
                2 => LogLevel::Warn,
                3 => LogLevel::Info,
                _ => LogLevel::Debug,
            },
            allow_insecure_transport: insecure == 1.0,
            reconnect: Reconnect {
                enabled: reconnect == 1.0,
                max_delay_ms: max_delay as u32,
            },
            keepalive,
            session_timers,
            ice_gathering_timeout_ms: gathering as u32,
            register_expires_secs: register as u32,
            ice_disconnected_grace_ms: grace as u32,
            media_recovery_timeout_ms: recovery as u32,
            audio_constraints,
            instance_id: instance_id(cfg.get(2))?,
            incoming_while_busy: if busy == 1.0 {
                BusyPolicy::Reject
            } else {
                BusyPolicy::Ring
            },
            stats_interval_ms: stats as u32,
            // Any number will do: no threshold can make the policy misbehave.
            quality_warnings: (warnings == 1.0).then_some(sip_core::quality::Thresholds {
                rtt_ms,
                jitter_ms,
                packet_loss_pct,
                mos,
            }),
        })
    }
}

/// `urn:uuid:` and 36 hex digits and dashes: the shape of the wrapper's ids, and nothing that
/// could break out of the Contact header's quoted `+sip.instance`.
fn instance_id(value: JsValue) -> Result<String, SdkError> {
    let id = value.as_string().ok_or_else(|| invalid("instanceId"))?;
    let uuid = id.strip_prefix("urn:uuid:").unwrap_or_default();
    if uuid.len() != 36 || !uuid.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()) {
        return Err(invalid("instanceId"));
    }
    Ok(id)
}
