//! Server transactions: the INVITE machine (§17.2.1 with RFC 6026) and the non-INVITE one (§17.2.2).

use super::{Expiry, TxTimer, TxTimers, Verdict};
use crate::timer::Instant;

/// Which server machine runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    /// INVITE: a failure response waits for its ACK.
    Invite,
    /// Every other method except ACK.
    NonInvite,
}

/// The state of a server transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerState {
    /// Non-INVITE received, no response sent yet.
    Trying,
    /// A provisional response was sent (INVITE starts here).
    Proceeding,
    /// INVITE answered with 2xx: the ACK belongs to the dialog.
    Accepted,
    /// A final response was sent (INVITE: waiting for the ACK).
    Completed,
    /// INVITE: the ACK for the failure response arrived.
    Confirmed,
    /// Over.
    Terminated,
}

/// One server transaction, keyed by the request's top Via branch and sent-by and its method.
#[derive(Clone, Debug)]
pub struct ServerTx {
    /// The top Via branch of the request.
    pub branch: String,
    /// The top Via sent-by (host and port) of the request.
    pub sent_by: String,
    /// The request method (an ACK matches its INVITE's transaction).
    pub method: String,
    /// The last response sent, resent when the request is retransmitted.
    pub last_response: Option<String>,
    kind: ServerKind,
    state: ServerState,
    timers: TxTimers,
}

impl ServerTx {
    /// A transaction for a request just received.
    #[must_use]
    pub fn new(branch: &str, sent_by: &str, method: &str) -> ServerTx {
        let (kind, state) = if method == "INVITE" {
            (ServerKind::Invite, ServerState::Proceeding)
        } else {
            (ServerKind::NonInvite, ServerState::Trying)
        };
        ServerTx {
            branch: branch.to_owned(),
            sent_by: sent_by.to_owned(),
            method: method.to_owned(),
            last_response: None,
            kind,
            state,
            timers: TxTimers::default(),
        }
    }

    /// Whether a request with this top Via and method belongs to this transaction
    /// (ACK and CANCEL are matched to the INVITE by the caller, not here).
    #[must_use]
    pub fn matches(&self, branch: &str, sent_by: &str, method: &str) -> bool {
        let method_ok = self.method == method || (method == "ACK" && self.method == "INVITE");
        method_ok && self.branch == branch && self.sent_by.eq_ignore_ascii_case(sent_by)
    }

    /// The current state.
    #[must_use]
    pub fn state(&self) -> ServerState {
        self.state
    }

    /// Whether a final response was sent.
    #[must_use]
    pub fn is_final(&self) -> bool {
        !matches!(self.state, ServerState::Trying | ServerState::Proceeding)
    }

    /// Whether the transaction is over and can be dropped.
    #[must_use]
    pub fn is_terminated(&self) -> bool {
        self.state == ServerState::Terminated
    }

