//! The credential endpoint and the admin revocation endpoint.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::config::{normalize_email, Config};
use crate::credentials::{mint, Credentials};
use crate::error::ApiError;
use crate::tokens::{constant_time_eq, sha256, TokenRegistry};

/// The ability a token needs to fetch webphone credentials.
pub(crate) const TELEPHONY_ABILITY: &str = "telephony";

/// Revocation bodies are a few dozen bytes; anything much larger is not one.
const MAX_ADMIN_BODY: usize = 16 * 1024;

/// Shared by every handler.
#[derive(Debug)]
pub(crate) struct AppState {
    pub(crate) config: Config,
    pub(crate) tokens: TokenRegistry,
}

impl AppState {
    pub(crate) fn new(mut config: Config) -> Self {
        let tokens = TokenRegistry::new(std::mem::take(&mut config.tokens));
        Self { config, tokens }
    }
}

/// `GET /v1/telephony/webphone/credentials?email=<email>`. Checks run in this order:
/// token (401), ability (403), email (400), member (404), extension (409).
pub(crate) async fn credentials(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<Credentials>, ApiError> {
    let now = now_unix();
    let token = bearer_token(&headers)?;
    let spec = state.tokens.authenticate(token, now)?;
    if !spec.has_ability(TELEPHONY_ABILITY) {
        return Err(ApiError::MissingAbility(TELEPHONY_ABILITY));
    }
    let email = email_query(uri.query().unwrap_or(""))?;
    let tenant = state
        .config
        .tenants
        .get(spec.tenant)
        .ok_or_else(|| ApiError::Internal("token refers to a missing tenant".into()))?;
    let member = tenant
        .member(&email)
        .ok_or_else(|| ApiError::MemberNotFound(email.clone()))?;
    let extension = member
        .extension
        .as_deref()
        .ok_or_else(|| ApiError::ExtensionNotProvisioned(email.clone()))?;
    let credentials = mint(&state.config, extension, &member.display_name, now)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    eprintln!(
        "issued credentials tenant={} token_id={} extension={extension} expires_at={}",
        tenant.id, spec.id, credentials.expires_at
    );
    Ok(Json(credentials))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RevokeRequest {
    token_id: Option<String>,
    token: Option<String>,
}

/// `POST /admin/tokens/revoke` with `X-Admin-Key`; body `{"tokenId": ".."}` or `{"token": ".."}`.
/// Revocations live in memory and end with the process.
pub(crate) async fn revoke(
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    if !admin_key_matches(state.config.admin_key.as_deref(), &parts.headers) {
        return Err(ApiError::AdminUnauthorized);
    }
    let body = read_body(body).await?;
    let request: RevokeRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "body must be {{\"tokenId\": \"...\"}} or {{\"token\": \"...\"}}: {e}"
        ))
    })?;
    let revoked_id = match (request.token_id, request.token) {
        (Some(id), None) => state.tokens.revoke_id(&id).then_some(id),
        (None, Some(token)) => state.tokens.revoke_token(&token),
        _ => {
            return Err(ApiError::BadRequest(
                "give exactly one of tokenId or token".into(),
            ))
        }
    };
    let id = revoked_id.ok_or(ApiError::TokenNotFound)?;
    eprintln!("revoked token_id={id}");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Answers any method on a known path that has no handler for it.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::MissingToken)?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::MalformedAuthorization)?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(ApiError::MalformedAuthorization)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer")
        || token.is_empty()
        || token.contains(char::is_whitespace)
    {
        return Err(ApiError::MalformedAuthorization);
    }
    Ok(token)
}

fn email_query(query: &str) -> Result<String, ApiError> {
    let mut emails = form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == "email")
        .map(|(_, value)| value.into_owned());
    let email = emails
        .next()
        .ok_or_else(|| ApiError::BadRequest("the email query parameter is required".into()))?;
    if emails.next().is_some() {
        return Err(ApiError::BadRequest(
            "give the email query parameter once".into(),
        ));
    }
    normalize_email(&email)
        .ok_or_else(|| ApiError::BadRequest(format!("{email:?} is not an email address")))
}

/// Compares digests so the comparison time does not depend on the key's length or content.
fn admin_key_matches(expected: Option<&str>, headers: &HeaderMap) -> bool {
    let (Some(expected), Some(given)) = (expected, headers.get("x-admin-key")) else {
        return false;
    };
    let Ok(given) = given.to_str() else {
        return false;
    };
    constant_time_eq(&sha256(expected), &sha256(given))
}

async fn read_body(body: Body) -> Result<axum::body::Bytes, ApiError> {
    to_bytes(body, MAX_ADMIN_BODY)
        .await
        .map_err(|_| ApiError::BadRequest(format!("body must be at most {MAX_ADMIN_BODY} bytes")))
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(header::AUTHORIZATION, value);
        }
        headers
    }

    #[test]
    fn bearer_token_parsing() {
        assert_eq!(bearer_token(&auth("Bearer kpt_a")).ok(), Some("kpt_a"));
        assert_eq!(bearer_token(&auth("bearer  kpt_a ")).ok(), Some("kpt_a"));
        for bad in ["Basic kpt_a", "Bearer", "Bearer ", "Bearer a b", "kpt_a"] {
            assert!(
                matches!(
                    bearer_token(&auth(bad)),
                    Err(ApiError::MalformedAuthorization)
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            bearer_token(&HeaderMap::new()),
            Err(ApiError::MissingToken)
        ));
    }

    #[test]
    fn email_query_parsing() {
        assert_eq!(
            email_query("email=Alice%40Acme.test").ok().as_deref(),
            Some("alice@acme.test")
        );
        assert_eq!(
            email_query("x=1&email=a%2Bb@c.d").ok().as_deref(),
            Some("a+b@c.d")
        );
        for bad in [
            "",
            "email=",
            "email=nope",
            "email=a@b.c&email=a@b.c",
            "mail=a@b.c",
        ] {
            assert!(
                matches!(email_query(bad), Err(ApiError::BadRequest(_))),
                "{bad:?}"
            );
        }
    }
}
