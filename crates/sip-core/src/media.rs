//! The contract with the media layer (the browser's `RTCPeerConnection`): what the core
//! asks for ([`MediaCommand`]) and what the media layer reports back ([`MediaResult`]).
//!
//! The media layer owns SDP generation. The core asks for an offer before an INVITE or
//! re-INVITE and waits for [`MediaResult::LocalOffer`]; it asks for an answer to every
//! remote offer (initial or re-INVITE) and waits for [`MediaResult::LocalAnswer`]. Hold is
//! a renegotiation: [`MediaCommand::CreateReoffer`] carries the direction the new local
//! offer must have, so the browser's state always matches what was signalled; a re-offer
//! that the peer refuses (491 glare, 488, timeout) is undone with [`MediaCommand::Rollback`].

pub use crate::sdp::Direction;

/// The direction of a local offer from who holds: we hold → `sendonly`, both hold →
/// `inactive`, otherwise `sendrecv` (the peer's answer keeps its own hold).
#[must_use]
pub fn hold_direction(local_hold: bool, remote_hold: bool) -> Direction {
    match (local_hold, remote_hold) {
        (true, true) => Direction::Inactive,
        (true, false) => Direction::SendOnly,
        (false, _) => Direction::SendRecv,
    }
}

/// What the core asks the media layer to do for one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaCommand {
    /// Create the local offer for a new outgoing call; reply [`MediaResult::LocalOffer`].
    CreateOffer,
    /// Apply the remote offer and create an answer; reply [`MediaResult::LocalAnswer`].
    /// Used for the initial INVITE and for every re-INVITE from the peer.
    ///
    /// An answer that rejects every audio stream (no codec of
    /// [`AUDIO_CODECS`](crate::sdp::AUDIO_CODECS) left, see
    /// [`has_usable_audio`](crate::sdp::has_usable_audio)) is reported but never sent: the
    /// core refuses the offer with 488. So the media layer must not apply it; it rolls the
    /// remote offer back and keeps the session it had (a refused re-INVITE changes nothing).
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
    /// unhold, a refresh after reconnect, an ICE restart); reply [`MediaResult::LocalOffer`].
    CreateReoffer {
        /// The direction to offer.
        direction: Direction,
        /// Offer new ICE credentials (`createOffer({iceRestart: true})`): the media path
        /// was lost and is searched for again.
        ice_restart: bool,
        /// Offer from a new connection (same configuration, same local track, mute and
        /// hold) instead of the call's: a move to a new dialog, which the peer answers with
        /// a new session whose DTLS handshake an established connection completes only on
        /// a retransmission, about 3 s later (decision 0007). Applying the answer makes it
        /// the call's connection and closes the old one; [`MediaCommand::Rollback`] closes it.
        fresh: bool,
    },
    /// Undo the last local offer: the peer refused it (RTCPeerConnection rollback).
    Rollback,
    /// Send RFC 4733 telephone events (`,` is a 2 s pause, as in `RTCDTMFSender`).
    InsertDtmf {
        /// Tones `0-9 * # A-D ,`.
        tones: String,
        /// How long each tone lasts, in ms (40 to 6000).
        duration: u32,
        /// The silence between two tones, in ms (30 to 6000).
        gap: u32,
    },
    /// Mute or unmute the microphone track.
    SetMuted(bool),
    /// Silence (or not) the remote audio here: the receiver's track is disabled, the peer
    /// notices nothing.
    SetMutedIn(bool),
    /// The call is over: close the peer connection and release the tracks.
    Close,
    /// Read the connection's statistics; reply [`MediaResult::Stats`], or nothing when
    /// they cannot be read (no connection yet, closed): a sample is never a failure.
    GetStats,
}

/// What the media layer reports for one call.
#[derive(Clone, Debug, PartialEq)]
pub enum MediaResult {
    /// The local offer is ready (after [`MediaCommand::CreateOffer`] or `CreateReoffer`).
    LocalOffer(String),
    /// The local answer is ready (after [`MediaCommand::CreateAnswer`]).
    LocalAnswer(String),
    /// The remote answer was applied.
    RemoteApplied,
    /// The last media command failed.
    Failed(String),
    /// ICE connected (again): media flows. Reported on every change to `connected`.
    IceConnected,
    /// ICE disconnected: the media path stopped answering, and may come back by itself.
    IceDisconnected,
    /// ICE failed: no media path.
    IceFailed,
    /// The statistics asked for by [`MediaCommand::GetStats`].
    Stats(crate::quality::Sample),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_directions() {
        assert_eq!(hold_direction(true, false), Direction::SendOnly);
        assert_eq!(hold_direction(true, true), Direction::Inactive);
        assert_eq!(hold_direction(false, true), Direction::SendRecv);
    }
}
