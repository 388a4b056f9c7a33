//! The exported `Engine`: runs the sans-IO user agent on the browser's socket, media and
//! timers, and turns its events into JS listener calls. The credential request is the JS
//! wrapper's: the engine gets the response at creation, and asks for a fresh one through a
//! callback when the core says the credentials expire soon.
//!
//! The driver loop follows the core's one rule: after every input or command, drain
//! `poll_output` until it yields the next deadline, then arm one browser timer for it.
//! Outputs go into a queue and are dispatched with no borrow of the core held, so a listener
//! may call back into the engine (`hangup()` from `incoming`) at once; a nested call only
//! queues, and the outer loop dispatches in order.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use js_sys::{Array, Function};
use sip_core::events::{CallId, Event};
use sip_core::media::{MediaCommand, MediaResult};
use sip_core::timer::Instant;
use sip_core::ua::{
    CommandError, Input, KeepalivePolicy, MuteDirection, Output, TransportCommand, Ua, UaConfig,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{HtmlMediaElement, MediaStream, MediaStreamTrack};

use crate::config::{Config, LogLevel};
use crate::credentials::{self, Credentials};
use crate::error::{ErrorCode, SdkError};
use crate::js;
use crate::media::{MediaNotice, MediaOp, MediaSession, MediaSettings};
use crate::payload::{self, kind, Value, WallClock};
use crate::socket::{NetworkWatch, Socket, SocketEvent};
use crate::stats;

/// The numbers of `Engine::command`: positions in `COMMANDS` of npm/src/sdk.js (npm/test/commands.test.mjs
/// compares the two).
mod command {
    pub(super) const ANSWER: u32 = 0;
    pub(super) const REJECT: u32 = 1;
    pub(super) const HANGUP: u32 = 2;
    pub(super) const HOLD: u32 = 3;
    pub(super) const UNHOLD: u32 = 4;
    pub(super) const MUTE: u32 = 5;
    pub(super) const UNMUTE: u32 = 6;
    pub(super) const DTMF: u32 = 7;
    pub(super) const CALL: u32 = 8;
    pub(super) const START: u32 = 9;
    pub(super) const DESTROY: u32 = 10;
    pub(super) const ATTACH_AUDIO: u32 = 11;
    pub(super) const GET_CALLS: u32 = 12;
    pub(super) const IS_REGISTERED: u32 = 13;
    pub(super) const CREDENTIALS: u32 = 14;
    pub(super) const SUSPEND: u32 = 15;
    pub(super) const SET_INPUT_DEVICE: u32 = 16;
    pub(super) const TRANSFER: u32 = 17;
    pub(super) const TRANSFER_REPLACING: u32 = 18;
    pub(super) const ACCEPT_TRANSFER: u32 = 19;
    pub(super) const REJECT_TRANSFER: u32 = 20;
    pub(super) const PING: u32 = 21;
    pub(super) const ICE_SERVERS: u32 = 22;
    pub(super) const GET_STATS: u32 = 23;
    pub(super) const SEND_MESSAGE: u32 = 24;
}

fn now() -> Instant {
    Instant(js::now_ms())
}

/// Everything one engine owns. Lives in an `Rc`; browser callbacks hold a `Weak` to it.
struct Shared {
    config: Config,
    clock: WallClock,
    ua: RefCell<Ua>,
    emit: Function,
    /// Asks the wrapper for fresh credentials; they come back through the `credentials`
    /// command, a failure as the wrapper's own `error` event.
    refresh: Function,
    /// Shared by every call; `setInputDevice` replaces the microphone constraints.
    media_settings: RefCell<MediaSettings>,
    socket: RefCell<Option<Socket>>,
    /// Increments with every socket, so events of a replaced socket are ignored.
    socket_generation: Cell<u32>,
    /// Media sessions by call id (a handful at most: a list beats a hash map in size).
    media: RefCell<Vec<(String, MediaSession)>>,
    /// The armed wakeup: its deadline and the browser timer.
    timer: RefCell<Option<(Instant, Timeout)>>,
    audio: RefCell<Option<HtmlMediaElement>>,
    /// Remote streams by call id, most recent last.
    remote_streams: RefCell<Vec<(String, MediaStream)>>,
    pending: RefCell<VecDeque<Output>>,
    dispatching: Cell<bool>,
    /// The URL of the current socket, and whether it ever opened: a socket that closes
    /// without opening is a failed connection attempt, reported as a transport error.
    socket_url: RefCell<String>,
    socket_opened: Cell<bool>,
    /// `destroy()` was called: the core is shutting down, and ends it (`Destroyed`) when its
    /// BYEs and un-REGISTER are answered or its grace period is over.
    destroying: Cell<bool>,
    torn_down: Cell<bool>,
    /// Network changes make the core probe the socket at once.
    network_watch: RefCell<Option<NetworkWatch>>,
}

/// The engine behind `KlinkCallSdk`. All methods take `&self` so a listener may call any of
/// them while an event is being delivered.
#[wasm_bindgen]
pub struct Engine {
    shared: Rc<Shared>,
}

/// Maps a refused command to its K-Link code; the message is the core's.
fn command_error(err: CommandError) -> JsValue {
    let code = match &err {
        CommandError::UnknownCall(_) => ErrorCode::UnknownCall,
        CommandError::WrongState { .. } | CommandError::NotConnected | CommandError::ShutDown => {
            ErrorCode::InvalidState
        }
        CommandError::InvalidTone(_)
        | CommandError::NoTones
        | CommandError::InvalidTarget(_)
        | CommandError::InvalidStatus(_)
        | CommandError::InvalidArgument(_) => ErrorCode::InvalidArgument,
    };
    SdkError::new(code, err.message()).into()
}

fn media_command_name(c: &MediaCommand) -> &'static str {
    match c {
        MediaCommand::CreateOffer => "create offer",
        MediaCommand::CreateAnswer { .. } => "create answer",
        MediaCommand::ApplyAnswer { .. } => "apply answer",
        MediaCommand::CreateReoffer { .. } => "create re-offer",
        MediaCommand::Rollback => "rollback",
        MediaCommand::InsertDtmf { .. } => "insert DTMF",
        MediaCommand::SetMuted(true) => "mute",
        MediaCommand::SetMuted(false) => "unmute",
        MediaCommand::SetMutedIn(true) => "mute in",
        MediaCommand::SetMutedIn(false) => "unmute in",
        MediaCommand::Close => "close",
        MediaCommand::GetStats => "get stats",
    }
}

