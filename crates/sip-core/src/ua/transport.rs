//! The WebSocket as the user agent sees it: connecting, failing over through
//! `ws_servers`, reconnecting with backoff, and what a new flow must resend.

use super::{keepalive, Event, Output, Owner, ReconnectPolicy, TransportCommand, Ua, UaTimer};
use crate::events::ErrorScope;
use crate::registration::RegTimer;
use crate::timer::{Instant, Millis};

/// The state of the WebSocket as the user agent sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Link {
    /// `start` not called yet, or suspended (the page went away).
    Idle,
    /// Connect asked, waiting for the driver.
    Connecting,
    /// Open.
    Connected,
    /// Closed, a reconnect is scheduled.
    Waiting,
    /// Gave up, or shut down.
    Down,
}

impl Ua {
    pub(super) fn connect(&mut self, now: Instant) {
        let Some(url) = self
            .config
            .ws_servers
            .get(self.server_index % self.config.ws_servers.len().max(1))
            .cloned()
        else {
            self.link = Link::Down;
            self.emit(Event::Error {
                scope: ErrorScope::Transport,
                detail: String::from("no WebSocket server configured"),
            });
            return;
        };
        self.link = Link::Connecting;
        self.timers.set(
            UaTimer::ConnectDeadline,
            now.plus(self.config.reconnect.connect_timeout),
        );
        self.outputs
            .push_back(Output::Transport(TransportCommand::Connect { url }));
    }

    /// The connect went unanswered: the driver drops that socket (and reports nothing
    /// more of it) and the attempt fails like a refused one, so the next server is tried.
    pub(super) fn connect_expired(&mut self, now: Instant) {
        if self.link != Link::Connecting || self.shutting_down {
            return;
        }
        self.outputs
            .push_back(Output::Transport(TransportCommand::Close));
        let mut reason = String::from("no answer within ");
        reason.push_str(&crate::decimal::string(
            self.config.reconnect.connect_timeout,
        ));
        reason.push_str(" ms");
        self.on_closed(now, &reason);
    }

    pub(super) fn on_connected(&mut self, now: Instant) {
        if self.link != Link::Connecting {
            return;
        }
        self.link = Link::Connected;
        self.timers.stop(UaTimer::ConnectDeadline);
        self.last_heard = now;
        self.probe = keepalive::ProbeMode::Unknown(None);
        self.attempts = 0;
        self.round_failures = 0;
        self.slow_rounds = 0;
        self.timers.stop(UaTimer::Reconnect);
        self.emit(Event::Connected);
        let reconnect = self.was_connected;
        self.was_connected = true;
        // Requests that were in flight when the flow died go out again on the new one.
        for c in &self.clients {
            if !c.tx.is_final() && !matches!(c.owner, Owner::Register | Owner::Probe(_)) {
                self.outputs
                    .push_back(Output::Transmit(c.tx.request.clone()));
            }
        }
        if self.reg.wanted {
            self.send_register(now);
        }
        if reconnect {
            self.refresh_calls(now);
        }
        // Learn at once whether this server answers CRLF pings (four bytes): once it has, a
        // flow that dies silently is noticed within one keepalive timeout instead of two.
        if self.config.keepalive.is_some() {
            self.keepalive_probe(now);
        }
    }

    pub(super) fn on_closed(&mut self, now: Instant, reason: &str) {
        if self.shutting_down {
            self.finish_shutdown();
            return;
        }
        let was = self.link;
        if matches!(was, Link::Idle | Link::Down | Link::Waiting) {
            return;
        }
        self.timers.stop(UaTimer::ConnectDeadline);
        if was == Link::Connected {
            self.start_fast_phase(now);
            self.emit(Event::Disconnected);
            // The REGISTER in flight died with the flow; a new one follows the reconnect.
            // A keepalive OPTIONS only ever spoke for the flow it went out on.
            for c in self
                .clients
                .iter_mut()
                .filter(|c| matches!(c.owner, Owner::Register | Owner::Probe(_)))
            {
                c.tx.terminate();
            }
            self.reg.in_flight = None;
            self.reg.timers.stop(RegTimer::Refresh);
            if self.reg.registered {
                self.reg.registered = false;
                self.emit(Event::RegisteredChange { registered: false });
            }
        } else {
            // The server could not be reached: say so, and fail over to the next one
            // at once; only a round where every server failed waits for the backoff.
            let mut detail = String::from("could not connect to ");
            let servers = self.config.ws_servers.len().max(1);
            if let Some(url) = self.config.ws_servers.get(self.server_index % servers) {
                detail.push_str(url);
            }
            detail.push_str(": ");
            detail.push_str(reason);
            self.emit(Event::Error {
                scope: ErrorScope::Transport,
                detail,
            });
            self.server_index = self.server_index.wrapping_add(1);
            self.round_failures += 1;
            if self.round_failures < servers {
                self.connect(now);
                return;
            }
        }
        self.round_failures = 0;
        self.attempts = self.attempts.saturating_add(1);
        if self
            .config
            .reconnect
            .max_attempts
            .is_some_and(|max| self.attempts > max)
        {
            self.link = Link::Down;
            let mut detail = String::from("gave up reconnecting: ");
            detail.push_str(reason);
            self.emit(Event::Error {
                scope: ErrorScope::Transport,
                detail,
            });
            self.fail_all_calls(now);
            return;
        }
        self.link = Link::Waiting;
        let delay = self.backoff(now, self.attempts);
        self.timers.set(UaTimer::Reconnect, now.plus(delay));
    }

    /// Opens the window in which failed rounds retry at most
    /// [`ReconnectPolicy::FAST_MAX_DELAY`] apart: a proxy that restarts within seconds is
    /// reached within a second of its return, where plain doubling could have just missed
    /// it and then waited 2-4 s more.
    pub(super) fn start_fast_phase(&mut self, now: Instant) {
        self.fast_until = now.plus(self.config.reconnect.fast_period);
        self.slow_rounds = 0;
    }

    /// Exponential backoff with "equal jitter": half fixed, half random, never above the
    /// bound. Within the fast phase the bound stops at `FAST_MAX_DELAY`; after it, it
    /// doubles on from there up to `max_delay`.
    fn backoff(&mut self, now: Instant, attempt: u32) -> Millis {
        let policy = &self.config.reconnect;
        let full = if now < self.fast_until {
            let exp = attempt.saturating_sub(1).min(20);
            policy
                .initial_delay
                .saturating_mul(1u64 << exp)
                .min(ReconnectPolicy::FAST_MAX_DELAY)
        } else {
            self.slow_rounds = self.slow_rounds.saturating_add(1);
            let (base, exp) = if policy.fast_period == 0 {
                (policy.initial_delay, attempt.saturating_sub(1))
            } else {
                (
                    policy.initial_delay.max(ReconnectPolicy::FAST_MAX_DELAY),
                    self.slow_rounds,
                )
            };
            base.saturating_mul(1u64 << exp.min(20))
        };
        let full = full.min(policy.max_delay).max(1);
        let half = full / 2;
        half + self.rng.below(full - half + 1)
    }
}
