//! Inbound calls: the INVITE we receive, ringing, our 2xx and its resends until the
//! ACK, CANCEL and BYE from the peer.

use crate::call::{received_headers, Call, CallTimer, Context, Negotiation, RequestHead};
use crate::dialog::{angle, Dialog, Role};
use crate::events::{CallDirection, CallId, CallState, EndCause, ErrorScope, Event};
use crate::media::MediaCommand;
use crate::message::{Message, SipUri};
use crate::timer::{T1, T1_X64, T2};
use crate::ua::{Purpose, ALLOW};

impl Call {
    /// A call from the peer's INVITE `head` (transaction `server`), ringing, or `None` when
    /// the INVITE is refused: an unsupported extension, a body that is not SDP, an offer
    /// without a codec the browser can use (it never rings: nobody could talk, and the
    /// caller can try elsewhere at once) or no Contact.
    pub(crate) fn inbound(
        cx: &mut Context<'_>,
        msg: &Message<'_>,
        head: RequestHead,
        server: usize,
    ) -> Option<Call> {
        // Every Require option tag but ours, comma-separated.
        let timers = cx.config.session_timers.is_some();
        let mut unsupported = String::new();
        for tag in msg.require().filter(|t| {
            !(t.eq_ignore_ascii_case("outbound")
                || t.eq_ignore_ascii_case("replaces")
                || (timers && t.eq_ignore_ascii_case("timer")))
        }) {
            if !unsupported.is_empty() {
                unsupported.push_str(", ");
            }
            unsupported.push_str(tag);
        }
        if !unsupported.is_empty() {
            let tag = cx.rng.tag();
            let mut r = head.response(420, "Bad Extension", Some(&tag));
            r.push("Unsupported", unsupported);
            cx.send_response(Some(server), &r);
            return None;
        }
        // No body is a late offer (we offer in the 200); a body must be SDP.
        let body = msg.body();
        if !body.is_empty() && msg.sdp_body().is_none() {
            let tag = cx.rng.tag();
            cx.send_response(
                Some(server),
                &head.response(488, "Not Acceptable Here", Some(&tag)),
            );
            return None;
        }
        // An offer without a codec the browser can use never rings: nobody could talk, and
        // the caller's side can try elsewhere at once. The application hears of it.
        if let Some(offer) = msg.sdp_body().filter(|o| !crate::sdp::has_usable_audio(o)) {
            let tag = cx.rng.tag();
            let mut detail = String::from("refused a call from ");
            detail.push_str(
                SipUri::parse(msg.from().uri)
                    .ok()
                    .and_then(|u| u.user)
                    .unwrap_or_default(),
            );
            detail.push_str(" with 488: ");
            detail.push_str(&cx.refuse_offer(&head, Some(server), offer, Some(&tag)));
            cx.emit(Event::Error {
                scope: ErrorScope::Call,
                detail,
            });
            return None;
        }
        let Some(contact) = msg.target().map(str::to_owned) else {
            let tag = cx.rng.tag();
            cx.send_response(
                Some(server),
                &head.response(400, "Missing or Bad Contact", Some(&tag)),
            );
            return None;
        };
        cx.respond(&head, Some(server), 100, "Trying", None);

        let from = msg.from();
        let remote_number = SipUri::parse(from.uri)
            .ok()
            .and_then(|u| u.user)
            .unwrap_or_default()
            .to_owned();
        let remote_name = from
            .display_name_unescaped()
            .map(|n| n.into_owned())
            .filter(|n| !n.is_empty());
        let id = CallId(cx.rng.token(16));
        let local_tag = cx.rng.tag();
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
        let mut call = Call::new(
            id,
            CallDirection::Inbound,
            remote_number,
            remote_name,
            cx.now,
            cx.local.user.clone(),
        );
        if !call.timer_offer(cx, msg, &head, server, Some(&local_tag)) {
            return None;
        }
        call.info.headers = received_headers(msg);
        call.local_tag = local_tag.clone();
        call.sip_call_id = head.call_id.clone();
        call.dialog = Some(dialog);
        if !body.is_empty() {
            call.remote_offer = Some(body.to_owned());
            call.remote_sdp = Some(body.to_owned());
        }
        call.timers.set(
            CallTimer::NoAnswer,
            cx.now.plus(cx.config.no_answer_timeout),
        );
        let ringing = cx.dialog_response(&head, 180, "Ringing", &local_tag);
        call.uas_invite = Some(head);
        cx.send_response(Some(server), &ringing);
        cx.emit(Event::Incoming(call.info.clone()));
        Some(call)
    }

