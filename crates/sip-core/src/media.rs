//! The contract with the media layer (the browser's `RTCPeerConnection`): what the core
//! asks for ([`MediaCommand`]) and what the media layer reports back ([`MediaResult`]).
//!
//! The media layer owns SDP generation. The core asks for an offer before an INVITE or
//! re-INVITE and waits for [`MediaResult::LocalOffer`]; it asks for an answer to every
//! remote offer (initial or re-INVITE) and waits for [`MediaResult::LocalAnswer`]. Hold is
//! a renegotiation: [`MediaCommand::CreateReoffer`] carries the direction the new local
//! offer must have, so the browser's state always matches what was signalled; a re-offer
//! that the peer refuses (491 glare, 488, timeout) is undone with [`MediaCommand::Rollback`].

/// An SDP media direction attribute (RFC 3264 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaDirection {
    /// `a=sendrecv` (also the default when absent).
    SendRecv,
    /// `a=sendonly`: we put the peer on hold.
    SendOnly,
    /// `a=recvonly`: answer to a peer's hold.
    RecvOnly,
    /// `a=inactive`: both sides hold.
    Inactive,
}

impl MediaDirection {
    /// The attribute name, e.g. `"sendonly"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            MediaDirection::SendRecv => "sendrecv",
            MediaDirection::SendOnly => "sendonly",
            MediaDirection::RecvOnly => "recvonly",
            MediaDirection::Inactive => "inactive",
        }
    }

    /// Parses an attribute name.
    #[must_use]
    pub fn parse(s: &str) -> Option<MediaDirection> {
        match s {
            "sendrecv" => Some(MediaDirection::SendRecv),
            "sendonly" => Some(MediaDirection::SendOnly),
            "recvonly" => Some(MediaDirection::RecvOnly),
            "inactive" => Some(MediaDirection::Inactive),
            _ => None,
        }
    }

    /// The direction of a local offer: what we hold and what the peer holds.
    #[must_use]
    pub fn for_hold(local_hold: bool, remote_hold: bool) -> MediaDirection {
        match (local_hold, remote_hold) {
            (true, true) => MediaDirection::Inactive,
            (true, false) => MediaDirection::SendOnly,
            (false, _) => MediaDirection::SendRecv,
        }
    }

    /// Whether the peer that wrote this direction does not want to receive from us: hold.
    #[must_use]
    pub fn is_hold(self) -> bool {
        matches!(self, MediaDirection::SendOnly | MediaDirection::Inactive)
    }
}

/// What the core asks the media layer to do for one call.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaCommand {
    /// Create the local offer for a new outgoing call; reply [`MediaResult::LocalOffer`].
    CreateOffer,
    /// Apply the remote offer and create an answer; reply [`MediaResult::LocalAnswer`].
    /// Used for the initial INVITE and for every re-INVITE from the peer.
    CreateAnswer {
        /// The peer's offer.
        remote_sdp: String,
    },
    /// Apply the peer's answer to our last offer (early media or 2xx); reply
    /// [`MediaResult::RemoteApplied`] or [`MediaResult::Failed`].
    ApplyAnswer {
        /// The peer's answer.
        remote_sdp: String,
    },
    /// Renegotiate with a new local offer whose audio direction is `direction` (hold,
    /// unhold, or a refresh after reconnect); reply [`MediaResult::LocalOffer`].
    CreateReoffer {
        /// The direction to offer.
        direction: MediaDirection,
    },
    /// Undo the last local offer: the peer refused it (RTCPeerConnection rollback).
    Rollback,
    /// Send RFC 4733 telephone events (`,` is a 2 s pause, as in `RTCDTMFSender`).
    InsertDtmf {
        /// Tones `0-9 * # A-D ,`.
        tones: String,
    },
    /// Mute or unmute the microphone track.
    SetMuted(bool),
    /// The call is over: close the peer connection and release the tracks.
    Close,
}

/// What the media layer reports for one call.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaResult {
    /// The local offer is ready (after [`MediaCommand::CreateOffer`] or `CreateReoffer`).
    LocalOffer(String),
    /// The local answer is ready (after [`MediaCommand::CreateAnswer`]).
    LocalAnswer(String),
    /// The remote answer was applied.
    RemoteApplied,
    /// The last media command failed.
    Failed(String),
    /// ICE connected: media flows.
    IceConnected,
    /// ICE failed: no media path.
    IceFailed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_directions() {
        assert_eq!(MediaDirection::for_hold(true, false), MediaDirection::SendOnly);
        assert_eq!(MediaDirection::for_hold(true, true), MediaDirection::Inactive);
        assert_eq!(MediaDirection::for_hold(false, true), MediaDirection::SendRecv);
        assert!(MediaDirection::parse("inactive").is_some_and(MediaDirection::is_hold));
        assert!(!MediaDirection::RecvOnly.is_hold());
    }
}
