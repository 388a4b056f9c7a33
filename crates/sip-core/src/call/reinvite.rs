//! Re-INVITEs both ways: hold and unhold, the refresh after a reconnect, the peer's
//! re-offers and UPDATEs (RFC 3311), and glare (RFC 3261 §14).

use crate::call::{Call, CallTimer, Context, Negotiation, RequestHead};
use crate::dialog::Role;
use crate::events::{ErrorScope, Event};
use crate::media::MediaCommand;
use crate::message::Message;
use crate::ua::ALLOW;

impl Call {
    /// The peer's re-INVITE or UPDATE `head` (transaction `server`). An UPDATE without a
    /// body (a session refresh, or an early dialog's target refresh) gets 200 at once. An
    /// offer gets 491 while ours is under way (RFC 3261 §14.2, RFC 3311 §5.2), 500 while
    /// another exchange is, else goes to the media layer like a re-INVITE's; a re-INVITE
    /// without one is offered our current description again.
    pub(crate) fn on_reinvite(
        &mut self,
        cx: &mut Context<'_>,
        msg: &Message<'_>,
        head: RequestHead,
        server: usize,
    ) {
        let update = head.method == "UPDATE";
        if update && msg.body().is_empty() {
            let mut r = head.response(200, "OK", None);
            r.push("Contact", cx.local.contact.clone());
            if self.is_answered() {
                if !self.timer_offer(cx, msg, &head, server, None) {
                    return;
                }
                self.answer_timer(cx, &mut r);
            }
            if let (Some(d), Some(uri)) = (self.dialog.as_mut(), msg.target()) {
                d.remote_target = uri.to_owned();
            }
            cx.send_response(Some(server), &r);
            return;
        }
        if matches!(
            self.negotiation,
            Negotiation::Reoffer | Negotiation::ReofferSent { .. } | Negotiation::Refresh
        ) || (!update && !self.is_answered())
        {
            cx.respond(&head, Some(server), 491, "Request Pending", None);
            return;
        }
        if !self.negotiation.is_idle()
            || !self.is_answered()
            || self.timers.is_set(CallTimer::AckWait)
        {
            let mut r = head.response(500, "Server Internal Error", None);
            let wait = crate::decimal::string(cx.rng.below(10));
            r.push("Retry-After", wait);
            cx.send_response(Some(server), &r);
            return;
        }
        if let Some(offer) = msg.sdp_body().filter(|o| !crate::sdp::has_usable_audio(o)) {
            // Only this offer is refused: the session goes on as negotiated before (§14.2).
            let mut detail = String::from("refused a re-INVITE with 488: ");
            detail.push_str(&cx.refuse_offer(&head, Some(server), offer, None));
            cx.emit(Event::Error {
                scope: ErrorScope::Call,
                detail,
            });
            return;
        }
        let body = msg.body();
        if !self.timer_offer(cx, msg, &head, server, None) {
            return;
        }
        if let (Some(d), Some(uri)) = (self.dialog.as_mut(), msg.target()) {
            d.remote_target = uri.to_owned();
        }
        let same = self.remote_sdp.as_deref() == Some(body);
        if body.is_empty() || same {
            // No offer, or the last one again (a session refresh, RFC 4028: same version,
            // nothing to renegotiate): repeat our current description; the answer in the ACK changes nothing.
            let sdp = self.local_sdp.clone().unwrap_or_default();
            let mut r = head.response(200, "OK", None);
            r.push("Contact", cx.local.contact.clone())
                .push("Allow", ALLOW);
            self.answer_timer(cx, &mut r);
            r.with_body("application/sdp", sdp);
            cx.send_response(Some(server), &r);
            return;
        }
        self.negotiation = Negotiation::Reanswer {
            head,
            offer: body.to_owned(),
        };
        cx.media(
            &self.info.id,
            MediaCommand::CreateAnswer {
                remote_sdp: body.to_owned(),
            },
        );
    }

    /// Answers the peer's re-INVITE `head` and its `offer` with our `sdp`.
    pub(crate) fn send_reanswer(
        &mut self,
        cx: &mut Context<'_>,
        head: RequestHead,
        offer: String,
        sdp: String,
    ) {
        self.local_sdp = Some(sdp.clone());
        self.remote_sdp = Some(offer);
        let mut r = head.response(200, "OK", None);
        r.push("Contact", cx.local.contact.clone())
            .push("Allow", ALLOW)
            .push("Supported", "outbound");
        self.answer_timer(cx, &mut r);
        r.with_body("application/sdp", sdp);
        let server = cx.find_server(&head.branch, &head.sent_by, &head.method);
        cx.send_response(server, &r);
        self.after_negotiation(cx);
    }

