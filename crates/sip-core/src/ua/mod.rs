//! The user agent: registration, calls and the transport, driven without IO.
//!
//! [`Ua`] never reads a socket, a clock or a random source. The driver (the browser
//! facade, or a test) owns the WebSocket, the peer connections and one timer, and runs
//! one rule: **after every input or command, drain [`Ua::poll_output`] until it returns
//! [`Output::Timeout`], then arm the timer for that instant** (or disarm it on `None`).
//! When the timer fires, call [`Ua::handle_timeout`]; calling it early or twice is harmless.
//!
//! ```no_run
//! use sip_core::ua::{Input, Instant, MediaCommand, MediaResult, Output, TransportCommand, Ua, UaConfig};
//!
//! # fn now() -> Instant { Instant(0) }
//! # fn ws_send(_: &str) {}
//! # fn ws_open(_: &str) {}
//! # fn ws_close() {}
//! # fn media(_: &sip_core::ua::CallId, _: MediaCommand) -> Option<MediaResult> { None }
//! # fn emit(_: sip_core::ua::Event) {}
//! # fn arm_timer(_: Option<Instant>) {}
//! let mut config = UaConfig::new("sip:1001@pbx.example.com", "1001", "secret", vec!["wss://pbx.example.com/ws".into()]);
//! config.instance_id = "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6".into();
//! let mut ua = Ua::new(config, 0x5eed /* from crypto.getRandomValues */, now());
//! ua.start(now());
//!
//! // The loop the driver runs after every input, command or timer.
//! fn drain(ua: &mut Ua) {
//!     loop {
//!         match ua.poll_output() {
//!             Output::Transmit(text) => ws_send(&text),
//!             Output::Transport(TransportCommand::Connect { url }) => ws_open(&url),
//!             Output::Transport(TransportCommand::Close) => ws_close(),
//!             Output::Media { call, command } => {
//!                 // Real drivers answer asynchronously; they feed the result back
//!                 // with `handle_input(now, Input::Media { .. })` and drain again.
//!                 let _ = media(&call, command);
//!             }
//!             Output::Event(event) => emit(event),
//!             Output::Timeout(at) => {
//!                 arm_timer(at);
//!                 break;
//!             }
//!         }
//!     }
//! }
//! drain(&mut ua);
//! // WebSocket open:
//! ua.handle_input(now(), Input::TransportConnected);
//! drain(&mut ua);
//! // A frame arrived:
//! ua.handle_input(now(), Input::Received("SIP/2.0 200 OK\r\n..."));
//! drain(&mut ua);
//! // The timer fired:
//! ua.handle_timeout(now());
//! drain(&mut ua);
//! // A user command; misuse is an error, network trouble arrives later as events.
//! if let Ok(call) = ua.call(now(), "1002") {
//!     drain(&mut ua);
//!     let _ = ua.hangup(now(), &call);
//!     drain(&mut ua);
//! }
//! ```
//!
//! Calls survive a transport flicker: when the WebSocket closes the dialogs are kept,
//! the driver is asked to reconnect (a failed connect is reported as a transport
//! [`Event::Error`] and the next of `ws_servers` is tried at once; after each full round a
//! jittered wait, at most 1 s for [`ReconnectPolicy::fast_period`] after the drop, then
//! exponential backoff; a connect the driver leaves unanswered for
//! [`ReconnectPolicy::connect_timeout`] is closed and counts as refused), and after reconnecting the user agent registers again and sends each
//! answered call a re-INVITE so the peer and proxies learn the new flow.
//!
//! A flow that dies silently (no close, no reset: the network changed or a NAT forgot
//! us) is caught by a keepalive ([`KeepalivePolicy`]): after a quiet interval the user
//! agent sends an RFC 5626 CRLF ping (or, on a flow whose server ignored one, an OPTIONS),
//! and when nothing arrives within the bound it emits [`TransportCommand::Close`] (the
//! driver drops that socket at once and reports nothing more of it) and reconnects as above.
//! Feed [`Input::NetworkChanged`] when the platform says the network changed, to probe at once.
//!
//! When the page goes away (a browser's `pagehide`) call [`Ua::suspend`] and drain at once:
//! the CANCELs, BYEs and un-REGISTER it queues must leave before the page does, since no
//! timer or answer comes after. [`Ua::start`] resumes (a page restored from the
//! back/forward cache).

