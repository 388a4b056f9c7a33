//! What the user agent is told about its account and its environment.

#[cfg(doc)]
use super::Event;
use super::KeepalivePolicy;
use crate::timer::{Instant, Millis};

/// How the user agent reconnects after the transport closes.
///
/// Two phases. For [`fast_period`](Self::fast_period) after the connection drops (or after
/// `start`), the delay doubles from `initial_delay` but never exceeds
/// [`FAST_MAX_DELAY`](Self::FAST_MAX_DELAY), so a proxy that restarts in a few seconds is
/// retried at most 1 s after it is back. Past it the delay keeps doubling from there (2 s,
/// 4 s, ...) up to `max_delay`, sparing a server that stays down. Each delay has equal
/// jitter (between half and all of it, never more). A successful connect starts both
/// phases over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// Delay before the first retry, in ms (doubles every failed attempt).
    pub initial_delay: Millis,
    /// Upper bound of the delay, in ms.
    pub max_delay: Millis,
    /// How long after a drop (or `start`) retries stay at most
    /// [`FAST_MAX_DELAY`](Self::FAST_MAX_DELAY) apart, in ms (0: no fast phase, plain
    /// doubling). The 12 s default covers a proxy restart or a failover of the server
    /// behind one address (seconds) with margin; a longer outage gets the backoff.
    pub fast_period: Millis,
    /// Give up after this many failed attempts in a row (`None`: never).
    pub max_attempts: Option<u32>,
    /// A connect not answered within this many ms counts as refused: the socket is
    /// dropped and the next server tried. Without it a browser WebSocket on a network
    /// that drops packets silently stays CONNECTING for minutes. The 10 s default is far
    /// above a healthy WebSocket handshake (TCP, TLS and HTTP upgrade: well under 1 s
    /// even across continents) yet fails over before a user gives up on the phone.
    pub connect_timeout: Millis,
}

impl ReconnectPolicy {
    /// The longest wait between two connect attempts during
    /// [`fast_period`](Self::fast_period), in ms: a server back from a restart is reached
    /// within this much of its return.
    pub const FAST_MAX_DELAY: Millis = 1_000;
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            initial_delay: 500,
            max_delay: 30_000,
            fast_period: 12_000,
            max_attempts: None,
            connect_timeout: 10_000,
        }
    }
}

/// RFC 4028 session timers: how long a call may go without a refresh before either side
/// may end it (a peer or proxy that lost the call stops holding it up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionTimers {
    /// The Session-Expires we ask for, in seconds (the peer may lower it to its Min-SE or
    /// more). 1800 by default, RFC 4028's recommendation.
    pub expires: u32,
    /// Our Min-SE: the shortest interval we accept, in seconds. RFC 4028 §4 forbids less
    /// than 90, the default.
    pub min_se: u32,
}

impl Default for SessionTimers {
    fn default() -> Self {
        SessionTimers {
            expires: 1800,
            min_se: 90,
        }
    }
}

/// What happens to an incoming call while the user agent is busy: while any call of
/// ours is not over (ringing in, dialling out, early media, active or held).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BusyPolicy {
    /// Ring as usual: the application decides (the default).
    #[default]
    Ring,
    /// Answer 486 Busy Here at once: no `Incoming`, an [`Event::Error`] (scope `Call`)
    /// naming the caller instead, for the application's log.
    Reject,
}

/// When a call's lost media path is searched for again (an ICE restart re-INVITE), and
/// how long that may take before the call is ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaRecovery {
    /// How long ICE may stay `disconnected` before the restart, in ms. Chromium reports
    /// `disconnected` ~6 s after the last packet, and the path may still come back by
    /// itself; `failed` and a network change restart at once.
    pub grace: Millis,
    /// How long the restart may take, in ms: from the restart until ICE connects again;
    /// past it the call ends with BYE.
    pub timeout: Millis,
}

impl Default for MediaRecovery {
    fn default() -> Self {
        MediaRecovery {
            grace: 2_000,
            timeout: 15_000,
        }
    }
}

/// Everything the user agent needs to know about its account and its environment.
#[derive(Clone, Debug, PartialEq)]
pub struct UaConfig {
    /// Our address of record, `sip:1001@domain`.
    pub sip_uri: String,
    /// Display name put in From.
    pub display_name: Option<String>,
    /// Digest username.
    pub authorization_user: String,
    /// Digest password.
    pub password: String,
    /// Expected realm (informative: the challenge's realm is used).
    pub realm: Option<String>,
    /// WebSocket URLs, tried in order on failures.
    pub ws_servers: Vec<String>,
    /// Register as soon as the transport connects.
    pub register: bool,
    /// Requested registration expiry, in seconds.
    pub register_expires: u32,
    /// User-Agent header value.
    pub user_agent: String,
    /// RFC 5626 instance id, `urn:uuid:...`, stable per device (from the driver).
    pub instance_id: String,
    /// When the credentials stop working (the driver converts the credential response's
    /// wall-clock expiry to the core's clock); [`Event::CredentialsExpiring`] fires before.
    pub credentials_expire_at: Option<Instant>,
    /// How long before `credentials_expire_at` to ask for new ones, in ms; capped at a
    /// quarter of the remaining lifetime, and never sooner than 5 s after the credentials
    /// were given, each time the timer is armed.
    pub credentials_refresh_margin: Millis,
    /// Reconnect behaviour.
    pub reconnect: ReconnectPolicy,
    /// Inbound calls not answered within this many ms are rejected with 480.
    pub no_answer_timeout: Millis,
    /// Liveness probing of the transport (`None`: trust the transport's own close).
    pub keepalive: Option<KeepalivePolicy>,
    /// Session timers (`None`: neither offered nor accepted; a peer's Session-Expires is
    /// then ignored, as by a user agent without them).
    pub session_timers: Option<SessionTimers>,
    /// An incoming call while another is up: ring, or refuse it with 486.
    pub incoming_while_busy: BusyPolicy,
    /// Call statistics and quality warnings (both off by default here; the SDK turns the
    /// warnings on).
    pub quality: crate::quality::QualityConfig,
    /// ICE restart of calls whose media path is lost.
    pub media_recovery: MediaRecovery,
}

impl UaConfig {
    /// A configuration with the usual defaults (600 s registration, auto-register).
    #[must_use]
    pub fn new(
        sip_uri: &str,
        authorization_user: &str,
        password: &str,
        ws_servers: Vec<String>,
    ) -> UaConfig {
        UaConfig {
            sip_uri: sip_uri.to_owned(),
            display_name: None,
            authorization_user: authorization_user.to_owned(),
            password: password.to_owned(),
            realm: None,
            ws_servers,
            register: true,
            register_expires: 600,
            user_agent: String::from("klink-call-sdk"),
            instance_id: String::new(),
            credentials_expire_at: None,
            credentials_refresh_margin: 60_000,
            reconnect: ReconnectPolicy::default(),
            no_answer_timeout: 60_000,
            keepalive: Some(KeepalivePolicy::default()),
            session_timers: Some(SessionTimers::default()),
            incoming_while_busy: BusyPolicy::Ring,
            quality: crate::quality::QualityConfig::default(),
            media_recovery: MediaRecovery::default(),
        }
    }
}
