//! Client transactions: the INVITE machine (§17.1.1 with RFC 6026) and the non-INVITE one (§17.1.2).

use super::{Expiry, TxTimer, TxTimers, Verdict};
use crate::timer::Instant;

/// Which client machine runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientKind {
    /// INVITE: can be answered by several 2xx (forking) and needs an ACK.
    Invite,
    /// Every other method except ACK (which has no transaction).
    NonInvite,
}

/// The state of a client transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientState {
    /// INVITE sent, nothing back yet.
    Calling,
    /// Non-INVITE sent, nothing back yet.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// INVITE answered by a 2xx: further 2xx (forks) still go to the dialog layer.
    Accepted,
    /// A final response arrived; retransmissions are absorbed.
    Completed,
    /// Over.
    Terminated,
}

/// One client transaction: its branch, its method and its state.
#[derive(Clone, Debug)]
pub struct ClientTx {
    /// The Via branch of the request (the key, with the method).
    pub branch: String,
    /// The CSeq method of the request.
    pub method: String,
    /// The request text, kept to resend it after a transport reconnect.
    pub request: String,
    /// The ACK sent for a failure response to an INVITE, resent on retransmitted finals.
    pub ack: Option<String>,
    kind: ClientKind,
    state: ClientState,
    timers: TxTimers,
}

impl ClientTx {
    /// A transaction that has just sent `request`.
    #[must_use]
    pub fn new(now: Instant, branch: String, method: &str, request: String) -> ClientTx {
        let kind = if method == "INVITE" {
            ClientKind::Invite
        } else {
            ClientKind::NonInvite
        };
        let mut timers = TxTimers::default();
        let state = match kind {
            ClientKind::Invite => {
                timers.set(TxTimer::B, TxTimer::B.from_now(now));
                ClientState::Calling
            }
            ClientKind::NonInvite => {
                timers.set(TxTimer::F, TxTimer::F.from_now(now));
                ClientState::Trying
            }
        };
        ClientTx {
            branch,
            method: method.to_owned(),
            request,
            ack: None,
            kind,
            state,
            timers,
        }
    }

    /// The current state.
    #[must_use]
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// Which machine this is.
    #[must_use]
    pub fn kind(&self) -> ClientKind {
        self.kind
    }

    /// Whether a final response has been received (or the transaction is over).
    #[must_use]
    pub fn is_final(&self) -> bool {
        matches!(
            self.state,
            ClientState::Accepted | ClientState::Completed | ClientState::Terminated
        )
    }

    /// Whether the transaction is over and can be dropped.
    #[must_use]
    pub fn is_terminated(&self) -> bool {
        self.state == ClientState::Terminated
    }

    /// The earliest armed deadline.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        self.timers.earliest()
    }

    /// Feeds a response with `status`; says whether the transaction user sees it.
    pub fn on_response(&mut self, now: Instant, status: u16) -> Verdict {
        use ClientState::*;
        let provisional = status < 200;
        let success = (200..300).contains(&status);
        match (self.kind, self.state) {
            (_, Terminated) => Verdict::Absorb,
            (ClientKind::Invite, Calling | Proceeding) => {
                self.timers.stop(TxTimer::B);
                if provisional {
                    self.state = Proceeding;
                } else if success {
                    self.state = Accepted;
                    self.timers.set(TxTimer::M, TxTimer::M.from_now(now));
                } else {
                    self.state = Completed;
                    self.timers.set(TxTimer::D, TxTimer::D.from_now(now));
                }
                Verdict::Deliver
            }
            // RFC 6026 §8.4: every 2xx in Accepted goes up (forks, retransmissions).
            (ClientKind::Invite, Accepted) if success => Verdict::Deliver,
            (ClientKind::Invite, Completed) if status >= 300 => Verdict::Retransmission,
            (ClientKind::Invite, _) => Verdict::Absorb,
            (ClientKind::NonInvite, Trying | Proceeding) => {
                if provisional {
                    self.state = Proceeding;
                } else {
                    self.timers.stop(TxTimer::F);
                    self.state = Completed;
                    self.timers.set(TxTimer::K, TxTimer::K.from_now(now));
                }
                Verdict::Deliver
            }
            (ClientKind::NonInvite, _) => Verdict::Absorb,
        }
    }

    /// Runs the timers due at `now`.
    pub fn on_timeout(&mut self, now: Instant) -> Expiry {
        let mut result = Expiry::Nothing;
        while let Some(timer) = self.timers.pop_expired(now) {
            match timer {
                TxTimer::B | TxTimer::F if !self.is_final() => {
                    self.terminate();
                    return Expiry::TimedOut;
                }
                TxTimer::D | TxTimer::K | TxTimer::M => {
                    self.terminate();
                    result = Expiry::Terminated;
                }
                _ => {}
            }
        }
        result
    }

    /// Ends the transaction now (transport failure, owner gone).
    pub fn terminate(&mut self) {
        self.state = ClientState::Terminated;
        self.timers.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::T1_X64;

    fn invite() -> ClientTx {
        ClientTx::new(Instant(0), "z9hG4bKa".into(), "INVITE", String::new())
    }

    #[test]
    fn timer_b_fires_only_while_calling() {
        let mut tx = invite();
        assert_eq!(tx.deadline(), Some(Instant(T1_X64)));
        assert_eq!(tx.on_timeout(Instant(T1_X64 - 1)), Expiry::Nothing);
        assert_eq!(tx.on_timeout(Instant(T1_X64)), Expiry::TimedOut);
        assert!(tx.is_terminated());

        let mut tx = invite();
        assert_eq!(tx.on_response(Instant(10), 180), Verdict::Deliver);
        assert_eq!(tx.state(), ClientState::Proceeding);
        assert_eq!(
            tx.deadline(),
            None,
            "a ringing INVITE has no transaction timeout"
        );
    }

    #[test]
    fn forked_2xx_reach_the_dialog_until_timer_m() {
        let mut tx = invite();
        assert_eq!(tx.on_response(Instant(10), 200), Verdict::Deliver);
        assert_eq!(tx.on_response(Instant(20), 200), Verdict::Deliver);
        assert_eq!(tx.on_response(Instant(20), 180), Verdict::Absorb);
        assert_eq!(tx.on_timeout(Instant(10 + T1_X64)), Expiry::Terminated);
        assert_eq!(tx.on_response(Instant(20), 200), Verdict::Absorb);
    }

    #[test]
    fn failure_completes_and_absorbs_retransmissions() {
        let mut tx = invite();
        assert_eq!(tx.on_response(Instant(10), 486), Verdict::Deliver);
        assert_eq!(tx.on_response(Instant(10), 486), Verdict::Retransmission);
        // Timer D is zero on a reliable transport.
        assert_eq!(tx.on_timeout(Instant(10)), Expiry::Terminated);
    }

    #[test]
    fn non_invite_timer_f_and_k() {
        let mut tx = ClientTx::new(Instant(0), "z9hG4bKb".into(), "BYE", String::new());
        assert_eq!(tx.on_response(Instant(1), 100), Verdict::Deliver);
        assert_eq!(tx.on_timeout(Instant(T1_X64)), Expiry::TimedOut);
        let mut tx = ClientTx::new(Instant(0), "z9hG4bKb".into(), "BYE", String::new());
        assert_eq!(tx.on_response(Instant(1), 200), Verdict::Deliver);
        assert_eq!(tx.on_response(Instant(2), 200), Verdict::Absorb);
        assert_eq!(tx.on_timeout(Instant(1)), Expiry::Terminated);
    }
}
