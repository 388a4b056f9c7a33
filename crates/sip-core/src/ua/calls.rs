//! Calls: the user commands, the INVITE both ways, hold by re-INVITE, BYE, CANCEL, DTMF.

use super::{Owner, Purpose, Ua};
use crate::call::{info_body, info_tone, validate_tones, Call, CallTimer, Pending, ReinviteOut, RequestHead, DTMF_PAUSE};
use crate::dialog::{angle, format_cseq, tagged, Dialog, Role};
use crate::error::CommandError;
use crate::events::{CallDirection, CallId, CallInfo, CallState, EndCause, ErrorScope, Event, HoldState};
use crate::media::{MediaCommand, MediaResult};
use crate::message::{AuthKind, HeaderName, Message, SipUri};
use crate::outgoing::Outgoing;
use crate::timer::{Instant, T1, T1_X64, T2};

use super::register::cseq_of;

impl Ua {
    // ----- user commands --------------------------------------------------------

    /// Calls `target`: a number or user (`"1002"`, dialled in our domain) or a
    /// `sip:` URI. The INVITE goes out when the media layer delivers the offer.
    ///
    /// Dialling starts here, so [`Event::SessionStarted`] is emitted at once (state
    /// `Trying`), as K-Link defines it ("call established / dialing"): every outbound call
    /// has one, even one that fails before its INVITE (the microphone refused). The answer
    /// is a [`Event::CallUpdated`] whose state is `Active`.
    pub fn call(&mut self, now: Instant, target: &str) -> Result<CallId, CommandError> {
        if self.shutting_down {
            return Err(CommandError::ShutDown);
        }
        if !self.is_connected() {
            return Err(CommandError::NotConnected);
        }
        let (uri, number) = target_uri(target, &self.local.domain)?;
        let id = CallId(self.rng.token(16));
        let mut call = Call::new(CallInfo {
            id: id.clone(),
            direction: CallDirection::Outbound,
            state: CallState::Trying,
            remote_number: number,
            remote_name: None,
            started_at: now,
            answered_at: None,
            ended_at: None,
            muted: false,
            held: HoldState::default(),
        });
        call.target = uri;
        call.local_tag = self.rng.tag();
        call.sip_call_id = self.rng.call_id();
        call.pending = Pending::Offer;
        let info = call.info.clone();
        self.calls.push(call);
        // The media layer is asked first: a listener that hangs up at once then finds the
        // offer already requested, and its Close follows it.
        self.media(&id, MediaCommand::CreateOffer);
        self.emit(Event::SessionStarted(info));
        Ok(id)
    }

    /// Answers an incoming call: asks the media layer for the answer, then sends 200.
    pub fn answer(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        let call = self.live_call(id)?;
        if call.info.direction != CallDirection::Inbound || call.info.state != CallState::Ringing || call.pending != Pending::None {
            return Err(call.wrong_state("answer"));
        }
        call.pending = Pending::Answer;
        // An INVITE without SDP (late offer): our 200 carries the offer, the ACK the answer.
        let command = match call.remote_offer.clone() {
            Some(remote_sdp) => MediaCommand::CreateAnswer { remote_sdp },
            None => MediaCommand::CreateOffer,
        };
        self.media(id, command);
        self.after(now);
        Ok(())
    }

    /// Rejects an incoming call with 486 Busy Here.
    pub fn reject(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        self.reject_with(now, id, 486)
    }

    /// Rejects an incoming call with `status` (486 Busy Here, 603 Decline, ...).
    pub fn reject_with(&mut self, now: Instant, id: &CallId, status: u16) -> Result<(), CommandError> {
        if !(300..=699).contains(&status) {
            return Err(CommandError::InvalidStatus(status));
        }
        let call = self.live_call(id)?;
        if call.info.direction != CallDirection::Inbound || call.is_answered() {
            return Err(call.wrong_state("reject"));
        }
        self.reject_inner(now, id, status, EndCause::Rejected);
        self.after(now);
        Ok(())
    }

    /// Ends a call whatever its state: CANCEL before answer, BYE after, reject if inbound ringing.
    pub fn hangup(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        self.hangup_inner(now, id)?;
        self.after(now);
        Ok(())
    }

    /// Puts the call on hold (re-INVITE with `sendonly`, or `inactive` if the peer holds too).
    pub fn hold(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        self.set_hold(now, id, true, "hold")
    }

    /// Takes the call off hold (re-INVITE with `sendrecv`).
    pub fn unhold(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        self.set_hold(now, id, false, "unhold")
    }

    /// Mutes our microphone (no signalling: the media layer disables the track).
    pub fn mute(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        self.set_muted(now, id, true)
    }

    /// Unmutes our microphone.
    pub fn unmute(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        self.set_muted(now, id, false)
    }

    /// Sends DTMF `tones` (`0-9 * # A-D`, `,` = 2 s pause): RFC 4733 through the media
    /// layer when the peer offered telephone-event, else one SIP INFO per tone.
    pub fn dtmf(&mut self, now: Instant, id: &CallId, tones: &str) -> Result<(), CommandError> {
        let tones = validate_tones(tones)?;
        let call = self.live_call(id)?;
        if !call.is_answered() && call.info.state != CallState::Early {
            return Err(call.wrong_state("send DTMF"));
        }
        if call.telephone_event() {
            self.media(id, MediaCommand::InsertDtmf { tones });
        } else {
            call.dtmf_queue.push_str(&tones);
            if !call.dtmf_in_flight && !call.timers.is_set(CallTimer::Dtmf) {
                self.send_next_dtmf(now, id);
            }
        }
        self.after(now);
        Ok(())
    }

