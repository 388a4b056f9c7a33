//! Moving an answered call to a new dialog after a reconnect, when its route set names the
//! flow that died (RFC 5626 §5.3: an edge routes by the flow token it put in Record-Route,
//! and a re-INVITE cannot change a route set, RFC 3261 §12.2.1.2). When the re-INVITE that
//! announces the new flow fails as a dead route would, the call sends an INVITE with
//! Replaces (RFC 3891) for its dialog to the peer's address of record over the new flow,
//! offering the session again with new ICE credentials; the peer ends the old dialog when it
//! accepts. The call keeps its id, hold and mute; a refusal ends it.
//! [decision 0007](../../../../docs/decisions/0007-dialog-recovery-on-a-new-flow.md).

use crate::call::{refused, Call, CallTimer, Context, Negotiation};
use crate::events::EndCause;
use crate::media::MediaCommand;
use crate::message::{Message, NameAddr};
use crate::ua::{cseq_of, Purpose};

impl Call {
    /// Whether `status`, for a re-INVITE of ours sent since a reconnect, says the route died:
    /// 430 Flow Failed and 403 (a flow token the edge cannot use, RFC 5626 §5.3), 481 (it
    /// never reached the dialog) or 408 (nothing came back). Then asks for the move.
    pub(crate) fn flow_failed(&mut self, cx: &mut Context<'_>, status: u16) -> bool {
        if !self.flow_changed || !matches!(status, 403 | 408 | 430 | 481) {
            return false;
        }
        self.flow_changed = false;
        self.move_wanted = true;
        self.maybe_reoffer(cx);
        true
    }

    /// The INVITE with Replaces, carrying the re-offer `sdp`: from a new tag with a new
    /// Call-ID, to the peer's address of record (its Contact is reachable only through the
    /// flow that died, and after an edge restart its own flow is new too).
    pub(crate) fn send_move(&mut self, cx: &mut Context<'_>, sdp: String) {
        let Some(d) = self.dialog.as_ref() else {
            return;
        };
        let replaces = d.replaces();
        let target = NameAddr::parse(&d.remote_uri, "To").map(|n| n.uri.to_owned());
        self.target = target.unwrap_or_default();
        self.sip_call_id = cx.rng.call_id();
        self.local_tag = cx.rng.tag();
        self.move_wanted = false;
        self.refresh_wanted = false;
        self.negotiation = Negotiation::ReofferSent { offer: sdp.clone() };
        self.invite_target(cx, sdp, Some(replaces), Purpose::Replace);
    }

    /// Whether our INVITE with Replaces is out (the dialog is still the old one) or due.
    pub(crate) fn moving(&self) -> bool {
        self.move_wanted
            || self
                .dialog
                .as_ref()
                .is_some_and(|d| d.call_id != self.sip_call_id)
    }

    /// A final response to the INVITE with Replaces (408 for none). A 2xx makes its dialog
    /// the call's and the old one is forgotten without a BYE (the peer ends it on accepting,
    /// RFC 3891 §3, and a BYE could only take the dead route); a call hung up meanwhile ends
    /// the new dialog at once. A refusal ends the call: the peer cannot be reached any more.
    pub(crate) fn on_move_response(
        &mut self,
        cx: &mut Context<'_>,
        msg: Option<&Message<'_>>,
        status: u16,
    ) {
        if status < 200 {
            return;
        }
        let Some(msg) = msg.filter(|_| status < 300) else {
            if self.moving() && !self.is_ended() {
                self.negotiation.take_reoffer();
                cx.media(&self.info.id, MediaCommand::Rollback);
                // The peer is not registered again yet (its edge restarted too, and it
                // reconnects at its own pace), or moves the call itself (491, its move wins
                // when it placed the call): try again for about 10 s.
                if matches!(status, 404 | 430 | 480 | 491 | 503) && self.move_tries < 7 {
                    self.move_tries += 1;
                    self.move_wanted = true;
                    let wait = cx.rng.between(100, 200) * 10;
                    self.timers.set(CallTimer::Glare, cx.now.plus(wait));
                    return;
                }
                cx.emit(refused(
                    "the call could not be moved to the new connection: ",
                    status,
                ));
                self.end(cx, EndCause::Failed, Some(status));
            }
            return;
        };
        if !self.moving() {
            self.late_2xx(cx, msg);
            return;
        }
        let dialog = self.uac_dialog(cx.local, msg, true);
        let (_, via) = cx.new_via();
        let ack = dialog.request("ACK", self.invite.as_ref().map_or(1, cseq_of), via);
        let ack = ack.render();
        cx.transmit(ack.clone());
        self.dialog = Some(dialog);
        self.ack = Some(ack);
        if self.is_ended() {
            self.send_in_dialog(cx, Purpose::Bye, "BYE", None);
            return;
        }
        if msg.body().is_empty() {
            // No answer to apply: the connection the move offered from goes, the call's own
            // carries on.
            cx.media(&self.info.id, MediaCommand::Rollback);
        }
        self.take_answer(cx, msg);
    }
}