/// The credentials' expiry on the core's clock: the wall-clock `expiresAt` of the response
/// becomes an instant as far from now. When to refresh them is the core's decision.
fn expiry(creds: &Credentials) -> Option<Instant> {
    let remaining = (creds.expires_at_unix_ms? - js::date_now()).max(0.0);
    Some(now().plus(remaining as u64))
}

/// Takes the credentials whole: what the user agent keeps moves into it, uncopied.
fn ua_config(config: &Config, creds: Credentials) -> UaConfig {
    let expire_at = expiry(&creds);
    let mut ua = UaConfig::new(
        &creds.sip_uri,
        &creds.authorization_user,
        creds.password.expose(),
        creds.ws_servers,
    );
    ua.display_name = Some(creds.display_name).filter(|n| !n.is_empty());
    ua.realm = Some(creds.realm).filter(|r| !r.is_empty());
    ua.user_agent = ["klink-call-sdk/", env!("CARGO_PKG_VERSION")].concat();
    ua.instance_id = config.instance_id.clone();
    ua.register_expires = config.register_expires_secs;
    ua.media_recovery.grace = config.ice_disconnected_grace_ms.into();
    ua.media_recovery.timeout = config.media_recovery_timeout_ms.into();
    ua.credentials_expire_at = expire_at;
    ua.reconnect.max_delay = u64::from(config.reconnect.max_delay_ms);
    ua.incoming_while_busy = config.incoming_while_busy;
    if !config.reconnect.enabled {
        ua.reconnect.max_attempts = Some(0);
    }
    ua.keepalive = config
        .keepalive
        .map(|[idle, call, timeout]| KeepalivePolicy {
            idle_interval: idle.into(),
            call_interval: call.into(),
            timeout: timeout.into(),
        });
    ua.session_timers = config.session_timers.map(|t| sip_core::ua::SessionTimers {
        expires: t.expires_secs,
        min_se: t.min_secs,
    });
    ua.quality.stats_interval = Some(u64::from(config.stats_interval_ms)).filter(|ms| *ms > 0);
    ua.quality.warnings = config.quality_warnings;
    ua
}