    fn set_hold(&mut self, now: Instant, id: &CallId, hold: bool, command: &'static str) -> Result<(), CommandError> {
        let call = self.live_call(id)?;
        if !call.is_answered() {
            return Err(call.wrong_state(command));
        }
        call.local_hold_wanted = hold;
        self.maybe_reoffer(now, id);
        self.after(now);
        Ok(())
    }

    fn set_muted(&mut self, now: Instant, id: &CallId, muted: bool) -> Result<(), CommandError> {
        let call = self.live_call(id)?;
        if call.info.muted != muted {
            call.info.muted = muted;
            let info = call.info.clone();
            self.media(id, MediaCommand::SetMuted(muted));
            self.emit(Event::CallUpdated(info));
        }
        self.after(now);
        Ok(())
    }

    pub(crate) fn hangup_inner(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        let call = self.live_call(id)?;
        if call.is_answered() {
            if call.timers.is_set(CallTimer::AckWait) {
                // §15: no BYE before the ACK of our 2xx; it follows the ACK.
                call.bye_after_ack = true;
            } else {
                self.send_in_dialog(now, id, Purpose::Bye, "BYE", None);
            }
            self.end_call(now, id, EndCause::HangupLocal, None);
            return Ok(());
        }
        match call.info.direction {
            CallDirection::Inbound => {
                self.reject_inner(now, id, 480, EndCause::Rejected);
            }
            CallDirection::Outbound => {
                if call.pending != Pending::Offer {
                    call.cancel_wanted = true;
                    if call.provisional_seen && !call.cancel_sent {
                        self.send_cancel(now, id);
                    }
                }
                self.end_call(now, id, EndCause::Cancelled, None);
            }
        }
        Ok(())
    }

