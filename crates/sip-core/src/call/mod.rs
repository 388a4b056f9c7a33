//! One call as its own state machine: the public [`CallInfo`] (whose state is the call's
//! phase), the offer/answer exchange under way ([`Negotiation`]), the outbound INVITE's
//! progress ([`InviteOut`]), its dialog and timers. Its methods act through a [`Context`]
//! the user agent lends it, one concern per submodule: `uac` (our INVITE, CANCEL, forks),
//! `uas` (the peer's INVITE, our 2xx until its ACK), `reinvite` (hold, refresh, re-offers,
//! glare), `dtmf`, `media` (the media layer's results), `recovery` (ICE restart after a
//! lost media path), `replace` (a new dialog when a reconnect left the route set on a dead
//! flow) and `commands` (the user's). A new
//! in-dialog feature (REFER, session timers) is a submodule of its own, with its timers
//! in [`CallTimer`].

mod commands;
mod context;
mod dtmf;
mod headers;
mod media;
mod quality;
mod recovery;
mod refer;
mod reinvite;
mod replace;
mod session_timer;
mod uac;
mod uas;

pub(crate) use context::Context;
pub(crate) use dtmf::{dtmf_timing, validate_tones, DTMF_DURATION, DTMF_GAP};
pub(crate) use headers::{check as check_headers, received as received_headers, REFUSED};
pub(crate) use recovery::RESTART_FAILED;
pub(crate) use refer::{escape, replaces_tags, Refer};
pub(crate) use uac::invite_sibling;

use crate::dialog::{format_cseq, Dialog};
use crate::error::CommandError;
use crate::events::{
    CallDirection, CallId, CallInfo, CallState, EndCause, ErrorScope, Event, HoldState,
};
use crate::media::{Direction, MediaCommand};
use crate::message::{HeaderName, Message};
use crate::outgoing::Outgoing;
use crate::timer::{Instant, Millis, TimerKind, TimerTable};
use crate::ua::{Owner, Purpose, ALLOW};

/// The timers of one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallTimer {
    /// Inbound: nobody answered in time (480).
    NoAnswer,
    /// Inbound: our 2xx was never ACKed (RFC 3261 §13.3.1.4: end with BYE).
    AckWait,
    /// Inbound: send our 2xx again, the ACK has not come yet (§13.3.1.4).
    Resend2xx,
    /// Outbound: CANCEL sent but the INVITE never got its final response.
    CancelGuard,
    /// 491 Request Pending: retry the re-INVITE after the §14.1 backoff.
    Glare,
    /// DTMF by INFO: send the next tone (after a `,` pause).
    Dtmf,
    /// RFC 4028: we are the refresher and half the session interval has passed.
    SessionRefresh,
    /// RFC 4028 §10: the session expires unrefreshed; end it with BYE.
    SessionExpiry,
    /// Our transfer: no NOTIFY came for 64*T1 since the last one (or the REFER's 2xx).
    Transfer,
    /// Ask the media layer for a quality sample (`call/quality.rs`).
    Sample,
    /// ICE has been `disconnected` for the grace period: restart it.
    IceGrace,
    /// The ICE restart did not bring the media back in time: end the call.
    IceRecovery,
}

impl TimerKind for CallTimer {
    const VALUES: &'static [Self] = &[
        CallTimer::NoAnswer,
        CallTimer::AckWait,
        CallTimer::Resend2xx,
        CallTimer::CancelGuard,
        CallTimer::Glare,
        CallTimer::Dtmf,
        CallTimer::SessionRefresh,
        CallTimer::SessionExpiry,
        CallTimer::Transfer,
        CallTimer::Sample,
        CallTimer::IceGrace,
        CallTimer::IceRecovery,
    ];
    fn index(self) -> usize {
        self as usize
    }
}