#[wasm_bindgen]
impl Engine {
    /// Reads the config (as npm/src/config.js completes it) and the credential response (as
    /// npm/src/credentials.js fetched it) and builds the engine. Nothing is connected until
    /// the `start` command. `refresh()` is called when the credentials expire soon. Throws
    /// `{ code, message }`.
    pub fn create(
        config: JsValue,
        credentials: JsValue,
        emit: Function,
        refresh: Function,
    ) -> Result<Engine, JsValue> {
        install_panic_hook();
        let config = Config::read(&config)?;
        let mut creds = credentials::parse_body(&credentials, &config)?;
        let seed = js::random_u64().ok_or_else(|| {
            SdkError::new(
                ErrorCode::InitFailed,
                "this environment has no crypto.getRandomValues",
            )
        })?;
        let extension = std::mem::take(&mut creds.extension);
        let ice_servers = config
            .ice_servers
            .clone()
            .unwrap_or_else(|| creds.ice_servers.clone());
        let ua = Ua::new(ua_config(&config, creds), seed, now());
        let media_settings = MediaSettings {
            ice_servers,
            ice_gathering_timeout_ms: config.ice_gathering_timeout_ms,
            audio: config.audio_constraints.clone(),
        };
        let shared = Rc::new(Shared {
            config,
            clock: WallClock::capture(),
            ua: RefCell::new(ua),
            emit,
            refresh,
            media_settings: RefCell::new(media_settings),
            socket: RefCell::new(None),
            socket_generation: Cell::new(0),
            media: RefCell::new(Vec::new()),
            timer: RefCell::new(None),
            audio: RefCell::new(None),
            remote_streams: RefCell::new(Vec::new()),
            pending: RefCell::new(VecDeque::new()),
            dispatching: Cell::new(false),
            socket_url: RefCell::new(String::new()),
            socket_opened: Cell::new(false),
            destroying: Cell::new(false),
            torn_down: Cell::new(false),
            network_watch: RefCell::new(None),
        });
        let weak = Rc::downgrade(&shared);
        *shared.network_watch.borrow_mut() = Some(NetworkWatch::new(move || {
            if let Some(s) = weak.upgrade() {
                s.input(Input::NetworkChanged);
            }
        }));
        shared.log(
            LogLevel::Info,
            &["credentials for extension ", &extension, " received"],
        );
        Ok(Engine { shared })
    }

    /// Runs one command: a single export serves them all, as each export costs a shim in the
    /// wasm and a wrapper in the glue. `kind` is the position of the command's name in
    /// `COMMANDS` of npm/src/sdk.js; `call_id` names the call (the target for `call`); `arg`
    /// holds the DTMF tones, the element of `attachAudio`, the credential response of
    /// `credentials` (the answer to a `refresh()`), or `{ audio, track }` of
    /// `setInputDevice`. Returns the new call's id for `call`, the snapshots of the live calls
    /// for `getCalls`, whether the user agent is registered for `isRegistered`, the
    /// `replaceTrack` promises for `setInputDevice`, the calls' `RTCIceServer[]` for
    /// `iceServers`, else `undefined` (`ping` answers with the `pong` event).
    pub fn command(&self, kind: u32, call_id: &str, arg: JsValue) -> Result<JsValue, JsValue> {
        let s = &self.shared;
        match kind {
            command::DESTROY => s.destroy(),
            command::ATTACH_AUDIO => s.attach_audio(arg)?,
            command::CREDENTIALS => s.renew_credentials(&arg)?,
            command::GET_STATS => s.get_stats(call_id, arg)?,
            command::GET_CALLS => {
                let calls = Array::new();
                for info in s.ua.borrow().calls() {
                    calls.push(&payload::array(
                        &payload::call(info, s.clock, js::now_ms()),
                        s.clock,
                    ));
                }
                return Ok(calls.into());
            }
            command::SET_INPUT_DEVICE => return Ok(s.set_input(&arg)),
            command::ICE_SERVERS => {
                return Ok(s.media_settings.borrow().ice_servers.clone().into())
            }
            command::IS_REGISTERED => {
                let registered = !s.torn_down.get() && s.ua.borrow().is_registered();
                return Ok(JsValue::from_bool(registered));
            }
            _ => return s.call_command(kind, call_id, &arg.as_string().unwrap_or_default()),
        }
        Ok(JsValue::UNDEFINED)
    }
}