mod auth;
mod calls;
mod config;
mod driver;
mod early;
mod inbound;
mod invariants;
mod keepalive;
mod lifecycle;
mod message;
mod register;
mod transfer;
mod transport;

pub use calls::MuteDirection;
pub use config::{BusyPolicy, MediaRecovery, ReconnectPolicy, SessionTimers, UaConfig};
pub use driver::{Input, Output, TransportCommand};
pub use keepalive::KeepalivePolicy;
pub use message::MAX_MESSAGE_BYTES;
use transport::Link;

pub(crate) use auth::{preauthorize, AuthCache};
pub(crate) use register::cseq_of;

use std::collections::VecDeque;

use crate::call::{Call, CallTimer, Context};
use crate::dialog::angle;
use crate::outgoing::{quote_display_name, Outgoing};
use crate::rng::Rng;
use crate::timer::{earliest, Millis, TimerKind, TimerTable};
use crate::transaction::{ClientState, ClientTx, Expiry, ServerTx};

pub use crate::error::CommandError;
pub use crate::events::{
    CallDirection, CallId, CallInfo, CallState, EndCause, ErrorScope, Event, HoldState,
};
pub use crate::media::{Direction, MediaCommand, MediaResult};
pub use crate::timer::Instant;

use crate::registration::{credentials_refresh_at, RegTimer, Registration};

/// Methods we accept, announced in Allow.
pub(crate) const ALLOW: &str =
    "INVITE, ACK, CANCEL, BYE, INFO, OPTIONS, UPDATE, REFER, NOTIFY, MESSAGE";

/// The user agent's own timers (transport and credentials).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UaTimer {
    /// Open the transport again.
    Reconnect,
    /// Warn that the credentials expire soon.
    CredentialsExpiring,
    /// Shutdown waited long enough for BYE and un-REGISTER answers.
    ShutdownGrace,
    /// The transport was quiet for the keepalive interval: probe it.
    KeepalivePing,
    /// The probe went unanswered: the transport is dead.
    KeepaliveDeadline,
    /// The driver never answered a connect: count it refused.
    ConnectDeadline,
}

impl TimerKind for UaTimer {
    const VALUES: &'static [Self] = &[
        UaTimer::Reconnect,
        UaTimer::CredentialsExpiring,
        UaTimer::ShutdownGrace,
        UaTimer::KeepalivePing,
        UaTimer::KeepaliveDeadline,
        UaTimer::ConnectDeadline,
    ];
    fn index(self) -> usize {
        self as usize
    }
}

/// How long shutdown waits for BYE and un-REGISTER answers.
const SHUTDOWN_GRACE: Millis = 2000;

/// What a client transaction's response means to the user agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    Register,
    Call(CallId, Purpose),
    /// Nobody waits for the answer (BYE of a forked leg).
    Detached,
    /// An OPTIONS to the registrar domain, belonging to the flow it went out on. For a
    /// keepalive (`None`) any answer is proof of life and nothing more; one that `Ua::ping`
    /// sent at this instant reports the answer's round trip (`Event::Pong`).
    Probe(Option<Instant>),
    /// Our MESSAGE, by the id `Ua::send_message` was given: its final answer is reported.
    Message(u16),
}

/// Why a call sent a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    Invite,
    /// Our INVITE with Replaces moving an answered call to a new dialog (`call/replace.rs`).
    Replace,
    ReInvite,
    Cancel,
    Bye,
    Info,
    /// An RFC 4028 session refresh (UPDATE or re-INVITE).
    Refresh,
    /// Our transfer's REFER.
    Refer,
    /// A NOTIFY of the peer's transfer we follow.
    Notify,
}

/// A client transaction with its owner and the request, kept to resend it with credentials.
#[derive(Debug)]
pub(crate) struct ClientEntry {
    pub(crate) tx: ClientTx,
    pub(crate) owner: Owner,
    pub(crate) request: Outgoing,
    /// Challenges answered so far for this request chain.
    pub(crate) auth_attempts: u8,
}

/// A server transaction and the call it belongs to.
#[derive(Debug)]
pub(crate) struct ServerEntry {
    pub(crate) tx: ServerTx,
}

