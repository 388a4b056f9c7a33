//! RFC 3261 §17 transactions over a reliable transport (WebSocket, RFC 7118).
//!
//! Over a reliable transport nothing is retransmitted by the transaction layer (Timers A,
//! E and G never run) and the "wait for retransmissions" timers D, I, J and K are zero.
//! What is left matters: Timer B and F turn silence into a timeout, Timer H bounds the wait
//! for the ACK of a failure response, and RFC 6026's Accepted states (Timers L and M) let a
//! forked or retransmitted 2xx reach the dialog layer. The machines here are pure: they take
//! a response status or a request kind and the time, and return a [`Verdict`]; the user
//! agent builds and sends the messages. The 2xx to an INVITE is the exception that is
//! resent on every transport, by the call rather than the transaction (RFC 3261 §13.3.1.4):
//! a proxy further on may lose it or its ACK whatever the first hop is.

mod client;
mod server;

pub use client::{ClientKind, ClientState, ClientTx};
pub use server::{ServerKind, ServerState, ServerTx};

use crate::timer::{Instant, Millis, TimerKind, TimerTable, T1_X64};

/// The timers of one transaction (RFC 3261 §17 and RFC 6026).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxTimer {
    /// INVITE client: no response at all.
    B,
    /// INVITE client: absorb retransmitted failure responses (0 on reliable).
    D,
    /// Non-INVITE client: no final response.
    F,
    /// INVITE server: no ACK for a failure response.
    H,
    /// INVITE server: absorb retransmitted ACKs (0 on reliable).
    I,
    /// Non-INVITE server: absorb retransmitted requests (0 on reliable).
    J,
    /// Non-INVITE client: absorb retransmitted responses (0 on reliable).
    K,
    /// INVITE server (RFC 6026): stay to absorb INVITE retransmissions after a 2xx.
    L,
    /// INVITE client (RFC 6026): stay to pass forked and retransmitted 2xx to the dialog.
    M,
}

impl TimerKind for TxTimer {
    const VALUES: &'static [Self] = &[
        TxTimer::B,
        TxTimer::D,
        TxTimer::F,
        TxTimer::H,
        TxTimer::I,
        TxTimer::J,
        TxTimer::K,
        TxTimer::L,
        TxTimer::M,
    ];
    fn index(self) -> usize {
        self as usize
    }
}

/// The deadline table of one transaction.
pub type TxTimers = TimerTable<TxTimer, 9>;

impl TxTimer {
    /// How long the timer runs over a reliable transport.
    #[must_use]
    pub fn duration(self) -> Millis {
        match self {
            TxTimer::B | TxTimer::F | TxTimer::H | TxTimer::L | TxTimer::M => T1_X64,
            TxTimer::D | TxTimer::I | TxTimer::J | TxTimer::K => 0,
        }
    }

    /// The deadline of this timer started at `now`.
    #[must_use]
    pub fn from_now(self, now: Instant) -> Instant {
        now.plus(self.duration())
    }
}

/// What a transaction decided about a message it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Pass it to the transaction user (the dialog, call or registration).
    Deliver,
    /// A retransmission: the transaction handles it (resend the last response or the ACK).
    Retransmission,
    /// Not for the transaction user and nothing to resend: drop it.
    Absorb,
}

/// What a transaction timer firing means to its user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// The transaction failed for lack of an answer (Timer B, F) or of an ACK (Timer H).
    TimedOut,
    /// The transaction is over; forget it.
    Terminated,
    /// Nothing changed (spurious timer).
    Nothing,
}
