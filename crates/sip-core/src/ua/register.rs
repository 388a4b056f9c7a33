//! REGISTER and un-REGISTER (RFC 3261 §10, RFC 5626).

use super::{Owner, Ua};
use crate::dialog::{format_cseq, tagged};
use crate::events::Event;
use crate::message::{AuthKind, Message};
use crate::outgoing::Outgoing;
use crate::registration::{granted_expires, RegAction, RegTimer, Registration, RETRY_DELAY};
use crate::timer::Instant;

/// 423 answers followed in a row before giving up.
const MAX_INTERVAL_RETRIES: u8 = 2;

impl Ua {
    /// Registers (and keeps refreshing) our binding.
    pub fn register(&mut self, now: Instant) {
        if self.shutting_down {
            return;
        }
        self.reg.wanted = true;
        if self.reg.in_flight.is_none() && self.is_connected() {
            self.send_register(now);
        }
    }

    /// Removes our binding (Expires: 0) and stops refreshing.
    pub fn unregister(&mut self, now: Instant) {
        self.reg.wanted = false;
        self.reg.timers.clear();
        if self.is_connected()
            && (self.reg.registered || self.reg.in_flight == Some(RegAction::Register))
        {
            self.send_unregister(now);
        }
    }

    pub(crate) fn send_register(&mut self, now: Instant) {
        let expires = self.reg.expires;
        self.send_register_with(now, RegAction::Register, expires);
    }

    pub(crate) fn send_unregister(&mut self, now: Instant) {
        self.send_register_with(now, RegAction::Unregister, 0);
    }

    fn send_register_with(&mut self, now: Instant, action: RegAction, expires: u32) {
        // A newer REGISTER replaces the one in flight.
        for c in self
            .clients
            .iter_mut()
            .filter(|c| c.owner == Owner::Register)
        {
            c.tx.terminate();
        }
        self.reg.timers.clear();
        self.reg.in_flight = Some(action);
        self.reg.cseq = self.reg.cseq.saturating_add(1);
        let (_, via) = self.new_via();
        let mut m = Outgoing::request("REGISTER", &self.local.registrar);
        let from_tag = self.rng.tag();
        let expires_text = crate::decimal::string(u64::from(expires));
        let mut contact = self.local.contact.clone();
        contact.push_str(";+sip.ice;reg-id=1;+sip.instance=\"<");
        contact.push_str(&self.config.instance_id);
        contact.push_str(">\";expires=");
        contact.push_str(&expires_text);
        m.push("Via", via)
            .push("Max-Forwards", "70")
            .push("To", self.local.name_addr.clone())
            .push("From", tagged(&self.local.name_addr, &from_tag))
            .push("Call-ID", self.reg.call_id.clone())
            .push("CSeq", format_cseq(self.reg.cseq, "REGISTER"))
            .push("Contact", contact)
            .push("Expires", expires_text)
            .push("Allow", super::ALLOW)
            .push("Supported", "path, outbound")
            .push("User-Agent", self.config.user_agent.clone());
        self.preauthorize(&mut m, AuthKind::Www);
        self.send_request(now, Owner::Register, m, 0);
    }

    pub(crate) fn on_register_response(
        &mut self,
        now: Instant,
        msg: &Message<'_>,
        status: u16,
        request: Outgoing,
        attempts: u8,
    ) {
        if status < 200 {
            return;
        }
        let action = self.reg.in_flight.unwrap_or(RegAction::Register);
        if (status == 401 || status == 407)
            && self.authenticate(now, msg, Owner::Register, request, attempts)
        {
            return;
        }
        if status == 423 && action == RegAction::Register {
            let min = msg.min_expires().ok().flatten().unwrap_or(0);
            if min > self.reg.expires && self.reg.interval_retries < MAX_INTERVAL_RETRIES {
                self.reg.interval_retries += 1;
                self.reg.expires = min;
                self.send_register(now);
                return;
            }
        }
        self.reg.in_flight = None;
        if (200..300).contains(&status) {
            self.reg.interval_retries = 0;
            match action {
                RegAction::Register => {
                    let granted = granted_expires(
                        msg,
                        &self.local.contact_user,
                        &self.local.host,
                        &self.config.instance_id,
                        self.reg.expires,
                    );
                    if granted == 0 {
                        self.set_registered(false);
                    } else {
                        self.set_registered(true);
                        if self.reg.wanted {
                            self.reg
                                .timers
                                .set(RegTimer::Refresh, Registration::refresh_at(now, granted));
                        }
                    }
                    if !self.reg.wanted {
                        // unregister() was called while this REGISTER was in flight.
                        self.send_unregister(now);
                    }
                }
                RegAction::Unregister => {
                    self.set_registered(false);
                    if self.reg.wanted {
                        self.send_register(now);
                    }
                }
            }
            return;
        }
        let reason = msg.reason().unwrap_or_default().to_owned();
        self.on_register_failure(now, status, &reason);
    }

    pub(crate) fn on_register_failure(&mut self, now: Instant, status: u16, reason: &str) {
        let action = self.reg.in_flight.take().unwrap_or(RegAction::Register);
        if action == RegAction::Unregister {
            self.set_registered(false);
            return;
        }
        self.reg.interval_retries = 0;
        self.set_registered(false);
        self.emit(Event::RegistrationFailed {
            code: status,
            reason: reason.to_owned(),
        });
        let transient = status == 408 || status >= 500;
        if transient && self.reg.wanted && !self.shutting_down {
            self.reg.timers.set(RegTimer::Retry, now.plus(RETRY_DELAY));
        }
    }

    fn set_registered(&mut self, registered: bool) {
        if self.reg.registered != registered {
            self.reg.registered = registered;
            self.emit(Event::RegisteredChange { registered });
        }
    }
}

/// The CSeq number of an outgoing request (always written by [`format_cseq`]: `1 INVITE`).
pub(crate) fn cseq_of(request: &Outgoing) -> u32 {
    request
        .get("CSeq")
        .and_then(|v| v.split(' ').next())
        .and_then(crate::message::parse_u32)
        .unwrap_or(1)
}
