//! The `init(config)` object: parsing, defaults and validation, each failure naming its field.

use js_sys::Array;
use sip_core::decimal;
use wasm_bindgen::JsValue;

use crate::error::{ErrorCode, SdkError};
use crate::js;
use crate::url;

/// The K-Link public API, used when `apiBaseUrl` is not given.
pub const DEFAULT_API_BASE_URL: &str = "https://apigw.klinkcx.com";
/// How long the credential request may take before `init()` fails with `network_error`.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u32 = 15_000;
/// How long to keep gathering ICE candidates after the first one before sending the SDP.
/// docs/js-api.md ("ICE gathering") has the measurement behind it.
pub const DEFAULT_ICE_GATHERING_TIMEOUT_MS: u32 = 100;

/// The registration lifetime asked of the registrar, in seconds (it may grant less, or answer
/// 423 with a minimum); the binding is refreshed at half the granted lifetime.
pub const DEFAULT_REGISTER_EXPIRES_SECS: u32 = 600;
/// Bounds of `registerExpires`.
const REGISTER_EXPIRES_RANGE: (u32, u32) = (10, 86_400);

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
    /// Reconnect at all (default true).
    pub enabled: bool,
    /// The longest wait between two attempts, in milliseconds (default 30 s).
    pub max_delay_ms: u32,
}

impl Default for Reconnect {
    fn default() -> Self {
        Self {
            enabled: true,
            max_delay_ms: 30_000,
        }
    }
}

/// A validated config.
#[derive(Clone, Debug)]
pub struct Config {
    /// The member whose extension to register.
    pub user_email: String,
    /// The integrator's `kpt_...` token; sent only to `apiBaseUrl`.
    pub access_token: String,
    /// The credential API base URL, without a trailing slash.
    pub api_base_url: String,
    /// The credential request's deadline.
    pub request_timeout_ms: u32,
    /// `RTCIceServer[]` replacing those of the credential response, when given.
    pub ice_servers: Option<Array>,
    /// Console verbosity.
    pub log_level: LogLevel,
    /// Allows `http://` and `ws://` to hosts other than loopback (never for production).
    pub allow_insecure_transport: bool,
    /// Reconnect policy.
    pub reconnect: Reconnect,
    /// Bounded ICE-gathering wait after the first candidate.
    pub ice_gathering_timeout_ms: u32,
    /// The registration lifetime to ask for, in seconds.
    pub register_expires_secs: u32,
    /// The `audio` member of the `getUserMedia` constraints: `true` or `MediaTrackConstraints`
    /// (a `deviceId`, or echo cancellation and noise suppression turned off).
    pub audio_constraints: JsValue,
}

fn invalid(message: impl Into<String>) -> SdkError {
    SdkError::new(ErrorCode::InvalidConfig, message)
}

/// Reads an optional non-negative whole number of milliseconds within `max`.
fn optional_ms(
    cfg: &JsValue,
    field: &str,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, SdkError> {
    let value = js::get(cfg, field);
    if value.is_undefined() || value.is_null() {
        return Ok(default);
    }
    match value.as_f64() {
        Some(n) if n.is_finite() && n >= f64::from(min) && n <= f64::from(max) => {
            Ok(n.round() as u32)
        }
        _ => Err(invalid(
            [
                "config.",
                field,
                " must be a number of milliseconds from ",
                &decimal::string(min.into()),
                " to ",
                &decimal::string(max.into()),
            ]
            .concat(),
        )),
    }
}

fn optional_bool(cfg: &JsValue, field: &str, default: bool) -> Result<bool, SdkError> {
    let value = js::get(cfg, field);
    if value.is_undefined() || value.is_null() {
        return Ok(default);
    }
    value
        .as_bool()
        .ok_or_else(|| invalid(["config.", field, " must be a boolean"].concat()))
}

fn parse_email(cfg: &JsValue) -> Result<String, SdkError> {
    let value = js::get(cfg, "userEmail");
    let Some(email) = value.as_string() else {
        return Err(invalid(
            "config.userEmail is required: the member's email address",
        ));
    };
    let email = email.trim();
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if !valid {
        return Err(invalid("config.userEmail is not an email address"));
    }
    Ok(email.to_string())
}

fn parse_token(cfg: &JsValue) -> Result<String, SdkError> {
    let value = js::get(cfg, "accessToken");
    let Some(token) = value.as_string() else {
        return Err(invalid(
            "config.accessToken is required: a K-Link API token (kpt_...)",
        ));
    };
    let token = token.trim();
    let valid =
        token.len() > 4 && token.starts_with("kpt_") && token.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        // The token itself is a secret: never echo it back.
        return Err(invalid(
            "config.accessToken must be a K-Link API token starting with kpt_",
        ));
    }
    Ok(token.to_string())
}

fn parse_api_base_url(cfg: &JsValue, allow_insecure: bool) -> Result<String, SdkError> {
    let value = js::get(cfg, "apiBaseUrl");
    if value.is_undefined() || value.is_null() {
        return Ok(DEFAULT_API_BASE_URL.to_string());
    }
    let Some(raw) = value.as_string() else {
        return Err(invalid("config.apiBaseUrl must be a string URL"));
    };
    let raw = raw.trim().trim_end_matches('/');
    url::check(raw, url::Kind::Http, allow_insecure)
        .map_err(|why| invalid(["config.apiBaseUrl ", why.as_str()].concat()))?;
    Ok(raw.to_string())
}