/// The offer/answer exchange under way (RFC 3264), one at a time: what the call waits
/// for, from the media layer or from the peer, and what that exchange holds.
#[derive(Clone, Debug)]
pub(crate) enum Negotiation {
    /// Nothing under way.
    Idle,
    /// Outbound: the media layer's offer for the initial INVITE.
    Offer,
    /// Inbound: the media layer's answer for our 200 to the initial INVITE (or, when the
    /// INVITE had no offer, our offer).
    Answer,
    /// Inbound without an offer (RFC 3261 §13.2.1 late offer): our 2xx carried the offer, so
    /// the ACK must carry the answer.
    AnswerInAck,
    /// The media layer's re-offer (hold, unhold, refresh) for a re-INVITE of ours.
    Reoffer,
    /// Our re-INVITE is out, carrying `offer`.
    ReofferSent {
        /// The local offer it carries.
        offer: String,
    },
    /// Our session refresh re-INVITE is out, repeating our description (RFC 4028): its
    /// answer changes nothing.
    Refresh,
    /// The peer's re-INVITE or UPDATE waits for the media layer's answer to its `offer`.
    Reanswer {
        /// The re-INVITE, to answer it.
        head: RequestHead,
        /// Its offer.
        offer: String,
    },
}

impl Negotiation {
    pub(crate) fn is_idle(&self) -> bool {
        matches!(self, Negotiation::Idle)
    }

    /// Ends our re-INVITE's exchange, returning the offer it carried (`None`, and nothing
    /// changes, when no re-INVITE of ours is out).
    pub(crate) fn take_reoffer(&mut self) -> Option<String> {
        if !matches!(self, Negotiation::ReofferSent { .. }) {
            return None;
        }
        match std::mem::replace(self, Negotiation::Idle) {
            Negotiation::ReofferSent { offer } => Some(offer),
            _ => None,
        }
    }
}

/// Outbound: how far the INVITE got, and whether it is being cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InviteOut {
    /// No provisional response yet.
    Calling,
    /// A provisional response came: a CANCEL may go out (RFC 3261 §9.1).
    Proceeding,
    /// Hung up before any provisional response: the CANCEL follows the first one.
    CancelDue,
    /// The CANCEL went out.
    CancelSent,
}

/// An owned copy of what responding to a received request needs.
#[derive(Clone, Debug)]
pub(crate) struct RequestHead {
    pub(crate) method: String,
    pub(crate) vias: Vec<String>,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) call_id: String,
    pub(crate) cseq: u32,
    pub(crate) record_routes: Vec<String>,
    pub(crate) branch: String,
    pub(crate) sent_by: String,
}

impl RequestHead {
    pub(crate) fn of(msg: &Message<'_>) -> RequestHead {
        let top = msg.top_via();
        let sent_by = top.map(|v| sent_by(v.host, v.port)).unwrap_or_default();
        RequestHead {
            method: msg
                .method()
                .map(|m| m.as_str().to_owned())
                .unwrap_or_default(),
            vias: msg.list(HeaderName::Via).map(str::to_owned).collect(),
            from: msg.header(HeaderName::From).unwrap_or_default().to_owned(),
            to: msg.header(HeaderName::To).unwrap_or_default().to_owned(),
            call_id: msg.call_id().to_owned(),
            cseq: msg.cseq().seq,
            record_routes: msg
                .list(HeaderName::RecordRoute)
                .map(str::to_owned)
                .collect(),
            branch: top.and_then(|v| v.branch()).unwrap_or_default().to_owned(),
            sent_by,
        }
    }

    /// A response (RFC 3261 §8.2.6): Via, From, To (+ our tag), Call-ID and CSeq copied.
    pub(crate) fn response(&self, status: u16, reason: &str, to_tag: Option<&str>) -> Outgoing {
        let mut m = Outgoing::response(status, reason);
        for via in &self.vias {
            m.push("Via", via.clone());
        }
        m.push("From", self.from.clone());
        let mut to = self.to.clone();
        if let Some(tag) = to_tag {
            let has_tag = crate::message::NameAddr::parse(&self.to, "To")
                .map(|n| n.tag().is_some())
                .unwrap_or(true);
            if !has_tag {
                to.push_str(";tag=");
                to.push_str(tag);
            }
        }
        m.push("To", to)
            .push("Call-ID", self.call_id.clone())
            .push("CSeq", format_cseq(self.cseq, &self.method));
        m
    }
}

/// `host[:port]` as a Via sent-by.
pub(crate) fn sent_by(host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => {
            let mut s = host.to_owned();
            s.push(':');
            crate::decimal::push(&mut s, u64::from(p));
            s
        }
        None => host.to_owned(),
    }
}

