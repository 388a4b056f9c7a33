//! The user's call commands, and the routing of received requests, media results,
//! responses and timers to the call they belong to: each looks the call up once and lends
//! it a [`Context`](crate::call::Context); what a call does lives in [`crate::call`].

use super::{cseq_of, BusyPolicy, Owner, Purpose, Ua};
use crate::call::{
    check_headers, dtmf_timing, validate_tones, Call, Negotiation, Refer, RequestHead,
    DTMF_DURATION, DTMF_GAP, REFUSED,
};
use crate::error::CommandError;
use crate::events::{CallDirection, CallId, EndCause, ErrorScope, Event};
use crate::media::{MediaCommand, MediaResult};
use crate::message::{Message, SipUri};
use crate::outgoing::Outgoing;
use crate::timer::Instant;

/// A user command on one call, for [`Ua::command`]: one body for all of them keeps one
/// look-up and one error path in the wasm.
enum Command {
    Answer,
    Reject(u16),
    Hangup,
    /// Hold (or not), and the command's name for the error.
    Hold(bool, &'static str),
    /// Mute (or not), and which ways: our microphone, the remote audio.
    Mute(bool, bool, bool),
    /// Tones, and each tone's duration and the gap after it.
    Dtmf(String, (u32, u32)),
}

/// Which audio [`Ua::mute_with`] silences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MuteDirection {
    /// Our microphone: the peer hears silence (what `mute` does).
    Out,
    /// The remote audio, here only: we hear silence, the peer notices nothing.
    In,
    /// Both.
    All,
}

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
        self.call_with(now, target, "", "")
    }

    /// [`Ua::call`] with a From `display_name` (empty: the configured one) and `headers`
    /// for the INVITE: `Name:value` lines joined by LF, names `X-` tokens, values without
    /// control characters but tab (at most 16, values 1024 bytes); the display name at most
    /// 128 bytes, without `"`, `\` or control characters. Anything else is
    /// [`CommandError::InvalidArgument`] and nothing is sent.
    pub fn call_with(
        &mut self,
        now: Instant,
        target: &str,
        display_name: &str,
        headers: &str,
    ) -> Result<CallId, CommandError> {
        if !check_headers(display_name, headers) {
            return Err(REFUSED);
        }
        self.check_live()?;
        let (uri, number) = target_uri(target, &self.local.domain)?;
        Ok(self.dial(now, uri, number, Refer::default(), display_name, headers))
    }

    /// A new request of the application can go out: not shutting down, and connected.
    pub(crate) fn check_live(&self) -> Result<(), CommandError> {
        if self.shutting_down {
            return Err(CommandError::ShutDown);
        }
        if !self.is_connected() {
            return Err(CommandError::NotConnected);
        }
        Ok(())
    }

    /// Places a call to the Request-URI `uri` (`number` is what the application sees), with
    /// the transfer links of `refer`, and the From `display_name` and `X-` headers that
    /// [`check_headers`] passed (empty: none).
    pub(crate) fn dial(
        &mut self,
        now: Instant,
        uri: String,
        number: String,
        refer: Refer,
        display_name: &str,
        headers: &str,
    ) -> CallId {
        let id = CallId(self.rng.token(16));
        let mut call = Call::new(
            id.clone(),
            CallDirection::Outbound,
            number,
            None,
            now,
            self.local.user.clone(),
        );
        call.target = uri;
        let local = &self.local;
        call.from = (!display_name.is_empty())
            .then(|| super::name_addr(display_name, &local.user, &local.domain));
        call.info.headers = headers.to_owned();
        call.refer = refer;
        call.local_tag = self.rng.tag();
        call.sip_call_id = self.rng.call_id();
        call.negotiation = Negotiation::Offer;
        let info = call.info.clone();
        self.calls.push(call);
        // The media layer is asked first: a listener that hangs up at once then finds the
        // offer already requested, and its Close follows it.
        self.media(&id, MediaCommand::CreateOffer);
        self.emit(Event::SessionStarted(info));
        id
    }

    /// Answers an incoming call: asks the media layer for the answer, then sends 200.
    pub fn answer(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        self.command(now, id, Command::Answer)
    }

    /// Rejects an incoming call with 486 Busy Here.
    pub fn reject(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        self.reject_with(now, id, 486)
    }

    /// Rejects an incoming call with `status` (486 Busy Here, 603 Decline, ...).
    pub fn reject_with(
        &mut self,
        now: Instant,
        id: &CallId,
        status: u16,
    ) -> Result<(), CommandError> {
        if !(300..=699).contains(&status) {
            return Err(CommandError::InvalidStatus(status));
        }
        self.command(now, id, Command::Reject(status))
    }

    /// Ends a call whatever its state: CANCEL before answer, BYE after, reject if inbound ringing.
    pub fn hangup(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        self.command(now, id, Command::Hangup)
    }

    /// Puts the call on hold (re-INVITE with `sendonly`, or `inactive` if the peer holds too).
    pub fn hold(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        self.command(now, id, Command::Hold(true, "hold"))
    }

    /// Takes the call off hold (re-INVITE with `sendrecv`).
    pub fn unhold(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        self.command(now, id, Command::Hold(false, "unhold"))
    }

    /// Mutes our microphone (no signalling: the media layer disables the track).
    pub fn mute(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        self.mute_with(now, id, true, MuteDirection::Out)
    }

    /// Unmutes our microphone.
    pub fn unmute(&mut self, now: Instant, id: &CallId) -> Result<(), CommandError> {
        self.mute_with(now, id, false, MuteDirection::Out)
    }

    /// Mutes (or unmutes) our microphone, the remote audio, or both; no signalling.
    pub fn mute_with(
        &mut self,
        now: Instant,
        id: &CallId,
        muted: bool,
        direction: MuteDirection,
    ) -> Result<(), CommandError> {
        let out = direction != MuteDirection::In;
        let inbound = direction != MuteDirection::Out;
        self.command(now, id, Command::Mute(muted, out, inbound))
    }

    /// Sends DTMF `tones` (`0-9 * # A-D`, `,` = 2 s pause): RFC 4733 through the media
    /// layer when the peer offered telephone-event, else one SIP INFO per tone.
    pub fn dtmf(&mut self, now: Instant, id: &CallId, tones: &str) -> Result<(), CommandError> {
        self.dtmf_with(now, id, tones, DTMF_DURATION, DTMF_GAP)
    }

    /// [`Ua::dtmf`] with each tone lasting `duration` ms (40 to 6000) and `gap` ms of
    /// silence after it (30 to 6000; values outside are clamped). By INFO each tone's
    /// `Duration` says it, and the next INFO goes out `duration + gap` after the last.
    pub fn dtmf_with(
        &mut self,
        now: Instant,
        id: &CallId,
        tones: &str,
        duration: u32,
        gap: u32,
    ) -> Result<(), CommandError> {
        let tones = validate_tones(tones)?;
        self.command(now, id, Command::Dtmf(tones, dtmf_timing(duration, gap)))
    }

    /// A user command on the live call `id`: one look-up, the call acts, then housekeeping.
    fn command(&mut self, now: Instant, id: &CallId, command: Command) -> Result<(), CommandError> {
        let (call, mut cx) = self.live_call(now, id)?;
        match command {
            Command::Answer => call.answer(&mut cx)?,
            Command::Reject(status) => {
                if call.info.direction != CallDirection::Inbound || call.is_answered() {
                    return Err(call.wrong_state("reject"));
                }
                call.reject(&mut cx, status, EndCause::Rejected);
            }
            Command::Hangup => call.hangup(&mut cx),
            Command::Hold(hold, name) => call.set_hold(&mut cx, hold, name)?,
            Command::Mute(muted, out, inbound) => call.set_muted(&mut cx, muted, out, inbound),
            Command::Dtmf(tones, timing) => call.send_dtmf(&mut cx, tones, timing)?,
        }
        self.after(now);
        Ok(())
    }

    /// A media result for the call `id`: see [`Call::on_media`].
    pub(crate) fn on_media(&mut self, now: Instant, id: &CallId, result: MediaResult) {
        if let Some((call, mut cx)) = self.call_context(now, id) {
            call.on_media(&mut cx, result);
        }
    }

    /// A response `msg` to the call's `request` (sent for `purpose`, after `attempts`
    /// challenges), matched to its client transaction.
    pub(crate) fn on_call_response(
        &mut self,
        now: Instant,
        msg: &Message<'_>,
        id: &CallId,
        purpose: Purpose,
        request: Outgoing,
        attempts: u8,
    ) {
        // Only responses reach here, so there is a status.
        let status = msg.status().unwrap_or_default();
        let cseq = cseq_of(&request);
        let call = self.call_index(id).and_then(|i| self.calls.get(i));
        // A challenge is answered by the user agent, which holds the credentials; what the
        // call must be for that to make sense:
        let may_authenticate = match purpose {
            Purpose::Invite => match call {
                // Only answers to the INVITE as last sent count (not the challenged one).
                Some(c) if c.invite.as_ref().map(cseq_of) == Some(cseq) => {
                    !c.is_ended() && !c.cancel_wanted()
                }
                _ => return,
            },
            Purpose::ReInvite | Purpose::Replace => call.is_some(),
            Purpose::Info
            | Purpose::Refresh
            | Purpose::Bye
            | Purpose::Cancel
            | Purpose::Refer
            | Purpose::Notify => true,
        };
        if (status == 401 || status == 407)
            && may_authenticate
            && self.authenticate(
                now,
                msg,
                Owner::Call(id.clone(), purpose),
                request,
                attempts,
            )
        {
            return;
        }
        let Some((call, mut cx)) = self.call_context(now, id) else {
            return;
        };
        match purpose {
            Purpose::Invite => call.on_invite_response(&mut cx, msg, status),
            Purpose::Replace => call.on_move_response(&mut cx, Some(msg), status),
            Purpose::ReInvite => call.on_reinvite_response(&mut cx, msg, status, cseq),
            Purpose::Info => call.on_info_response(&mut cx, status),
            Purpose::Refresh => call.on_refresh_response(&mut cx, msg, status, cseq),
            Purpose::Refer => {
                call.on_refer_response(&mut cx, status, msg.reason().unwrap_or_default())
            }
            Purpose::Bye | Purpose::Cancel | Purpose::Notify => {}
        }
    }

    /// A request of the call `id`, sent for `purpose`, got no answer: see [`Call::on_request_timeout`].
    pub(crate) fn on_call_request_timeout(&mut self, now: Instant, id: &CallId, purpose: Purpose) {
        if let Some((call, mut cx)) = self.call_context(now, id) {
            call.on_request_timeout(&mut cx, purpose);
        }
    }

    // ----- inbound INVITE and the routing to calls --------------------------------

    /// A dialog-creating INVITE: refused while shutting down or when it is one we already
    /// hold, else it may become a call: see [`Call::inbound`].
    pub(crate) fn on_initial_invite(
        &mut self,
        now: Instant,
        msg: &Message<'_>,
        head: RequestHead,
        server: usize,
    ) {
        if self.shutting_down {
            self.respond_tagged(now, &head, None, 503, "Service Unavailable");
            return;
        }
        // §8.2.2.2: an INVITE we already hold (same From tag, Call-ID and CSeq) that missed its
        // transaction (another branch: a fork looping back, or a copy outliving Timer L) is
        // not a second call.
        let from_tag = msg.from().tag().unwrap_or_default();
        let merged = self.calls.iter().any(|c| {
            c.uas_invite
                .as_ref()
                .is_some_and(|h| h.call_id == head.call_id && h.cseq == head.cseq)
                && c.dialog.as_ref().is_some_and(|d| d.remote_tag == from_tag)
        });
        if merged {
            self.respond_tagged(now, &head, Some(server), 482, "Loop Detected");
            return;
        }
        let replacing = match msg.header(crate::message::HeaderName::Replaces) {
            None => None,
            Some(value) => match self.replaced_call(value) {
                Ok(id) => Some(id),
                Err((status, reason)) => {
                    self.respond_tagged(now, &head, Some(server), status, reason);
                    return;
                }
            },
        };
        // Busy: any call not over, whatever its direction or state.
        // A replacing INVITE takes a call's place: it never finds us busy.
        if self.config.incoming_while_busy == BusyPolicy::Reject
            && replacing.is_none()
            && self.calls.iter().any(|c| !c.is_ended())
        {
            self.respond_tagged(now, &head, Some(server), 486, "Busy Here");
            let mut detail = String::from("busy: refused a call from ");
            detail.push_str(msg.from().uri);
            detail.push_str(" with 486");
            self.emit(Event::Error {
                scope: ErrorScope::Call,
                detail,
            });
            return;
        }
        let mut cx = self.context(now);
        if let Some(mut call) = Call::inbound(&mut cx, msg, head, server) {
            if replacing.is_some() {
                // RFC 3891 §3: the replacing call is answered without asking the user.
                call.refer.replacing = replacing;
                let _ = call.answer(&mut cx);
            }
            self.calls.push(call);
        }
    }

    /// After a reconnect: re-INVITE every answered call so the peer routes to our new flow
    /// (a call whose route set names the old flow then moves, `call/replace.rs`).
    pub(crate) fn refresh_calls(&mut self, now: Instant) {
        for i in 0..self.calls.len() {
            if let Some((c, mut cx)) = self.call_at(now, i) {
                if !c.is_ended() && c.is_answered() && c.dialog.is_some() {
                    c.refresh_wanted = true;
                    c.flow_changed = true;
                    c.maybe_reoffer(&mut cx);
                }
            }
        }
    }

    /// After a network change: ICE restart of the calls whose media path is down (see
    /// [`Call::network_changed`]).
    pub(crate) fn restart_lost_media(&mut self, now: Instant) {
        for i in 0..self.calls.len() {
            if let Some((call, mut cx)) = self.call_at(now, i) {
                call.network_changed(&mut cx);
            }
        }
    }
}

