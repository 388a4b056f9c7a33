//! What the media layer reports back to a call: the offer or answer it was asked for,
//! a failure, or a lost media path.

use crate::call::{Call, Context, Negotiation};
use crate::events::{EndCause, ErrorScope, Event};
use crate::media::{MediaCommand, MediaResult};
use crate::ua::Purpose;

impl Call {
    /// A result from the call's media layer; one the call does not wait for changes nothing.
    pub(crate) fn on_media(&mut self, cx: &mut Context<'_>, result: MediaResult) {
        if self.is_ended() {
            return;
        }
        let result = match result {
            MediaResult::Stats(sample) => return self.on_sample(cx, sample),
            MediaResult::IceConnected => {
                self.start_sampling(cx);
                MediaResult::IceConnected
            }
            other => other,
        };
        let negotiation = std::mem::replace(&mut self.negotiation, Negotiation::Idle);
        match (result, negotiation) {
            (MediaResult::LocalOffer(sdp), Negotiation::Offer) => self.send_invite(cx, sdp),
            (MediaResult::LocalOffer(sdp), Negotiation::Reoffer) => {
                if self.move_wanted {
                    self.send_move(cx, sdp);
                } else if self.is_answered() && self.dialog.is_some() {
                    self.negotiation = Negotiation::ReofferSent { offer: sdp.clone() };
                    self.send_in_dialog(cx, Purpose::ReInvite, "INVITE", Some(sdp));
                } else {
                    cx.media(&self.info.id, MediaCommand::Rollback);
                }
            }
            (MediaResult::LocalAnswer(sdp), Negotiation::Answer) => {
                if crate::sdp::has_usable_audio(&sdp) {
                    self.send_answer(cx, sdp);
                } else {
                    self.answer_refused(cx, None);
                }
            }
            (MediaResult::LocalAnswer(sdp), Negotiation::Reanswer { head, offer }) => {
                if crate::sdp::has_usable_audio(&sdp) {
                    self.send_reanswer(cx, head, offer, sdp);
                } else {
                    self.answer_refused(cx, Some((head, offer)));
                }
            }
            (MediaResult::LocalOffer(sdp), Negotiation::Answer) if self.remote_offer.is_none() => {
                self.negotiation = Negotiation::AnswerInAck;
                self.send_answer(cx, sdp);
            }
            (MediaResult::Failed(reason), negotiation) => {
                self.on_media_failed(cx, negotiation, reason)
            }
            // ICE changes go on beside any exchange under way (`recovery`).
            (MediaResult::IceConnected, negotiation) => {
                self.negotiation = negotiation;
                self.ice_connected(cx);
            }
            (MediaResult::IceDisconnected, negotiation) => {
                self.negotiation = negotiation;
                self.ice_disconnected(cx);
            }
            (MediaResult::IceFailed, negotiation) => {
                self.negotiation = negotiation;
                self.ice_failed(cx);
            }
            // Nothing the call waits for: the negotiation goes on as it was.
            (_, negotiation) => self.negotiation = negotiation,
        }
    }

    /// The media layer failed what `negotiation` waited for (taken from the call).
    fn on_media_failed(&mut self, cx: &mut Context<'_>, negotiation: Negotiation, reason: String) {
        match negotiation {
            Negotiation::Offer => self.end(cx, EndCause::Failed, None),
            Negotiation::Answer => self.reject(cx, 488, EndCause::Failed),
            Negotiation::Reoffer if self.ice_restart_offered => {
                self.recovery_failed(cx, None, &reason);
            }
            Negotiation::Reoffer => self.reoffer_failed(cx, None, reason, ErrorScope::Media),
            Negotiation::Reanswer { head, .. } => {
                cx.emit(Event::Error {
                    scope: ErrorScope::Media,
                    detail: reason,
                });
                let r = head.response(488, "Not Acceptable Here", None);
                let server = cx.find_server(&head.branch, &head.sent_by, &head.method);
                cx.send_response(server, &r);
            }
            negotiation @ (Negotiation::Idle
            | Negotiation::ReofferSent { .. }
            | Negotiation::Refresh
            | Negotiation::AnswerInAck) => {
                // Applying the peer's answer failed: no usable media. An exchange still
                // under way stays so (its answer or ACK is handled as usual).
                self.negotiation = negotiation;
                if self.is_answered() {
                    self.send_in_dialog(cx, Purpose::Bye, "BYE", None);
                    self.end(cx, EndCause::Failed, None);
                }
                cx.emit(Event::Error {
                    scope: ErrorScope::Media,
                    detail: reason,
                });
            }
        }
    }
}