#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) info: CallInfo,
    pub(crate) dialog: Option<Dialog>,
    /// Outbound: the Request-URI we call.
    pub(crate) target: String,
    /// Outbound: our From name-addr, when the application gave this call a display name
    /// (the dialog's requests keep the configured one: the tags identify it).
    pub(crate) from: Option<String>,
    /// Our tag and the Call-ID, fixed when the call is created.
    pub(crate) local_tag: String,
    pub(crate) sip_call_id: String,
    /// Outbound: the INVITE as last sent (CANCEL and failure ACKs are built from it).
    pub(crate) invite: Option<Outgoing>,
    /// Outbound: the ACK for the 2xx, resent when the 2xx is retransmitted.
    pub(crate) ack: Option<String>,
    /// Inbound: the initial INVITE, for the responses we send later.
    pub(crate) uas_invite: Option<RequestHead>,
    pub(crate) negotiation: Negotiation,
    /// Outbound: how far our INVITE got, and its CANCEL.
    pub(crate) invite_out: InviteOut,
    /// RFC 3261 §13.2.1: only the first SDP in responses to the INVITE is the answer.
    pub(crate) answer_applied: bool,
    /// Inbound: the offer of the initial INVITE.
    pub(crate) remote_offer: Option<String>,
    pub(crate) local_sdp: Option<String>,
    pub(crate) remote_sdp: Option<String>,
    pub(crate) local_hold_wanted: bool,
    /// Re-INVITE after a transport reconnect, so the peer learns our new flow.
    pub(crate) refresh_wanted: bool,
    /// The transport reconnected and no in-dialog request has succeeded since: one that
    /// fails as a dead route would moves the call to a new dialog (`replace`).
    pub(crate) flow_changed: bool,
    /// Move the call to a new dialog with an INVITE with Replaces (`replace`).
    pub(crate) move_wanted: bool,
    /// Moves the peer refused as not reachable yet, retried.
    pub(crate) move_tries: u8,
    /// Inbound: hung up before the ACK of our 2xx arrived; BYE once it does.
    pub(crate) bye_after_ack: bool,
    /// Inbound: the wait before the next resend of our 2xx (T1 doubling up to T2).
    pub(crate) resend_interval: Millis,
    /// DTMF by INFO: the tones still to send (validated, so ASCII).
    pub(crate) dtmf_queue: String,
    pub(crate) dtmf_in_flight: bool,
    /// The duration and gap of the queued tones (the latest command's), in ms.
    pub(crate) dtmf_timing: (u32, u32),
    /// DTMF by INFO: the next tone goes out no sooner than this.
    pub(crate) dtmf_next_at: Instant,
    /// RFC 4028 session timer.
    pub(crate) session: session_timer::Session,
    /// Transfers: our REFER, the peer's, and the calls they link.
    pub(crate) refer: Refer,
    /// The quality policy: previous sample and warning history.
    pub(crate) quality: crate::quality::Monitor,
    /// What the media layer last said of ICE.
    pub(crate) ice: recovery::Ice,
    /// An ICE restart is wanted: the next re-offer asks for new ICE credentials.
    pub(crate) ice_restart_wanted: bool,
    /// The re-offer under way asked for an ICE restart.
    pub(crate) ice_restart_offered: bool,
    pub(crate) timers: TimerTable<CallTimer, 12>,
}