impl Shared {
    /// The commands that need a live user agent: everything but `destroy`, `attachAudio`,
    /// `credentials` and the two queries.
    fn call_command(
        self: &Rc<Self>,
        kind: u32,
        call_id: &str,
        arg: &str,
    ) -> Result<JsValue, JsValue> {
        let s = self;
        s.check_alive()?;
        let t = now();
        let id = CallId::from(call_id);
        let mut id_out = None;
        let result = {
            let mut ua = s.ua.borrow_mut();
            match kind {
                command::ANSWER => ua.answer(t, &id),
                // The wrapper hands over 486, 603 or 480 (486 when not given).
                command::REJECT => ua.reject_with(
                    t,
                    &id,
                    match arg {
                        "603" => 603,
                        "480" => 480,
                        _ => 486,
                    },
                ),
                command::HANGUP => ua.hangup(t, &id),
                command::HOLD => ua.hold(t, &id),
                command::UNHOLD => ua.unhold(t, &id),
                // `arg` is the direction the wrapper checked: "out", "in" or "all".
                command::MUTE | command::UNMUTE => {
                    let direction = match arg {
                        "in" => MuteDirection::In,
                        "all" => MuteDirection::All,
                        _ => MuteDirection::Out,
                    };
                    ua.mute_with(t, &id, kind == command::MUTE, direction)
                }
                // `arg` is the duration and the gap as one character each (their code
                // points: 40 to 6000, checked by the wrapper), then the tones.
                command::DTMF => {
                    let mut chars = arg.chars();
                    let duration = chars.next().map_or(100, u32::from);
                    let gap = chars.next().map_or(70, u32::from);
                    ua.dtmf_with(t, &id, chars.as_str(), duration, gap)
                }
                // `arg` is the display name, then a `Name:value` line per header, all
                // joined by LF (the core refuses anything it may not send).
                command::CALL => {
                    let (name, headers) =
                        sip_core::search::split_once(arg, "\n").unwrap_or((arg, ""));
                    ua.call_with(t, call_id, name, headers).map(|new| {
                        id_out = Some(new);
                    })
                }
                command::TRANSFER => ua.transfer(t, &id, arg),
                command::TRANSFER_REPLACING => ua.transfer_replacing(t, &id, &CallId::from(arg)),
                command::ACCEPT_TRANSFER => ua.accept_transfer(t, &id).map(|new| {
                    id_out = Some(new);
                }),
                command::REJECT_TRANSFER => ua.reject_transfer(t, &id),
                command::START => {
                    ua.start(t);
                    Ok(())
                }
                // The page is going away: the pump below hands every CANCEL, BYE and the
                // un-REGISTER to the socket, then closes it, before this returns.
                command::SUSPEND => {
                    ua.suspend(t);
                    Ok(())
                }
                // preflight(): the answer comes back as the `pong` event.
                command::PING => ua.ping(t),
                // `call_id` is the target, `arg` the message's id as one character (its code
                // point, below 0xD800), then the text; the outcome is a `pong` with the id.
                command::SEND_MESSAGE => {
                    let mut chars = arg.chars();
                    let id = chars.next().map_or(0, u32::from) as u16;
                    ua.send_message(t, call_id, chars.as_str(), id)
                }
                _ => {
                    return Err(
                        SdkError::new(ErrorCode::InvalidArgument, "unknown engine command").into(),
                    )
                }
            }
        };
        s.pump();
        result.map_err(command_error)?;
        Ok(id_out.map_or(JsValue::UNDEFINED, |new| JsValue::from_str(new.as_str())))
    }

    /// Plays every call's remote audio in `element` (an `<audio>` or `<video>`); `null` detaches.
    fn attach_audio(self: &Rc<Self>, element: JsValue) -> Result<(), JsValue> {
        let s = self;
        if element.is_null() || element.is_undefined() {
            let old = s.audio.borrow_mut().take();
            if let Some(el) = old {
                el.set_src_object(None);
            }
            return Ok(());
        }
        let el: HtmlMediaElement = element.dyn_into().map_err(|_| {
            JsValue::from(SdkError::new(
                ErrorCode::InvalidArgument,
                "attachAudio needs an HTMLAudioElement or HTMLVideoElement",
            ))
        })?;
        el.set_autoplay(true);
        *s.audio.borrow_mut() = Some(el);
        let latest = s
            .remote_streams
            .borrow()
            .last()
            .map(|(_, st)| Clone::clone(st));
        if let Some(stream) = latest {
            s.play(&stream);
        }
        Ok(())
    }

    /// `setInputDevice`: new calls open the microphone with `arg.audio`; each call that
    /// sends audio switches to a clone of `arg.track` (the wrapper stops the original). Returns
    /// the `replaceTrack` promises.
    fn set_input(&self, arg: &JsValue) -> JsValue {
        self.media_settings.borrow_mut().audio = js::get(arg, "audio");
        let track: MediaStreamTrack = js::get(arg, "track").unchecked_into();
        let swaps = Array::new();
        for (_, session) in self.media.borrow().iter() {
            // `track.clone()` is JS `MediaStreamTrack.clone()`: ending a call stops its tracks.
            if let Some(p) = session.use_microphone(track.clone()) {
                swaps.push(&p);
            }
        }
        swaps.into()
    }

    fn check_alive(&self) -> Result<(), JsValue> {
        if self.torn_down.get() || self.destroying.get() {
            return Err(SdkError::new(
                ErrorCode::InvalidState,
                "the SDK was destroyed; call init() again",
            )
            .into());
        }
        Ok(())
    }

