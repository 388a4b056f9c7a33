//! RFC 4028 session timers: the interval and refresher negotiated in each INVITE, re-INVITE
//! or UPDATE and its 2xx, the refresh we send at half the interval (UPDATE when the peer
//! allows it, else a re-INVITE repeating our session description, so nothing is
//! renegotiated), 422 retried with the peer's Min-SE, and the BYE when the session expires
//! unrefreshed or a refresh fails.

use crate::call::{refused, Call, CallTimer, Context, Negotiation, RequestHead};
use crate::events::{EndCause, ErrorScope, Event};
use crate::message::{HeaderName, Message, Method};
use crate::outgoing::Outgoing;
use crate::ua::{Owner, Purpose};

/// The session timer of one call.
#[derive(Clone, Debug, Default)]
pub(crate) struct Session {
    /// The interval in force, in seconds (0: the session has no timer).
    interval: u32,
    /// Whether we refresh (else the peer does).
    we_refresh: bool,
    /// The smallest interval the peer accepts, learnt from its Min-SE (422, requests).
    floor: u32,
    /// The peer's Allow was seen without UPDATE: refreshes are re-INVITEs. An unknown Allow
    /// (JsSIP sends none in its 2xx) is tried with UPDATE, and 405 or 501 sets this.
    no_update: bool,
    /// What our 2xx to the peer's request under way settles: interval and whether we refresh.
    pending: Option<(u32, bool)>,
}

/// `N;refresher=X`.
fn se_value(interval: u32, refresher: &str) -> String {
    let mut v = crate::decimal::string(u64::from(interval));
    v.push_str(";refresher=");
    v.push_str(refresher);
    v
}

/// The leading number of a header value (`90;refresher=uac` → 90).
fn seconds(value: &str) -> Option<u32> {
    crate::message::parse_u32(value.split(';').next()?.trim())
}

/// Who refreshes, by Session-Expires' `refresher` parameter.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Refresher {
    Uac,
    Uas,
    Unnamed,
}

/// Session-Expires: the interval and the refresher parameter (lowercase, as RFC 4028 spells
/// the tokens; anything else counts as unnamed).
fn session_expires(msg: &Message<'_>) -> Option<(u32, Refresher)> {
    let value = msg.header(HeaderName::SessionExpires)?;
    let refresher = if crate::search::contains(value, "refresher=uac") {
        Refresher::Uac
    } else if crate::search::contains(value, "refresher=uas") {
        Refresher::Uas
    } else {
        Refresher::Unnamed
    };
    Some((seconds(value)?, refresher))
}

/// Min-SE (RFC 4028 §5).
fn min_se(msg: &Message<'_>) -> Option<u32> {
    seconds(msg.header(HeaderName::Other("Min-SE"))?)
}

/// Whether the list header `name` of `msg` holds `tag`.
fn lists(msg: &Message<'_>, name: HeaderName<'_>, tag: &str) -> bool {
    msg.list(name).any(|t| t.eq_ignore_ascii_case(tag))
}

impl Call {
    /// Whether the peer allows UPDATE, when `msg` says (it has an Allow).
    fn learn_allow(&mut self, msg: &Message<'_>) {
        if msg.header(HeaderName::Allow).is_some() {
            self.session.no_update = !lists(msg, HeaderName::Allow, "UPDATE");
        }
    }

    /// The interval we ask for: the configured one, raised to the peer's Min-SE.
    fn wanted_interval(&self, cx: &Context<'_>) -> u32 {
        cx.config
            .session_timers
            .map_or(0, |p| p.expires.max(self.session.floor))
    }

    /// Supported, Session-Expires and Min-SE for an INVITE, re-INVITE or UPDATE we send.
    pub(crate) fn push_timer_headers(&self, cx: &Context<'_>, m: &mut Outgoing) {
        let Some(policy) = cx.config.session_timers else {
            return;
        };
        let s = &self.session;
        // We are the UAC of this request: `uac` names us.
        let value = if s.interval > 0 {
            se_value(s.interval, if s.we_refresh { "uac" } else { "uas" })
        } else {
            se_value(self.wanted_interval(cx), "uac")
        };
        let min = crate::decimal::string(u64::from(policy.min_se.max(s.floor)));
        m.push("Supported", "timer")
            .push("Session-Expires", value)
            .push("Min-SE", min);
    }

