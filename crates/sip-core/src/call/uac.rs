//! Outbound calls: the INVITE we send, its CANCEL, and the answers and forks it gets.

use crate::call::{Call, CallTimer, Context, InviteOut};
use crate::dialog::{angle, format_cseq, tagged, Dialog, Role};
use crate::events::{CallState, EndCause, Event};
use crate::media::MediaCommand;
use crate::message::{AuthKind, HeaderName, Message};
use crate::outgoing::Outgoing;
use crate::timer::T1_X64;
use crate::ua::{cseq_of, Local, Owner, Purpose, ALLOW};

impl Call {
    /// Sends the initial INVITE, carrying the media layer's offer `sdp`.
    pub(crate) fn send_invite(&mut self, cx: &mut Context<'_>, sdp: String) {
        self.local_sdp = Some(sdp.clone());
        let replaces = self.refer.replaces.clone();
        self.invite_target(cx, sdp, replaces, Purpose::Invite);
    }

    /// An INVITE outside any dialog to `target` from our `local_tag` with `sip_call_id`,
    /// carrying `sdp` and `replaces` (RFC 3891), sent for `purpose`: the initial INVITE,
    /// or the one that moves an answered call to a new dialog (`replace.rs`).
    pub(crate) fn invite_target(
        &mut self,
        cx: &mut Context<'_>,
        sdp: String,
        replaces: Option<String>,
        purpose: Purpose,
    ) {
        let (_, via) = cx.new_via();
        let mut m = Outgoing::request("INVITE", &self.target);
        m.push("Via", via)
            .push("Max-Forwards", "70")
            .push("To", angle(&self.target))
            .push(
                "From",
                tagged(
                    self.from.as_deref().unwrap_or(&cx.local.name_addr),
                    &self.local_tag,
                ),
            )
            .push("Call-ID", self.sip_call_id.clone())
            .push("CSeq", format_cseq(1, "INVITE"))
            .push("Contact", cx.local.contact.clone())
            .push("Allow", ALLOW)
            .push("Supported", "outbound")
            .push("User-Agent", cx.config.user_agent.clone());
        self.push_timer_headers(cx, &mut m);
        if let Some(replaces) = replaces {
            m.push("Replaces", replaces);
            if purpose == Purpose::Replace {
                // A peer without RFC 3891 must refuse it (420), not ring a second call.
                m.push("Require", "replaces");
            }
        }
        m.with_body("application/sdp", sdp);
        m.push("", self.info.headers.clone());
        // Proxies authorize dialog-creating requests with 407 (RFC 3261 §22.3).
        cx.preauthorize(&mut m, AuthKind::Proxy);
        self.invite = Some(m.clone());
        cx.send_request(Owner::Call(self.info.id.clone(), purpose), m, 0);
    }

    /// Cancels our INVITE (RFC 3261 §9.1); the guard gives up on its final response.
    pub(crate) fn send_cancel(&mut self, cx: &mut Context<'_>) {
        let Some(invite) = &self.invite else {
            return;
        };
        let to = invite.get("To").unwrap_or_default().to_owned();
        let m = invite_sibling(invite, "CANCEL", to);
        self.invite_out = InviteOut::CancelSent;
        self.timers.set(CallTimer::CancelGuard, cx.now.plus(T1_X64));
        cx.send_request(Owner::Call(self.info.id.clone(), Purpose::Cancel), m, 0);
    }

    /// A dialog from a response to our INVITE (RFC 3261 §12.1.2).
    pub(crate) fn uac_dialog(&self, local: &Local, msg: &Message<'_>, confirmed: bool) -> Dialog {
        let remote_target = msg
            .target()
            .map_or_else(|| self.target.clone(), str::to_owned);
        let mut route_set: Vec<String> = msg
            .list(HeaderName::RecordRoute)
            .map(str::to_owned)
            .collect();
        route_set.reverse();
        Dialog {
            role: Role::Uac,
            call_id: self.sip_call_id.clone(),
            local_tag: self.local_tag.clone(),
            remote_tag: msg.to().tag().unwrap_or_default().to_owned(),
            local_uri: local.name_addr.clone(),
            remote_uri: angle(&self.target),
            remote_target,
            route_set,
            local_cseq: self.invite.as_ref().map_or(1, cseq_of),
            remote_cseq: None,
            confirmed,
        }
    }

