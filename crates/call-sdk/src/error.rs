//! The error codes a promise of the SDK rejects with, and their JS shape `{ code, message }`.

use wasm_bindgen::JsValue;

use crate::js;

/// A `KlinkCallSdkError` code. The first six are the K-Link SDK's init codes; the rest are for
/// calling a method at the wrong moment or with a bad argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The config is missing a field or has a wrong one; the message names it.
    InvalidConfig,
    /// The access token was refused (401), or lacks the telephony ability (403).
    AuthFailed,
    /// No member with that email in the token's tenant (404).
    ExtensionNotFound,
    /// The member exists but has no extension (409).
    ExtensionNotProvisioned,
    /// The credential API could not be reached, or did not answer within `requestTimeoutMs`.
    NetworkError,
    /// Anything else that stopped `init()`: an unexpected status or response, no browser APIs.
    InitFailed,
    /// No call with that id.
    UnknownCall,
    /// The call or the SDK is not in a state that allows the method (e.g. answer an outgoing call).
    InvalidState,
    /// A method argument is malformed (e.g. an empty number or a bad DTMF tone).
    InvalidArgument,
}

impl ErrorCode {
    /// The snake_case code JS sees.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidConfig => "invalid_config",
            Self::AuthFailed => "auth_failed",
            Self::ExtensionNotFound => "extension_not_found",
            Self::ExtensionNotProvisioned => "extension_not_provisioned",
            Self::NetworkError => "network_error",
            Self::InitFailed => "init_failed",
            Self::UnknownCall => "unknown_call",
            Self::InvalidState => "invalid_state",
            Self::InvalidArgument => "invalid_argument",
        }
    }
}

/// An error with a code and a message that says what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdkError {
    /// The machine-readable code.
    pub code: ErrorCode,
    /// What went wrong and what to do about it.
    pub message: String,
}

impl SdkError {
    /// Builds an error from a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<SdkError> for JsValue {
    /// A plain `{ code, message }` object; the npm wrapper turns it into a `KlinkCallSdkError`.
    fn from(err: SdkError) -> JsValue {
        js::object(&[
            ("code", JsValue::from_str(err.code.as_str())),
            ("message", JsValue::from_str(&err.message)),
        ])
        .into()
    }
}