    fn reject_inner(&mut self, now: Instant, id: &CallId, status: u16, cause: EndCause) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get(i)) else {
            return;
        };
        if let Some(head) = &call.uas_invite {
            let r = head.response(status, reason(status), Some(&call.local_tag));
            let server = self.find_server(&head.branch, &head.sent_by, "INVITE");
            self.send_response(now, server, &r);
        }
        self.end_call(now, id, cause, Some(status));
    }

    /// Marks the call ended, closes its media and tells the application (once).
    pub(crate) fn end_call(&mut self, now: Instant, id: &CallId, cause: EndCause, status: Option<u16>) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        if call.ended {
            return;
        }
        call.ended = true;
        call.info.state = CallState::Ended;
        call.info.ended_at = Some(now);
        call.dtmf_queue = String::new();
        // An ended call may stay up to 64*T1 for its INVITE transaction (2xx retransmissions and
        // forks are still ACKed): keep only what that needs, not the session descriptions.
        call.local_sdp = None;
        call.remote_sdp = None;
        call.remote_offer = None;
        if let Some(invite) = call.invite.as_mut() {
            invite.body = None;
            if call.dialog.as_ref().is_some_and(|d| d.confirmed) {
                // Answered: no CANCEL can follow; a late 2xx only needs the INVITE's CSeq,
                // and its ACK is built again from the dialog.
                invite.headers.retain(|(name, _)| *name == "CSeq");
                call.ack = None;
            }
        }
        for t in [CallTimer::NoAnswer, CallTimer::Glare, CallTimer::Dtmf] {
            call.timers.stop(t);
        }
        if !call.bye_after_ack {
            call.timers.stop(CallTimer::AckWait);
            call.timers.stop(CallTimer::Resend2xx);
        }
        self.media(id, MediaCommand::Close);
        self.emit(Event::SessionEnded { call: id.clone(), cause, status });
    }

    // ----- media results --------------------------------------------------------

    pub(crate) fn on_media(&mut self, now: Instant, id: &CallId, result: MediaResult) {
        let Some(i) = self.call_index(id) else {
            return;
        };
        let Some(call) = self.calls.get_mut(i) else {
            return;
        };
        if call.ended {
            return;
        }
        let pending = call.pending;
        match (result, pending) {
            (MediaResult::LocalOffer(sdp), Pending::Offer) => {
                call.pending = Pending::None;
                self.send_invite(now, id, sdp);
            }
            (MediaResult::LocalOffer(sdp), Pending::Reoffer) => {
                call.pending = Pending::None;
                if call.is_answered() && call.dialog.is_some() {
                    call.reinvite_out = Some(ReinviteOut { offer: sdp.clone() });
                    self.send_in_dialog(now, id, Purpose::ReInvite, "INVITE", Some(sdp));
                } else {
                    self.media(id, MediaCommand::Rollback);
                }
            }
            (MediaResult::LocalAnswer(sdp), Pending::Answer | Pending::Reanswer) => {
                call.pending = Pending::None;
                if !crate::sdp::has_usable_audio(&sdp) {
                    self.answer_refused(now, id);
                } else if pending == Pending::Answer {
                    self.send_answer(now, id, sdp);
                } else {
                    self.send_reanswer(now, id, sdp);
                }
            }
            (MediaResult::LocalOffer(sdp), Pending::Answer) if call.remote_offer.is_none() => {
                call.pending = Pending::None;
                call.answer_in_ack = true;
                self.send_answer(now, id, sdp);
            }
            (MediaResult::Failed(reason), pending) => {
                call.pending = Pending::None;
                self.on_media_failed(now, id, pending, reason);
            }
            (MediaResult::IceFailed, _) if call.is_answered() => {
                self.send_in_dialog(now, id, Purpose::Bye, "BYE", None);
                self.end_call(now, id, EndCause::Failed, None);
                self.emit(Event::Error { scope: ErrorScope::Media, detail: String::from("ICE failed: no media path") });
            }
            _ => {}
        }
    }

    fn on_media_failed(&mut self, now: Instant, id: &CallId, pending: Pending, reason: String) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        match pending {
            Pending::Offer => self.end_call(now, id, EndCause::Failed, None),
            Pending::Answer => self.reject_inner(now, id, 488, EndCause::Failed),
            Pending::Reoffer => {
                call.local_hold_wanted = call.info.held.local;
                call.refresh_wanted = false;
                self.emit(Event::Error { scope: ErrorScope::Media, detail: reason });
            }
            Pending::Reanswer => {
                call.remote_offer = None;
                self.emit(Event::Error { scope: ErrorScope::Media, detail: reason });
                let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
                    return;
                };
                if let Some(head) = call.reinvite_in.take() {
                    let r = head.response(488, "Not Acceptable Here", None);
                    let server = self.find_server(&head.branch, &head.sent_by, "INVITE");
                    self.send_response(now, server, &r);
                }
            }
            Pending::None => {
                // Applying the peer's answer failed: no usable media.
                if call.is_answered() {
                    self.send_in_dialog(now, id, Purpose::Bye, "BYE", None);
                    self.end_call(now, id, EndCause::Failed, None);
                }
                self.emit(Event::Error { scope: ErrorScope::Media, detail: reason });
            }
        }
    }

    // ----- outbound INVITE ------------------------------------------------------

    fn send_invite(&mut self, now: Instant, id: &CallId, sdp: String) {
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
            .push("Allow", super::ALLOW)
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
        call.cancel_sent = true;
        call.timers.set(CallTimer::CancelGuard, now.plus(T1_X64));
        self.send_request(now, Owner::Call(id.clone(), Purpose::Cancel), m, 0);
    }

    /// A request in the call's dialog; `body` is SDP for INVITE, else DTMF for INFO.
    pub(crate) fn send_in_dialog(&mut self, now: Instant, id: &CallId, purpose: Purpose, method: &str, body: Option<String>) {
        let (_, via) = self.new_via();
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        let Some(dialog) = call.dialog.as_mut() else {
            return;
        };
        let cseq = dialog.next_cseq();
        let mut m = dialog.request(method, cseq, via);
        if method == "INVITE" {
            m.push("Contact", self.local.contact.clone()).push("Allow", super::ALLOW).push("Supported", "outbound");
        }
        m.push("User-Agent", self.config.user_agent.clone());
        match (method, body) {
            ("INVITE", Some(sdp)) => {
                m.with_body("application/sdp", sdp);
            }
            ("INFO", Some(text)) => {
                m.with_body("application/dtmf-relay", text);
            }
            _ => {}
        }
        self.send_request(now, Owner::Call(id.clone(), purpose), m, 0);
    }

    /// A dialog from a response to our INVITE (RFC 3261 §12.1.2).
    fn uac_dialog(&self, call: &Call, msg: &Message<'_>, confirmed: bool) -> Dialog {
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

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_call_response(
        &mut self,
        now: Instant,
        msg: &Message<'_>,
        status: u16,
        id: &CallId,
        purpose: Purpose,
        request: Outgoing,
        attempts: u8,
    ) {
        match purpose {
            Purpose::Invite => self.on_invite_response(now, msg, status, id, request, attempts),
            Purpose::ReInvite => self.on_reinvite_response(now, msg, status, id, request, attempts),
            Purpose::Info => self.on_info_response(now, msg, status, id, request, attempts),
            Purpose::Bye | Purpose::Cancel => {
                if status == 401 || status == 407 {
                    self.authenticate(now, msg, Owner::Call(id.clone(), purpose), request, attempts);
                }
            }
        }
    }

    fn on_invite_response(&mut self, now: Instant, msg: &Message<'_>, status: u16, id: &CallId, request: Outgoing, attempts: u8) {
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
            call.provisional_seen = true;
            if call.cancel_wanted && !call.cancel_sent {
                self.send_cancel(now, id);
                return;
            }
            if call.ended {
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
        if (status == 401 || status == 407) && !call.ended && !call.cancel_wanted {
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
        let cause = if call.cancel_wanted { EndCause::Cancelled } else { EndCause::from_status(status) };
        self.end_call(now, id, cause, Some(status));
    }

    fn on_invite_success(&mut self, now: Instant, msg: &Message<'_>, i: usize, id: &CallId, is_sdp: bool) {
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
                    None => d.request("ACK", invite_cseq, super::fresh_via(&mut self.rng, &self.local.host).1).render(),
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
        if call.ended {
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

    // ----- re-INVITE ------------------------------------------------------------

    /// Starts a re-INVITE when the wanted hold state differs from the negotiated one
    /// (or a refresh is due) and nothing else is being negotiated: one at a time.
    pub(crate) fn maybe_reoffer(&mut self, _now: Instant, id: &CallId) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        let busy = call.pending != Pending::None
            || call.reinvite_out.is_some()
            || call.reinvite_in.is_some()
            || call.timers.is_set(CallTimer::Glare)
            || call.timers.is_set(CallTimer::AckWait);
        if call.ended || busy || !call.is_answered() || call.dialog.is_none() {
            return;
        }
        if call.local_hold_wanted == call.info.held.local && !call.refresh_wanted {
            return;
        }
        call.pending = Pending::Reoffer;
        let direction = call.offer_direction();
        self.media(id, MediaCommand::CreateReoffer { direction });
    }

    /// After a reconnect: re-INVITE every answered call so the peer routes to our new flow.
    pub(crate) fn refresh_calls(&mut self, now: Instant) {
        let ids: Vec<CallId> = self
            .calls
            .iter_mut()
            .filter(|c| !c.ended && c.is_answered() && c.dialog.is_some())
            .map(|c| {
                c.refresh_wanted = true;
                c.info.id.clone()
            })
            .collect();
        for id in ids {
            self.maybe_reoffer(now, &id);
        }
    }

    fn on_reinvite_response(&mut self, now: Instant, msg: &Message<'_>, status: u16, id: &CallId, request: Outgoing, attempts: u8) {
        if status < 200 {
            return;
        }
        let Some(i) = self.call_index(id) else {
            return;
        };
        if (200..300).contains(&status) {
            let (_, via) = self.new_via();
            let Some(call) = self.calls.get_mut(i) else {
                return;
            };
            let Some(dialog) = call.dialog.as_mut() else {
                return;
            };
            if let Some(target) = msg.contacts().first() {
                dialog.remote_target = target.uri.to_owned();
            }
            let ack = dialog.request("ACK", cseq_of(&request), via).render();
            self.transmit(ack);
            let Some(call) = self.calls.get_mut(i) else {
                return;
            };
            if call.ended {
                return;
            }
            if let Some(out) = call.reinvite_out.take() {
                call.local_sdp = Some(out.offer);
            }
            call.refresh_wanted = false;
            let body = msg.body();
            if !body.is_empty() {
                call.remote_sdp = Some(body.to_owned());
                self.media(id, MediaCommand::ApplyAnswer { remote_sdp: body.to_owned() });
            }
            self.after_negotiation(now, id);
            return;
        }
        if status == 401 || status == 407 {
            let owner = Owner::Call(id.clone(), Purpose::ReInvite);
            if self.authenticate(now, msg, owner, request, attempts) {
                return;
            }
        }
        let Some(call) = self.calls.get_mut(i) else {
            return;
        };
        call.reinvite_out = None;
        if call.ended {
            return;
        }
        self.media(id, MediaCommand::Rollback);
        let Some(call) = self.calls.get_mut(i) else {
            return;
        };
        match status {
            491 => {
                // RFC 3261 §14.1: the Call-ID owner waits 2.1-4 s, the other side 0-2 s.
                let wait = match call.dialog.as_ref().map(|d| d.role) {
                    Some(Role::Uac) => self.rng.between(210, 400) * 10,
                    _ => self.rng.between(0, 200) * 10,
                };
                if let Some(call) = self.calls.get_mut(i) {
                    call.timers.set(CallTimer::Glare, now.plus(wait));
                }
            }
            408 if call.refresh_wanted => self.refresh_failed(id, status),
            408 | 481 => self.dialog_failed(now, id, status),
            _ => {
                call.local_hold_wanted = call.info.held.local;
                call.refresh_wanted = false;
                self.call_error("the peer refused the re-INVITE: ", status);
            }
        }
    }

    /// A re-INVITE sent after a reconnect timed out. RFC 3261 §12.2.1.2 would end the
    /// dialog, but it only told the peer about our new flow: media may still flow, so
    /// the call stays and the application hears of it (a 481 still ends the call).
    fn refresh_failed(&mut self, id: &CallId, status: u16) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        call.refresh_wanted = false;
        call.local_hold_wanted = call.info.held.local;
        self.call_error("the peer did not confirm the reconnected call: ", status);
    }

    /// RFC 3261 §12.2.1.2: a 408 or 481 to an in-dialog request ends the dialog.
    fn dialog_failed(&mut self, now: Instant, id: &CallId, status: u16) {
        if status != 481 {
            self.send_in_dialog(now, id, Purpose::Bye, "BYE", None);
        }
        self.end_call(now, id, EndCause::Failed, Some(status));
    }

    /// Hold state after an offer/answer exchange; then the next queued change, if any.
    fn after_negotiation(&mut self, now: Instant, id: &CallId) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        if call.update_hold() {
            let info = call.info.clone();
            self.emit(Event::CallUpdated(info));
        }
        self.maybe_reoffer(now, id);
    }

    pub(crate) fn on_reinvite(&mut self, now: Instant, msg: &Message<'_>, id: &CallId, head: RequestHead, server: usize) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        if call.reinvite_out.is_some() || call.pending == Pending::Reoffer || !call.is_answered() {
            self.respond(now, &head, Some(server), 491, "Request Pending", None);
            return;
        }
        if call.reinvite_in.is_some() || call.pending != Pending::None || call.timers.is_set(CallTimer::AckWait) {
            let mut r = head.response(500, "Server Internal Error", None);
            let wait = crate::decimal::string(self.rng.below(10));
            r.push("Retry-After", wait);
            self.send_response(now, Some(server), &r);
            return;
        }
        if let Some(offer) = msg.sdp_body().filter(|o| !crate::sdp::has_usable_audio(o)) {
            // Only this offer is refused: the session goes on as negotiated before (§14.2).
            let mut detail = String::from("refused a re-INVITE with 488: ");
            detail.push_str(&self.refuse_offer(now, &head, Some(server), offer, None));
            self.emit(Event::Error { scope: ErrorScope::Call, detail });
            return;
        }
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        if let (Some(d), Some(c)) = (call.dialog.as_mut(), msg.contacts().first()) {
            d.remote_target = c.uri.to_owned();
        }
        let body = msg.body();
        if body.is_empty() {
            // No offer: repeat our current description; the answer in the ACK changes nothing.
            let sdp = call.local_sdp.clone().unwrap_or_default();
            let mut r = head.response(200, "OK", None);
            r.push("Contact", self.local.contact.clone()).push("Allow", super::ALLOW).with_body("application/sdp", sdp);
            self.send_response(now, Some(server), &r);
            return;
        }
        call.remote_offer = Some(body.to_owned());
        call.reinvite_in = Some(head);
        call.pending = Pending::Reanswer;
        self.media(id, MediaCommand::CreateAnswer { remote_sdp: body.to_owned() });
    }

    fn send_reanswer(&mut self, now: Instant, id: &CallId, sdp: String) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        let Some(head) = call.reinvite_in.take() else {
            return;
        };
        call.local_sdp = Some(sdp.clone());
        if let Some(offer) = call.remote_offer.take() {
            call.remote_sdp = Some(offer);
        }
        let mut r = head.response(200, "OK", None);
        r.push("Contact", self.local.contact.clone())
            .push("Allow", super::ALLOW)
            .push("Supported", "outbound")
            .with_body("application/sdp", sdp);
        let server = self.find_server(&head.branch, &head.sent_by, "INVITE");
        self.send_response(now, server, &r);
        self.after_negotiation(now, id);
    }

    // ----- inbound INVITE -------------------------------------------------------

    pub(crate) fn on_initial_invite(&mut self, now: Instant, msg: &Message<'_>, head: RequestHead, server: usize) {
        if self.shutting_down {
            self.respond_tagged(now, &head, None, 503, "Service Unavailable");
            return;
        }
        // §8.2.2.2: an INVITE we already hold (same From tag, Call-ID and CSeq) that missed its
        // transaction (another branch: a fork looping back, or a copy outliving Timer L) is
        // not a second call.
        let from_tag = msg.from().tag().unwrap_or_default();
        let merged = self.calls.iter().any(|c| {
            c.uas_invite.as_ref().is_some_and(|h| h.call_id == head.call_id && h.cseq == head.cseq)
                && c.dialog.as_ref().is_some_and(|d| d.remote_tag == from_tag)
        });
        if merged {
            self.respond_tagged(now, &head, Some(server), 482, "Loop Detected");
            return;
        }
        // Every Require option tag but ours, comma-separated.
        let mut unsupported = String::new();
        for tag in msg.require().filter(|t| !t.eq_ignore_ascii_case("outbound")) {
            if !unsupported.is_empty() {
                unsupported.push_str(", ");
            }
            unsupported.push_str(tag);
        }
        if !unsupported.is_empty() {
            let tag = self.rng.tag();
            let mut r = head.response(420, "Bad Extension", Some(&tag));
            r.push("Unsupported", unsupported);
            self.send_response(now, Some(server), &r);
            return;
        }
        // No body is a late offer (we offer in the 200); a body must be SDP.
        let body = msg.body();
        if !body.is_empty() && msg.sdp_body().is_none() {
            self.respond_tagged(now, &head, Some(server), 488, "Not Acceptable Here");
            return;
        }
        // An offer without a codec the browser can use never rings: nobody could talk, and
        // the caller's side can try elsewhere at once. The application hears of it.
        if let Some(offer) = msg.sdp_body().filter(|o| !crate::sdp::has_usable_audio(o)) {
            let tag = self.rng.tag();
            let mut detail = String::from("refused a call from ");
            detail.push_str(SipUri::parse(msg.from().uri).ok().and_then(|u| u.user).unwrap_or_default());
            detail.push_str(" with 488: ");
            detail.push_str(&self.refuse_offer(now, &head, Some(server), offer, Some(&tag)));
            self.emit(Event::Error { scope: ErrorScope::Call, detail });
            return;
        }
        let Some(contact) = msg.contacts().first().map(|c| c.uri.to_owned()) else {
            self.respond_tagged(now, &head, Some(server), 400, "Missing Contact");
            return;
        };
        self.respond(now, &head, Some(server), 100, "Trying", None);

        let from = msg.from();
        let remote_number = SipUri::parse(from.uri).ok().and_then(|u| u.user).unwrap_or_default().to_owned();
        let remote_name = from.display_name_unescaped().map(|n| n.into_owned()).filter(|n| !n.is_empty());
        let id = CallId(self.rng.token(16));
        let local_tag = self.rng.tag();
        let dialog = Dialog {
            role: Role::Uas,
            call_id: head.call_id.clone(),
            local_tag: local_tag.clone(),
            remote_tag: from.tag().unwrap_or_default().to_owned(),
            local_uri: head.to.clone(),
            remote_uri: angle(from.uri),
            remote_target: contact,
            route_set: head.record_routes.clone(),
            local_cseq: 0,
            remote_cseq: Some(head.cseq),
            confirmed: false,
        };
        let mut call = Call::new(CallInfo {
            id: id.clone(),
            direction: CallDirection::Inbound,
            state: CallState::Ringing,
            remote_number,
            remote_name,
            started_at: now,
            answered_at: None,
            ended_at: None,
            muted: false,
            held: HoldState::default(),
        });
        call.local_tag = local_tag.clone();
        call.sip_call_id = head.call_id.clone();
        call.dialog = Some(dialog);
        if !body.is_empty() {
            call.remote_offer = Some(body.to_owned());
            call.remote_sdp = Some(body.to_owned());
        }
        call.timers.set(CallTimer::NoAnswer, now.plus(self.config.no_answer_timeout));
        let ringing = self.dialog_response(&head, 180, "Ringing", &local_tag);
        call.uas_invite = Some(head);
        let info = call.info.clone();
        self.calls.push(call);
        self.send_response(now, Some(server), &ringing);
        self.emit(Event::Incoming(info));
    }

    /// A dialog-creating response: Record-Route copied, our Contact.
    fn dialog_response(&self, head: &RequestHead, status: u16, reason: &str, local_tag: &str) -> Outgoing {
        let mut r = head.response(status, reason, Some(local_tag));
        for rr in &head.record_routes {
            r.push("Record-Route", rr.clone());
        }
        r.push("Contact", self.local.contact.clone());
        r
    }

    fn send_answer(&mut self, now: Instant, id: &CallId, sdp: String) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get(i)) else {
            return;
        };
        let Some(head) = &call.uas_invite else {
            return;
        };
        let Some(server) = self.find_server(&head.branch, &head.sent_by, "INVITE") else {
            return;
        };
        if self.servers.get(server).is_none_or(|s| s.tx.is_final()) {
            return;
        }
        let mut r = self.dialog_response(head, 200, "OK", &call.local_tag);
        r.push("Allow", super::ALLOW)
            .push("Supported", "outbound")
            .push("User-Agent", self.config.user_agent.clone())
            .with_body("application/sdp", sdp.clone());
        self.send_response(now, Some(server), &r);
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        call.local_sdp = Some(sdp);
        call.remote_offer = None;
        if let Some(d) = call.dialog.as_mut() {
            d.confirmed = true;
        }
        call.timers.stop(CallTimer::NoAnswer);
        call.timers.set(CallTimer::AckWait, now.plus(T1_X64));
        call.resend_interval = T1;
        call.timers.set(CallTimer::Resend2xx, now.plus(T1));
        call.info.state = CallState::Active;
        call.info.answered_at = Some(now);
        call.update_hold();
        let info = call.info.clone();
        self.emit(Event::SessionStarted(info));
    }

    /// The server transaction of the call's initial INVITE, while it lasts.
    fn invite_server(&self, id: &CallId) -> Option<usize> {
        let head = self.calls.get(self.call_index(id)?)?.uas_invite.as_ref()?;
        self.find_server(&head.branch, &head.sent_by, "INVITE")
    }

    /// RFC 3261 §13.3.1.4: our 2xx to the INVITE goes out again, T1 doubling up to T2, until
    /// its ACK comes (`AckWait` gives up after 64·T1). On every transport: a reliable first
    /// hop does not keep a proxy further on from losing the 2xx or the ACK.
    fn resend_2xx(&mut self, now: Instant, id: &CallId) {
        let ok = self.invite_server(id).and_then(|i| self.servers.get(i)).and_then(|s| s.tx.last_response.clone());
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        if !call.timers.is_set(CallTimer::AckWait) {
            return;
        }
        call.resend_interval = call.resend_interval.saturating_mul(2).min(T2);
        call.timers.set(CallTimer::Resend2xx, now.plus(call.resend_interval));
        if let Some(ok) = ok {
            self.transmit(ok);
        }
    }

    /// Refuses an offer with no codec the browser can use: 488 with a Warning naming what it
    /// offered (RFC 3261 §13.3.1.1, §20.43). Returns the warning text, for the application.
    fn refuse_offer(&mut self, now: Instant, head: &RequestHead, server: Option<usize>, offer: &str, to_tag: Option<&str>) -> String {
        let (code, text) = crate::sdp::audio_refusal(offer);
        let mut warning = crate::decimal::string(u64::from(code));
        warning.push(' ');
        warning.push_str(&self.local.host);
        warning.push_str(" \"");
        warning.push_str(&text);
        warning.push('"');
        let mut r = head.response(488, "Not Acceptable Here", to_tag);
        r.push("Warning", warning);
        self.send_response(now, server, &r);
        text
    }

    /// The media layer's answer rejects every audio stream (the browser can use none of the
    /// offered codecs): it is not sent, the offer is refused with 488 instead. The call of an
    /// initial INVITE ends; a re-INVITE leaves the call as it was (the media layer did not
    /// apply such an answer, see [`MediaCommand::CreateAnswer`]).
    fn answer_refused(&mut self, now: Instant, id: &CallId) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        let Some(offer) = call.remote_offer.take() else {
            return;
        };
        // A re-INVITE is answered in its dialog; an initial INVITE's call ends, so its
        // request head is not needed again.
        let to_tag = call.reinvite_in.is_none().then(|| call.local_tag.clone());
        let Some(head) = call.reinvite_in.take().or_else(|| call.uas_invite.take()) else {
            return;
        };
        let server = self.find_server(&head.branch, &head.sent_by, "INVITE");
        let mut detail = String::from("the browser can use no codec of the offer, refused with 488: ");
        detail.push_str(&self.refuse_offer(now, &head, server, &offer, to_tag.as_deref()));
        if to_tag.is_some() {
            self.end_call(now, id, EndCause::Failed, Some(488));
        }
        self.emit(Event::Error { scope: ErrorScope::Media, detail });
    }

    pub(crate) fn on_remote_cancel(&mut self, now: Instant, id: &CallId, invite_server: usize) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get(i)) else {
            return;
        };
        if let Some(head) = &call.uas_invite {
            let r = head.response(487, "Request Terminated", Some(&call.local_tag));
            self.send_response(now, Some(invite_server), &r);
        }
        self.end_call(now, id, EndCause::Cancelled, Some(487));
    }

    /// The ACK of our 2xx; `answer` is its SDP body, if any (the answer to a late offer).
    pub(crate) fn on_ack(&mut self, now: Instant, id: &CallId, answer: Option<&str>) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        if !call.timers.is_set(CallTimer::AckWait) {
            return;
        }
        call.timers.stop(CallTimer::AckWait);
        call.timers.stop(CallTimer::Resend2xx);
        if let Some(server) = self.invite_server(id) {
            if let Some(entry) = self.servers.get_mut(server) {
                entry.tx.acknowledged();
            }
        }
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        if std::mem::take(&mut call.answer_in_ack) {
            let Some(answer) = answer else {
                // RFC 3261 §13.2.1: an offer in a 2xx must be answered in the ACK.
                self.send_in_dialog(now, id, Purpose::Bye, "BYE", None);
                self.end_call(now, id, EndCause::Failed, None);
                self.emit(Event::Error { scope: ErrorScope::Call, detail: String::from("the ACK carried no answer to our offer") });
                return;
            };
            call.remote_sdp = Some(answer.to_owned());
            call.update_hold();
            self.media(id, MediaCommand::ApplyAnswer { remote_sdp: answer.to_owned() });
        }
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        if call.bye_after_ack {
            call.bye_after_ack = false;
            self.send_in_dialog(now, id, Purpose::Bye, "BYE", None);
        } else {
            self.maybe_reoffer(now, id);
        }
    }

    pub(crate) fn on_bye(&mut self, now: Instant, id: &CallId, head: &RequestHead, server: usize) {
        self.respond(now, head, Some(server), 200, "OK", None);
        self.end_call(now, id, EndCause::HangupRemote, None);
    }

    pub(crate) fn on_info(&mut self, now: Instant, msg: &Message<'_>, id: &CallId, head: &RequestHead, server: usize) {
        let body = msg.body();
        let mime = msg.content_type().ok().flatten().map_or("", |c| c.mime);
        if body.trim().is_empty() {
            self.respond(now, head, Some(server), 200, "OK", None);
            return;
        }
        if let Some(tone) = info_tone(mime, body) {
            self.respond(now, head, Some(server), 200, "OK", None);
            self.emit(Event::Dtmf { call: id.clone(), tone });
            return;
        }
        let r = if mime.eq_ignore_ascii_case("application/dtmf-relay") || mime.eq_ignore_ascii_case("application/dtmf") {
            head.response(400, "Bad DTMF Signal", None)
        } else {
            let mut r = head.response(415, "Unsupported Media Type", None);
            r.push("Accept", "application/dtmf-relay");
            r
        };
        self.send_response(now, Some(server), &r);
    }

    // ----- DTMF by INFO ---------------------------------------------------------

    fn send_next_dtmf(&mut self, now: Instant, id: &CallId) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        match call.next_dtmf() {
            None => {}
            Some(',') => call.timers.set(CallTimer::Dtmf, now.plus(DTMF_PAUSE)),
            Some(tone) => {
                call.dtmf_in_flight = true;
                self.send_in_dialog(now, id, Purpose::Info, "INFO", Some(info_body(tone)));
            }
        }
    }

    fn on_info_response(&mut self, now: Instant, msg: &Message<'_>, status: u16, id: &CallId, request: Outgoing, attempts: u8) {
        if status < 200 {
            return;
        }
        if (status == 401 || status == 407) && self.authenticate(now, msg, Owner::Call(id.clone(), Purpose::Info), request, attempts) {
            return;
        }
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        call.dtmf_in_flight = false;
        if call.ended {
            return;
        }
        match status {
            200..=299 => self.send_next_dtmf(now, id),
            408 | 481 => self.dialog_failed(now, id, status),
            _ => {
                call.dtmf_queue.clear();
                self.call_error("the peer refused a DTMF INFO: ", status);
            }
        }
    }

    /// Tells the application that the peer refused a request of a call: `what` and the status.
    fn call_error(&mut self, what: &str, status: u16) {
        let mut detail = String::from(what);
        crate::decimal::push(&mut detail, u64::from(status));
        self.emit(Event::Error { scope: ErrorScope::Call, detail });
    }

    // ----- timers ---------------------------------------------------------------

    pub(crate) fn on_call_request_timeout(&mut self, now: Instant, id: &CallId, purpose: Purpose) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        if call.ended {
            return;
        }
        match purpose {
            Purpose::Invite => self.end_call(now, id, EndCause::Failed, Some(408)),
            Purpose::ReInvite => {
                call.reinvite_out = None;
                let refresh = call.refresh_wanted;
                self.media(id, MediaCommand::Rollback);
                if refresh {
                    self.refresh_failed(id, 408);
                } else {
                    self.dialog_failed(now, id, 408);
                }
            }
            Purpose::Info => {
                call.dtmf_in_flight = false;
                self.dialog_failed(now, id, 408);
            }
            Purpose::Bye | Purpose::Cancel => {}
        }
    }

    pub(crate) fn on_call_timer(&mut self, now: Instant, id: &CallId, timer: CallTimer) {
        match timer {
            CallTimer::NoAnswer => {
                let ringing = self.calls.iter().any(|c| &c.info.id == id && !c.ended && c.info.state == CallState::Ringing);
                if ringing {
                    self.reject_inner(now, id, 480, EndCause::NoAnswer);
                }
            }
            CallTimer::AckWait => {
                // §13.3.1.4: no ACK for our 2xx; the session is terminated with BYE.
                let ended = self.calls.iter().any(|c| &c.info.id == id && c.ended);
                self.send_in_dialog(now, id, Purpose::Bye, "BYE", None);
                if let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) {
                    call.bye_after_ack = false;
                    call.timers.stop(CallTimer::Resend2xx);
                }
                if !ended {
                    self.end_call(now, id, EndCause::Failed, Some(408));
                    let detail = String::from("no ACK for our 200 OK within 64*T1 (32 s): the call was ended with BYE");
                    self.emit(Event::Error { scope: ErrorScope::Call, detail });
                }
            }
            CallTimer::Resend2xx => self.resend_2xx(now, id),
            CallTimer::CancelGuard => {
                // §9.1: no final answer to the cancelled INVITE; give up on it.
                for c in &mut self.clients {
                    if matches!(&c.owner, Owner::Call(cid, Purpose::Invite) if cid == id) {
                        c.tx.terminate();
                    }
                }
            }
            CallTimer::Glare => self.maybe_reoffer(now, id),
            CallTimer::Dtmf => self.send_next_dtmf(now, id),
        }
    }
}

