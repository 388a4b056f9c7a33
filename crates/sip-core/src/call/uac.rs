//! Outbound calls: the INVITE we send, its CANCEL, and the answers and forks it gets.

use crate::call::{Call, CallTimer, InviteOut};
use crate::dialog::{angle, format_cseq, tagged, Dialog, Role};
use crate::events::{CallId, CallState, EndCause, Event};
use crate::media::MediaCommand;
use crate::message::{AuthKind, HeaderName, Message};
use crate::outgoing::Outgoing;
use crate::timer::{Instant, T1_X64};
use crate::ua::{cseq_of, fresh_via, Owner, Purpose, Ua, ALLOW};

impl Ua {
    pub(crate) fn send_invite(&mut self, now: Instant, id: &CallId, sdp: String) {
        let (_, via) = self.new_via();
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get(i)) else {
            return;
        };
        let mut m = Outgoing::request("INVITE", &call.target);
        m.push("Via", via)
            .push("Max-Forwards", "70")
            .push("To", angle(&call.target))
            .push("From", tagged(&self.local.name_addr, &call.local_tag))
            .push("Call-ID", call.sip_call_id.clone())
            .push("CSeq", format_cseq(1, "INVITE"))
            .push("Contact", self.local.contact.clone())
            .push("Allow", ALLOW)
            .push("Supported", "outbound")
            .push("User-Agent", self.config.user_agent.clone())
            .with_body("application/sdp", sdp.clone());
        // Proxies authorize dialog-creating requests with 407 (RFC 3261 §22.3).
        self.preauthorize(&mut m, AuthKind::Proxy);
        if let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) {
            call.invite = Some(m.clone());
            call.local_sdp = Some(sdp);
        }
        self.send_request(now, Owner::Call(id.clone(), Purpose::Invite), m, 0);
    }

    pub(crate) fn send_cancel(&mut self, now: Instant, id: &CallId) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        let Some(invite) = &call.invite else {
            return;
        };
        let to = invite.get("To").unwrap_or_default().to_owned();
        let m = invite_sibling(invite, "CANCEL", to);
        call.invite_out = InviteOut::CancelSent;
        call.timers.set(CallTimer::CancelGuard, now.plus(T1_X64));
        self.send_request(now, Owner::Call(id.clone(), Purpose::Cancel), m, 0);
    }

    /// A dialog from a response to our INVITE (RFC 3261 §12.1.2).
    pub(crate) fn uac_dialog(&self, call: &Call, msg: &Message<'_>, confirmed: bool) -> Dialog {
        let remote_target = msg.contacts().first().map(|c| c.uri.to_owned()).unwrap_or_else(|| call.target.clone());
        let mut route_set: Vec<String> = msg.list(HeaderName::RecordRoute).map(str::to_owned).collect();
        route_set.reverse();
        Dialog {
            role: Role::Uac,
            call_id: call.sip_call_id.clone(),
            local_tag: call.local_tag.clone(),
            remote_tag: msg.to().tag().unwrap_or_default().to_owned(),
            local_uri: self.local.name_addr.clone(),
            remote_uri: angle(&call.target),
            remote_target,
            route_set,
            local_cseq: call.invite.as_ref().map_or(1, cseq_of),
            remote_cseq: None,
            confirmed,
        }
    }

    pub(crate) fn on_invite_response(&mut self, now: Instant, msg: &Message<'_>, status: u16, id: &CallId, request: Outgoing, attempts: u8) {
        let Some(i) = self.call_index(id) else {
            return;
        };
        let Some(call) = self.calls.get(i) else {
            return;
        };
        // Only answers to the INVITE as last sent count (not the challenged one).
        if call.invite.as_ref().map(cseq_of) != Some(cseq_of(&request)) {
            return;
        }
        let body = msg.body();
        let is_sdp = msg.sdp_body().is_some();
        if status < 200 {
            let early = (status > 100 && msg.to().tag().is_some()).then(|| self.uac_dialog(call, msg, false));
            let Some(call) = self.calls.get_mut(i) else {
                return;
            };
            match call.invite_out {
                InviteOut::Calling => call.invite_out = InviteOut::Proceeding,
                InviteOut::CancelDue => {
                    self.send_cancel(now, id);
                    return;
                }
                InviteOut::Proceeding | InviteOut::CancelSent => {}
            }
            if call.is_ended() {
                return;
            }
            if let Some(d) = early {
                if call.dialog.as_ref().is_none_or(|old| !old.confirmed) {
                    call.dialog = Some(d);
                }
            }
            let before = call.info.state;
            if is_sdp && !call.answer_applied {
                call.answer_applied = true;
                call.remote_sdp = Some(body.to_owned());
                call.info.state = CallState::Early;
                self.media(id, MediaCommand::ApplyAnswer { remote_sdp: body.to_owned() });
            } else if (180..=182).contains(&status) && call.info.state == CallState::Trying {
                call.info.state = CallState::Ringing;
            }
            let Some(call) = self.calls.get(i) else {
                return;
            };
            if call.info.state != before {
                self.emit(Event::CallUpdated(call.info.clone()));
            }
            return;
        }
        if (200..300).contains(&status) {
            self.on_invite_success(now, msg, i, id, is_sdp);
            return;
        }
        if (status == 401 || status == 407) && !call.is_ended() && !call.cancel_wanted() {
            let owner = Owner::Call(id.clone(), Purpose::Invite);
            if self.authenticate(now, msg, owner, request, attempts) {
                return;
            }
        }
        let Some(call) = self.calls.get_mut(i) else {
            return;
        };
        call.timers.stop(CallTimer::CancelGuard);
        call.dialog = None;
        let cause = if call.cancel_wanted() { EndCause::Cancelled } else { EndCause::from_status(status) };
        self.end_call(now, id, cause, Some(status));
    }

    pub(crate) fn on_invite_success(&mut self, now: Instant, msg: &Message<'_>, i: usize, id: &CallId, is_sdp: bool) {
        let Some(call) = self.calls.get(i) else {
            return;
        };
        let tag = msg.to().tag().unwrap_or_default();
        let invite_cseq = call.invite.as_ref().map_or(1, cseq_of);
        if let Some(d) = call.dialog.as_ref().filter(|d| d.confirmed) {
            if d.remote_tag == tag {
                // A retransmitted 2xx: ACK again (an ended call kept no copy of its ACK).
                let ack = match &call.ack {
                    Some(ack) => ack.clone(),
                    None => d.request("ACK", invite_cseq, fresh_via(&mut self.rng, &self.local.host).1).render(),
                };
                self.transmit(ack);
            } else {
                // RFC 3261 §13.2.2.4: a second fork answered; ACK it, then BYE it.
                let mut fork = self.uac_dialog(call, msg, true);
                let (_, via) = self.new_via();
                self.transmit(fork.request("ACK", invite_cseq, via).render());
                let (_, via) = self.new_via();
                let n = fork.next_cseq();
                let bye = fork.request("BYE", n, via);
                self.send_request(now, Owner::Detached, bye, 0);
            }
            return;
        }
        let dialog = self.uac_dialog(call, msg, true);
        let (_, via) = self.new_via();
        let ack = dialog.request("ACK", invite_cseq, via).render();
        self.transmit(ack.clone());
        let Some(call) = self.calls.get_mut(i) else {
            return;
        };
        call.dialog = Some(dialog);
        call.ack = Some(ack);
        call.timers.stop(CallTimer::CancelGuard);
        if call.is_ended() {
            // The 2xx crossed our CANCEL: the call exists now, end it.
            self.send_in_dialog(now, id, Purpose::Bye, "BYE", None);
            return;
        }
        if !call.answer_applied {
            if is_sdp {
                call.answer_applied = true;
                let sdp = msg.body().to_owned();
                call.remote_sdp = Some(sdp.clone());
                self.media(id, MediaCommand::ApplyAnswer { remote_sdp: sdp });
            } else {
                self.send_in_dialog(now, id, Purpose::Bye, "BYE", None);
                self.end_call(now, id, EndCause::Failed, Some(488));
                return;
            }
        }
        let Some(call) = self.calls.get_mut(i) else {
            return;
        };
        if let Some(name) = msg.to().display_name_unescaped() {
            call.info.remote_name = Some(name.into_owned());
        }
        call.info.state = CallState::Active;
        call.info.answered_at = Some(now);
        call.update_hold();
        let info = call.info.clone();
        // The outbound session started when dialling did (`call`): the answer is an update.
        self.emit(Event::CallUpdated(info));
    }
}

/// A request of `invite`'s transaction: its CANCEL (RFC 3261 §9.1) or the ACK of a failure
/// response (§17.1.1.3). Same Request-URI, Via (branch), Route, From, Call-ID and CSeq
/// number as the INVITE; `to` is the To value (the INVITE's, or the response's for the ACK).
pub(crate) fn invite_sibling(invite: &Outgoing, method: &str, to: String) -> Outgoing {
    let mut m = Outgoing::request(method, invite.uri().unwrap_or_default());
    m.push("Via", invite.get("Via").unwrap_or_default().to_owned()).push("Max-Forwards", "70");
    for (name, value) in &invite.headers {
        if name.eq_ignore_ascii_case("Route") {
            m.push("Route", value.clone());
        }
    }
    m.push("To", to)
        .push("From", invite.get("From").unwrap_or_default().to_owned())
        .push("Call-ID", invite.get("Call-ID").unwrap_or_default().to_owned())
        .push("CSeq", format_cseq(cseq_of(invite), method));
    m
}