/// The sizes of the user agent's collections, from [`Ua::debug_sizes`].
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DebugSizes {
    /// Calls, ended ones still awaiting their INVITE transaction included.
    pub calls: usize,
    /// Client transactions.
    pub clients: usize,
    /// Server transactions.
    pub servers: usize,
    /// Outputs not yet polled.
    pub outputs: usize,
    /// Bytes of message text (SDP, requests, ACKs) held by ended calls and final transactions.
    pub lingering_text: usize,
}

/// Our identity on the wire.
#[derive(Clone, Debug)]
pub(crate) struct Local {
    /// The user part of our address of record (our number).
    pub(crate) user: String,
    pub(crate) domain: String,
    /// `sip:domain`: the Request-URI of REGISTER and of the OPTIONS keepalive.
    pub(crate) registrar: String,
    /// `"Name" <sip:1001@domain>`
    pub(crate) name_addr: String,
    /// Random `xxxx.invalid` used in Via and Contact (RFC 7118 §5).
    pub(crate) host: String,
    /// Random Contact user part.
    pub(crate) contact_user: String,
    /// `<sip:user@host.invalid;transport=ws;ob>`
    pub(crate) contact: String,
}

/// A SIP user agent over WebSocket, driven by inputs and drained of outputs.
#[derive(Debug)]
pub struct Ua {
    pub(crate) config: UaConfig,
    pub(crate) rng: Rng,
    pub(crate) local: Local,
    link: Link,
    /// Connected at least once (later connects are reconnects).
    was_connected: bool,
    server_index: usize,
    /// Backoff rounds failed in a row (a round tries every server once).
    attempts: u32,
    /// Servers that refused a connect in the current round.
    round_failures: usize,
    /// Until when failed rounds retry within [`ReconnectPolicy::FAST_MAX_DELAY`].
    fast_until: Instant,
    /// Failed rounds since the fast phase ended (the exponent of the slow backoff).
    slow_rounds: u32,
    timers: TimerTable<UaTimer, 6>,
    /// When the server was last heard from on the current flow (keepalive).
    last_heard: Instant,
    /// How the current flow is probed (learned anew on every flow).
    probe: keepalive::ProbeMode,
    pub(crate) reg: Registration,
    pub(crate) auth: auth::AuthCache,
    pub(crate) calls: Vec<Call>,
    pub(crate) clients: Vec<ClientEntry>,
    pub(crate) servers: Vec<ServerEntry>,
    outputs: VecDeque<Output>,
    pub(crate) shutting_down: bool,
    destroyed: bool,
}

impl Ua {
    /// A user agent for `config`; `rng_seed` makes every tag, branch and Call-ID
    /// reproducible (seed it from `crypto.getRandomValues` in production).
    #[must_use]
    pub fn new(config: UaConfig, rng_seed: u64, now: Instant) -> Ua {
        let mut rng = Rng::new(rng_seed);
        let (user, domain) = split_aor(&config.sip_uri);
        let host = {
            let mut h = rng.token(12);
            h.push_str(".invalid");
            h
        };
        let contact_user = rng.token(8);
        let contact = {
            let mut c = String::from("<sip:");
            c.push_str(&contact_user);
            c.push('@');
            c.push_str(&host);
            c.push_str(";transport=ws;ob>");
            c
        };
        let name_addr = name_addr(config.display_name.as_deref().unwrap_or(""), &user, &domain);
        let reg = Registration::new(rng.call_id(), config.register_expires);
        let mut ua = Ua {
            local: Local {
                registrar: ["sip:", &domain].concat(),
                user,
                domain,
                name_addr,
                host,
                contact_user,
                contact,
            },
            config,
            rng,
            link: Link::Idle,
            was_connected: false,
            server_index: 0,
            attempts: 0,
            round_failures: 0,
            fast_until: now,
            slow_rounds: 0,
            timers: TimerTable::default(),
            last_heard: now,
            probe: keepalive::ProbeMode::Unknown(None),
            reg,
            auth: auth::AuthCache::default(),
            calls: Vec::new(),
            clients: Vec::new(),
            servers: Vec::new(),
            outputs: VecDeque::new(),
            shutting_down: false,
            destroyed: false,
        };
        ua.arm_credentials_timer(now);
        ua
    }

    // ----- driver interface -------------------------------------------------------

    /// Asks the driver to open the transport to the first server.
    pub fn start(&mut self, now: Instant) {
        if self.shutting_down
            || self.destroyed
            || matches!(self.link, Link::Connecting | Link::Connected)
        {
            return;
        }
        self.reg.wanted = self.reg.wanted || self.config.register;
        self.start_fast_phase(now);
        self.connect(now);
    }

