//! Leaving the page: everything the user agent owes the network, queued at once.
//!
//! A browser page that unloads, or is frozen into the back/forward cache, gets one
//! synchronous `pagehide` and nothing after it: no timer fires, no frame is read. A CANCEL
//! that waits for a provisional response, a BYE that waits for the ACK of our 2xx, an
//! un-REGISTER that waits for a challenge would never leave. [`Ua::suspend`] therefore puts
//! every request it owes in the outputs of one drain, followed by the close of the
//! transport, and forgets what could only be answered later. [`Ua::start`] brings the user
//! agent back (a page restored from the cache).

use super::{Link, Output, Owner, Purpose, TransportCommand, Ua, UaTimer};
use crate::call::{CallTimer, InviteOut};
use crate::events::Event;
use crate::timer::Instant;

impl Ua {
    /// The page is going away. Ends every call (CANCEL while ringing out, 480 while ringing
    /// in, BYE once answered), removes our binding (REGISTER with `Expires: 0`) and closes
    /// the transport: drain [`Ua::poll_output`] at once and send every
    /// [`Output::Transmit`] before returning to the browser. Nothing waits for an answer.
    ///
    /// The application hears `SessionEnded` for each call, `Disconnected` and
    /// `RegisteredChange { registered: false }`. Calls and transactions are then forgotten
    /// and no reconnect is scheduled; [`Ua::start`] connects and registers again. During
    /// [`Ua::shutdown`] it completes the shutdown at once.
    pub fn suspend(&mut self, now: Instant) {
        if self.destroyed {
            return;
        }
        self.hangup_all(now);
        self.send_deferred(now);
        if self.shutting_down {
            // shutdown() already sent its BYEs and un-REGISTER; only the close is left.
            self.finish_shutdown();
            return;
        }
        if self.link == Link::Connected && (self.reg.registered || self.reg.in_flight.is_some()) {
            // The binding goes, the wish to register stays: start() registers again.
            let wanted = self.reg.wanted;
            self.send_unregister(now);
            self.reg.wanted = wanted;
        }
        let was = self.link;
        if matches!(was, Link::Connected | Link::Connecting) {
            self.outputs
                .push_back(Output::Transport(TransportCommand::Close));
        }
        self.link = Link::Idle;
        self.attempts = 0;
        self.round_failures = 0;
        self.slow_rounds = 0;
        for t in [
            UaTimer::Reconnect,
            UaTimer::KeepalivePing,
            UaTimer::KeepaliveDeadline,
            UaTimer::ConnectDeadline,
        ] {
            self.timers.stop(t);
        }
        self.reg.timers.clear();
        self.reg.in_flight = None;
        if was == Link::Connected {
            self.emit(Event::Disconnected);
        }
        if self.reg.registered {
            self.reg.registered = false;
            self.emit(Event::RegisteredChange { registered: false });
        }
        // No answer to anything sent can arrive any more: a page restored from the cache
        // starts clean instead of timing out transactions of a flow that is gone (`after`
        // drops them). But a MESSAGE has a caller waiting: the restored page sends it again
        // when it connects, else its timeout reports it.
        for c in &mut self.clients {
            if !matches!(c.owner, Owner::Message(_)) {
                c.tx.terminate();
            }
        }
        self.servers.clear();
        self.calls.clear();
        self.after(now);
    }

    /// Sends what was held back for an answer that will not come now: the BYE that waits
    /// for the ACK of our 2xx (RFC 3261 §15), and the CANCEL that waits for a provisional
    /// response (§9.1, whose concern is a CANCEL overtaking its INVITE on an unordered
    /// transport; a WebSocket delivers them in order).
    fn send_deferred(&mut self, now: Instant) {
        // The BYEs first, then the CANCELs (a call has one or the other).
        for i in 0..self.calls.len() {
            if let Some((call, mut cx)) = self.call_at(now, i) {
                if call.bye_after_ack {
                    call.bye_after_ack = false;
                    call.timers.stop(CallTimer::AckWait);
                    call.send_in_dialog(&mut cx, Purpose::Bye, "BYE", None);
                }
            }
        }
        for i in 0..self.calls.len() {
            if let Some((call, mut cx)) = self.call_at(now, i) {
                // An INVITE that has its final response already needs no CANCEL.
                let id = &call.info.id;
                if call.invite_out == InviteOut::CancelDue
                    && cx.clients.iter().any(|c| {
                        !c.tx.is_final()
                            && matches!(&c.owner, Owner::Call(cid, Purpose::Invite) if cid == id)
                    })
                {
                    call.send_cancel(&mut cx);
                }
            }
        }
    }
}
