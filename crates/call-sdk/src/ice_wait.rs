//! The bounded ICE wait before an SDP goes out (DESIGN.md §3, docs/decisions/0003): which
//! candidate kind the configured ICE servers can add, and when to stop waiting for it.
//!
//! [`CandidateKind`] and [`CandidateWait`] are the decisions, free of browser objects so they
//! are tested natively; [`Gathering`] is one wait in progress with its browser timers. The
//! media session only feeds it candidates and the end of gathering.

use gloo_timers::callback::Timeout;
use js_sys::{Array, Function};
use wasm_bindgen::JsValue;

use crate::js;

/// When no candidate at all appears (no network), send what there is after this long.
const ICE_GATHERING_CAP_MS: u32 = 3_000;
/// Once a candidate of the wanted kind is in, send when no further candidate came for this
/// long. Chromium delivers the UDP candidates of one gathering phase (every interface) within
/// ~3 ms of each other; docs/decisions/0003-ice-gathering-wait.md has the measurements.
const ICE_QUIET_MS: u32 = 10;

/// The kind of local ICE candidate an offer or answer waits for, ordered by how much
/// gathering it takes: a relay candidate also satisfies a wait for a server-reflexive one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CandidateKind {
    /// A local interface address: all of them come in the first burst.
    Host,
    /// An address a STUN server saw (one STUN round trip).
    ServerReflexive,
    /// An address on a TURN server (an allocation: two round trips, a later phase).
    Relay,
}

impl CandidateKind {
    /// The kind worth waiting for with these `RTCIceServer` URLs: a relay when a TURN server
    /// is configured, a server-reflexive address with STUN only, else host addresses.
    pub fn wanted<'a>(urls: impl IntoIterator<Item = &'a str>) -> Self {
        let mut wanted = Self::Host;
        for url in urls {
            let scheme = url.trim_start().split(':').next().unwrap_or("");
            let kind = if scheme.eq_ignore_ascii_case("turn")
                || scheme.eq_ignore_ascii_case("turns")
            {
                Self::Relay
            } else if scheme.eq_ignore_ascii_case("stun") || scheme.eq_ignore_ascii_case("stuns") {
                Self::ServerReflexive
            } else {
                continue;
            };
            wanted = wanted.max(kind);
        }
        wanted
    }

    /// The kind of an SDP `candidate:` line (the `typ` field); `None` when it has none.
    pub fn of_candidate(line: &str) -> Option<Self> {
        let mut fields = line.split_ascii_whitespace();
        fields.find(|f| *f == "typ")?;
        match fields.next()? {
            "host" => Some(Self::Host),
            "srflx" => Some(Self::ServerReflexive),
            "relay" => Some(Self::Relay),
            // A peer-reflexive candidate is never gathered locally; count it as an address.
            _ => Some(Self::Host),
        }
    }

    /// Why the wait ended when candidates of this kind went quiet (for the log).
    fn quiet_reason(self) -> &'static str {
        match self {
            Self::Host => "quiet after host candidates",
            Self::ServerReflexive => "quiet after srflx candidates",
            Self::Relay => "quiet after relay candidates",
        }
    }
}

/// What to do about the wait's timers after a candidate arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitStep {
    /// The first candidate: start the bound (`iceGatheringTimeoutMs`).
    pub start_bound: bool,
    /// The wanted kind is in: (re)start the quiet period.
    pub restart_quiet: bool,
}

/// The decisions of the bounded ICE wait, apart from its timers (so they are tested natively):
/// send once the wanted kind is in and candidates went quiet, or at the bound, or when
/// gathering completes, whichever is first.
#[derive(Clone, Copy, Debug)]
pub struct CandidateWait {
    wanted: CandidateKind,
    any: bool,
    satisfied: bool,
}

impl CandidateWait {
    /// A wait for candidates of `wanted` kind (or better).
    pub fn new(wanted: CandidateKind) -> Self {
        Self {
            wanted,
            any: false,
            satisfied: false,
        }
    }

    /// A candidate of `kind` arrived.
    pub fn candidate(&mut self, kind: CandidateKind) -> WaitStep {
        let start_bound = !self.any;
        self.any = true;
        // After the wanted kind, any further candidate is part of the same burst: wait on.
        self.satisfied |= kind >= self.wanted;
        WaitStep {
            start_bound,
            restart_quiet: self.satisfied,
        }
    }
}

/// One bounded ICE-gathering wait of an offer or answer: the promise it settles and its three
/// browser timers (the cap, the bound after the first candidate, the quiet period). Dropping
/// it cancels the timers.
pub(crate) struct Gathering {
    resolve: Function,
    wait: CandidateWait,
    started_ms: u64,
    first_candidate_ms: Option<u64>,
    /// Fires `resolve` `ice_gathering_timeout_ms` after the first candidate.
    after_first: Option<Timeout>,
    /// Fires `resolve` once candidates of the wanted kind went quiet.
    quiet: Option<Timeout>,
    /// Fires `resolve` when nothing at all arrives; held only to be cancelled with the wait.
    _cap: Timeout,
}