    /// Feeds one input.
    pub fn handle_input(&mut self, now: Instant, input: Input<'_>) {
        if self.destroyed {
            return;
        }
        match input {
            Input::Received(text) => {
                self.keepalive_heard(now, text);
                if !keepalive::is_keepalive(text) {
                    self.on_received(now, text);
                }
            }
            Input::TransportConnected => self.on_connected(now),
            Input::TransportClosed { reason } => self.on_closed(now, &reason),
            Input::Media { call, result } => self.on_media(now, &call, result),
            Input::NetworkChanged => self.on_network_changed(now),
        }
        self.after(now);
    }

    /// Runs every timer due at `now`; spurious calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.destroyed {
            return;
        }
        // Handlers may arm timers that are already due (zero-length Timers D, I, J, K).
        for _ in 0..64 {
            if !self.run_timers(now) {
                break;
            }
        }
        self.after(now);
    }

    /// The next thing to do; [`Output::Timeout`] once nothing is queued.
    #[must_use]
    pub fn poll_output(&mut self) -> Output {
        match self.outputs.pop_front() {
            Some(o) => o,
            None => Output::Timeout(self.poll_timeout()),
        }
    }

    /// The earliest deadline of every timer table.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.destroyed {
            return None;
        }
        let mut t = earliest(self.timers.earliest(), self.reg.timers.earliest());
        for c in &self.clients {
            t = earliest(t, c.tx.deadline());
        }
        for s in &self.servers {
            t = earliest(t, s.tx.deadline());
        }
        for call in &self.calls {
            t = earliest(t, call.timers.earliest());
        }
        t
    }

    /// Calls in progress (ended calls are gone).
    pub fn calls(&self) -> impl Iterator<Item = &CallInfo> {
        self.calls.iter().filter(|c| !c.is_ended()).map(|c| &c.info)
    }

    /// The statistics of a call in progress from a `sample` its media layer just read,
    /// against the call's previous sample (nothing is recorded: the warnings' samples are
    /// the core's own).
    pub fn stats(
        &self,
        id: &CallId,
        sample: crate::quality::Sample,
    ) -> Result<crate::quality::Stats, CommandError> {
        match self
            .calls
            .iter()
            .find(|c| &c.info.id == id && !c.is_ended())
        {
            Some(call) => Ok(call.quality.stats(sample)),
            None => Err(CommandError::UnknownCall(id.0.clone())),
        }
    }

    /// One call in progress.
    #[must_use]
    pub fn call_info(&self, id: &CallId) -> Option<&CallInfo> {
        self.calls().find(|c| &c.id == id)
    }

    /// How many calls, transactions and queued outputs the user agent holds, ended calls
    /// included: a soak test checks these return to their idle size after every call.
    #[doc(hidden)]
    #[must_use]
    pub fn debug_sizes(&self) -> DebugSizes {
        DebugSizes {
            calls: self.calls.len(),
            clients: self.clients.len(),
            servers: self.servers.len(),
            outputs: self.outputs.len(),
            lingering_text: self.lingering_text(),
        }
    }

    /// Bytes of message text (SDP, requests, ACKs) held by ended calls and final transactions.
    fn lingering_text(&self) -> usize {
        let outgoing = |o: &Outgoing| -> usize {
            o.headers.iter().map(|(_, v)| v.len()).sum::<usize>()
                + o.body.as_ref().map_or(0, |(t, b)| t.len() + b.len())
        };
        let calls: usize = self
            .calls
            .iter()
            .filter(|c| c.is_ended())
            .map(|c| {
                [&c.local_sdp, &c.remote_sdp, &c.remote_offer, &c.ack]
                    .iter()
                    .map(|s| s.as_ref().map_or(0, String::len))
                    .sum::<usize>()
                    + c.invite.as_ref().map_or(0, outgoing)
            })
            .sum();
        let clients: usize = self
            .clients
            .iter()
            .filter(|c| c.tx.is_final())
            .map(|c| c.tx.request.len() + outgoing(&c.request))
            .sum();
        calls + clients
    }

    /// Whether the registrar holds our binding.
    #[must_use]
    pub fn is_registered(&self) -> bool {
        self.reg.registered
    }

    /// Whether the transport is open.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.link == Link::Connected
    }

    /// Replaces the digest credentials (after [`Event::CredentialsExpiring`]). The next
    /// request that is challenged uses them; a failed registration is retried at once.
    pub fn update_credentials(
        &mut self,
        now: Instant,
        authorization_user: String,
        password: String,
        expire_at: Option<Instant>,
    ) {
        self.config.authorization_user = authorization_user;
        self.config.password = password;
        self.config.credentials_expire_at = expire_at;
        self.arm_credentials_timer(now);
        if self.reg.wanted
            && !self.reg.registered
            && self.reg.in_flight.is_none()
            && self.link == Link::Connected
        {
            self.send_register(now);
        }
        self.after(now);
    }

    /// Hangs up every call, unregisters, then closes the transport and emits
    /// [`Event::Destroyed`] (after the answers, or [`SHUTDOWN_GRACE`] at most).
    pub fn shutdown(&mut self, now: Instant) {
        if self.shutting_down || self.destroyed {
            return;
        }
        self.shutting_down = true;
        self.hangup_all(now);
        self.reg.timers.clear();
        if self.reg.registered && self.link == Link::Connected {
            self.send_unregister(now);
        }
        self.reg.wanted = false;
        self.timers.clear();
        self.timers
            .set(UaTimer::ShutdownGrace, now.plus(SHUTDOWN_GRACE));
        self.after(now);
    }

    // ----- plumbing shared by the submodules ------------------------------------

    pub(crate) fn emit(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    pub(crate) fn media(&mut self, call: &CallId, command: MediaCommand) {
        self.outputs.push_back(Output::Media {
            call: call.clone(),
            command,
        });
    }

    /// Sends text if the transport is open; otherwise it is lost, as on a real wire.
    pub(crate) fn transmit(&mut self, text: String) {
        if self.link == Link::Connected {
            self.outputs.push_back(Output::Transmit(text));
        }
    }

    /// A fresh Via value with a new branch.
    pub(crate) fn new_via(&mut self) -> (String, String) {
        fresh_via(&mut self.rng, &self.local.host)
    }

    /// Starts a client transaction for `request` (whose first header is its Via).
    pub(crate) fn send_request(
        &mut self,
        now: Instant,
        owner: Owner,
        request: Outgoing,
        auth_attempts: u8,
    ) -> String {
        self.context(now)
            .send_request(owner, request, auth_attempts)
    }

    /// Sends a response within server transaction `index` (or statelessly when `None`).
    pub(crate) fn send_response(
        &mut self,
        now: Instant,
        server: Option<usize>,
        response: &Outgoing,
    ) {
        self.context(now).send_response(server, response);
    }

    /// What a call acts through, borrowed for one input.
    pub(crate) fn context(&mut self, now: Instant) -> Context<'_> {
        Context {
            now,
            rng: &mut self.rng,
            local: &self.local,
            config: &self.config,
            outputs: &mut self.outputs,
            connected: self.link == Link::Connected,
            clients: &mut self.clients,
            servers: &mut self.servers,
            auth: &mut self.auth,
        }
    }

    /// The call `id` (ended or not) and what it acts through: the one look-up per input.
    pub(crate) fn call_context(
        &mut self,
        now: Instant,
        id: &CallId,
    ) -> Option<(&mut Call, Context<'_>)> {
        let i = self.call_index(id)?;
        self.call_at(now, i)
    }

    /// The call at `index` of the call list and what it acts through: the walks over every
    /// call (shutdown, a reconnect) need no list of ids.
    pub(crate) fn call_at(
        &mut self,
        now: Instant,
        index: usize,
    ) -> Option<(&mut Call, Context<'_>)> {
        let call = self.calls.get_mut(index)?;
        let cx = Context {
            now,
            rng: &mut self.rng,
            local: &self.local,
            config: &self.config,
            outputs: &mut self.outputs,
            connected: self.link == Link::Connected,
            clients: &mut self.clients,
            servers: &mut self.servers,
            auth: &mut self.auth,
        };
        Some((call, cx))
    }

    /// The server transaction of a received request, by branch, sent-by and method.
    pub(crate) fn find_server(&self, branch: &str, sent_by: &str, method: &str) -> Option<usize> {
        find_server(&self.servers, branch, sent_by, method)
    }

    pub(crate) fn call_index(&self, id: &CallId) -> Option<usize> {
        self.calls.iter().position(|c| &c.info.id == id)
    }

    /// The call of a live (not ended) id and what it acts through, or the misuse error.
    pub(crate) fn live_call(
        &mut self,
        now: Instant,
        id: &CallId,
    ) -> Result<(&mut Call, Context<'_>), CommandError> {
        match self.call_context(now, id) {
            Some((call, cx)) if !call.is_ended() => Ok((call, cx)),
            _ => Err(CommandError::UnknownCall(id.0.clone())),
        }
    }

    fn arm_credentials_timer(&mut self, now: Instant) {
        match self.config.credentials_expire_at {
            Some(at) => {
                let refresh =
                    credentials_refresh_at(now, at, self.config.credentials_refresh_margin);
                self.timers.set(UaTimer::CredentialsExpiring, refresh);
            }
            None => self.timers.stop(UaTimer::CredentialsExpiring),
        }
    }

    fn fail_all_calls(&mut self, now: Instant) {
        for i in 0..self.calls.len() {
            if let Some((call, mut cx)) = self.call_at(now, i) {
                if !call.is_ended() {
                    call.end(&mut cx, EndCause::Failed, None);
                }
            }
        }
    }

    /// Hangs up every live call (see [`Call::hangup`]).
    pub(crate) fn hangup_all(&mut self, now: Instant) {
        for i in 0..self.calls.len() {
            if let Some((call, mut cx)) = self.call_at(now, i) {
                if !call.is_ended() {
                    call.hangup(&mut cx);
                }
            }
        }
    }

    fn finish_shutdown(&mut self) {
        if self.destroyed {
            return;
        }
        self.destroyed = true;
        if matches!(self.link, Link::Connected | Link::Connecting) {
            self.outputs
                .push_back(Output::Transport(TransportCommand::Close));
        }
        self.link = Link::Down;
        self.timers.clear();
        self.reg.timers.clear();
        self.clients.clear();
        self.servers.clear();
        self.calls.clear();
        self.emit(Event::Destroyed);
    }

    // ----- timers and housekeeping -------------------------------------------------

    /// Runs due timers once over every table; returns whether any fired.
    fn run_timers(&mut self, now: Instant) -> bool {
        let mut fired = false;
        while let Some(t) = self.timers.pop_expired(now) {
            fired = true;
            match t {
                UaTimer::Reconnect => {
                    if self.link == Link::Waiting {
                        self.connect(now);
                    }
                }
                UaTimer::CredentialsExpiring => self.emit(Event::CredentialsExpiring),
                UaTimer::ShutdownGrace => self.finish_shutdown(),
                UaTimer::KeepalivePing => self.keepalive_probe(now),
                UaTimer::KeepaliveDeadline => self.keepalive_expired(now),
                UaTimer::ConnectDeadline => self.connect_expired(now),
            }
        }
        if self.destroyed {
            return false;
        }
        while let Some(t) = self.reg.timers.pop_expired(now) {
            fired = true;
            match t {
                RegTimer::Refresh | RegTimer::Retry => {
                    if self.reg.wanted
                        && self.link == Link::Connected
                        && self.reg.in_flight.is_none()
                    {
                        self.send_register(now);
                    }
                }
            }
        }
        // Client transactions: every expiry first, then the owners hear of theirs. The
        // indices hold: handlers only push new transactions (`after` drops finished ones).
        let mut timed_out = Vec::new();
        for (i, entry) in self.clients.iter_mut().enumerate() {
            if entry.tx.deadline().is_some_and(|d| d <= now) {
                fired = true;
                if entry.tx.on_timeout(now) == Expiry::TimedOut {
                    timed_out.push(i);
                }
            }
        }
        for i in timed_out {
            match self.clients.get(i).map(|c| c.owner.clone()) {
                Some(Owner::Register) => self.on_register_failure(now, 408, "Request Timeout"),
                Some(Owner::Call(id, purpose)) => self.on_call_request_timeout(now, &id, purpose),
                Some(Owner::Message(id)) => self.message_answered(id, 408),
                Some(Owner::Detached | Owner::Probe(_)) | None => {}
            }
        }
        // Server transactions. A failure response never ACKed (Timer H) needs nothing
        // more from us.
        for entry in &mut self.servers {
            if entry.tx.deadline().is_some_and(|d| d <= now) {
                fired = true;
                entry.tx.on_timeout(now);
            }
        }
        // Calls: every due timer first, then each call acts (by index: handlers add no
        // call and drop none).
        let mut due = Vec::new();
        for (i, call) in self.calls.iter_mut().enumerate() {
            while let Some(t) = call.timers.pop_expired(now) {
                due.push((i, t));
            }
        }
        for (i, t) in due {
            fired = true;
            if let Some((call, mut cx)) = self.call_at(now, i) {
                call.on_timer(&mut cx, t);
            }
        }
        fired
    }

    /// Drops finished transactions and calls, and completes a shutdown when idle.
    fn after(&mut self, now: Instant) {
        // Before ended calls are dropped: a transfer's new call reports its end.
        self.follow_transfers(now);
        self.clients.retain(|c| !c.tx.is_terminated());
        self.servers.retain(|s| !s.tx.is_terminated());
        // A final transaction is never resent nor re-authorized, but an INVITE's lingers 64*T1
        // (Timer M): drop its copies of the request body and text meanwhile.
        for c in self.clients.iter_mut().filter(|c| c.tx.is_final()) {
            c.request.body = None;
            c.tx.request = String::new();
            if c.tx.state() == ClientState::Accepted {
                // Later 2xx go to the call, which does not need the request again.
                c.request.headers = Vec::new();
            }
        }
        let clients = &self.clients;
        self.calls.retain(|c| {
            !c.is_ended()
                || c.timers.is_set(CallTimer::CancelGuard)
                || c.timers.is_set(CallTimer::AckWait)
                || clients.iter().any(
                    |e| matches!(&e.owner, Owner::Call(id, Purpose::Invite | Purpose::Replace) if id == &c.info.id),
                )
        });
        self.arm_keepalive();
        if self.shutting_down && !self.destroyed {
            let waiting = self
                .clients
                .iter()
                .any(|c| !c.tx.is_final() && !matches!(c.owner, Owner::Detached | Owner::Probe(_)));
            if !waiting || self.link != Link::Connected {
                self.finish_shutdown();
            }
        }
    }
}