impl Call {
    /// A call `id` starting at `now`: outbound `Trying`, inbound `Ringing`, the rest unset.
    pub(crate) fn new(
        id: CallId,
        direction: CallDirection,
        remote_number: String,
        remote_name: Option<String>,
        now: Instant,
        local_number: String,
    ) -> Call {
        let state = match direction {
            CallDirection::Outbound => CallState::Trying,
            CallDirection::Inbound => CallState::Ringing,
        };
        Call {
            info: CallInfo {
                id,
                direction,
                state,
                remote_number,
                remote_name,
                started_at: now,
                answered_at: None,
                ended_at: None,
                muted: false,
                muted_in: false,
                held: HoldState::default(),
                local_number,
                status: None,
                headers: String::new(),
            },
            dialog: None,
            target: String::new(),
            from: None,
            local_tag: String::new(),
            sip_call_id: String::new(),
            invite: None,
            ack: None,
            uas_invite: None,
            negotiation: Negotiation::Idle,
            invite_out: InviteOut::Calling,
            answer_applied: false,
            remote_offer: None,
            local_sdp: None,
            remote_sdp: None,
            local_hold_wanted: false,
            refresh_wanted: false,
            flow_changed: false,
            move_wanted: false,
            move_tries: 0,
            bye_after_ack: false,
            resend_interval: 0,
            dtmf_queue: String::new(),
            dtmf_in_flight: false,
            dtmf_timing: (dtmf::DTMF_DURATION, dtmf::DTMF_GAP),
            dtmf_next_at: Instant(0),
            session: session_timer::Session::default(),
            refer: Refer::default(),
            ice: recovery::Ice::New,
            ice_restart_wanted: false,
            ice_restart_offered: false,
            timers: TimerTable::default(),
            quality: crate::quality::Monitor::default(),
        }
    }

    /// Ended: SessionEnded was emitted; the call is kept only while its INVITE or CANCEL
    /// is alive (a 2xx racing our CANCEL must still be ACKed and BYEd).
    pub(crate) fn is_ended(&self) -> bool {
        self.info.state == CallState::Ended
    }

    /// Outbound: the user hung up before the answer.
    pub(crate) fn cancel_wanted(&self) -> bool {
        matches!(
            self.invite_out,
            InviteOut::CancelDue | InviteOut::CancelSent
        )
    }

    /// Answered and not over: hold, DTMF and re-INVITEs make sense.
    pub(crate) fn is_answered(&self) -> bool {
        matches!(
            self.info.state,
            CallState::Active | CallState::Held | CallState::Reconnecting
        )
    }

    /// Recomputes hold from the last negotiated SDPs: a side holds when its SDP does
    /// not want to receive (`sendonly` or `inactive`). Returns whether anything changed.
    pub(crate) fn update_hold(&mut self) -> bool {
        let before = (self.info.held, self.info.state);
        self.info.held.local = self.local_sdp.as_deref().is_some_and(crate::sdp::is_hold);
        self.info.held.remote = self.remote_sdp.as_deref().is_some_and(crate::sdp::is_hold);
        // While reconnecting the call stays so until ICE connects (`recovery`).
        if self.is_answered() && self.info.state != CallState::Reconnecting {
            self.info.state = if self.info.held.local || self.info.held.remote {
                CallState::Held
            } else {
                CallState::Active
            };
        }
        before != (self.info.held, self.info.state)
    }

    /// Whether the peer can receive RFC 4733 telephone events.
    pub(crate) fn telephone_event(&self) -> bool {
        self.remote_sdp
            .as_deref()
            .is_some_and(|s| !crate::sdp::telephone_events(s).is_empty())
    }

    /// Takes the next queued DTMF tone (a few characters: removing the first is cheap).
    pub(crate) fn next_dtmf(&mut self) -> Option<char> {
        if self.dtmf_queue.is_empty() {
            None
        } else {
            Some(self.dtmf_queue.remove(0))
        }
    }

    /// The direction our next offer must carry.
    pub(crate) fn offer_direction(&self) -> Direction {
        crate::media::hold_direction(self.local_hold_wanted, self.info.held.remote)
    }

    pub(crate) fn wrong_state(&self, command: &'static str) -> CommandError {
        CommandError::WrongState {
            call: self.info.id.0.clone(),
            state: self.info.state.as_str(),
            command,
        }
    }
}

impl Call {
    /// A request in the call's dialog; `body` is SDP for INVITE, else DTMF for INFO.
    /// INVITE and UPDATE carry our session timer.
    pub(crate) fn send_in_dialog(
        &mut self,
        cx: &mut Context<'_>,
        purpose: Purpose,
        method: &str,
        body: Option<String>,
    ) {
        let (_, via) = cx.new_via();
        let Some(dialog) = self.dialog.as_mut() else {
            return;
        };
        let mut m = dialog.next_request(method, via);
        if method == "INVITE" || method == "UPDATE" {
            m.push("Contact", cx.local.contact.clone())
                .push("Allow", ALLOW)
                .push("Supported", "outbound");
            self.push_timer_headers(cx, &mut m);
        }
        m.push("User-Agent", cx.config.user_agent.clone());
        match (method, body) {
            ("INVITE", Some(sdp)) => {
                m.with_body("application/sdp", sdp);
            }
            ("INFO", Some(text)) => {
                m.with_body("application/dtmf-relay", text);
            }
            _ => {}
        }
        cx.send_request(Owner::Call(self.info.id.clone(), purpose), m, 0);
    }

