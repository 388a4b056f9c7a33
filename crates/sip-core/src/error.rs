//! Errors returned to the caller of a user command (misuse, not network failure).

use thiserror::Error;

/// Why a user command was refused. Network and peer failures are events, not errors.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CommandError {
    /// No call has that id (it may have ended).
    #[error("no call with id {0}")]
    UnknownCall(String),
    /// The call is not in a state that allows this command.
    #[error("call {call} is {state}: cannot {command}")]
    WrongState {
        /// Which call.
        call: String,
        /// Its state.
        state: &'static str,
        /// The refused command.
        command: &'static str,
    },
    /// The DTMF string contains a character outside `0-9 * # A-D ,`.
    #[error("invalid DTMF tone {0:?}: use 0-9, *, #, A-D and ',' for a pause")]
    InvalidTone(char),
    /// The DTMF string is empty.
    #[error("no DTMF tones given")]
    NoTones,
    /// The call target is empty or contains characters that cannot go in a SIP URI.
    #[error("invalid call target {0:?}: use a number or a sip: URI")]
    InvalidTarget(String),
    /// A rejection status outside 300..=699.
    #[error("invalid rejection status {0}: use 300-699 (486 Busy Here, 603 Decline)")]
    InvalidStatus(u16),
    /// The transport is not connected.
    #[error("not connected to the SIP server")]
    NotConnected,
    /// The user agent is shutting down or destroyed.
    #[error("the user agent is shut down")]
    ShutDown,
}
