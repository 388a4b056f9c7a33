//! Ephemeral SIP credentials in the form Kamailio's `auth_ephemeral` verifies
//! (`username_format=1`, `sha_algorithm=0`): user `<unix-expiry>:<extension>`,
//! password `base64(HMAC-SHA1(secret, user))`.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha1::Sha1;

use crate::config::{Config, IceServer};

/// The 200 body of `GET /v1/telephony/webphone/credentials`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Credentials {
    pub(crate) extension: String,
    pub(crate) display_name: String,
    pub(crate) sip_uri: String,
    pub(crate) authorization_user: String,
    pub(crate) password: String,
    pub(crate) realm: String,
    /// ISO-8601 UTC, second precision.
    pub(crate) expires_at: String,
    pub(crate) expires_at_unix: u64,
    pub(crate) ws_servers: Vec<String>,
    pub(crate) ice_servers: Vec<IceServer>,
}

/// HMAC accepts keys of any length, so this cannot fail in practice; it is still typed.
#[derive(Debug, thiserror::Error)]
#[error("the shared secret cannot key HMAC-SHA1")]
pub(crate) struct SigningError;

/// Mints credentials for `extension` valid for the configured TTL from `now_unix`.
pub(crate) fn mint(
    config: &Config,
    extension: &str,
    display_name: &str,
    now_unix: u64,
) -> Result<Credentials, SigningError> {
    let expires_at_unix = now_unix.saturating_add(config.credential_ttl_secs);
    let authorization_user = format!("{expires_at_unix}:{extension}");
    let password = sign(&config.shared_secret, &authorization_user)?;
    Ok(Credentials {
        extension: extension.to_owned(),
        display_name: display_name.to_owned(),
        sip_uri: format!("sip:{extension}@{}", config.sip_domain),
        authorization_user,
        password,
        realm: config.sip_domain.clone(),
        expires_at: iso8601_utc(expires_at_unix),
        expires_at_unix,
        ws_servers: config.ws_servers.clone(),
        ice_servers: config.ice_servers.clone(),
    })
}

pub(crate) fn sign(secret: &str, user: &str) -> Result<String, SigningError> {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).map_err(|_| SigningError)?;
    mac.update(user.as_bytes());
    Ok(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// Formats unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian calendar).
pub(crate) fn iso8601_utc(unix: u64) -> String {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to a civil date, after Howard Hinnant's `civil_from_days` algorithm
/// (eras of 400 years, years starting in March so the leap day falls last).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_matches_known_instants() {
        assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(iso8601_utc(4_102_444_799), "2099-12-31T23:59:59Z");
        assert_eq!(iso8601_utc(4_107_542_400), "2100-03-01T00:00:00Z");
    }

    #[test]
    fn signature_matches_rfc2202_vector() -> Result<(), SigningError> {
        // RFC 2202 test case 2: key "Jefe", data "what do ya want for nothing?",
        // HMAC-SHA1 = effcdf6ae5eb2fa2d27416d5f184df9c259a7c79.
        assert_eq!(
            sign("Jefe", "what do ya want for nothing?")?,
            "7/zfauXrL6LSdBbV8YTfnCWafHk="
        );
        Ok(())
    }
}