/// The live server transaction among `servers` of a received request, by branch, sent-by
/// and method.
pub(crate) fn find_server(
    servers: &[ServerEntry],
    branch: &str,
    sent_by: &str,
    method: &str,
) -> Option<usize> {
    servers
        .iter()
        .position(|s| !s.tx.is_terminated() && s.tx.matches(branch, sent_by, method))
}

/// A new branch and the Via value for our `host` that carries it; a free function so a
/// caller can hold a borrow of the calls meanwhile.
pub(crate) fn fresh_via(rng: &mut Rng, host: &str) -> (String, String) {
    let branch = rng.branch();
    let mut via = String::from("SIP/2.0/WSS ");
    via.push_str(host);
    via.push_str(";branch=");
    via.push_str(&branch);
    (branch, via)
}

/// Our From: `"name" <sip:user@domain>`, or `<sip:user@domain>` when `name` is empty; the
/// configured identity and a call's own display name (`Ua::call_with`) both come from here.
pub(crate) fn name_addr(name: &str, user: &str, domain: &str) -> String {
    let aor = angle(&["sip:", user, "@", domain].concat());
    if name.is_empty() {
        aor
    } else {
        [&quote_display_name(name), " ", &aor].concat()
    }
}

/// Splits `sip:user@domain` (scheme optional, parameters ignored) into user and domain.
fn split_aor(uri: &str) -> (String, String) {
    let rest = uri
        .strip_prefix("sips:")
        .or_else(|| uri.strip_prefix("sip:"))
        .unwrap_or(uri);
    let end = rest
        .bytes()
        .position(|b| matches!(b, b';' | b'?' | b'>'))
        .unwrap_or(rest.len());
    let rest = rest.get(..end).unwrap_or(rest);
    match rest.split_once('@') {
        Some((u, d)) => (u.to_owned(), d.to_owned()),
        None => (String::new(), rest.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aor_parts() {
        assert_eq!(
            split_aor("sip:1001@pbx.example.com"),
            ("1001".into(), "pbx.example.com".into())
        );
        assert_eq!(
            split_aor("sip:1001@pbx.example.com;transport=ws"),
            ("1001".into(), "pbx.example.com".into())
        );
        assert_eq!(
            split_aor("example.com"),
            (String::new(), "example.com".into())
        );
    }
}