    /// Starts an orderly shutdown: unregister, end calls, close the socket. `destroyed` is
    /// emitted when the core reports `Destroyed`: when done, or after its grace period at the
    /// latest (a deadline of the core, so the one browser timer covers it).
    fn destroy(self: &Rc<Self>) {
        if self.torn_down.get() || self.destroying.replace(true) {
            return;
        }
        self.ua.borrow_mut().shutdown(now());
        self.pump();
    }

    /// Logs the concatenation of `parts`: joined here, once the level lets the line through,
    /// so a silenced line costs no string and the call sites share one joining loop.
    fn log(&self, level: LogLevel, parts: &[&str]) {
        if level > self.config.log_level {
            return;
        }
        let mut line = String::from("[klink-call-sdk] ");
        for part in parts {
            line.push_str(part);
        }
        match level {
            LogLevel::Error => js::console_error(&line),
            LogLevel::Warn => js::console_warn(&line),
            _ => js::console_log(&line),
        }
    }

    /// Logs a SIP message at debug level without the instance id: it names this tab for as
    /// long as the tab lives, so it stays out of logs that get pasted into tickets.
    fn log_sip(&self, what: &str, text: &str) {
        // sip_core's replace: str::replace would link core's Two-Way searcher (docs/size.md).
        let text = sip_core::search::replace(text, &self.config.instance_id, "urn:uuid:<hidden>");
        self.log(LogLevel::Debug, &[what, &text]);
    }

