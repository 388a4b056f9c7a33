//! The engine's settings: the `init(config)` object as npm/src/config.js completes it.
//!
//! The JS wrapper checks every field, names what is wrong and applies the defaults before the
//! engine is loaded, so none of that is in the wasm. Here each field the engine uses is only
//! read; one that is missing or of the wrong type (the engine called without the wrapper) is
//! refused as `invalid_config`. The credential request's fields (`userEmail`, `accessToken`,
//! `apiBaseUrl`, `requestTimeoutMs`) are not read: the wrapper makes that request, and the
//! token never enters the engine.

use js_sys::Array;
use sip_core::ua::BusyPolicy;
use wasm_bindgen::JsValue;

use crate::error::{ErrorCode, SdkError};
use crate::js;

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

/// The error for a field the wrapper would have filled in correctly.
fn invalid(field: &str) -> SdkError {
    SdkError::new(
        ErrorCode::InvalidConfig,
        ["config.", field, " is missing or invalid"].concat(),
    )
}

fn string(value: JsValue, field: &str) -> Result<String, SdkError> {
    value.as_string().ok_or_else(|| invalid(field))
}

fn boolean(value: JsValue, field: &str) -> Result<bool, SdkError> {
    value.as_bool().ok_or_else(|| invalid(field))
}

/// A number within the bounds the wrapper enforces (a zero lifetime would make the engine
/// spin).
fn number(value: JsValue, field: &str, min: u32, max: u32) -> Result<u32, SdkError> {
    match value.as_f64() {
        Some(n) if n >= f64::from(min) && n <= f64::from(max) => Ok(n as u32),
        _ => Err(invalid(field)),
    }
}

/// `qualityWarnings`: `null` (off) or the thresholds, each a number the wrapper checked
/// (here only that it is one: no threshold value can make the policy misbehave).
fn thresholds(value: JsValue) -> Result<Option<sip_core::quality::Thresholds>, SdkError> {
    if value.is_null() {
        return Ok(None);
    }
    let mut t = [0.0; 4];
    for (slot, name) in t
        .iter_mut()
        .zip(["rttMs", "jitterMs", "packetLossPercent", "mos"])
    {
        *slot = js::get(&value, name)
            .as_f64()
            .ok_or_else(|| invalid("qualityWarnings"))?;
    }
    let [rtt_ms, jitter_ms, packet_loss_pct, mos] = t;
    Ok(Some(sip_core::quality::Thresholds {
        rtt_ms,
        jitter_ms,
        packet_loss_pct,
        mos,
    }))
}

/// `urn:uuid:` and 36 hex digits and dashes: the shape of the wrapper's ids, and nothing that
/// could break out of the Contact header's quoted `+sip.instance`.
fn instance_id(value: JsValue) -> Result<String, SdkError> {
    let id = string(value, "instanceId")?;
    let uuid = id.strip_prefix("urn:uuid:").unwrap_or_default();
    if uuid.len() != 36 || !uuid.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()) {
        return Err(invalid("instanceId"));
    }
    Ok(id)
}

/// The keepalive policy in ms (idle interval, call interval, answer timeout), `None` when
/// turned off. The wrapper bounds each field; here only what would make the core spin is
/// refused.
fn keepalive(k: JsValue) -> Result<Option<[u32; 3]>, SdkError> {
    if k.is_null() {
        return Ok(None);
    }
    let ms = |name| js::get(&k, name).as_f64().filter(|n| *n >= 500.0);
    match (ms("idleIntervalMs"), ms("callIntervalMs"), ms("timeoutMs")) {
        (Some(idle), Some(call), Some(timeout)) => {
            Ok(Some([idle as u32, call as u32, timeout as u32]))
        }
        _ => Err(invalid("keepalive")),
    }
}

impl Config {
    /// Reads the settings npm/src/config.js made from the object given to `init()`.
    pub fn read(cfg: &JsValue) -> Result<Self, SdkError> {
        let field = |name: &str| js::get(cfg, name);
        let keepalive = keepalive(field("keepalive"))?;
        let allow_insecure_transport =
            boolean(field("allowInsecureTransport"), "allowInsecureTransport")?;
        let ice = field("iceServers");
        let ice_servers = if ice.is_null() {
            None
        } else if Array::is_array(&ice) {
            Some(Array::from(&ice))
        } else {
            return Err(invalid("iceServers"));
        };
        let log_level = match string(field("logLevel"), "logLevel")?.as_str() {
            "silent" => LogLevel::Silent,
            "error" => LogLevel::Error,
            "warn" => LogLevel::Warn,
            "info" => LogLevel::Info,
            "debug" => LogLevel::Debug,
            _ => return Err(invalid("logLevel")),
        };
        let reconnect = field("reconnect");
        let reconnect = Reconnect {
            enabled: boolean(js::get(&reconnect, "enabled"), "reconnect.enabled")?,
            max_delay_ms: number(
                js::get(&reconnect, "maxDelayMs"),
                "reconnect.maxDelayMs",
                1_000,
                3_600_000,
            )?,
        };
        // The wrapper checked the range (minSec from 90, expiresSec from minSec, both to
        // 86400); the core copes with any value, so only the type is checked here.
        let st = field("sessionTimers");
        let secs = |name: &str| number(js::get(&st, name), "sessionTimers", 1, 86_400);
        let session_timers = if js::get(&st, "enabled").as_bool() == Some(true) {
            Some(SessionTimers {
                expires_secs: secs("expiresSec")?,
                min_secs: secs("minSec")?,
            })
        } else {
            None
        };
        let audio_constraints = field("audioConstraints");
        if audio_constraints.as_bool() != Some(true) && !audio_constraints.is_object() {
            return Err(invalid("audioConstraints"));
        }
        Ok(Self {
            ice_servers,
            log_level,
            allow_insecure_transport,
            reconnect,
            keepalive,
            session_timers,
            ice_gathering_timeout_ms: number(
                field("iceGatheringTimeoutMs"),
                "iceGatheringTimeoutMs",
                0,
                10_000,
            )?,
            register_expires_secs: number(field("registerExpires"), "registerExpires", 10, 86_400)?,
            ice_disconnected_grace_ms: number(
                field("iceDisconnectedGraceMs"),
                "iceDisconnectedGraceMs",
                0,
                60_000,
            )?,
            media_recovery_timeout_ms: number(
                field("mediaRecoveryTimeoutMs"),
                "mediaRecoveryTimeoutMs",
                1_000,
                600_000,
            )?,
            audio_constraints,
            instance_id: instance_id(field("instanceId"))?,
            // Checked by the wrapper: 'ring' (the default) or 'reject'.
            incoming_while_busy: if field("incomingWhileBusy").as_string().as_deref()
                == Some("reject")
            {
                BusyPolicy::Reject
            } else {
                BusyPolicy::Ring
            },
            stats_interval_ms: number(field("statsIntervalMs"), "statsIntervalMs", 0, 3_600_000)?,
            quality_warnings: thresholds(field("qualityWarnings"))?,
        })
    }
}
