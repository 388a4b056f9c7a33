//! What the user agent tells its driver: events with the K-Link names and payloads,
//! and the call snapshot ([`CallInfo`]) they carry.

use crate::timer::Instant;
use core::fmt;

/// Identifies a call for the lifetime of the user agent (random, never reused).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub String);

impl CallId {
    /// The id as text (what the JavaScript API hands out).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for CallId {
    fn from(s: &str) -> Self {
        CallId(s.to_owned())
    }
}

/// Who started the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallDirection {
    /// The remote party called us.
    Inbound,
    /// We called the remote party.
    Outbound,
}

impl CallDirection {
    /// `"inbound"` or `"outbound"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CallDirection::Inbound => "inbound",
            CallDirection::Outbound => "outbound",
        }
    }
}

/// Where a call is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallState {
    /// Outbound: preparing the offer or INVITE sent, no ringing yet.
    Trying,
    /// Ringing (outbound: 180 received; inbound: waiting for the user to answer).
    Ringing,
    /// Outbound: 183 with SDP, early media flows.
    Early,
    /// Answered, media flows both ways.
    Active,
    /// Answered and on hold (see [`HoldState`] for which side).
    Held,
    /// Answered, but the media path was lost: an ICE restart is under way. Back to
    /// `Active` (or `Held`) when ICE connects again; ended if it does not in time.
    Reconnecting,
    /// Over; see the `SessionEnded` event for the cause.
    Ended,
}

impl CallState {
    /// The snake_case name used by the JavaScript API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CallState::Trying => "trying",
            CallState::Ringing => "ringing",
            CallState::Early => "early",
            CallState::Active => "active",
            CallState::Held => "held",
            CallState::Reconnecting => "reconnecting",
            CallState::Ended => "ended",
        }
    }
}

/// Which side put the call on hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct HoldState {
    /// We put the remote party on hold.
    pub local: bool,
    /// The remote party put us on hold (read from its SDP).
    pub remote: bool,
}

/// Why a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndCause {
    /// We hung up an answered call.
    HangupLocal,
    /// The remote party hung up an answered call.
    HangupRemote,
    /// Declined: we rejected an incoming call, or the callee declined (603, 403).
    Rejected,
    /// The callee was busy (486, 600).
    Busy,
    /// Nobody answered (408, 480, or our own no-answer timeout).
    NoAnswer,
    /// Cancelled before answer, by us or by the caller.
    Cancelled,
    /// Any other failure: network, timeout, media, unexpected response.
    Failed,
    /// Handed over by a transfer: ours succeeded, the new call of a REFER we followed was
    /// answered, or an INVITE with Replaces took its place.
    Transferred,
}

impl EndCause {
    /// The snake_case name used by the JavaScript API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EndCause::HangupLocal => "hangup_local",
            EndCause::HangupRemote => "hangup_remote",
            EndCause::Rejected => "rejected",
            EndCause::Busy => "busy",
            EndCause::NoAnswer => "no_answer",
            EndCause::Cancelled => "cancelled",
            EndCause::Failed => "failed",
            EndCause::Transferred => "transferred",
        }
    }

    /// The cause for a final failure response to our INVITE.
    #[must_use]
    pub fn from_status(status: u16) -> EndCause {
        match status {
            486 | 600 => EndCause::Busy,
            403 | 603 => EndCause::Rejected,
            408 | 480 => EndCause::NoAnswer,
            487 => EndCause::Cancelled,
            _ => EndCause::Failed,
        }
    }
}