    /// Arms the timers for `interval` seconds: our refresh at half of it; when the peer
    /// refreshes, the end min(32 s, interval/3) before it expires (RFC 4028 §10); when we
    /// do, the end at expiry, so a refresh under way has its transaction's 32 s to fail.
    fn arm_session(&mut self, cx: &Context<'_>, interval: u32, we_refresh: bool) {
        let interval = interval.max(1);
        self.session.interval = interval;
        self.session.we_refresh = we_refresh;
        let ms = u64::from(interval) * 1000;
        if we_refresh {
            self.timers
                .set(CallTimer::SessionRefresh, cx.now.plus(ms / 2));
        } else {
            self.timers.stop(CallTimer::SessionRefresh);
        }
        let expiry = if we_refresh {
            ms
        } else {
            ms - (ms / 3).min(32_000)
        };
        self.timers
            .set(CallTimer::SessionExpiry, cx.now.plus(expiry));
    }

    /// A 2xx to our INVITE, re-INVITE or UPDATE: the interval it settles (its refresher
    /// `uac` is us), or no session timer when it carries no Session-Expires (§7.2).
    pub(crate) fn on_timer_answer(&mut self, cx: &Context<'_>, msg: &Message<'_>) {
        if cx.config.session_timers.is_none() {
            return;
        }
        self.learn_allow(msg);
        match session_expires(msg) {
            Some((n, refresher)) => self.arm_session(cx, n, refresher != Refresher::Uas),
            None => {
                self.session.interval = 0;
                self.timers.stop(CallTimer::SessionRefresh);
                self.timers.stop(CallTimer::SessionExpiry);
            }
        }
    }

    /// The peer's INVITE, re-INVITE or UPDATE: what our 2xx will settle (kept until it is
    /// sent). Returns false after answering 422 (with `to_tag` for an initial INVITE) when
    /// its interval is below our Min-SE and it supports timers. A refresh without
    /// Session-Expires keeps the interval in force.
    pub(crate) fn timer_offer(
        &mut self,
        cx: &mut Context<'_>,
        msg: &Message<'_>,
        head: &RequestHead,
        server: usize,
        to_tag: Option<&str>,
    ) -> bool {
        let Some(policy) = cx.config.session_timers else {
            return true;
        };
        self.learn_allow(msg);
        let supported = lists(msg, HeaderName::Supported, "timer");
        let peer_min = min_se(msg).unwrap_or(0);
        self.session.floor = self.session.floor.max(peer_min);
        self.session.pending = match session_expires(msg) {
            Some((n, _)) if n < policy.min_se && supported => {
                let mut r = head.response(422, "Session Interval Too Small", to_tag);
                r.push("Min-SE", crate::decimal::string(u64::from(policy.min_se)));
                cx.send_response(Some(server), &r);
                return false;
            }
            Some((n, refresher)) => {
                let n = n.min(policy.expires).max(policy.min_se).max(peer_min);
                // The peer is the UAC of its request; without a choice, it refreshes when it
                // can (§9), else we do.
                let peer = match refresher {
                    Refresher::Uac => true,
                    Refresher::Uas => false,
                    Refresher::Unnamed => supported,
                };
                Some((n, !peer))
            }
            None if self.session.interval > 0 => {
                Some((self.session.interval, self.session.we_refresh))
            }
            None => None,
        };
        true
    }

    /// Our 2xx to the peer's request: the Session-Expires [`Call::timer_offer`] settled
    /// (with Require when the peer refreshes, §9), and the timers armed.
    pub(crate) fn answer_timer(&mut self, cx: &Context<'_>, r: &mut Outgoing) {
        let Some((n, we)) = self.session.pending.take() else {
            return;
        };
        // The peer is the UAC of its request: `uas` names us.
        r.push("Supported", "timer").push(
            "Session-Expires",
            se_value(n, if we { "uas" } else { "uac" }),
        );
        if !we {
            r.push("Require", "timer");
        }
        self.arm_session(cx, n, we);
    }