    /// A response to our INVITE as last sent; a challenge was answered before, if it could be.
    pub(crate) fn on_invite_response(
        &mut self,
        cx: &mut Context<'_>,
        msg: &Message<'_>,
        status: u16,
    ) {
        let body = msg.body();
        let is_sdp = msg.sdp_body().is_some();
        if status < 200 {
            let early = (status > 100 && msg.to().tag().is_some())
                .then(|| self.uac_dialog(cx.local, msg, false));
            match self.invite_out {
                InviteOut::Calling => self.invite_out = InviteOut::Proceeding,
                InviteOut::CancelDue => {
                    self.send_cancel(cx);
                    return;
                }
                InviteOut::Proceeding | InviteOut::CancelSent => {}
            }
            if self.is_ended() {
                return;
            }
            if let Some(d) = early {
                if self.dialog.as_ref().is_none_or(|old| !old.confirmed) {
                    self.dialog = Some(d);
                }
            }
            let before = self.info.state;
            if is_sdp && !self.answer_applied {
                self.answer_applied = true;
                self.remote_sdp = Some(body.to_owned());
                self.info.state = CallState::Early;
                cx.media(
                    &self.info.id,
                    MediaCommand::ApplyAnswer {
                        remote_sdp: body.to_owned(),
                    },
                );
            } else if (180..=182).contains(&status) && self.info.state == CallState::Trying {
                self.info.state = CallState::Ringing;
            }
            if self.info.state != before {
                cx.emit(Event::CallUpdated(self.info.clone()));
            }
            return;
        }
        if (200..300).contains(&status) {
            self.on_invite_success(cx, msg, is_sdp);
            return;
        }
        if status == 422 && !self.cancel_wanted() && !self.is_ended() && self.retry_422(cx, msg) {
            return;
        }
        self.timers.stop(CallTimer::CancelGuard);
        self.dialog = None;
        let cause = if self.cancel_wanted() {
            EndCause::Cancelled
        } else {
            EndCause::from_status(status)
        };
        self.end(cx, cause, Some(status));
    }

    /// A 2xx to our INVITE (as last sent) after its dialog was confirmed: a retransmission is
    /// ACKed again (an ended call kept no copy of its ACK); a second fork's is ACKed and then
    /// ended with BYE (RFC 3261 §13.2.2.4).
    pub(crate) fn late_2xx(&self, cx: &mut Context<'_>, msg: &Message<'_>) {
        let invite_cseq = self.invite.as_ref().map_or(1, cseq_of);
        let Some(d) = self.dialog.as_ref() else {
            return;
        };
        if d.remote_tag == msg.to().tag().unwrap_or_default() {
            let ack = match &self.ack {
                Some(ack) => ack.clone(),
                None => d.request("ACK", invite_cseq, cx.new_via().1).render(),
            };
            cx.transmit(ack);
        } else {
            let mut fork = self.uac_dialog(cx.local, msg, true);
            let (_, via) = cx.new_via();
            cx.transmit(fork.request("ACK", invite_cseq, via).render());
            let (_, via) = cx.new_via();
            let bye = fork.next_request("BYE", via);
            cx.send_request(Owner::Detached, bye, 0);
        }
    }

    fn on_invite_success(&mut self, cx: &mut Context<'_>, msg: &Message<'_>, is_sdp: bool) {
        if self.dialog.as_ref().is_some_and(|d| d.confirmed) {
            self.late_2xx(cx, msg);
            return;
        }
        let invite_cseq = self.invite.as_ref().map_or(1, cseq_of);
        let dialog = self.uac_dialog(cx.local, msg, true);
        let (_, via) = cx.new_via();
        let ack = dialog.request("ACK", invite_cseq, via).render();
        cx.transmit(ack.clone());
        self.dialog = Some(dialog);
        self.ack = Some(ack);
        self.timers.stop(CallTimer::CancelGuard);
        if self.is_ended() {
            // The 2xx crossed our CANCEL: the call exists now, end it.
            self.send_in_dialog(cx, Purpose::Bye, "BYE", None);
            return;
        }
        if !self.answer_applied {
            if is_sdp {
                self.answer_applied = true;
                let sdp = msg.body().to_owned();
                self.remote_sdp = Some(sdp.clone());
                cx.media(&self.info.id, MediaCommand::ApplyAnswer { remote_sdp: sdp });
            } else {
                self.send_in_dialog(cx, Purpose::Bye, "BYE", None);
                self.end(cx, EndCause::Failed, Some(488));
                return;
            }
        }
        if let Some(name) = msg.to().display_name_unescaped() {
            self.info.remote_name = Some(name.into_owned());
        }
        self.on_timer_answer(cx, msg);
        self.info.state = CallState::Active;
        self.info.answered_at = Some(cx.now);
        self.info.status = Some(200);
        self.update_hold();
        // The outbound session started when dialling did (`call`): the answer is an update.
        cx.emit(Event::CallUpdated(self.info.clone()));
    }
}

/// A request of `invite`'s transaction: its CANCEL (RFC 3261 §9.1) or the ACK of a failure
/// response (§17.1.1.3). Same Request-URI, Via (branch), Route, From, Call-ID and CSeq
/// number as the INVITE; `to` is the To value (the INVITE's, or the response's for the ACK).
pub(crate) fn invite_sibling(invite: &Outgoing, method: &str, to: String) -> Outgoing {
    let mut m = Outgoing::request(method, invite.uri().unwrap_or_default());
    m.push("Via", invite.get("Via").unwrap_or_default().to_owned())
        .push("Max-Forwards", "70");
    for (name, value) in &invite.headers {
        if name.eq_ignore_ascii_case("Route") {
            m.push("Route", value.clone());
        }
    }
    m.push("To", to)
        .push("From", invite.get("From").unwrap_or_default().to_owned())
        .push(
            "Call-ID",
            invite.get("Call-ID").unwrap_or_default().to_owned(),
        )
        .push("CSeq", format_cseq(cseq_of(invite), method));
    m
}