    /// The earliest armed deadline.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        self.timers.earliest()
    }

    /// Records that the transaction user sent `response` with `status`.
    /// Returns false (and sends nothing) when a final response was already sent.
    pub fn on_send(&mut self, now: Instant, status: u16, response: String) -> bool {
        use ServerState::*;
        if self.is_final() {
            return false;
        }
        self.last_response = Some(response);
        self.state = match (self.kind, status) {
            (_, 100..=199) => Proceeding,
            (ServerKind::Invite, 200..=299) => {
                self.timers.set(TxTimer::L, TxTimer::L.from_now(now));
                Accepted
            }
            (ServerKind::Invite, _) => {
                self.timers.set(TxTimer::H, TxTimer::H.from_now(now));
                Completed
            }
            (ServerKind::NonInvite, _) => {
                self.timers.set(TxTimer::J, TxTimer::J.from_now(now));
                Completed
            }
        };
        true
    }

    /// Feeds a request matching this transaction (a retransmission, or the ACK of an INVITE).
    pub fn on_request(&mut self, now: Instant, method: &str) -> Verdict {
        use ServerState::*;
        if method == "ACK" {
            return match self.state {
                Completed if self.kind == ServerKind::Invite => {
                    self.timers.stop(TxTimer::H);
                    self.state = Confirmed;
                    self.timers.set(TxTimer::I, TxTimer::I.from_now(now));
                    Verdict::Absorb
                }
                // RFC 6026 §8.7: the ACK of a 2xx goes to the dialog.
                Accepted => Verdict::Deliver,
                _ => Verdict::Absorb,
            };
        }
        // An INVITE retransmitted after our 2xx gets the 2xx again until the dialog's ACK
        // arrives ([`ServerTx::acknowledged`]); RFC 6026 §7.1 absorbs it from then on.
        match self.state {
            Proceeding | Completed | Accepted if self.last_response.is_some() => {
                Verdict::Retransmission
            }
            _ => Verdict::Absorb,
        }
    }

    /// The ACK of our 2xx reached the dialog: a late copy of the INVITE gets nothing more,
    /// and the response text is not kept for the rest of Timer L.
    pub fn acknowledged(&mut self) {
        if self.state == ServerState::Accepted {
            self.last_response = None;
        }
    }

    /// Runs the timers due at `now`.
    pub fn on_timeout(&mut self, now: Instant) -> Expiry {
        let mut result = Expiry::Nothing;
        while let Some(timer) = self.timers.pop_expired(now) {
            match timer {
                TxTimer::H if self.state == ServerState::Completed => {
                    self.terminate();
                    return Expiry::TimedOut;
                }
                TxTimer::I | TxTimer::J | TxTimer::L => {
                    self.terminate();
                    result = Expiry::Terminated;
                }
                _ => {}
            }
        }
        result
    }

    /// Ends the transaction now.
    pub fn terminate(&mut self) {
        self.state = ServerState::Terminated;
        self.timers.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::T1_X64;

    #[test]
    fn invite_failure_waits_for_ack_then_timer_i() {
        let mut tx = ServerTx::new("z9hG4bK1", "a.invalid", "INVITE");
        assert_eq!(
            tx.on_request(Instant(0), "INVITE"),
            Verdict::Absorb,
            "nothing sent yet"
        );
        assert!(tx.on_send(Instant(0), 180, "180".into()));
        assert_eq!(tx.on_request(Instant(0), "INVITE"), Verdict::Retransmission);
        assert!(tx.on_send(Instant(5), 486, "486".into()));
        assert!(
            !tx.on_send(Instant(5), 200, "200".into()),
            "one final response only"
        );
        assert_eq!(tx.on_request(Instant(6), "ACK"), Verdict::Absorb);
        assert_eq!(tx.state(), ServerState::Confirmed);
        assert_eq!(tx.on_timeout(Instant(6)), Expiry::Terminated);
    }

    #[test]
    fn timer_h_without_ack() {
        let mut tx = ServerTx::new("z9hG4bK1", "a.invalid", "INVITE");
        tx.on_send(Instant(0), 603, "603".into());
        assert_eq!(tx.on_timeout(Instant(T1_X64)), Expiry::TimedOut);
    }

    #[test]
    fn invite_2xx_passes_ack_up() {
        let mut tx = ServerTx::new("z9hG4bK1", "a.invalid", "INVITE");
        assert!(tx.matches("z9hG4bK1", "A.invalid", "ACK"));
        assert!(!tx.matches("z9hG4bK1", "a.invalid", "CANCEL"));
        tx.on_send(Instant(0), 200, "200".into());
        assert_eq!(
            tx.on_request(Instant(1), "INVITE"),
            Verdict::Retransmission,
            "the 2xx again until the ACK"
        );
        assert_eq!(tx.last_response.as_deref(), Some("200"));
        assert_eq!(tx.on_request(Instant(1), "ACK"), Verdict::Deliver);
        tx.acknowledged();
        assert_eq!(
            tx.on_request(Instant(1), "INVITE"),
            Verdict::Absorb,
            "RFC 6026: absorbed once ACKed"
        );
        assert_eq!(tx.on_timeout(Instant(T1_X64)), Expiry::Terminated);
    }

    #[test]
    fn non_invite_resends_final_until_timer_j() {
        let mut tx = ServerTx::new("z9hG4bK2", "a.invalid", "BYE");
        tx.on_send(Instant(0), 200, "200".into());
        assert_eq!(tx.on_request(Instant(0), "BYE"), Verdict::Retransmission);
        assert_eq!(tx.on_timeout(Instant(0)), Expiry::Terminated);
    }
}
