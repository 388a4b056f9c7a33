//! Transport liveness: proves the WebSocket still reaches the server, so a flow that died
//! silently (an access point switch, a NAT that dropped its mapping, a sleeping laptop: no
//! close, no reset) is noticed in seconds instead of when the browser gives up minutes later.
//!
//! The probe is RFC 5626 §4.4.1's CRLF keepalive sent as a WebSocket text frame: a ping
//! `"\r\n\r\n"` that the edge answers with a pong `"\r\n"` (Kamailio's websocket module does).
//! Any frame received counts as proof of life, so the probe only goes out after an interval
//! without traffic from the server. An unanswered probe closes the transport and runs the
//! reconnect path, which registers again and re-INVITEs the calls.
//!
//! RFC 7118 defines no keepalive, and some SIP-over-WebSocket servers never answer the CRLF
//! ping. So each flow learns its probe: until a pong has been heard on it, an unanswered
//! ping is not fatal but switches the flow to out-of-dialog OPTIONS, which every SIP server
//! answers (200, 404, 405 or a challenge: any response proves the flow); from then on an
//! unanswered probe of the flow's kind is fatal. A silent flow is thus declared dead one
//! `timeout` later when its server never answered a ping yet. The ping sent when the flow
//! opens teaches this early: when the first interval is over and that ping got no pong
//! within `timeout` (while other frames proved the flow), the flow is probed with OPTIONS
//! from its first probe on, and every probe is bounded by one `timeout`.

use super::{Link, Output, Owner, TransportCommand, Ua, UaTimer};
use crate::dialog::{format_cseq, tagged};
use crate::error::CommandError;
use crate::message::AuthKind;
use crate::outgoing::Outgoing;
use crate::timer::{Instant, Millis};

/// The keepalive ping (RFC 5626 §4.4.1).
pub(crate) const PING: &str = "\r\n\r\n";
/// The keepalive pong.
pub(crate) const PONG: &str = "\r\n";

/// How the current flow is probed; every new flow starts [`ProbeMode::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProbeMode {
    /// CRLF pings, but the server has not answered one on this flow yet; when the last
    /// ping went out, if one did.
    Unknown(Option<Instant>),
    /// The server answers CRLF pings on this flow.
    Crlf,
    /// The server ignored a ping on this flow: probe with OPTIONS.
    Options,
}

/// When to probe the transport and how long to wait for the answer.
///
/// The defaults bound how long a silent death goes unnoticed (the flow dies just after the
/// last frame, so the worst case is one interval plus the answer bound): 15 + 4 = 19 s while
/// idle, 5 + 4 = 9 s during a call, where a lost flow loses the call's signalling (hold,
/// transfer, BYE). Idle, 15 s is also below the 30-60 s idle timeouts of common proxies and
/// load balancers. The cost is small: a probe is a 10-byte WebSocket frame and a 4-byte
/// answer, sent only after an interval without any frame from the server, so at most 240
/// probes an hour idle (3.4 kB of WebSocket payload and framing; about 55 kB with TLS, TCP
/// and IP headers and the ACKs). The 4 s answer bound is a tenth of RFC 5626's 10 s STUN
/// bound, which a WebSocket round trip meets with a wide margin; a flow slower than that
/// is reconnected, which costs a REGISTER and a re-INVITE per call, not the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeepalivePolicy {
    /// Probe after this many ms without a frame from the server while no call is live.
    pub idle_interval: Millis,
    /// The same while at least one call is live.
    pub call_interval: Millis,
    /// The transport is dead when nothing arrives within this many ms of a probe (twice
    /// that on a flow that has not answered a ping yet: the ping, then an OPTIONS).
    pub timeout: Millis,
}

impl Default for KeepalivePolicy {
    fn default() -> Self {
        KeepalivePolicy {
            idle_interval: 15_000,
            call_interval: 5_000,
            timeout: 4_000,
        }
    }
}

/// Whether a frame is a keepalive (ping or pong) rather than a SIP message.
pub(crate) fn is_keepalive(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b == b'\r' || b == b'\n')
}

impl Ua {
    /// A frame arrived: the flow is alive; a ping from the server gets its pong.
    pub(super) fn keepalive_heard(&mut self, now: Instant, text: &str) {
        if self.link != Link::Connected {
            return;
        }
        self.last_heard = now;
        self.timers.stop(UaTimer::KeepaliveDeadline);
        if text == PING {
            self.transmit(PONG.to_owned());
        } else if text == PONG {
            // The server answers pings here, even late ones: the cheap probe will do.
            self.probe = ProbeMode::Crlf;
        }
    }

    fn keepalive_timeout(&self) -> Millis {
        self.config
            .keepalive
            .as_ref()
            .map_or(KeepalivePolicy::default().timeout, |p| p.timeout)
    }

    /// Sends a probe now, unless one is already waiting for its answer.
    pub(super) fn keepalive_probe(&mut self, now: Instant) {
        if self.link != Link::Connected || self.timers.is_set(UaTimer::KeepaliveDeadline) {
            return;
        }
        let timeout = self.keepalive_timeout();
        if let ProbeMode::Unknown(Some(sent)) = self.probe {
            if now.since(sent) >= timeout {
                // A ping went a whole timeout without its pong while the flow carried other
                // frames: this server ignores pings.
                self.probe = ProbeMode::Options;
            }
        }
        match self.probe {
            ProbeMode::Unknown(_) => {
                self.probe = ProbeMode::Unknown(Some(now));
                self.transmit(PING.to_owned());
            }
            ProbeMode::Crlf => self.transmit(PING.to_owned()),
            ProbeMode::Options => self.send_options_probe(now, None),
        }
        self.timers
            .set(UaTimer::KeepaliveDeadline, now.plus(timeout));
    }