impl Gathering {
    /// A wait that settles with `resolve`, for the kind `ice_servers` (`RTCIceServer[]`) can
    /// add. `timer(ms, why)` arms a browser timer that ends the wait, logging `why`.
    pub(crate) fn start(
        resolve: Function,
        ice_servers: &Array,
        timer: impl Fn(u32, &'static str) -> Timeout,
    ) -> Self {
        Self {
            resolve,
            wait: CandidateWait::new(wanted_kind(ice_servers)),
            started_ms: js::now_ms(),
            first_candidate_ms: None,
            after_first: None,
            quiet: None,
            _cap: timer(ICE_GATHERING_CAP_MS, "cap reached"),
        }
    }

    /// A local candidate (its SDP `candidate:` line) arrived; `bound_ms` is
    /// `iceGatheringTimeoutMs`.
    pub(crate) fn candidate(
        &mut self,
        line: &str,
        bound_ms: u32,
        timer: impl Fn(u32, &'static str) -> Timeout,
    ) {
        let kind = CandidateKind::of_candidate(line).unwrap_or(CandidateKind::Host);
        let step = self.wait.candidate(kind);
        if step.start_bound {
            self.first_candidate_ms = Some(js::now_ms());
            self.after_first = Some(timer(bound_ms, "bounded wait after the first candidate"));
        }
        if step.restart_quiet {
            // Replacing the handle cancels the previous quiet timer.
            self.quiet = Some(timer(ICE_QUIET_MS, self.wait.wanted.quiet_reason()));
        }
    }

    /// Ends the wait: settles its promise, cancels its timers and returns the log line.
    pub(crate) fn finish(self, why: &str) -> String {
        let now = js::now_ms();
        let first = self.first_candidate_ms.map_or_else(
            || String::from("none"),
            |t| sip_core::decimal::string(t.saturating_sub(self.started_ms)),
        );
        self.settle();
        [
            "ice gathering: sent after ",
            &sip_core::decimal::string(now.saturating_sub(self.started_ms)),
            " ms (",
            why,
            "), first candidate at ",
            &first,
            " ms",
        ]
        .concat()
    }

    /// Settles the wait's promise (the session closed: the step then sees it closed).
    pub(crate) fn settle(&self) {
        let _ = self.resolve.call0(&JsValue::NULL);
    }
}

/// The candidate kind worth waiting for with these `RTCIceServer`s (`urls` a string or an
/// array of them).
fn wanted_kind(ice_servers: &Array) -> CandidateKind {
    let mut urls: Vec<String> = Vec::new();
    for server in ice_servers.iter() {
        let value = js::get(&server, "urls");
        match value.as_string() {
            Some(url) => urls.push(url),
            None if Array::is_array(&value) => {
                // A loop, not `extend(filter_map(..))`: that chain is a copy of its own.
                for url in Array::from(&value).iter() {
                    if let Some(url) = url.as_string() {
                        urls.push(url);
                    }
                }
            }
            None => {}
        }
    }
    CandidateKind::wanted(urls.iter().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wanted_kind_follows_the_configured_servers() {
        assert_eq!(CandidateKind::wanted([]), CandidateKind::Host);
        assert_eq!(
            CandidateKind::wanted(["stun:stun.example.net:3478"]),
            CandidateKind::ServerReflexive
        );
        assert_eq!(
            CandidateKind::wanted([
                "STUNS:stun.example.net",
                "turns:turn.example.net:443?transport=tcp"
            ]),
            CandidateKind::Relay
        );
        assert_eq!(
            CandidateKind::wanted(["turn:turn.example.net", "stun:stun.example.net"]),
            CandidateKind::Relay
        );
        assert_eq!(
            CandidateKind::wanted(["https://example.net", ""]),
            CandidateKind::Host
        );
    }

    #[test]
    fn candidate_lines_name_their_kind() {
        let host = "candidate:1 1 udp 2122260223 192.0.2.10 54321 typ host generation 0";
        let srflx =
            "candidate:2 1 udp 1686052607 203.0.113.7 40000 typ srflx raddr 192.0.2.10 rport 54321";
        let relay =
            "candidate:3 1 udp 41885439 198.51.100.2 50000 typ relay raddr 203.0.113.7 rport 40000";
        assert_eq!(CandidateKind::of_candidate(host), Some(CandidateKind::Host));
        assert_eq!(
            CandidateKind::of_candidate(srflx),
            Some(CandidateKind::ServerReflexive)
        );
        assert_eq!(
            CandidateKind::of_candidate(relay),
            Some(CandidateKind::Relay)
        );
        assert_eq!(CandidateKind::of_candidate("candidate:1 1 udp 1 x 1"), None);
        assert_eq!(CandidateKind::of_candidate("typ"), None);
        assert_eq!(CandidateKind::of_candidate(""), None);
    }

    #[test]
    fn host_only_goes_quiet_after_the_first_burst() {
        let mut w = CandidateWait::new(CandidateKind::Host);
        let first = w.candidate(CandidateKind::Host);
        assert!(first.start_bound && first.restart_quiet);
        let next = w.candidate(CandidateKind::Host);
        assert!(
            !next.start_bound && next.restart_quiet,
            "each candidate of the burst restarts the quiet period"
        );
    }

    #[test]
    fn stun_waits_for_a_server_reflexive_candidate() {
        let mut w = CandidateWait::new(CandidateKind::ServerReflexive);
        let host = w.candidate(CandidateKind::Host);
        assert!(host.start_bound, "the bound runs from the first candidate");
        assert!(
            !host.restart_quiet,
            "host candidates alone do not end a STUN wait"
        );
        assert!(!w.candidate(CandidateKind::Host).restart_quiet);
        assert!(w.candidate(CandidateKind::ServerReflexive).restart_quiet);
        assert!(
            w.candidate(CandidateKind::Host).restart_quiet,
            "later candidates extend the quiet period"
        );
    }

    #[test]
    fn turn_waits_for_a_relay_candidate() {
        let mut w = CandidateWait::new(CandidateKind::Relay);
        assert!(!w.candidate(CandidateKind::Host).restart_quiet);
        assert!(!w.candidate(CandidateKind::ServerReflexive).restart_quiet);
        let relay = w.candidate(CandidateKind::Relay);
        assert!(!relay.start_bound && relay.restart_quiet);
    }
}