/// A snapshot of one call, carried by call events and returned by `Ua::calls`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallInfo {
    /// The call's id.
    pub id: CallId,
    /// Who started it.
    pub direction: CallDirection,
    /// Where it is now.
    pub state: CallState,
    /// The remote user part (the number), e.g. `"1002"`.
    pub remote_number: String,
    /// The remote display name, when the remote party sent one.
    pub remote_name: Option<String>,
    /// When the call was created (command or INVITE received).
    pub started_at: Instant,
    /// When it was answered.
    pub answered_at: Option<Instant>,
    /// When it ended.
    pub ended_at: Option<Instant>,
    /// Whether our microphone is muted.
    pub muted: bool,
    /// Whether the remote audio is silenced here (mute with direction `in`).
    pub muted_in: bool,
    /// Which side holds the call.
    pub held: HoldState,
    /// Our own number: the user part of our address of record (the extension).
    pub local_number: String,
    /// The final SIP status of the call's INVITE: `None` until there is one, 200 once
    /// answered; an ended call's is the status its `SessionEnded` carries.
    pub status: Option<u16>,
    /// The `X-` headers of the call's INVITE (ours outbound; the peer's inbound, with its
    /// P-Asserted-Identity), `Name:value` lines joined by LF: the wrapper splits them.
    pub headers: String,
}

/// What part of the user agent an [`Event::Error`] concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorScope {
    /// The WebSocket connection (gave up reconnecting, no server left).
    Transport,
    /// Registration.
    Registration,
    /// A call.
    Call,
    /// A received message that could not be understood.
    Protocol,
    /// The media layer.
    Media,
}

impl ErrorScope {
    /// The snake_case name used by the JavaScript API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorScope::Transport => "transport",
            ErrorScope::Registration => "registration",
            ErrorScope::Call => "call",
            ErrorScope::Protocol => "protocol",
            ErrorScope::Media => "media",
        }
    }
}

/// Something the application should know about.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The transport to the SIP server is up.
    Connected,
    /// The transport went down (reconnecting follows unless shutting down).
    Disconnected,
    /// Registration state flipped.
    RegisteredChange {
        /// Whether we are now registered.
        registered: bool,
    },
    /// A REGISTER failed with a final response (or a timeout, 408).
    RegistrationFailed {
        /// The SIP status code.
        code: u16,
        /// The reason phrase.
        reason: String,
    },
    /// A call arrived; answer or reject it.
    Incoming(CallInfo),
    /// A session started, as K-Link defines it ("call established / dialing"): an outbound
    /// call when dialling starts (`Ua::call`, state `Trying`), an inbound one when we answer.
    SessionStarted(CallInfo),
    /// A call changed: ringing, early media, the answer of an outbound call (state
    /// `Active`), hold, mute.
    CallUpdated(CallInfo),
    /// A call is over.
    SessionEnded {
        /// Which call.
        call: CallId,
        /// Why.
        cause: EndCause,
        /// The final SIP status of the call: the failure response to the INVITE (sent or
        /// received; 487 for a cancelled one); 200 for an answered call ended by BYE, either
        /// side's; the status of the in-dialog failure that ended an answered call (408, 481).
        /// `None` only when no INVITE went out (the media layer failed first).
        status: Option<u16>,
    },
    /// The remote party sent a DTMF tone by SIP INFO.
    Dtmf {
        /// Which call.
        call: CallId,
        /// The tone: `0-9`, `*`, `#`, `A-D`.
        tone: char,
    },
    /// The peer accepted our REFER (2xx): the transfer is under way.
    TransferAccepted {
        /// The call being transferred.
        call: CallId,
    },
    /// Our transfer failed; the call stays up as it was.
    TransferFailed {
        /// The call we tried to transfer.
        call: CallId,
        /// The SIP status that said so (REFER response or NOTIFY sipfrag), if any.
        status: Option<u16>,
        /// Why, for people.
        reason: String,
    },
    /// The peer asks us (REFER) to call `target`: accept or reject it.
    TransferRequested {
        /// The call the REFER came in.
        call: CallId,
        /// The URI to call (without its headers).
        target: String,
    },
    /// Our hold or unhold was refused (the peer's final response to the re-INVITE, or the
    /// media layer could not make the offer); the call stays as it was.
    HoldFailed {
        /// Which call.
        call: CallId,
        /// What was asked: `true` hold, `false` resume.
        hold: bool,
        /// The peer's SIP status, if the refusal was the peer's.
        status: Option<u16>,
        /// Why, for people.
        reason: String,
    },
    /// The SIP credentials expire soon: fetch new ones and call `Ua::update_credentials`.
    CredentialsExpiring,
    /// A failure that is not tied to a single call end or registration response.
    Error {
        /// What it concerns.
        scope: ErrorScope,
        /// A human-readable explanation.
        detail: String,
    },
    /// Shutdown finished: the transport is closed and nothing is left to do.
    Destroyed,
    /// The answer to an out-of-dialog request of the application: a `Ua::ping` OPTIONS
    /// (the server was reached on this flow) or a `Ua::send_message` MESSAGE (its outcome).
    Pong {
        /// `None` for a ping; for a MESSAGE, the id `send_message` was given.
        id: Option<u16>,
        /// Its status: for a ping any (a 404 or a challenge reached the server just as
        /// well); for a MESSAGE the final one, after any challenge, 408 when none came.
        status: u16,
        /// Milliseconds from the OPTIONS to its answer; 0 for a MESSAGE.
        rtt_ms: u64,
    },
    /// A call's statistics (every `QualityConfig::stats_interval`).
    Stats {
        /// Which call.
        call: CallId,
        /// The numbers.
        stats: crate::quality::Stats,
    },
    /// A call's quality crossed a threshold in most recent samples (see
    /// [`Monitor`](crate::quality::Monitor)).
    QualityWarning {
        /// Which call.
        call: CallId,
        /// What is wrong.
        warning: crate::quality::Warning,
        /// The latest sample's value.
        value: f64,
        /// The threshold it crossed.
        threshold: f64,
    },
    /// The condition of an earlier `QualityWarning` ended.
    QualityWarningCleared {
        /// Which call.
        call: CallId,
        /// Which warning.
        warning: crate::quality::Warning,
    },
    /// A MESSAGE arrived (RFC 3428) and was answered 200.
    Message {
        /// The call whose dialog it came in; `None` out of dialog.
        call: Option<CallId>,
        /// The sender: the user part of its From URI (the number), else the whole URI.
        from: String,
        /// The body.
        text: String,
        /// Its Content-Type as received: `text/plain` or another `text/*`, with parameters.
        content_type: String,
    },
}

