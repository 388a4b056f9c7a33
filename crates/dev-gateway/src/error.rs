//! The JSON error envelope `{ "error": { "code", "message" } }` shared by every endpoint.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::tokens::AuthError;

/// Every way a request can fail; each maps to one status and one stable `code`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// No `Authorization` header.
    #[error("missing access token: send Authorization: Bearer <token>")]
    MissingToken,
    /// An `Authorization` header that is not `Bearer <token>`.
    #[error("malformed Authorization header: expected Bearer <token>")]
    MalformedAuthorization,
    /// The token is unknown, expired or revoked.
    #[error(transparent)]
    Token(#[from] AuthError),
    /// The token is valid but lacks the ability the endpoint needs.
    #[error("the access token lacks the {0} ability")]
    MissingAbility(&'static str),
    /// The request itself is wrong (query or body).
    #[error("{0}")]
    BadRequest(String),
    /// No member with that email in the token's tenant.
    #[error("no member with email {0} in this tenant")]
    MemberNotFound(String),
    /// The member exists but has no extension.
    #[error("member {0} has no extension provisioned")]
    ExtensionNotProvisioned(String),
    /// Missing or wrong `X-Admin-Key`.
    #[error("missing or wrong X-Admin-Key")]
    AdminUnauthorized,
    /// The token to revoke does not exist.
    #[error("no such token")]
    TokenNotFound,
    /// No route or file at this path.
    #[error("not found")]
    NotFound,
    /// The path exists but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A failure of the gateway itself.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::MissingToken
            | Self::MalformedAuthorization
            | Self::Token(_)
            | Self::AdminUnauthorized => StatusCode::UNAUTHORIZED,
            Self::MissingAbility(_) => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::MemberNotFound(_) | Self::TokenNotFound | Self::NotFound => StatusCode::NOT_FOUND,
            Self::ExtensionNotProvisioned(_) => StatusCode::CONFLICT,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::MissingToken
            | Self::MalformedAuthorization
            | Self::Token(_)
            | Self::AdminUnauthorized => "unauthorized",
            Self::MissingAbility(_) => "forbidden",
            Self::BadRequest(_) => "invalid_request",
            Self::MemberNotFound(_) => "member_not_found",
            Self::ExtensionNotProvisioned(_) => "extension_not_provisioned",
            Self::TokenNotFound => "token_not_found",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Internal(_) => "internal_error",
        }
    }

    /// RFC 6750 §3: bearer-token failures carry a challenge; `invalid_token` once a token was sent.
    fn challenge(&self) -> Option<&'static str> {
        match self {
            Self::MissingToken => Some("Bearer realm=\"k-link\""),
            Self::MalformedAuthorization => {
                Some("Bearer realm=\"k-link\", error=\"invalid_request\"")
            }
            Self::Token(_) => Some("Bearer realm=\"k-link\", error=\"invalid_token\""),
            Self::MissingAbility(_) => {
                Some("Bearer realm=\"k-link\", error=\"insufficient_scope\"")
            }
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code(), "message": self.to_string() } });
        let mut response = (self.status(), Json(body)).into_response();
        if let Some(challenge) = self.challenge() {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}
