//! The credential response (docs/credential-api.md) read into [`Credentials`].
//!
//! The JS wrapper (npm/src/credentials.js) makes the request with the access token and hands
//! the parsed body over; the engine checks every field it uses (a missing or mistyped one is
//! `init_failed`, never a panic) and refuses insecure `wsServers`, since it opens those sockets.

use std::fmt;

use js_sys::Array;
use sip_core::decimal;
use wasm_bindgen::JsValue;

use crate::config::Config;
use crate::error::{ErrorCode, SdkError};
use crate::js;
use crate::url;

/// A secret string: kept out of `Debug`, logs and anything JS can read back.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: String) -> Self {
        Self(s)
    }
    /// The secret, for the one place that needs it (the digest computation).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The webphone credentials of one member.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The extension number.
    pub extension: String,
    /// The member's display name.
    pub display_name: String,
    /// The address of record, `sip:1001@realm`.
    pub sip_uri: String,
    /// `<unix-expiry>:<extension>` for the ephemeral scheme.
    pub authorization_user: String,
    /// The ephemeral signature.
    pub password: Secret,
    /// The digest realm, when the API names it.
    pub realm: String,
    /// When the credentials stop working, in Unix milliseconds.
    pub expires_at_unix_ms: Option<f64>,
    /// SIP WebSocket servers, in order of preference.
    pub ws_servers: Vec<String>,
    /// `RTCIceServer[]` for the peer connections.
    pub ice_servers: Array,
}

/// Parses `expiresAt`: Unix seconds, Unix milliseconds or an ISO 8601 string. Numbers in
/// strings are read by JS (`Number`), keeping Rust's float parser out of the wasm.
pub fn parse_expiry(value: &JsValue) -> Option<f64> {
    let n = match value.as_f64() {
        Some(n) => n,
        None => {
            let s = value.as_string()?;
            let n = js::to_number(&JsValue::from_str(s.trim()));
            if n.is_finite() {
                n
            } else {
                js_sys::Date::parse(&s)
            }
        }
    };
    if !n.is_finite() || n <= 0.0 {
        return None;
    }
    // Below 1e11 a number cannot be milliseconds of a plausible date: it is seconds.
    Some(if n < 1e11 { n * 1000.0 } else { n })
}

fn required(body: &JsValue, field: &str) -> Result<String, SdkError> {
    match js::get_string(body, field) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(SdkError::new(
            ErrorCode::InitFailed,
            ["the credential response lacks ", field].concat(),
        )),
    }
}

/// Reads a 2xx response body into [`Credentials`], checking every WebSocket URL.
pub fn parse_body(body: &JsValue, config: &Config) -> Result<Credentials, SdkError> {
    let sip_uri = required(body, "sipUri")?;
    let authorization_user = required(body, "authorizationUser")?;
    let password = Secret::new(required(body, "password")?);
    let servers = js::get(body, "wsServers");
    let mut ws_servers = Vec::new();
    if Array::is_array(&servers) {
        // A loop, not `filter_map().collect()`: that chain is a copy of its own in the wasm.
        for server in Array::from(&servers).iter() {
            if let Some(server) = server.as_string() {
                ws_servers.push(server);
            }
        }
    }
    if ws_servers.is_empty() {
        return Err(SdkError::new(
            ErrorCode::InitFailed,
            "the credential response has no wsServers",
        ));
    }
    for (i, server) in ws_servers.iter().enumerate() {
        url::check(server, config.allow_insecure_transport).map_err(|why| {
            SdkError::new(
                ErrorCode::InvalidConfig,
                [
                    "wsServers[",
                    &decimal::string(i as u64),
                    "] from the credential API ",
                    &why,
                ]
                .concat(),
            )
        })?;
    }
    // Each server's URLs are the browser's to check: a peer connection refuses bad ones, and
    // the call they were for fails with a media error.
    let ice = js::get(body, "iceServers");
    let ice_servers = if Array::is_array(&ice) {
        Array::from(&ice)
    } else if ice.is_undefined() || ice.is_null() {
        Array::new()
    } else {
        return Err(SdkError::new(
            ErrorCode::InitFailed,
            "the credential response's iceServers is not an array",
        ));
    };
    let extension = js::get_string(body, "extension").unwrap_or_default();
    Ok(Credentials {
        display_name: js::get_string(body, "displayName").unwrap_or_else(|| extension.clone()),
        extension,
        sip_uri,
        authorization_user,
        password,
        realm: js::get_string(body, "realm").unwrap_or_default(),
        expires_at_unix_ms: parse_expiry(&js::get(body, "expiresAt")),
        ws_servers,
        ice_servers,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_debug_print() {
        let s = Secret::new("hunter2".into());
        assert_eq!(format!("{s:?}"), "Secret(..)");
    }
}