fn parse_register_expires(cfg: &JsValue) -> Result<u32, SdkError> {
    let value = js::get(cfg, "registerExpires");
    if value.is_undefined() || value.is_null() {
        return Ok(DEFAULT_REGISTER_EXPIRES_SECS);
    }
    let (min, max) = REGISTER_EXPIRES_RANGE;
    match value.as_f64() {
        Some(n) if n.is_finite() && n >= f64::from(min) && n <= f64::from(max) => {
            Ok(n.round() as u32)
        }
        _ => Err(invalid(
            [
                "config.registerExpires must be a number of seconds from ",
                &decimal::string(min.into()),
                " to ",
                &decimal::string(max.into()),
            ]
            .concat(),
        )),
    }
}

fn parse_log_level(cfg: &JsValue) -> Result<LogLevel, SdkError> {
    let value = js::get(cfg, "logLevel");
    if value.is_undefined() || value.is_null() {
        return Ok(LogLevel::Warn);
    }
    match value.as_string().as_deref() {
        Some("silent") => Ok(LogLevel::Silent),
        Some("error") => Ok(LogLevel::Error),
        Some("warn") => Ok(LogLevel::Warn),
        Some("info") => Ok(LogLevel::Info),
        Some("debug") => Ok(LogLevel::Debug),
        _ => Err(invalid(
            "config.logLevel must be one of silent, error, warn, info, debug",
        )),
    }
}

fn parse_reconnect(cfg: &JsValue) -> Result<Reconnect, SdkError> {
    let value = js::get(cfg, "reconnect");
    if value.is_undefined() || value.is_null() {
        return Ok(Reconnect::default());
    }
    if let Some(enabled) = value.as_bool() {
        return Ok(Reconnect {
            enabled,
            ..Reconnect::default()
        });
    }
    if !value.is_object() {
        return Err(invalid(
            "config.reconnect must be a boolean or { maxDelayMs }",
        ));
    }
    let max_delay_ms = optional_ms(
        &value,
        "maxDelayMs",
        Reconnect::default().max_delay_ms,
        1_000,
        3_600_000,
    )
    .map_err(|e| {
        invalid(
            [
                "config.reconnect.",
                e.message.strip_prefix("config.").unwrap_or(&e.message),
            ]
            .concat(),
        )
    })?;
    Ok(Reconnect {
        enabled: true,
        max_delay_ms,
    })
}

/// Checks an `RTCIceServer[]`: an array of objects whose `urls` is a string or an array of
/// strings, each `stun:`, `turn:` or `turns:`.
pub fn check_ice_servers(value: &JsValue, field: &str) -> Result<Array, SdkError> {
    if !Array::is_array(value) {
        return Err(invalid(
            [field, " must be an array of RTCIceServer objects"].concat(),
        ));
    }
    let servers = Array::from(value);
    for (i, server) in servers.iter().enumerate() {
        let urls = js::get(&server, "urls");
        let list: Vec<JsValue> = if Array::is_array(&urls) {
            Array::from(&urls).to_vec()
        } else {
            vec![urls]
        };
        let ok = !list.is_empty()
            && list.iter().all(|u| {
                u.as_string().is_some_and(|u| {
                    let u = u.to_ascii_lowercase();
                    u.starts_with("stun:") || u.starts_with("turn:") || u.starts_with("turns:")
                })
            });
        if !ok {
            return Err(invalid(
                [
                    field,
                    "[",
                    &decimal::string(i as u64),
                    "].urls must be stun:, turn: or turns: URLs",
                ]
                .concat(),
            ));
        }
    }
    Ok(servers)
}

impl Config {
    /// Parses and validates the object given to `init()`.
    pub fn parse(cfg: &JsValue) -> Result<Self, SdkError> {
        if !cfg.is_object() || Array::is_array(cfg) {
            return Err(invalid(
                "config must be an object with userEmail and accessToken",
            ));
        }
        let user_email = parse_email(cfg)?;
        let access_token = parse_token(cfg)?;
        let allow_insecure_transport = optional_bool(cfg, "allowInsecureTransport", false)?;
        let api_base_url = parse_api_base_url(cfg, allow_insecure_transport)?;
        let request_timeout_ms = optional_ms(
            cfg,
            "requestTimeoutMs",
            DEFAULT_REQUEST_TIMEOUT_MS,
            1,
            600_000,
        )?;
        let ice = js::get(cfg, "iceServers");
        let ice_servers = if ice.is_undefined() || ice.is_null() {
            None
        } else {
            Some(check_ice_servers(&ice, "config.iceServers")?)
        };
        let log_level = parse_log_level(cfg)?;
        let reconnect = parse_reconnect(cfg)?;
        let ice_gathering_timeout_ms = optional_ms(
            cfg,
            "iceGatheringTimeoutMs",
            DEFAULT_ICE_GATHERING_TIMEOUT_MS,
            0,
            10_000,
        )?;
        let register_expires_secs = parse_register_expires(cfg)?;
        let audio = js::get(cfg, "audioConstraints");
        let audio_constraints =
            if audio.is_undefined() || audio.is_null() || audio.as_bool() == Some(true) {
                JsValue::TRUE
            } else if audio.is_object() && !Array::is_array(&audio) {
                audio
            } else {
                return Err(invalid(
                    "config.audioConstraints must be true or a MediaTrackConstraints object",
                ));
            };
        Ok(Self {
            audio_constraints,
            register_expires_secs,
            user_email,
            access_token,
            api_base_url,
            request_timeout_ms,
            ice_servers,
            log_level,
            allow_insecure_transport,
            reconnect,
            ice_gathering_timeout_ms,
        })
    }
}
