//! Tenant-scoped access tokens: hashed storage, constant-time lookup and in-memory revocation.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};

/// One configured token. Only its SHA-256 is kept, so the config file never holds a usable secret.
#[derive(Debug, Clone)]
pub(crate) struct TokenSpec {
    pub(crate) id: String,
    /// Index of the owning tenant in `Config::tenants`.
    pub(crate) tenant: usize,
    pub(crate) sha256: [u8; 32],
    pub(crate) abilities: Vec<String>,
    /// Unix seconds after which the token is refused.
    pub(crate) expires_at: Option<u64>,
}

impl TokenSpec {
    pub(crate) fn has_ability(&self, ability: &str) -> bool {
        self.abilities.iter().any(|a| a == ability)
    }
}

/// Why a presented token was refused; every variant is a 401.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// No configured token has this hash.
    #[error("the access token is not recognized")]
    Unknown,
    /// The token's `expires_at` has passed.
    #[error("the access token has expired")]
    Expired,
    /// The token was revoked through the admin endpoint.
    #[error("the access token has been revoked")]
    Revoked,
}

/// The token table plus the set of ids revoked since startup.
#[derive(Debug)]
pub(crate) struct TokenRegistry {
    tokens: Vec<TokenSpec>,
    revoked: Mutex<HashSet<String>>,
}

impl TokenRegistry {
    pub(crate) fn new(tokens: Vec<TokenSpec>) -> Self {
        Self {
            tokens,
            revoked: Mutex::new(HashSet::new()),
        }
    }

    /// Resolves a presented token to its spec, refusing unknown, revoked and expired ones.
    pub(crate) fn authenticate(
        &self,
        presented: &str,
        now_unix: u64,
    ) -> Result<&TokenSpec, AuthError> {
        let spec = self.find(presented).ok_or(AuthError::Unknown)?;
        if self.is_revoked(&spec.id) {
            return Err(AuthError::Revoked);
        }
        if spec.expires_at.is_some_and(|at| now_unix >= at) {
            return Err(AuthError::Expired);
        }
        Ok(spec)
    }

    /// Revokes by token id; false when no token has that id.
    pub(crate) fn revoke_id(&self, id: &str) -> bool {
        if !self.tokens.iter().any(|t| t.id == id) {
            return false;
        }
        self.revoked_set().insert(id.to_owned());
        true
    }

    /// Revokes by the plaintext token; returns the revoked token's id.
    pub(crate) fn revoke_token(&self, presented: &str) -> Option<String> {
        let id = self.find(presented)?.id.clone();
        self.revoked_set().insert(id.clone());
        Some(id)
    }

    fn is_revoked(&self, id: &str) -> bool {
        self.revoked_set().contains(id)
    }

    fn revoked_set(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // The set is always left consistent, so a poisoned lock is still usable.
        self.revoked.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Compares the presented token's hash with every stored hash, without early exit, so the
    /// response time does not reveal how much of a hash matched.
    fn find(&self, presented: &str) -> Option<&TokenSpec> {
        let digest = sha256(presented);
        let mut found = None;
        for spec in &self.tokens {
            if constant_time_eq(&spec.sha256, &digest) {
                found = Some(spec);
            }
        }
        found
    }
}

pub(crate) fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

pub(crate) fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// Parses 64 hex digits (either case) into a SHA-256 digest.
pub(crate) fn parse_sha256_hex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let hi = char::from(*pair.first()?).to_digit(16)?;
        let lo = char::from(*pair.get(1)?).to_digit(16)?;
        *slot = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: &str, token: &str, expires_at: Option<u64>) -> TokenSpec {
        TokenSpec {
            id: id.into(),
            tenant: 0,
            sha256: sha256(token),
            abilities: vec![],
            expires_at,
        }
    }

    #[test]
    fn hex_round_trips_and_rejects_bad_input() {
        let digest = sha256("kpt_x");
        assert_eq!(parse_sha256_hex(&to_hex(&digest)), Some(digest));
        assert_eq!(
            parse_sha256_hex(&to_hex(&digest).to_uppercase()),
            Some(digest)
        );
        assert_eq!(parse_sha256_hex("abc"), None);
        assert_eq!(parse_sha256_hex(&"g".repeat(64)), None);
        // Known vector: SHA-256 of the empty string.
        assert_eq!(
            to_hex(&sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn authenticate_distinguishes_unknown_expired_revoked() {
        let registry = TokenRegistry::new(vec![
            spec("a", "kpt_a", None),
            spec("b", "kpt_b", Some(100)),
        ]);
        assert_eq!(
            registry.authenticate("kpt_a", 50).map(|s| s.id.as_str()),
            Ok("a")
        );
        assert_eq!(
            registry.authenticate("kpt_zz", 50).err(),
            Some(AuthError::Unknown)
        );
        assert_eq!(
            registry.authenticate("kpt_b", 99).map(|s| s.id.as_str()),
            Ok("b")
        );
        assert_eq!(
            registry.authenticate("kpt_b", 100).err(),
            Some(AuthError::Expired)
        );
        assert!(registry.revoke_id("a"));
        assert!(!registry.revoke_id("nope"));
        assert_eq!(
            registry.authenticate("kpt_a", 50).err(),
            Some(AuthError::Revoked)
        );
        assert_eq!(registry.revoke_token("kpt_b").as_deref(), Some("b"));
        assert_eq!(registry.revoke_token("kpt_unknown"), None);
    }
}