/// The Request-URI and the number shown for a dial string: a number or user dialled in
/// `domain`, `user@host`, or a `sip:`/`sips:` URI. Refuses anything that could break
/// the request line or a header.
pub(crate) fn target_uri(target: &str, domain: &str) -> Result<(String, String), CommandError> {
    let t = target.trim();
    let invalid = || CommandError::InvalidTarget(target.to_owned());
    if t.is_empty()
        || t.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'))
    {
        return Err(invalid());
    }
    let has_scheme = |scheme: &str| {
        t.get(..scheme.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
    };
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
                c if c.is_ascii_alphanumeric()
                    || matches!(c, '+' | '*' | '.' | '-' | '_' | '!' | '~') =>
                {
                    u.push(c)
                }
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
        assert_eq!(
            target_uri("1002", "d.example"),
            Ok(("sip:1002@d.example".into(), "1002".into()))
        );
        assert_eq!(
            target_uri(" *97# ", "d").map(|(u, _)| u),
            Ok("sip:*97%23@d".into())
        );
        assert_eq!(
            target_uri("sip:bob@x.example;transport=ws", "d").map(|(_, n)| n),
            Ok("bob".into())
        );
        assert_eq!(
            target_uri("bob@x.example", "d").map(|(u, _)| u),
            Ok("sip:bob@x.example".into())
        );
        assert!(target_uri("10 02", "d").is_err());
        assert!(target_uri("1002\r\nVia: x", "d").is_err());
        assert!(target_uri("", "d").is_err());
        assert!(target_uri("sip:", "d").is_err());
    }
}
