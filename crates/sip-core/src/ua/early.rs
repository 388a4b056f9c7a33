//! Early media for an incoming call (RFC 3261 §13.3.1.1, RFC 3960): a 183 Session Progress
//! that carries our answer, so the caller hears us before the 200.
//!
//! The browser SDK never sends it (a person answers or not); a native driver does, for a
//! ringback or announcement service. The driver's media layer makes the answer itself from
//! [`Ua::remote_offer`] and must give the same answer again when [`Ua::answer`] asks for it:
//! without reliable provisional responses (RFC 3262, not supported) the 200 repeats it.

use super::{CallDirection, CallId, CallState, CommandError, Instant, Ua, ALLOW};

impl Ua {
    /// The SDP offer of a ringing incoming call, for an early answer.
    #[must_use]
    pub fn remote_offer(&self, id: &CallId) -> Option<&str> {
        let call = self.calls.iter().find(|c| c.info.id == *id)?;
        call.remote_offer.as_deref()
    }

    /// Sends `sdp`, our answer to the call's offer, in a 183 Session Progress: the caller
    /// plays our media from now on. The call keeps ringing until [`Ua::answer`] or
    /// [`Ua::reject`]; the 183 may be sent more than once.
    pub fn early_media(
        &mut self,
        now: Instant,
        id: &CallId,
        sdp: String,
    ) -> Result<(), CommandError> {
        let (call, mut cx) = self.live_call(now, id)?;
        let wrong = |command| CommandError::WrongState {
            call: id.as_str().to_owned(),
            state: call.info.state.as_str(),
            command,
        };
        if call.info.direction != CallDirection::Inbound
            || call.info.state != CallState::Ringing
            || call.remote_offer.is_none()
            || !call.negotiation.is_idle()
        {
            return Err(wrong("send early media"));
        }
        let Some(head) = &call.uas_invite else {
            return Err(wrong("send early media"));
        };
        let Some(server) = cx.find_server(&head.branch, &head.sent_by, "INVITE") else {
            return Err(wrong("send early media"));
        };
        let mut r = cx.dialog_response(head, 183, "Session Progress", &call.local_tag);
        r.push("Allow", ALLOW)
            .push("User-Agent", cx.config.user_agent.clone());
        r.with_body("application/sdp", sdp);
        cx.send_response(Some(server), &r);
        self.after(now);
        Ok(())
    }
}