    /// Starts a re-INVITE when the wanted hold state differs from the negotiated one
    /// (or a refresh is due) and nothing else is being negotiated: one at a time.
    pub(crate) fn maybe_reoffer(&mut self, cx: &mut Context<'_>) {
        let busy = !self.negotiation.is_idle()
            || self.timers.is_set(CallTimer::Glare)
            || self.timers.is_set(CallTimer::AckWait);
        if self.is_ended() || busy || !self.is_answered() || self.dialog.is_none() {
            return;
        }
        if self.local_hold_wanted == self.info.held.local
            && !self.refresh_wanted
            && !self.ice_restart_wanted
            && !self.move_wanted
        {
            return;
        }
        self.negotiation = Negotiation::Reoffer;
        // The direction keeps our hold (and the peer's) across a restart.
        let direction = self.offer_direction();
        self.ice_restart_offered = self.ice_restart_wanted;
        cx.media(
            &self.info.id,
            MediaCommand::CreateReoffer {
                direction,
                // A move is answered by a new session at the peer (new ICE and DTLS).
                ice_restart: self.ice_restart_wanted || self.move_wanted,
                fresh: self.move_wanted,
            },
        );
    }

    /// Hold state after an offer/answer exchange; then the next queued change, if any.
    pub(crate) fn after_negotiation(&mut self, cx: &mut Context<'_>) {
        if self.update_hold() {
            cx.emit(Event::CallUpdated(self.info.clone()));
        }
        self.maybe_reoffer(cx);
    }

    /// Our re-INVITE failed for good (`status` from the peer, `None` when the media layer
    /// could not make the offer): the call stays as negotiated. A hold or resume the user
    /// asked for is reported as such, so `hold()` can reject; a refused refresh is an error.
    pub(crate) fn reoffer_failed(
        &mut self,
        cx: &mut Context<'_>,
        status: Option<u16>,
        reason: String,
        scope: ErrorScope,
    ) {
        let hold = self.local_hold_wanted;
        self.local_hold_wanted = self.info.held.local;
        self.refresh_wanted = false;
        cx.emit(if hold == self.info.held.local {
            Event::Error {
                scope,
                detail: reason,
            }
        } else {
            Event::HoldFailed {
                call: self.info.id.clone(),
                hold,
                status,
                reason,
            }
        });
    }

    /// The ACK of a 2xx to our re-INVITE (sent with CSeq `cseq`), to the remote target that
    /// 2xx names (RFC 3261 §12.2.1.2); `false` when there is no dialog to send it in.
    pub(crate) fn ack_2xx(&mut self, cx: &mut Context<'_>, msg: &Message<'_>, cseq: u32) -> bool {
        let (_, via) = cx.new_via();
        let Some(dialog) = self.dialog.as_mut() else {
            return false;
        };
        if let Some(target) = msg.target() {
            dialog.remote_target = target.to_owned();
        }
        cx.transmit(dialog.request("ACK", cseq, via).render());
        true
    }

    /// The 2xx to our re-offer (a re-INVITE, or the move's INVITE with Replaces): the offer
    /// becomes our description, the session timer re-arms (RFC 4028 §7.4: a re-INVITE
    /// refreshes the session too) and the answer goes to the media layer. A 2xx without a
    /// body carries no answer: the media stays as negotiated before.
    pub(crate) fn take_answer(&mut self, cx: &mut Context<'_>, msg: &Message<'_>) {
        if let Some(offer) = self.negotiation.take_reoffer() {
            self.local_sdp = Some(offer);
        }
        self.on_timer_answer(cx, msg);
        let body = msg.body();
        if !body.is_empty() {
            self.remote_sdp = Some(body.to_owned());
            cx.media(
                &self.info.id,
                MediaCommand::ApplyAnswer {
                    remote_sdp: body.to_owned(),
                },
            );
        }
        self.after_negotiation(cx);
    }

    /// A final response to our re-INVITE (sent with CSeq `cseq`); a challenge was answered
    /// before, if it could be.
    pub(crate) fn on_reinvite_response(
        &mut self,
        cx: &mut Context<'_>,
        msg: &Message<'_>,
        status: u16,
        cseq: u32,
    ) {
        if status < 200 {
            return;
        }
        if (200..300).contains(&status) {
            if !self.ack_2xx(cx, msg, cseq) {
                return;
            }
            if self.is_ended() {
                return;
            }
            self.refresh_wanted = false;
            self.flow_changed = false;
            if self.ice_restart_offered {
                self.ice_restart_wanted = false;
            }
            self.take_answer(cx, msg);
            return;
        }
        self.negotiation.take_reoffer();
        if self.is_ended() {
            return;
        }
        cx.media(&self.info.id, MediaCommand::Rollback);
        if self.flow_failed(cx, status) {
            return;
        }
        match status {
            491 => {
                // RFC 3261 §14.1: the Call-ID owner waits 2.1-4 s, the other side 0-2 s.
                let wait = match self.dialog.as_ref().map(|d| d.role) {
                    Some(Role::Uac) => cx.rng.between(210, 400) * 10,
                    _ => cx.rng.between(0, 200) * 10,
                };
                self.timers.set(CallTimer::Glare, cx.now.plus(wait));
            }
            _ if self.ice_restart_offered => {
                self.recovery_failed(cx, Some(status), crate::call::RESTART_FAILED)
            }
            408 | 481 => self.dialog_failed(cx, status),
            _ => {
                let mut reason = String::from("the peer refused the re-INVITE: ");
                crate::decimal::push(&mut reason, u64::from(status));
                self.reoffer_failed(cx, Some(status), reason, ErrorScope::Call);
            }
        }
    }
}
