//! Ephemeral SIP credentials, minted here from the shared secret (DESIGN.md §5).
//!
//! The bot is a trusted service beside the proxy, as the credential API is: it holds the
//! secret Kamailio's `auth_ephemeral` checks, so it signs its own credentials instead of
//! asking the dev gateway. That keeps an HTTP client and an access token out of the bot,
//! lets it register extensions that no tenant member owns (9000-9002), and lets a load
//! generator mint thousands without loading the gateway.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// One credential: what the digest answer is computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// `"<unix-expiry>:<extension>"`.
    pub authorization_user: String,
    /// `base64(HMAC-SHA1(secret, authorization_user))`.
    pub password: String,
    /// When it stops working, in Unix seconds.
    pub expires_at: u64,
}

/// Signs the credential of `extension` valid until `expires_at` (Unix seconds).
#[must_use]
pub fn mint(secret: &str, extension: &str, expires_at: u64) -> Credential {
    let mut authorization_user = expires_at.to_string();
    authorization_user.push(':');
    authorization_user.push_str(extension);
    // HMAC takes a key of any length: new_from_slice cannot fail for it.
    let password = match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(authorization_user.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    };
    Credential {
        authorization_user,
        password,
        expires_at,
    }
}

/// The current Unix time in seconds.
#[must_use]
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_gateway_and_kamailio() {
        // node -e "console.log(require('crypto').createHmac('sha1','klink-dev-secret')
        //   .update('1900000000:9000').digest('base64'))"
        let c = mint("klink-dev-secret", "9000", 1_900_000_000);
        assert_eq!(c.authorization_user, "1900000000:9000");
        assert_eq!(c.password, "iomRVHTl8WnuRt4pZXIWipgfILU=");
    }
}
