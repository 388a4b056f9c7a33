//! Pre-emptive digest credentials: a challenge that was answered successfully is kept
//! and reused (next nonce-count, fresh cnonce) on the next REGISTER and initial INVITE,
//! saving the challenge round trip (RFC 7616 §3.4: a nonce may be reused until the
//! server calls it stale). When the server challenges anyway, the normal path answers.

use std::borrow::Cow;

use super::Ua;
use crate::digest::{self, DigestRequest};
use crate::message::{AuthKind, Challenge};
use crate::outgoing::Outgoing;

/// The parameters of one digest challenge, owned.
#[derive(Clone, Debug)]
pub(crate) struct Reusable {
    params: Vec<(String, String)>,
    /// Times the nonce was used so far (the `nc` of the last request).
    nonce_count: u32,
}

impl Reusable {
    /// Keeps `challenge` (answered once, with nc=1); `stale` is not carried over.
    pub(crate) fn new(challenge: &Challenge<'_>) -> Reusable {
        let mut params = Vec::with_capacity(challenge.params.len());
        for (name, value) in &challenge.params {
            if !name.eq_ignore_ascii_case("stale") {
                params.push(((*name).to_owned(), value.as_ref().to_owned()));
            }
        }
        Reusable { params, nonce_count: 1 }
    }

    /// The challenge as if the server had sent it in the `kind` header family.
    fn challenge(&self, kind: AuthKind) -> Challenge<'_> {
        Challenge {
            kind,
            scheme: "Digest",
            params: self.params.iter().map(|(n, v)| (n.as_str(), Cow::Borrowed(v.as_str()))).collect(),
        }
    }
}

/// What the user agent remembers about the server's challenges.
#[derive(Debug, Default)]
pub(crate) struct AuthCache {
    /// Accepted by the server: used pre-emptively.
    confirmed: Option<Reusable>,
    /// Just answered; confirmed once the answer is accepted.
    candidate: Option<Reusable>,
}

/// Whether `request` carries digest credentials.
pub(crate) fn has_credentials(request: &Outgoing) -> bool {
    request.get("Authorization").is_some() || request.get("Proxy-Authorization").is_some()
}

impl Ua {
    /// Remembers a challenge just answered; it becomes reusable once accepted.
    pub(crate) fn remember_challenge(&mut self, challenge: &Challenge<'_>) {
        self.auth.candidate = Some(Reusable::new(challenge));
    }

    /// Learns from the answer to a request that carried credentials: anything but a
    /// provisional or a new challenge means the server accepted them.
    pub(crate) fn learn_from_response(&mut self, request: &Outgoing, status: u16) {
        if status <= 100 || !has_credentials(request) {
            return;
        }
        if status == 401 || status == 407 {
            // Stale or foreign nonce: stop reusing it; the new challenge replaces it.
            self.auth.confirmed = None;
        } else if let Some(c) = self.auth.candidate.take() {
            self.auth.confirmed = Some(c);
        }
    }

    /// Puts credentials from the last accepted challenge on `request`, as `kind`
    /// (`Www` for REGISTER, `Proxy` for requests a proxy authorizes).
    pub(crate) fn preauthorize(&mut self, request: &mut Outgoing, kind: AuthKind) {
        if self.auth.confirmed.is_none() {
            return;
        }
        let cnonce = self.rng.cnonce();
        let Some(cached) = self.auth.confirmed.as_mut() else {
            return;
        };
        let method = request.method().unwrap_or_default().to_owned();
        let uri = request.uri().unwrap_or_default().to_owned();
        let nonce_count = cached.nonce_count.saturating_add(1);
        let answer = digest::respond(
            &cached.challenge(kind),
            &DigestRequest {
                username: &self.config.authorization_user,
                password: &self.config.password,
                method: &method,
                uri: &uri,
                cnonce: &cnonce,
                nonce_count,
            },
        );
        if let Ok(answer) = answer {
            cached.nonce_count = nonce_count;
            request.set(answer.header_name, answer.value);
        }
    }
}