    /// Hands the wrapper an event: its number and its payload's values (see [`payload`]).
    fn emit(&self, kind: u32, values: &[Value<'_>]) {
        let values = payload::array(values, self.clock);
        if let Err(e) = self
            .emit
            .call2(&JsValue::NULL, &JsValue::from(kind), &values)
        {
            self.log(
                LogLevel::Error,
                &["event listener threw: ", &js::describe(&e)],
            );
        }
    }

    /// Drains the core, re-arms the timer, then dispatches (unless an outer pump is already
    /// dispatching: it will pick the new outputs up, in order).
    fn pump(self: &Rc<Self>) {
        if self.torn_down.get() {
            return;
        }
        let deadline = {
            let mut ua = self.ua.borrow_mut();
            let mut pending = self.pending.borrow_mut();
            loop {
                match ua.poll_output() {
                    Output::Timeout(at) => break at,
                    other => pending.push_back(other),
                }
            }
        };
        self.arm_timer(deadline);
        if self.dispatching.replace(true) {
            return;
        }
        loop {
            let next = self.pending.borrow_mut().pop_front();
            let Some(output) = next else { break };
            self.dispatch(output);
        }
        self.dispatching.set(false);
    }

    fn arm_timer(self: &Rc<Self>, deadline: Option<Instant>) {
        let mut timer = self.timer.borrow_mut();
        let Some(at) = deadline else {
            *timer = None;
            return;
        };
        if timer.as_ref().is_some_and(|(armed, _)| *armed == at) {
            return;
        }
        let delay = at.0.saturating_sub(js::now_ms()).min(u64::from(u32::MAX));
        *timer = Some((at, self.after(delay as u32)));
    }

    /// The browser timer for the core's next deadline: it calls [`Shared::wake`].
    fn after(self: &Rc<Self>, ms: u32) -> Timeout {
        let weak = Rc::downgrade(self);
        js::timeout(
            ms,
            Box::new(move || {
                if let Some(s) = weak.upgrade() {
                    s.wake();
                }
            }),
        )
    }

    fn wake(self: &Rc<Self>) {
        self.timer.borrow_mut().take();
        self.ua.borrow_mut().handle_timeout(now());
        self.pump();
    }

    fn input(self: &Rc<Self>, input: Input<'_>) {
        if self.torn_down.get() {
            return;
        }
        self.ua.borrow_mut().handle_input(now(), input);
        self.pump();
    }

    fn dispatch(self: &Rc<Self>, output: Output) {
        match output {
            Output::Transmit(text) => {
                // Checked first: the copy of every message would cost on the hot path.
                if self.config.log_level >= LogLevel::Debug {
                    self.log_sip("send:\n", &text);
                }
                let sent = self.socket.borrow().as_ref().map(|s| s.send(&text));
                if let Some(Err(why)) = sent {
                    self.log(LogLevel::Warn, &["could not send: ", &why]);
                }
            }
            Output::Transport(TransportCommand::Connect { url }) => self.connect(&url),
            Output::Transport(TransportCommand::Close) => {
                // A new generation silences anything the dropped socket still reports: the core
                // has already given up on it (keepalive or connect deadline).
                self.socket_generation
                    .set(self.socket_generation.get().wrapping_add(1));
                let old = self.socket.borrow_mut().take();
                drop(old);
            }
            Output::Media { call, command } => self.media_command(call, command),
            Output::Event(event) => self.event(event),
            Output::Timeout(_) => {}
        }
    }

    fn connect(self: &Rc<Self>, url: &str) {
        let old = self.socket.borrow_mut().take();
        drop(old);
        let generation = self.socket_generation.get().wrapping_add(1);
        self.socket_generation.set(generation);
        let weak = Rc::downgrade(self);
        let sink = move |ev: SocketEvent| {
            if let Some(s) = weak.upgrade() {
                if s.socket_generation.get() == generation {
                    s.on_socket(ev);
                }
            }
        };
        self.log(LogLevel::Info, &["connecting to ", url]);
        *self.socket_url.borrow_mut() = url.to_string();
        self.socket_opened.set(false);
        match Socket::open(url, sink) {
            Ok(socket) => *self.socket.borrow_mut() = Some(socket),
            Err(why) => {
                self.connect_failed(&why);
                self.input(Input::TransportClosed { reason: why });
            }
        }
    }

    /// Logs a connection attempt that failed. The core reports it to the application (an
    /// `error` event with scope `transport`) and retries the next server or backs off.
    fn connect_failed(&self, why: &str) {
        let url = self.socket_url.borrow();
        self.log(LogLevel::Warn, &["cannot connect to ", &url, ": ", why]);
    }

    fn on_socket(self: &Rc<Self>, ev: SocketEvent) {
        match ev {
            SocketEvent::Open => {
                self.socket_opened.set(true);
                self.input(Input::TransportConnected);
            }
            SocketEvent::Message(text) => {
                if self.config.log_level >= LogLevel::Debug {
                    self.log_sip("recv:\n", &text);
                }
                self.input(Input::Received(&text));
            }
            SocketEvent::Closed { code, reason } => {
                let old = self.socket.borrow_mut().take();
                drop(old);
                let reason = [
                    "WebSocket closed (",
                    &sip_core::decimal::string(code.into()),
                    ") ",
                    &reason,
                ]
                .concat();
                if self.socket_opened.get() {
                    self.log(LogLevel::Info, &[&reason]);
                } else {
                    self.connect_failed(reason.trim_end());
                }
                self.input(Input::TransportClosed { reason });
            }
        }
    }

    fn media_command(self: &Rc<Self>, call: CallId, command: MediaCommand) {
        let key = call.as_str().to_string();
        self.log(
            LogLevel::Debug,
            &["media ", &key, ": ", media_command_name(&command)],
        );
        if let MediaCommand::Close = command {
            let session = {
                let mut media = self.media.borrow_mut();
                media
                    .iter()
                    .position(|(k, _)| *k == key)
                    .map(|i| media.swap_remove(i))
            };
            drop(session);
            self.release_stream(&key);
            return;
        }
        if let MediaCommand::GetStats = command {
            if let Some(pc) = self.peer_connection(&key) {
                self.sample(call, pc, None);
            }
            return;
        }
        if !self.media.borrow().iter().any(|(k, _)| *k == key) {
            let session = self.new_session(call.clone());
            self.media.borrow_mut().push((key.clone(), session));
        }
        let media = self.media.borrow();
        let Some(session) = media.iter().find(|(k, _)| *k == key).map(|(_, s)| s) else {
            return;
        };
        match command {
            MediaCommand::CreateOffer => session.run(MediaOp::CreateOffer),
            MediaCommand::CreateAnswer { remote_sdp } => {
                session.run(MediaOp::CreateAnswer(remote_sdp))
            }
            MediaCommand::ApplyAnswer { remote_sdp } => {
                session.run(MediaOp::ApplyAnswer(remote_sdp))
            }
            MediaCommand::CreateReoffer {
                direction,
                ice_restart,
                fresh,
            } => session.run(MediaOp::Reoffer(direction, ice_restart, fresh)),
            MediaCommand::Rollback => session.run(MediaOp::Rollback),
            MediaCommand::SetMuted(muted) => session.set_muted(muted),
            MediaCommand::SetMutedIn(muted) => session.set_muted_in(muted),
            MediaCommand::InsertDtmf {
                tones,
                duration,
                gap,
            } => {
                if let Err(why) = session.insert_dtmf(&tones, duration, gap) {
                    drop(media);
                    let detail = ["DTMF not sent on call ", &key, ": ", &why].concat();
                    self.emit(kind::ERROR, &[Value::Str("media"), Value::Str(&detail)]);
                }
            }
            // Handled above, before a session is looked up or made.
            MediaCommand::Close | MediaCommand::GetStats => {}
        }
    }

    /// The connection of a call's media session, once it has one.
    fn peer_connection(&self, call: &str) -> Option<web_sys::RtcPeerConnection> {
        let media = self.media.borrow();
        let (_, session) = media.iter().find(|(k, _)| k == call)?;
        session.peer_connection()
    }

    /// Reads a call's statistics: for the core's sampling (`done` is `None`; a sample that
    /// cannot be read, the call ended meanwhile, is skipped), or for `getStats()` (`done` is
    /// the wrapper's promise: the stats object, or nothing when they could not be read). One
    /// async step serves both: each costs its own state machine in the wasm.
    fn sample(
        self: &Rc<Self>,
        call: CallId,
        pc: web_sys::RtcPeerConnection,
        done: Option<Function>,
    ) {
        let weak = Rc::downgrade(self);
        spawn_local(async move {
            // What `done` gets: the stats' values, or `undefined` when they could not be read.
            let mut out = JsValue::UNDEFINED;
            if let (Ok(sample), Some(s)) = (stats::sample(&pc).await, weak.upgrade()) {
                if done.is_none() {
                    return s.input(Input::Media {
                        call,
                        result: MediaResult::Stats(sample),
                    });
                }
                if let Ok(stats) = s.ua.borrow().stats(&call, sample) {
                    out = payload::array(&payload::stats(&call, &stats), s.clock).into();
                }
            }
            if let Some(done) = done {
                let _ = done.call1(&JsValue::NULL, &out);
            }
        });
    }

    /// `getStats(callId)`: the statistics go to `done` (see [`Shared::sample`]).
    fn get_stats(self: &Rc<Self>, call_id: &str, done: JsValue) -> Result<(), JsValue> {
        self.check_alive()?;
        let id = CallId::from(call_id);
        let (code, why) = if self.ua.borrow().call_info(&id).is_none() {
            (ErrorCode::UnknownCall, " is not in progress")
        } else {
            match self.peer_connection(call_id) {
                Some(pc) => {
                    self.sample(id, pc, Some(done.unchecked_into()));
                    return Ok(());
                }
                None => (ErrorCode::InvalidState, " has no media yet"),
            }
        };
        Err(SdkError::new(code, ["call ", call_id, why].concat()).into())
    }

    fn new_session(self: &Rc<Self>, call: CallId) -> MediaSession {
        let weak: Weak<Self> = Rc::downgrade(self);
        MediaSession::new(self.media_settings.borrow().clone(), move |notice| {
            let Some(s) = weak.upgrade() else { return };
            match notice {
                MediaNotice::Outcome(outcome) => {
                    if let MediaResult::Failed(why) = &outcome {
                        s.log(
                            LogLevel::Warn,
                            &["media of call ", call.as_str(), ": ", why],
                        );
                    }
                    s.input(Input::Media {
                        call: call.clone(),
                        result: outcome,
                    });
                }
                MediaNotice::RemoteStream(stream) => s.remote_stream(call.as_str(), stream),
                MediaNotice::ToneSent(tone) => {
                    if !tone.is_empty() {
                        s.log(
                            LogLevel::Debug,
                            &["DTMF tone ", &tone, " sent on call ", call.as_str()],
                        );
                    }
                }
                MediaNotice::Log(line) => {
                    s.log(LogLevel::Info, &["call ", call.as_str(), ": ", &line]);
                }
            }
        })
    }

    /// A call's remote stream: a new call's, or a moved call's new one (decision 0007), which
    /// takes its place and plays where the old one did.
    fn remote_stream(self: &Rc<Self>, call_id: &str, stream: MediaStream) {
        let mut streams = self.remote_streams.borrow_mut();
        // `Clone::clone`, not `stream.clone()`: the latter is JS `MediaStream.clone()` (new tracks).
        let entry = (call_id.to_string(), Clone::clone(&stream));
        let at = streams.iter().position(|(c, _)| c == call_id);
        let playing = match at {
            Some(i) => {
                streams[i] = entry;
                i + 1 == streams.len()
            }
            None => {
                streams.push(entry);
                true
            }
        };
        drop(streams);
        if playing {
            self.play(&stream);
        }
        self.emit(
            kind::REMOTE_STREAM,
            &[Value::Str(call_id), Value::Js(&stream)],
        );
    }

    /// Plays `stream` in the attached element; an autoplay refusal becomes an `error` event.
    fn play(self: &Rc<Self>, stream: &MediaStream) {
        let Some(el) = self.audio.borrow().clone() else {
            return;
        };
        el.set_src_object(Some(stream));
        let Ok(promise) = el.play() else { return };
        let weak = Rc::downgrade(self);
        spawn_local(async move {
            if let Err(e) = JsFuture::from(promise).await {
                let name = e
                    .dyn_ref::<js_sys::Error>()
                    .map_or(String::new(), |e| e.name().into());
                // AbortError: a newer stream (or none) replaced this one before it played.
                if name == "AbortError" {
                    return;
                }
                let Some(s) = weak.upgrade() else { return };
                let detail = [
                    "the browser refused to play call audio (",
                    &js::describe(&e),
                    "): call resumeAudio() from a user gesture",
                ]
                .concat();
                // NotAllowedError: the autoplay policy wants a user gesture first.
                let blocked = name == "NotAllowedError";
                let values = [
                    Value::Str(if blocked { "audio" } else { "media" }),
                    Value::Str(&detail),
                    Value::Str("autoplay_blocked"),
                ];
                s.emit(kind::ERROR, &values[..2 + usize::from(blocked)]);
            }
        });
    }

    /// Forgets the call's remote streams; the element switches to another call's audio, if any.
    fn release_stream(self: &Rc<Self>, call_id: &str) {
        let mut streams = self.remote_streams.borrow_mut();
        // A call has one entry at most: `remote_stream` replaces its stream in place.
        let Some(at) = streams.iter().position(|(c, _)| c == call_id) else {
            return;
        };
        streams.remove(at);
        let next = streams.last().map(|(_, s)| Clone::clone(s));
        drop(streams);
        let el = self.audio.borrow().clone();
        if let Some(el) = el {
            match next {
                Some(stream) => self.play(&stream),
                None => el.set_src_object(None),
            }
        }
    }

    fn event(self: &Rc<Self>, event: Event) {
        match &event {
            Event::CredentialsExpiring => {
                // The wrapper's retry policy handles its own failures; it does not throw.
                let _ = self.refresh.call0(&JsValue::NULL);
            }
            Event::Destroyed => {
                self.teardown();
                return;
            }
            Event::RegisteredChange { registered } => {
                self.log(
                    LogLevel::Info,
                    &[if *registered {
                        "registered"
                    } else {
                        "unregistered"
                    }],
                );
            }
            Event::Error { scope, detail } => {
                self.log(LogLevel::Warn, &[scope.as_str(), ": ", detail]);
            }
            Event::HoldFailed { reason, .. } => {
                self.log(LogLevel::Warn, &["call: ", reason]);
            }
            Event::Connected
            | Event::Disconnected
            | Event::RegistrationFailed { .. }
            | Event::Incoming(_)
            | Event::SessionStarted(_)
            | Event::CallUpdated(_)
            | Event::SessionEnded { .. }
            | Event::Dtmf { .. }
            | Event::TransferAccepted { .. }
            | Event::TransferFailed { .. }
            | Event::TransferRequested { .. }
            | Event::Pong { .. }
            | Event::Stats { .. }
            | Event::QualityWarning { .. }
            | Event::QualityWarningCleared { .. }
            | Event::Message { .. } => {}
        }
        payload::event(&event, |kind, values| self.emit(kind, values));
    }

    /// Hands the credentials the wrapper fetched after a `refresh()` to the core; a response
    /// the engine cannot use is thrown back (the wrapper reports it like a failed fetch).
    fn renew_credentials(self: &Rc<Self>, body: &JsValue) -> Result<(), SdkError> {
        if self.torn_down.get() {
            return Ok(());
        }
        let creds = credentials::parse_body(body, &self.config)?;
        self.log(LogLevel::Info, &["credentials refreshed"]);
        let expire_at = expiry(&creds);
        self.ua.borrow_mut().update_credentials(
            now(),
            creds.authorization_user,
            creds.password.expose().to_string(),
            expire_at,
        );
        self.pump();
        Ok(())
    }

    /// Drops every browser resource and emits `destroyed` once.
    fn teardown(self: &Rc<Self>) {
        if self.torn_down.replace(true) {
            return;
        }
        drop(self.timer.borrow_mut().take());
        drop(self.network_watch.borrow_mut().take());
        drop(self.socket.borrow_mut().take());
        let sessions = std::mem::take(&mut *self.media.borrow_mut());
        drop(sessions);
        self.remote_streams.borrow_mut().clear();
        let el = self.audio.borrow_mut().take();
        if let Some(el) = el {
            el.set_src_object(None);
        }
        self.pending.borrow_mut().clear();
        self.log(LogLevel::Info, &["destroyed"]);
        self.emit(kind::DESTROYED, &[]);
    }
}

/// In debug builds, report a panic (a bug: the engine must never panic) on the console.
fn install_panic_hook() {
    #[cfg(debug_assertions)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            std::panic::set_hook(Box::new(|info| {
                js::console_error(
                    &[
                        "[klink-call-sdk] engine panic (a bug, please report): ",
                        &info.to_string(),
                    ]
                    .concat(),
                );
            }));
        });
    }
}