    /// A 422 to our INVITE: sends it again with the interval raised to the response's
    /// Min-SE. Returns false when that would not change anything (no loop).
    pub(crate) fn retry_422(&mut self, cx: &mut Context<'_>, msg: &Message<'_>) -> bool {
        let Some(min) = min_se(msg) else {
            return false;
        };
        if min <= self.wanted_interval(cx) || min > 86_400 {
            return false;
        }
        self.session.floor = min;
        let Some(mut m) = self.invite.clone() else {
            return false;
        };
        let cseq = crate::ua::cseq_of(&m).saturating_add(1);
        let (_, via) = cx.new_via();
        m.set("Via", via)
            .set("CSeq", crate::dialog::format_cseq(cseq, "INVITE"))
            .set("Session-Expires", se_value(min, "uac"))
            .set("Min-SE", crate::decimal::string(u64::from(min)))
            .remove("Proxy-Authorization")
            .remove("Authorization");
        cx.preauthorize(&mut m, crate::message::AuthKind::Proxy);
        self.invite = Some(m.clone());
        self.invite_out = crate::call::InviteOut::Calling;
        cx.send_request(Owner::Call(self.info.id.clone(), Purpose::Invite), m, 0);
        true
    }

    /// Our refresh is due: UPDATE without a body when the peer allows it, else a re-INVITE
    /// with our current description (same version: nothing is renegotiated), once no other
    /// exchange is under way.
    pub(crate) fn refresh_session(&mut self, cx: &mut Context<'_>) {
        if self.is_ended() || !self.is_answered() || self.dialog.is_none() {
            return;
        }
        if !self.session.no_update {
            self.send_in_dialog(cx, Purpose::Refresh, "UPDATE", None);
            return;
        }
        match self.local_sdp.clone() {
            Some(sdp) if self.negotiation.is_idle() && !self.timers.is_set(CallTimer::AckWait) => {
                self.negotiation = Negotiation::Refresh;
                self.send_in_dialog(cx, Purpose::Refresh, "INVITE", Some(sdp));
            }
            _ => self
                .timers
                .set(CallTimer::SessionRefresh, cx.now.plus(1_000)),
        }
    }

    /// A final response to our refresh (sent with CSeq `cseq`).
    pub(crate) fn on_refresh_response(
        &mut self,
        cx: &mut Context<'_>,
        msg: &Message<'_>,
        status: u16,
        cseq: u32,
    ) {
        if status < 200 {
            return;
        }
        let invite = msg.cseq().method == Method::Invite;
        if invite && matches!(self.negotiation, Negotiation::Refresh) {
            self.negotiation = Negotiation::Idle;
        }
        if (200..300).contains(&status) {
            if invite {
                self.ack_2xx(cx, msg, cseq);
            } else if let (Some(d), Some(uri)) = (self.dialog.as_mut(), msg.target()) {
                d.remote_target = uri.to_owned();
            }
            if self.is_ended() {
                return;
            }
            // The answer repeats the session as it was: the media layer is not involved.
            self.on_timer_answer(cx, msg);
            self.maybe_reoffer(cx);
            return;
        }
        if self.is_ended() {
            return;
        }
        match status {
            422 if min_se(msg).is_some_and(|m| m > self.session.interval) => {
                self.session.floor = min_se(msg).unwrap_or_default();
                self.session.interval = self.session.floor;
                self.refresh_session(cx);
            }
            405 | 501 if !invite => {
                self.session.no_update = true;
                self.refresh_session(cx);
            }
            // Glare with the peer's re-INVITE (RFC 3261 §14.1): again once it is through.
            491 => self
                .timers
                .set(CallTimer::SessionRefresh, cx.now.plus(2_000)),
            408 | 481 => self.refresh_lost(cx, status),
            // Refused otherwise: the session ends when it expires, unless a later
            // exchange refreshes it.
            _ => {}
        }
        self.maybe_reoffer(cx);
    }

    /// RFC 4028 §10: a refresh that timed out or got 408/481 ends the session with BYE.
    pub(crate) fn refresh_lost(&mut self, cx: &mut Context<'_>, status: u16) {
        if matches!(self.negotiation, Negotiation::Refresh) {
            self.negotiation = Negotiation::Idle;
        }
        self.send_in_dialog(cx, Purpose::Bye, "BYE", None);
        self.end(cx, EndCause::Failed, Some(status));
        cx.emit(refused("session refresh failed, BYE sent: ", status));
    }

    /// No refresh came (or none of ours was answered) before the session expiry: BYE.
    pub(crate) fn session_expired(&mut self, cx: &mut Context<'_>) {
        if self.is_ended() {
            return;
        }
        self.send_in_dialog(cx, Purpose::Bye, "BYE", None);
        self.end(cx, EndCause::Failed, Some(408));
        cx.emit(Event::Error {
            scope: ErrorScope::Call,
            detail: String::from("session timer expired, BYE sent"),
        });
    }
}