    /// Our 200 to the initial INVITE, carrying `sdp`: the answer, or (the INVITE had none)
    /// our offer. It goes out again until the ACK comes.
    pub(crate) fn send_answer(&mut self, cx: &mut Context<'_>, sdp: String) {
        let Some(head) = &self.uas_invite else {
            return;
        };
        let Some(server) = cx.find_server(&head.branch, &head.sent_by, "INVITE") else {
            return;
        };
        if cx.servers.get(server).is_none_or(|s| s.tx.is_final()) {
            return;
        }
        let mut r = cx.dialog_response(head, 200, "OK", &self.local_tag);
        r.push("Allow", ALLOW)
            .push("Supported", "outbound")
            .push("User-Agent", cx.config.user_agent.clone());
        self.answer_timer(cx, &mut r);
        r.with_body("application/sdp", sdp.clone());
        cx.send_response(Some(server), &r);
        self.local_sdp = Some(sdp);
        self.remote_offer = None;
        if let Some(d) = self.dialog.as_mut() {
            d.confirmed = true;
        }
        let now = cx.now;
        self.timers.stop(CallTimer::NoAnswer);
        self.timers.set(CallTimer::AckWait, now.plus(T1_X64));
        self.resend_interval = T1;
        self.timers.set(CallTimer::Resend2xx, now.plus(T1));
        self.info.state = CallState::Active;
        self.info.answered_at = Some(now);
        self.info.status = Some(200);
        self.update_hold();
        cx.emit(Event::SessionStarted(self.info.clone()));
    }

    /// The server transaction of the call's initial INVITE, while it lasts.
    fn invite_server(&self, cx: &Context<'_>) -> Option<usize> {
        let head = self.uas_invite.as_ref()?;
        cx.find_server(&head.branch, &head.sent_by, "INVITE")
    }

    /// RFC 3261 §13.3.1.4: our 2xx to the INVITE goes out again, T1 doubling up to T2, until
    /// its ACK comes (`AckWait` gives up after 64·T1). On every transport: a reliable first
    /// hop does not keep a proxy further on from losing the 2xx or the ACK.
    pub(crate) fn resend_2xx(&mut self, cx: &mut Context<'_>) {
        let ok = self
            .invite_server(cx)
            .and_then(|i| cx.servers.get(i))
            .and_then(|s| s.tx.last_response.clone());
        if !self.timers.is_set(CallTimer::AckWait) {
            return;
        }
        self.resend_interval = self.resend_interval.saturating_mul(2).min(T2);
        self.timers
            .set(CallTimer::Resend2xx, cx.now.plus(self.resend_interval));
        if let Some(ok) = ok {
            cx.transmit(ok);
        }
    }

