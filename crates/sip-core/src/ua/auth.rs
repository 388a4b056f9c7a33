//! Pre-emptive digest credentials: a challenge that was answered successfully is kept
//! and reused (next nonce-count, fresh cnonce) on the next REGISTER and initial INVITE,
//! saving the challenge round trip (RFC 7616 §3.4: a nonce may be reused until the
//! server calls it stale). When the server challenges anyway, [`Ua::authenticate`]
//! answers it, for any request.

use std::borrow::Cow;

use super::register::cseq_of;
use super::{Owner, Purpose, Ua, UaConfig};
use crate::dialog::format_cseq;
use crate::digest::{self, DigestRequest};
use crate::events::{ErrorScope, Event};
use crate::message::{AuthKind, Challenge, Message};
use crate::outgoing::Outgoing;
use crate::rng::Rng;
use crate::timer::Instant;

/// Challenges answered in one request chain before giving up (stale nonces included).
const MAX_AUTH_ATTEMPTS: u8 = 3;

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
        Reusable {
            params,
            nonce_count: 1,
        }
    }

    /// The challenge as if the server had sent it in the `kind` header family.
    fn challenge(&self, kind: AuthKind) -> Challenge<'_> {
        Challenge {
            kind,
            scheme: "Digest",
            params: self
                .params
                .iter()
                .map(|(n, v)| (n.as_str(), Cow::Borrowed(v.as_str())))
                .collect(),
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

    /// Puts credentials from the last accepted challenge on `request`: see [`preauthorize`].
    pub(crate) fn preauthorize(&mut self, request: &mut Outgoing, kind: AuthKind) {
        preauthorize(&mut self.auth, &mut self.rng, &self.config, request, kind);
    }

    /// Answers a 401/407 by resending `request` with credentials, a new branch and the
    /// next CSeq. Returns false when it must not: no usable challenge, or the same
    /// credentials were already refused (only `stale=true` earns another try).
    pub(crate) fn authenticate(
        &mut self,
        now: Instant,
        msg: &Message<'_>,
        owner: Owner,
        mut request: Outgoing,
        attempts: u8,
    ) -> bool {
        let Ok(challenges) = msg.challenges() else {
            return false;
        };
        let Some(challenge) = digest::select(&challenges) else {
            if !challenges.is_empty() {
                self.emit(Event::Error {
                    scope: ErrorScope::Registration,
                    detail: String::from(
                        "the server asked for an unsupported authentication scheme",
                    ),
                });
            }
            return false;
        };
        if attempts >= MAX_AUTH_ATTEMPTS || (attempts > 0 && !challenge.stale()) {
            return false;
        }
        let method = request.method().unwrap_or_default().to_owned();
        let uri = request.uri().unwrap_or_default().to_owned();
        let cnonce = self.rng.cnonce();
        let Ok(answer) = digest::respond(
            challenge,
            &DigestRequest {
                username: &self.config.authorization_user,
                password: &self.config.password,
                method: &method,
                uri: &uri,
                cnonce: &cnonce,
                nonce_count: 1,
            },
        ) else {
            return false;
        };
        let cseq = match &owner {
            Owner::Register => {
                self.reg.cseq = self.reg.cseq.saturating_add(1);
                self.reg.cseq
            }
            Owner::Call(id, purpose) => {
                let dialog = match purpose {
                    Purpose::Invite | Purpose::Replace | Purpose::Cancel => None,
                    _ => self
                        .call_index(id)
                        .and_then(|i| self.calls.get_mut(i))
                        .and_then(|c| c.dialog.as_mut()),
                };
                match dialog {
                    Some(d) => d.next_cseq(),
                    None => cseq_of(&request).saturating_add(1),
                }
            }
            Owner::Detached | Owner::Probe(_) | Owner::Message(_) => {
                cseq_of(&request).saturating_add(1)
            }
        };
        let (_, via) = self.new_via();
        request.set("Via", via);
        request.set("CSeq", format_cseq(cseq, &method));
        // Pre-emptive credentials the server just refused must not ride along.
        request
            .remove("Authorization")
            .remove("Proxy-Authorization");
        request.set(answer.header_name, answer.value);
        self.remember_challenge(challenge);
        if let Owner::Call(id, Purpose::Invite | Purpose::Replace) = &owner {
            if let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) {
                call.invite = Some(request.clone());
            }
        }
        self.send_request(now, owner, request, attempts.saturating_add(1));
        true
    }
}

/// Puts credentials from the last accepted challenge in `auth` on `request`, as `kind`
/// (`Www` for REGISTER, `Proxy` for requests a proxy authorizes).
pub(crate) fn preauthorize(
    auth: &mut AuthCache,
    rng: &mut Rng,
    config: &UaConfig,
    request: &mut Outgoing,
    kind: AuthKind,
) {
    if auth.confirmed.is_none() {
        return;
    }
    let cnonce = rng.cnonce();
    let Some(cached) = auth.confirmed.as_mut() else {
        return;
    };
    let method = request.method().unwrap_or_default().to_owned();
    let uri = request.uri().unwrap_or_default().to_owned();
    let nonce_count = cached.nonce_count.saturating_add(1);
    let answer = digest::respond(
        &cached.challenge(kind),
        &DigestRequest {
            username: &config.authorization_user,
            password: &config.password,
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