/// The Request-URI and the number shown for a dial string: a number or user dialled in
/// `domain`, `user@host`, or a `sip:`/`sips:` URI. Refuses anything that could break
/// the request line or a header.
fn target_uri(target: &str, domain: &str) -> Result<(String, String), CommandError> {
    let t = target.trim();
    let invalid = || CommandError::InvalidTarget(target.to_owned());
    if t.is_empty() || t.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"')) {
        return Err(invalid());
    }
    let has_scheme = |scheme: &str| t.get(..scheme.len()).is_some_and(|p| p.eq_ignore_ascii_case(scheme));
    let uri = if has_scheme("sip:") || has_scheme("sips:") {
        t.to_owned()
    } else if t.contains('@') {
        let mut u = String::from("sip:");
        u.push_str(t);
        u
    } else {
        let mut u = String::from("sip:");
        for c in t.chars() {
            match c {
                '#' => u.push_str("%23"),
                c if c.is_ascii_alphanumeric() || matches!(c, '+' | '*' | '.' | '-' | '_' | '!' | '~') => u.push(c),
                _ => return Err(invalid()),
            }
        }
        u.push('@');
        u.push_str(domain);
        u
    };
    let parsed = SipUri::parse(&uri).map_err(|_| invalid())?;
    let number = crate::search::replace(parsed.user.ok_or_else(invalid)?, "%23", "#");
    Ok((uri, number))
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

/// The usual reason phrase of a status we send.
fn reason(status: u16) -> &'static str {
    match status {
        480 => "Temporarily Unavailable",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        600 => "Busy Everywhere",
        603 => "Decline",
        404 => "Not Found",
        500 => "Server Internal Error",
        _ => "Rejected",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dial_strings() {
        assert_eq!(target_uri("1002", "d.example"), Ok(("sip:1002@d.example".into(), "1002".into())));
        assert_eq!(target_uri(" *97# ", "d").map(|(u, _)| u), Ok("sip:*97%23@d".into()));
        assert_eq!(target_uri("sip:bob@x.example;transport=ws", "d").map(|(_, n)| n), Ok("bob".into()));
        assert_eq!(target_uri("bob@x.example", "d").map(|(u, _)| u), Ok("sip:bob@x.example".into()));
        assert!(target_uri("10 02", "d").is_err());
        assert!(target_uri("1002\r\nVia: x", "d").is_err());
        assert!(target_uri("", "d").is_err());
        assert!(target_uri("sip:", "d").is_err());
    }
}
