//! The user's call commands, and the routing of media results, responses and timers to
//! the call they belong to; what a call does lives in [`crate::call`].

use crate::call::{validate_tones, Call, CallTimer, InviteOut, Negotiation};
use crate::error::CommandError;
use crate::events::{CallDirection, CallId, CallInfo, CallState, EndCause, ErrorScope, Event, HoldState};
use crate::media::{MediaCommand, MediaResult};
use crate::message::{Message, SipUri};
use crate::outgoing::Outgoing;
use crate::timer::Instant;
use super::{cseq_of, Owner, Purpose, Ua};

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
        call.negotiation = Negotiation::Offer;
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
        if call.info.direction != CallDirection::Inbound || call.info.state != CallState::Ringing || !call.negotiation.is_idle() {
            return Err(call.wrong_state("answer"));
        }
        call.negotiation = Negotiation::Answer;
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
                if !matches!(call.negotiation, Negotiation::Offer) {
                    match call.invite_out {
                        InviteOut::Proceeding => self.send_cancel(now, id),
                        // RFC 3261 §9.1: a CANCEL waits for a provisional response.
                        InviteOut::Calling => call.invite_out = InviteOut::CancelDue,
                        InviteOut::CancelDue | InviteOut::CancelSent => {}
                    }
                }
                self.end_call(now, id, EndCause::Cancelled, None);
            }
        }
        Ok(())
    }

    pub(crate) fn on_media(&mut self, now: Instant, id: &CallId, result: MediaResult) {
        let Some(i) = self.call_index(id) else {
            return;
        };
        let Some(call) = self.calls.get_mut(i) else {
            return;
        };
        if call.is_ended() {
            return;
        }
        let negotiation = std::mem::replace(&mut call.negotiation, Negotiation::Idle);
        match (result, negotiation) {
            (MediaResult::LocalOffer(sdp), Negotiation::Offer) => self.send_invite(now, id, sdp),
            (MediaResult::LocalOffer(sdp), Negotiation::Reoffer) => {
                if call.is_answered() && call.dialog.is_some() {
                    call.negotiation = Negotiation::ReofferSent { offer: sdp.clone() };
                    self.send_in_dialog(now, id, Purpose::ReInvite, "INVITE", Some(sdp));
                } else {
                    self.media(id, MediaCommand::Rollback);
                }
            }
            (MediaResult::LocalAnswer(sdp), Negotiation::Answer) => {
                if crate::sdp::has_usable_audio(&sdp) {
                    self.send_answer(now, id, sdp);
                } else {
                    self.answer_refused(now, id, None);
                }
            }
            (MediaResult::LocalAnswer(sdp), Negotiation::Reanswer { head, offer }) => {
                if crate::sdp::has_usable_audio(&sdp) {
                    self.send_reanswer(now, id, head, offer, sdp);
                } else {
                    self.answer_refused(now, id, Some((head, offer)));
                }
            }
            (MediaResult::LocalOffer(sdp), Negotiation::Answer) if call.remote_offer.is_none() => {
                call.negotiation = Negotiation::AnswerInAck;
                self.send_answer(now, id, sdp);
            }
            (MediaResult::Failed(reason), negotiation) => self.on_media_failed(now, id, negotiation, reason),
            (MediaResult::IceFailed, negotiation) if call.is_answered() => {
                call.negotiation = negotiation;
                self.send_in_dialog(now, id, Purpose::Bye, "BYE", None);
                self.end_call(now, id, EndCause::Failed, None);
                self.emit(Event::Error { scope: ErrorScope::Media, detail: String::from("ICE failed: no media path") });
            }
            // Nothing the call waits for: the negotiation goes on as it was.
            (_, negotiation) => call.negotiation = negotiation,
        }
    }

    /// The media layer failed what `negotiation` waited for (taken from the call).
    fn on_media_failed(&mut self, now: Instant, id: &CallId, negotiation: Negotiation, reason: String) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        match negotiation {
            Negotiation::Offer => self.end_call(now, id, EndCause::Failed, None),
            Negotiation::Answer => self.reject_inner(now, id, 488, EndCause::Failed),
            Negotiation::Reoffer => {
                call.local_hold_wanted = call.info.held.local;
                call.refresh_wanted = false;
                self.emit(Event::Error { scope: ErrorScope::Media, detail: reason });
            }
            Negotiation::Reanswer { head, .. } => {
                self.emit(Event::Error { scope: ErrorScope::Media, detail: reason });
                let r = head.response(488, "Not Acceptable Here", None);
                let server = self.find_server(&head.branch, &head.sent_by, "INVITE");
                self.send_response(now, server, &r);
            }
            negotiation @ (Negotiation::Idle | Negotiation::ReofferSent { .. } | Negotiation::AnswerInAck) => {
                // Applying the peer's answer failed: no usable media. An exchange still
                // under way stays so (its answer or ACK is handled as usual).
                call.negotiation = negotiation;
                if call.is_answered() {
                    self.send_in_dialog(now, id, Purpose::Bye, "BYE", None);
                    self.end_call(now, id, EndCause::Failed, None);
                }
                self.emit(Event::Error { scope: ErrorScope::Media, detail: reason });
            }
        }
    }

    /// A response `msg` to the call's `request` (sent for `purpose`, after `attempts`
    /// challenges), matched to its client transaction.
    pub(crate) fn on_call_response(&mut self, now: Instant, msg: &Message<'_>, id: &CallId, purpose: Purpose, request: Outgoing, attempts: u8) {
        // Only responses reach here, so there is a status.
        let status = msg.status().unwrap_or_default();
        let cseq = cseq_of(&request);
        let call = self.call_index(id).and_then(|i| self.calls.get(i));
        // A challenge is answered by the user agent, which holds the credentials; what the
        // call must be for that to make sense:
        let may_authenticate = match purpose {
            Purpose::Invite => match call {
                // Only answers to the INVITE as last sent count (not the challenged one).
                Some(c) if c.invite.as_ref().map(cseq_of) == Some(cseq) => !c.is_ended() && !c.cancel_wanted(),
                _ => return,
            },
            Purpose::ReInvite => call.is_some(),
            Purpose::Info | Purpose::Bye | Purpose::Cancel => true,
        };
        if (status == 401 || status == 407) && may_authenticate && self.authenticate(now, msg, Owner::Call(id.clone(), purpose), request, attempts) {
            return;
        }
        let Some((call, mut cx)) = self.call_context(now, id) else {
            return;
        };
        match purpose {
            Purpose::Invite => call.on_invite_response(&mut cx, msg, status),
            Purpose::ReInvite => call.on_reinvite_response(&mut cx, msg, status, cseq),
            Purpose::Info => call.on_info_response(&mut cx, status),
            Purpose::Bye | Purpose::Cancel => {}
        }
    }

    pub(crate) fn on_call_request_timeout(&mut self, now: Instant, id: &CallId, purpose: Purpose) {
        let Some(call) = self.call_index(id).and_then(|i| self.calls.get_mut(i)) else {
            return;
        };
        if call.is_ended() {
            return;
        }
        match purpose {
            Purpose::Invite => self.end_call(now, id, EndCause::Failed, Some(408)),
            Purpose::ReInvite => {
                call.negotiation.take_reoffer();
                let refresh = call.refresh_wanted;
                self.media(id, MediaCommand::Rollback);
                if refresh {
                    if let Some((call, mut cx)) = self.call_context(now, id) {
                        call.refresh_failed(&mut cx, 408);
                    }
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
                let ringing = self.calls.iter().any(|c| &c.info.id == id && !c.is_ended() && c.info.state == CallState::Ringing);
                if ringing {
                    self.reject_inner(now, id, 480, EndCause::NoAnswer);
                }
            }
            CallTimer::AckWait => {
                // §13.3.1.4: no ACK for our 2xx; the session is terminated with BYE.
                let ended = self.calls.iter().any(|c| &c.info.id == id && c.is_ended());
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