    /// Marks the call ended, closes its media and tells the application (once).
    pub(crate) fn end(&mut self, cx: &mut Context<'_>, cause: EndCause, status: Option<u16>) {
        if self.is_ended() {
            return;
        }
        // Every end has a status once an INVITE went out or came in: 200 for an answered
        // call (ended by BYE), 487 for a cancelled one.
        let status = status.or(if self.info.answered_at.is_some() {
            Some(200)
        } else if cause == EndCause::Cancelled
            && (self.invite.is_some() || self.uas_invite.is_some())
        {
            Some(487)
        } else {
            None
        });
        self.info.state = CallState::Ended;
        self.info.ended_at = Some(cx.now);
        self.info.status = status;
        self.dtmf_queue = String::new();
        // An ended call may stay up to 64*T1 for its INVITE transaction (2xx retransmissions and
        // forks are still ACKed): keep only what that needs, not the session descriptions.
        self.local_sdp = None;
        self.remote_sdp = None;
        self.remote_offer = None;
        // Only the ACK of a late offer still matters (its answer is applied, or its absence
        // reported); every other exchange ended with the call.
        if !matches!(self.negotiation, Negotiation::AnswerInAck) {
            self.negotiation = Negotiation::Idle;
        }
        if let Some(invite) = self.invite.as_mut() {
            invite.body = None;
            if self.dialog.as_ref().is_some_and(|d| d.confirmed) {
                // Answered: no CANCEL can follow; a late 2xx only needs the INVITE's CSeq,
                // and its ACK is built again from the dialog.
                invite.headers.retain(|(name, _)| *name == "CSeq");
                self.ack = None;
            }
        }
        // Only the links a new call reports through outlive the call.
        self.refer.out = None;
        self.refer.asked = None;
        self.refer.handed_to = None;
        self.refer.ended = Some((cause, status));
        for t in [
            CallTimer::NoAnswer,
            CallTimer::Glare,
            CallTimer::Dtmf,
            CallTimer::SessionRefresh,
            CallTimer::SessionExpiry,
            CallTimer::Transfer,
            CallTimer::Sample,
            CallTimer::IceGrace,
            CallTimer::IceRecovery,
        ] {
            self.timers.stop(t);
        }
        if !self.bye_after_ack {
            self.timers.stop(CallTimer::AckWait);
            self.timers.stop(CallTimer::Resend2xx);
        }
        cx.media(&self.info.id, MediaCommand::Close);
        cx.emit(Event::SessionEnded {
            call: self.info.id.clone(),
            cause,
            status,
        });
    }

    /// Ends the call whatever its state: BYE once answered (after the ACK of our 2xx),
    /// CANCEL before (once a provisional response came), 480 when ringing in.
    pub(crate) fn hangup(&mut self, cx: &mut Context<'_>) {
        if self.is_answered() {
            if self.timers.is_set(CallTimer::AckWait) {
                // §15: no BYE before the ACK of our 2xx; it follows the ACK.
                self.bye_after_ack = true;
            } else {
                self.send_in_dialog(cx, Purpose::Bye, "BYE", None);
            }
            self.end(cx, EndCause::HangupLocal, None);
            return;
        }
        match self.info.direction {
            CallDirection::Inbound => self.reject(cx, 480, EndCause::Rejected),
            CallDirection::Outbound => {
                if !matches!(self.negotiation, Negotiation::Offer) {
                    match self.invite_out {
                        InviteOut::Proceeding => self.send_cancel(cx),
                        // RFC 3261 §9.1: a CANCEL waits for a provisional response.
                        InviteOut::Calling => self.invite_out = InviteOut::CancelDue,
                        InviteOut::CancelDue | InviteOut::CancelSent => {}
                    }
                }
                self.end(cx, EndCause::Cancelled, None);
            }
        }
    }

