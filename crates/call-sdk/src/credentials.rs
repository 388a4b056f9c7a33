//! The credential exchange (docs/credential-api.md): the `kpt_` token for short-lived SIP
//! credentials, with `requestTimeoutMs` enforced by an `AbortController`.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use js_sys::Array;
use sip_core::decimal;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, RequestInit, Response};

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

/// Maps a non-2xx status of the credential API to its error; the server's own message, when it
/// sent one, is appended.
pub fn status_error(status: u16, server_message: Option<&str>) -> SdkError {
    let (code, message) = match status {
        401 => (
            ErrorCode::AuthFailed,
            "the access token was refused (unknown, malformed, expired or revoked)",
        ),
        403 => (
            ErrorCode::AuthFailed,
            "the access token lacks the telephony ability; issue one that has it",
        ),
        404 => (
            ErrorCode::ExtensionNotFound,
            "no member with that userEmail in the token's tenant",
        ),
        409 => (
            ErrorCode::ExtensionNotProvisioned,
            "the member has no extension; provision one in K-Link first",
        ),
        _ => (
            ErrorCode::InitFailed,
            "the credential API answered with an unexpected status",
        ),
    };
    let mut text = String::from(message);
    text.push_str(" (HTTP ");
    decimal::push(&mut text, status.into());
    text.push(')');
    if let Some(detail) = server_message.filter(|m| !m.is_empty()) {
        text.push_str(": ");
        text.extend(detail.chars().take(200));
    }
    SdkError::new(code, text)
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

/// Reads a 200 response body into [`Credentials`], checking every WebSocket URL.
pub fn parse_body(body: &JsValue, config: &Config) -> Result<Credentials, SdkError> {
    let sip_uri = required(body, "sipUri")?;
    let authorization_user = required(body, "authorizationUser")?;
    let password = Secret::new(required(body, "password")?);
    let servers = js::get(body, "wsServers");
    let ws_servers: Vec<String> = if Array::is_array(&servers) {
        Array::from(&servers)
            .iter()
            .filter_map(|v| v.as_string())
            .collect()
    } else {
        Vec::new()
    };
    if ws_servers.is_empty() {
        return Err(SdkError::new(
            ErrorCode::InitFailed,
            "the credential response has no wsServers",
        ));
    }
    for (i, server) in ws_servers.iter().enumerate() {
        url::check(
            server,
            url::Kind::WebSocket,
            config.allow_insecure_transport,
        )
        .map_err(|why| {
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

/// The server's explanation in an error body: `{ error: { message } }` (the K-Link
/// envelope), `{ message }` or `{ error: "..." }`.
fn server_message(body: &JsValue) -> Option<String> {
    let error = js::get(body, "error");
    js::get_string(&error, "message")
        .or_else(|| error.as_string())
        .or_else(|| js::get_string(body, "message"))
}

/// The request URL for a member.
pub fn request_url(config: &Config) -> String {
    let email: String = js_sys::encode_uri_component(&config.user_email).into();
    [
        config.api_base_url.as_str(),
        "/v1/telephony/webphone/credentials?email=",
        &email,
    ]
    .concat()
}

fn network_error(config: &Config, timed_out: bool, err: &JsValue) -> SdkError {
    if timed_out {
        SdkError::new(
            ErrorCode::NetworkError,
            [
                "the credential API did not answer within requestTimeoutMs (",
                &decimal::string(config.request_timeout_ms.into()),
                " ms)",
            ]
            .concat(),
        )
    } else {
        SdkError::new(
            ErrorCode::NetworkError,
            [
                "could not reach the credential API at ",
                &config.api_base_url,
                ": ",
                &js::describe(err),
            ]
            .concat(),
        )
    }
}

/// Fetches the member's credentials, within `requestTimeoutMs` (headers and body together).
pub async fn fetch(config: &Config) -> Result<Credentials, SdkError> {
    let controller = AbortController::new().map_err(|_| {
        SdkError::new(
            ErrorCode::InitFailed,
            "this environment has no AbortController",
        )
    })?;
    let timed_out = Rc::new(Cell::new(false));
    // Dropped (and so cancelled) when this function returns, whichever way.
    let _deadline = {
        let controller = controller.clone();
        let timed_out = timed_out.clone();
        js::timeout(
            config.request_timeout_ms,
            Box::new(move || {
                timed_out.set(true);
                controller.abort();
            }),
        )
    };

    let headers = js::object(&[
        (
            "Authorization",
            JsValue::from_str(&["Bearer ", &config.access_token].concat()),
        ),
        ("Accept", JsValue::from_str("application/json")),
    ]);
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_headers(&headers);
    init.set_signal(Some(&controller.signal()));
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_cache(web_sys::RequestCache::NoStore);

    let url = request_url(config);
    let promise = js::fetch_with_init(&url, &init).map_err(|e| network_error(config, false, &e))?;
    let response = JsFuture::from(promise)
        .await
        .map_err(|e| network_error(config, timed_out.get(), &e))?;
    let response: Response = response
        .dyn_into()
        .map_err(|_| SdkError::new(ErrorCode::InitFailed, "fetch did not return a Response"))?;
    let status = response.status();
    let body_promise = response.json();
    let body = match body_promise {
        Ok(p) => JsFuture::from(p).await,
        Err(e) => Err(e),
    };
    if timed_out.get() {
        return Err(network_error(config, true, &JsValue::NULL));
    }
    if !(200..300).contains(&status) {
        let detail = body.ok().as_ref().and_then(server_message);
        return Err(status_error(status, detail.as_deref()));
    }
    let body = body
        .map_err(|_| SdkError::new(ErrorCode::InitFailed, "the credential response is not JSON"))?;
    parse_body(&body, config)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_their_codes() {
        assert_eq!(status_error(401, None).code, ErrorCode::AuthFailed);
        let forbidden = status_error(403, Some("missing ability telephony:webphone"));
        assert_eq!(forbidden.code, ErrorCode::AuthFailed);
        assert!(forbidden.message.contains("telephony ability"));
        assert!(forbidden
            .message
            .ends_with("missing ability telephony:webphone"));
        assert_eq!(status_error(404, None).code, ErrorCode::ExtensionNotFound);
        assert_eq!(
            status_error(409, None).code,
            ErrorCode::ExtensionNotProvisioned
        );
        assert_eq!(status_error(500, None).code, ErrorCode::InitFailed);
        assert_eq!(status_error(302, None).code, ErrorCode::InitFailed);
        assert!(status_error(418, None).message.contains("HTTP 418"));
    }

    #[test]
    fn secrets_do_not_debug_print() {
        let s = Secret::new("hunter2".into());
        assert_eq!(format!("{s:?}"), "Secret(..)");
    }
}