    /// The media layer's answer rejects every audio stream (the browser can use none of the
    /// offered codecs): it is not sent, the offer is refused with 488 instead. The call of an
    /// initial INVITE ends; a re-INVITE leaves the call as it was (the media layer did not
    /// apply such an answer, see [`MediaCommand::CreateAnswer`]). `reinvite` is the peer's
    /// re-INVITE and its offer; `None` for the initial INVITE.
    pub(crate) fn answer_refused(
        &mut self,
        cx: &mut Context<'_>,
        reinvite: Option<(RequestHead, String)>,
    ) {
        let (head, offer, to_tag) = match reinvite {
            // A re-INVITE is answered in its dialog.
            Some((head, offer)) => (head, offer, None),
            None => {
                let Some(offer) = self.remote_offer.take() else {
                    return;
                };
                // The call ends, so its request head is not needed again.
                let Some(head) = self.uas_invite.take() else {
                    return;
                };
                (head, offer, Some(self.local_tag.clone()))
            }
        };
        let server = cx.find_server(&head.branch, &head.sent_by, &head.method);
        let mut detail =
            String::from("the browser can use no codec of the offer, refused with 488: ");
        detail.push_str(&cx.refuse_offer(&head, server, &offer, to_tag.as_deref()));
        if to_tag.is_some() {
            self.end(cx, EndCause::Failed, Some(488));
        }
        cx.emit(Event::Error {
            scope: ErrorScope::Media,
            detail,
        });
    }

    /// The peer's CANCEL of our INVITE's server transaction `invite_server`: 487, and the end.
    pub(crate) fn on_remote_cancel(&mut self, cx: &mut Context<'_>, invite_server: usize) {
        if let Some(head) = &self.uas_invite {
            let r = head.response(487, "Request Terminated", Some(&self.local_tag));
            cx.send_response(Some(invite_server), &r);
        }
        self.end(cx, EndCause::Cancelled, Some(487));
    }

    /// The ACK of our 2xx; `answer` is its SDP body, if any (the answer to a late offer).
    pub(crate) fn on_ack(&mut self, cx: &mut Context<'_>, answer: Option<&str>) {
        if !self.timers.is_set(CallTimer::AckWait) {
            return;
        }
        self.timers.stop(CallTimer::AckWait);
        self.timers.stop(CallTimer::Resend2xx);
        if let Some(server) = self.invite_server(cx) {
            if let Some(entry) = cx.servers.get_mut(server) {
                entry.tx.acknowledged();
            }
        }
        if matches!(self.negotiation, Negotiation::AnswerInAck) {
            self.negotiation = Negotiation::Idle;
            let Some(answer) = answer else {
                // RFC 3261 §13.2.1: an offer in a 2xx must be answered in the ACK. As for a 2xx
                // without an answer (uac.rs), the status says the offer was not accepted.
                self.send_in_dialog(cx, Purpose::Bye, "BYE", None);
                self.end(cx, EndCause::Failed, Some(488));
                cx.emit(Event::Error {
                    scope: ErrorScope::Call,
                    detail: String::from("the ACK carried no answer to our offer"),
                });
                return;
            };
            self.remote_sdp = Some(answer.to_owned());
            self.update_hold();
            cx.media(
                &self.info.id,
                MediaCommand::ApplyAnswer {
                    remote_sdp: answer.to_owned(),
                },
            );
        }
        if self.bye_after_ack {
            self.bye_after_ack = false;
            self.send_in_dialog(cx, Purpose::Bye, "BYE", None);
        } else {
            self.maybe_reoffer(cx);
        }
    }

    /// The peer's BYE `head` (transaction `server`): 200, and the end.
    pub(crate) fn on_bye(&mut self, cx: &mut Context<'_>, head: &RequestHead, server: usize) {
        cx.respond(head, Some(server), 200, "OK", None);
        // The target of our attended transfer hangs up the call it replaced.
        let cause = if self.refer.handed_to.is_some() {
            EndCause::Transferred
        } else {
            EndCause::HangupRemote
        };
        self.end(cx, cause, None);
    }

    /// Answers our INVITE's server transaction with the failure `status` and ends the call.
    pub(crate) fn reject(&mut self, cx: &mut Context<'_>, status: u16, cause: EndCause) {
        if let Some(head) = &self.uas_invite {
            let r = head.response(status, reason(status), Some(&self.local_tag));
            let server = cx.find_server(&head.branch, &head.sent_by, "INVITE");
            cx.send_response(server, &r);
        }
        self.end(cx, cause, Some(status));
    }
}

/// The usual reason phrase of a status we send.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        200 => "OK",
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