    /// A request of the call, sent for `purpose`, got no answer (Timer B or F).
    pub(crate) fn on_request_timeout(&mut self, cx: &mut Context<'_>, purpose: Purpose) {
        if self.is_ended() {
            return;
        }
        match purpose {
            Purpose::Invite => self.end(cx, EndCause::Failed, Some(408)),
            Purpose::Replace => self.on_move_response(cx, None, 408),
            Purpose::ReInvite => {
                self.negotiation.take_reoffer();
                cx.media(&self.info.id, MediaCommand::Rollback);
                if self.flow_failed(cx, 408) {
                    return;
                }
                if self.ice_restart_offered {
                    self.recovery_failed(cx, Some(408), RESTART_FAILED);
                } else {
                    self.dialog_failed(cx, 408);
                }
            }
            Purpose::Info => {
                self.dtmf_in_flight = false;
                self.dialog_failed(cx, 408);
            }
            Purpose::Refresh => self.refresh_lost(cx, 408),
            Purpose::Refer => self.on_refer_response(cx, 408, "Request Timeout"),
            Purpose::Bye | Purpose::Cancel | Purpose::Notify => {}
        }
    }

    /// One of the call's timers fired.
    pub(crate) fn on_timer(&mut self, cx: &mut Context<'_>, timer: CallTimer) {
        match timer {
            CallTimer::NoAnswer => {
                if !self.is_ended() && self.info.state == CallState::Ringing {
                    self.reject(cx, 480, EndCause::NoAnswer);
                }
            }
            CallTimer::AckWait => {
                // §13.3.1.4: no ACK for our 2xx; the session is terminated with BYE.
                let ended = self.is_ended();
                self.send_in_dialog(cx, Purpose::Bye, "BYE", None);
                self.bye_after_ack = false;
                self.timers.stop(CallTimer::Resend2xx);
                if !ended {
                    self.end(cx, EndCause::Failed, Some(408));
                    let detail = String::from(
                        "no ACK for our 200 OK within 64*T1 (32 s): the call was ended with BYE",
                    );
                    cx.emit(Event::Error {
                        scope: ErrorScope::Call,
                        detail,
                    });
                }
            }
            CallTimer::Resend2xx => self.resend_2xx(cx),
            CallTimer::CancelGuard => {
                // §9.1: no final answer to the cancelled INVITE; give up on it.
                for c in cx.clients.iter_mut() {
                    if matches!(&c.owner, Owner::Call(cid, Purpose::Invite) if cid == &self.info.id)
                    {
                        c.tx.terminate();
                    }
                }
            }
            CallTimer::Glare => self.maybe_reoffer(cx),
            CallTimer::Dtmf => self.send_next_dtmf(cx),
            CallTimer::SessionRefresh => self.refresh_session(cx),
            CallTimer::SessionExpiry => self.session_expired(cx),
            CallTimer::Transfer => {
                if self.refer.is_out() {
                    self.transfer_failed(cx, None, "no NOTIFY of the transfer within 32 s");
                }
            }
            CallTimer::Sample => self.on_sample_timer(cx),
            CallTimer::IceGrace => self.restart_ice(cx),
            CallTimer::IceRecovery => {
                self.recovery_failed(cx, None, "media lost: no ICE within mediaRecoveryTimeoutMs")
            }
        }
    }

    /// RFC 3261 §12.2.1.2: a 408 or 481 to an in-dialog request ends the dialog.
    pub(crate) fn dialog_failed(&mut self, cx: &mut Context<'_>, status: u16) {
        if status != 481 {
            self.send_in_dialog(cx, Purpose::Bye, "BYE", None);
        }
        self.end(cx, EndCause::Failed, Some(status));
    }
}

/// The error event for a request of a call the peer refused: `what` and the status.
pub(crate) fn refused(what: &str, status: u16) -> Event {
    let mut detail = String::from(what);
    crate::decimal::push(&mut detail, u64::from(status));
    Event::Error {
        scope: ErrorScope::Call,
        detail,
    }
}