    /// An out-of-dialog OPTIONS to the registrar domain (RFC 3261 §11): any response,
    /// even a refusal, is a frame on this flow. The transaction is dropped with the flow,
    /// and its own timeout (Timer F) does nothing.
    fn send_options_probe(&mut self, now: Instant, asked: Option<Instant>) {
        let registrar = self.local.registrar.clone();
        let to = self.local.name_addr.clone();
        self.send_out_of_dialog(now, Owner::Probe(asked), "OPTIONS", &registrar, to, "");
    }

    /// A request outside any dialog to `uri` and `to`: an OPTIONS, or with `text` a MESSAGE
    /// (with the credentials of the last challenge, as a proxy asks for them).
    pub(super) fn send_out_of_dialog(
        &mut self,
        now: Instant,
        owner: Owner,
        method: &str,
        uri: &str,
        to: String,
        text: &str,
    ) {
        let (_, via) = self.new_via();
        let from_tag = self.rng.tag();
        let call_id = self.rng.call_id();
        let mut m = Outgoing::request(method, uri);
        m.push("Via", via)
            .push("Max-Forwards", "70")
            .push("To", to)
            .push("From", tagged(&self.local.name_addr, &from_tag))
            .push("Call-ID", call_id)
            .push("CSeq", format_cseq(1, method))
            .push("Allow", super::ALLOW)
            .push("User-Agent", self.config.user_agent.clone());
        if !text.is_empty() {
            m.with_body("text/plain;charset=UTF-8", text.to_owned());
            self.preauthorize(&mut m, AuthKind::Proxy);
        }
        self.send_request(now, owner, m, 0);
    }

    /// Measures the signalling round trip (the SDK's preflight): an OPTIONS to the registrar
    /// domain on the current flow, whose answer, any status, is an [`Event::Pong`]. No answer
    /// reports nothing: the caller keeps its own deadline.
    ///
    /// # Errors
    /// [`CommandError::NotConnected`] while there is no flow to ask on.
    pub fn ping(&mut self, now: Instant) -> Result<(), CommandError> {
        if self.link != Link::Connected {
            return Err(CommandError::NotConnected);
        }
        self.send_options_probe(now, Some(now));
        Ok(())
    }

    /// The probe went unanswered. A ping the flow never answered before may just be one
    /// the server ignores: ask again with OPTIONS. Otherwise the flow is dead even though
    /// it never closed: the driver drops the socket at once (no closing handshake to wait
    /// for) and we reconnect.
    pub(super) fn keepalive_expired(&mut self, now: Instant) {
        if self.link != Link::Connected || self.shutting_down {
            return;
        }
        if let ProbeMode::Unknown(_) = self.probe {
            self.probe = ProbeMode::Options;
            self.keepalive_probe(now);
            return;
        }
        self.outputs
            .push_back(Output::Transport(TransportCommand::Close));
        // A server that went silent (a hung process, a blackholed host) would hold the next
        // connect for the whole connect timeout: try the other servers first. With one
        // server this changes nothing; when our own network was at fault, any server is as
        // good as the last.
        self.server_index = self.server_index.wrapping_add(1);
        let mut reason = String::from("no answer to a keepalive within ");
        let timeout = self.keepalive_timeout();
        reason.push_str(&crate::decimal::string(timeout));
        reason.push_str(" ms");
        self.on_closed(now, &reason);
    }

    /// The network changed under us (the browser went online, or switched networks):
    /// restart ICE of the calls whose media path is down, prove the flow now rather than
    /// at the next interval, and retry a waiting reconnect at once instead of sitting out
    /// its backoff.
    pub(super) fn on_network_changed(&mut self, now: Instant) {
        self.restart_lost_media(now);
        match self.link {
            Link::Connected => self.keepalive_probe(now),
            Link::Waiting => {
                self.timers.stop(UaTimer::Reconnect);
                self.connect(now);
            }
            Link::Idle | Link::Connecting | Link::Down => {}
        }
    }

    /// Keeps the probe timer at "last frame + interval" while connected; nothing otherwise.
    pub(super) fn arm_keepalive(&mut self) {
        let policy = match &self.config.keepalive {
            Some(p) if self.link == Link::Connected && !self.shutting_down && !self.destroyed => p,
            _ => {
                self.timers.stop(UaTimer::KeepalivePing);
                if self.link != Link::Connected {
                    self.timers.stop(UaTimer::KeepaliveDeadline);
                }
                return;
            }
        };
        if self.timers.is_set(UaTimer::KeepaliveDeadline) {
            self.timers.stop(UaTimer::KeepalivePing);
            return;
        }
        let interval = if self.calls.iter().any(|c| !c.is_ended()) {
            policy.call_interval
        } else {
            policy.idle_interval
        };
        self.timers
            .set(UaTimer::KeepalivePing, self.last_heard.plus(interval));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalive_frames_are_only_line_breaks() {
        assert!(is_keepalive(PING));
        assert!(is_keepalive(PONG));
        assert!(!is_keepalive(""));
        assert!(!is_keepalive("\r\nOPTIONS sip:x SIP/2.0\r\n\r\n"));
    }
}