impl Event {
    /// The K-Link event name this maps to (`CallUpdated` and `Dtmf` are extensions).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Event::Connected => "connected",
            Event::Disconnected => "disconnected",
            Event::RegisteredChange { .. } => "registeredChange",
            Event::RegistrationFailed { .. } => "registrationFailed",
            Event::Incoming(_) => "incoming",
            Event::SessionStarted(_) => "sessionStarted",
            Event::CallUpdated(_) => "callUpdated",
            Event::SessionEnded { .. } => "sessionEnded",
            Event::Dtmf { .. } => "dtmf",
            Event::HoldFailed { .. } => "holdFailed",
            Event::TransferAccepted { .. } => "transferAccepted",
            Event::TransferFailed { .. } => "transferFailed",
            Event::TransferRequested { .. } => "transferRequested",
            Event::CredentialsExpiring => "credentialsExpiring",
            Event::Error { .. } => "error",
            Event::Destroyed => "destroyed",
            Event::Pong { .. } => "pong",
            Event::Stats { .. } => "stats",
            Event::QualityWarning { .. } => "qualityWarning",
            Event::QualityWarningCleared { .. } => "qualityWarningCleared",
            Event::Message { .. } => "message",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_map_statuses() {
        assert_eq!(EndCause::from_status(486), EndCause::Busy);
        assert_eq!(EndCause::from_status(603), EndCause::Rejected);
        assert_eq!(EndCause::from_status(480), EndCause::NoAnswer);
        assert_eq!(EndCause::from_status(500), EndCause::Failed);
        assert_eq!(EndCause::HangupLocal.as_str(), "hangup_local");
        assert_eq!(
            Event::RegisteredChange { registered: true }.name(),
            "registeredChange"
        );
    }
}
