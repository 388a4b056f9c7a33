//! The user agent's internal consistency, checked from outside by the whole-UA fuzz target
//! and its bounded run in `cargo test`: a state that breaks one of these is a bug even when
//! nothing has panicked yet (a transaction nobody will ever time out, an answered call that
//! could not send its BYE).

use super::Ua;
use crate::transaction::{ClientKind, ClientState, ClientTx, ServerState, ServerTx};

impl Ua {
    /// `Err` names the first broken invariant:
    /// - every transaction that waits for the network has a timer armed (else it lives
    ///   forever): all but a ringing INVITE (RFC 3261 stops Timer B at the first
    ///   provisional response) and a request the user has yet to answer;
    /// - every answered call that has not ended has a dialog (else it cannot hang up).
    #[doc(hidden)]
    pub fn debug_check(&self) -> Result<(), &'static str> {
        let client_waits = |c: &ClientTx| {
            !matches!(
                (c.kind(), c.state()),
                (ClientKind::Invite, ClientState::Proceeding) | (_, ClientState::Terminated)
            )
        };
        if self
            .clients
            .iter()
            .any(|c| client_waits(&c.tx) && c.tx.deadline().is_none())
        {
            return Err("a client transaction waiting for the network has no timer");
        }
        let server_waits = |s: &ServerTx| {
            matches!(
                s.state(),
                ServerState::Accepted | ServerState::Completed | ServerState::Confirmed
            )
        };
        if self
            .servers
            .iter()
            .any(|s| server_waits(&s.tx) && s.tx.deadline().is_none())
        {
            return Err("a server transaction waiting for the network has no timer");
        }
        let dialogless = |c: &&crate::call::Call| {
            c.info.answered_at.is_some() && !c.is_ended() && c.dialog.is_none()
        };
        if self.calls.iter().any(|c| dialogless(&c)) {
            return Err("an answered call has no dialog");
        }
        Ok(())
    }
}
