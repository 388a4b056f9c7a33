//! The virtual network: phones (a `Ua` + a fake media layer) joined to the proxy by
//! queues with latency and fault injection, under a clock the test advances.

use std::collections::HashMap;

use sip_core::message;
use sip_core::sdp::{self, Direction};
use sip_core::ua::{
    CallId, CallState, Event, Input, Instant, MediaCommand, MediaResult, Output, TransportCommand,
    Ua, UaConfig,
};

use crate::proxy::{Proxy, DOMAIN};

/// Where a queued item goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dest {
    Proxy { from: usize },
    Phone(usize),
}

#[derive(Clone, Debug)]
pub enum What {
    Sip(String),
    Connected,
    Closed,
}

#[derive(Clone, Debug)]
pub struct Packet {
    pub at: Instant,
    pub seq: u64,
    pub to: Dest,
    pub what: What,
}

/// What the fault hook decides for a SIP packet.
pub enum Fault {
    Deliver,
    Drop,
    Delay(u64),
    Duplicate,
    /// Delivers this text instead (a peer or proxy that says something else).
    Rewrite(String),
}

/// The fake media layer of one phone: answers immediately, tracks the transceiver
/// direction like a browser (rollback does not reset it).
#[derive(Default)]
pub struct Media {
    pub dir: HashMap<CallId, Direction>,
    pub version: u32,
    pub telephone_event: bool,
    pub log: Vec<(CallId, MediaCommand)>,
    /// Hold results back (the test feeds them) when false.
    pub auto: bool,
    pub fail_next: bool,
    /// The ICE credentials' generation, in `a=ice-ufrag`: an ICE restart starts the next.
    pub ice_gen: u32,
}

impl Media {
    pub fn sdp(&mut self, dir: Direction) -> String {
        self.version += 1;
        let te = if self.telephone_event { " 101" } else { "" };
        let mut s = format!(
            "v=0\r\no=- 42 {} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111{te}\r\na=rtpmap:111 opus/48000/2\r\n",
            self.version
        );
        if self.telephone_event {
            s.push_str("a=rtpmap:101 telephone-event/8000\r\n");
        }
        s.push_str(&format!("a=ice-ufrag:u{}\r\n", self.ice_gen));
        s.push_str(&format!("a={}\r\n", dir.as_str()));
        s
    }

    fn run(&mut self, call: &CallId, cmd: &MediaCommand) -> Option<MediaResult> {
        self.log.push((call.clone(), cmd.clone()));
        if self.fail_next
            && matches!(
                cmd,
                MediaCommand::CreateOffer
                    | MediaCommand::CreateAnswer { .. }
                    | MediaCommand::CreateReoffer { .. }
            )
        {
            self.fail_next = false;
            return Some(MediaResult::Failed("fake failure".into()));
        }
        match cmd {
            MediaCommand::CreateOffer => {
                let d = *self.dir.entry(call.clone()).or_insert(Direction::SendRecv);
                Some(MediaResult::LocalOffer(self.sdp(d)))
            }
            MediaCommand::CreateReoffer {
                direction,
                ice_restart,
                fresh,
            } => {
                self.ice_gen += u32::from(*ice_restart || *fresh);
                self.dir.insert(call.clone(), *direction);
                Some(MediaResult::LocalOffer(self.sdp(*direction)))
            }
            MediaCommand::CreateAnswer { remote_sdp } => {
                let local = *self.dir.entry(call.clone()).or_insert(Direction::SendRecv);
                let offer = sdp::directions(remote_sdp)
                    .first()
                    .copied()
                    .unwrap_or(Direction::SendRecv);
                let d = intersect(local, offer.reversed());
                Some(MediaResult::LocalAnswer(self.sdp(d)))
            }
            MediaCommand::ApplyAnswer { .. } => Some(MediaResult::RemoteApplied),
            _ => None,
        }
    }
}

fn intersect(a: Direction, b: Direction) -> Direction {
    let sends = |d: Direction| matches!(d, Direction::SendRecv | Direction::SendOnly);
    let recvs = |d: Direction| matches!(d, Direction::SendRecv | Direction::RecvOnly);
    match (sends(a) && sends(b), recvs(a) && recvs(b)) {
        (true, true) => Direction::SendRecv,
        (true, false) => Direction::SendOnly,
        (false, true) => Direction::RecvOnly,
        (false, false) => Direction::Inactive,
    }
}

pub struct Phone {
    pub ua: Ua,
    pub events: Vec<Event>,
    pub media: Media,
    pub timer: Option<Instant>,
    pub connected: bool,
    pub connects: Vec<String>,
    /// When each of `connects` was asked for.
    pub connect_at: Vec<Instant>,
    /// Every message this phone transmitted.
    pub sent: Vec<String>,
    /// Every message delivered to this phone.
    pub received: Vec<String>,
    pub closes: usize,
    /// Counts the phone's flows: every connect that succeeds starts a new one.
    pub flow: u32,
    /// A flow that died silently: its frames vanish both ways, nothing closes.
    pub frozen_flow: Option<u32>,
}

impl Phone {
    fn frozen(&self) -> bool {
        self.frozen_flow == Some(self.flow)
    }
}

pub struct Net {
    pub now: Instant,
    pub phones: Vec<Phone>,
    pub proxy: Proxy,
    pub queue: Vec<Packet>,
    seq: u64,
    pub latency: u64,
    /// Whether connect attempts of a phone succeed.
    pub reachable: Vec<bool>,
    /// Server URLs that refuse every connect.
    pub down: Vec<String>,
    /// Server URLs that never answer a connect (packets dropped silently on the way).
    pub hang: Vec<String>,
    pub fault: Box<dyn FnMut(Dest, &str) -> Fault>,
}

pub fn config(user: &str) -> UaConfig {
    let mut c = UaConfig::new(
        &format!("sip:{user}@{DOMAIN}"),
        user,
        "secret",
        vec!["wss://edge1.test/ws".into(), "wss://edge2.test/ws".into()],
    );
    c.display_name = Some(format!("User {user}"));
    c.instance_id = format!("urn:uuid:00000000-0000-0000-0000-00000000{user}");
    c
}

/// A response to `request` (a request a phone sent) with `status`, built from its Via, From,
/// To, Call-ID and CSeq as the far side would answer it; `body` is SDP.
pub fn response_to(request: &str, status: u16, to_tag: &str, body: Option<&str>) -> Option<String> {
    let m = message::parse(request).ok()?;
    let mut out = format!("SIP/2.0 {status} Fuzz\r\n");
    for line in request.split("\r\n").skip(1) {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("via:")
            || lower.starts_with("from:")
            || lower.starts_with("call-id:")
            || lower.starts_with("cseq:")
        {
            out.push_str(line);
            out.push_str("\r\n");
        } else if lower.starts_with("to:") {
            out.push_str(line);
            if m.to().tag().is_none() {
                out.push_str(";tag=");
                out.push_str(to_tag);
            }
            out.push_str("\r\n");
        }
    }
    out.push_str("Contact: <sip:fuzz@127.0.0.1;transport=ws>\r\n");
    match body {
        Some(b) => {
            out.push_str("Content-Type: application/sdp\r\n");
            out.push_str(&format!("Content-Length: {}\r\n\r\n{b}", b.len()));
        }
        None => out.push_str("Content-Length: 0\r\n\r\n"),
    }
    Some(out)
}

impl Net {
    pub fn new() -> Net {
        Net {
            now: Instant(1_000),
            phones: Vec::new(),
            proxy: Proxy::new(),
            queue: Vec::new(),
            seq: 0,
            latency: 10,
            reachable: Vec::new(),
            down: Vec::new(),
            hang: Vec::new(),
            fault: Box::new(|_, _| Fault::Deliver),
        }
    }

    /// Adds a phone (not started).
    pub fn add(&mut self, config: UaConfig) -> usize {
        let idx = self.phones.len();
        let ua = Ua::new(config, 1000 + idx as u64, self.now);
        self.phones.push(Phone {
            ua,
            events: Vec::new(),
            media: Media {
                auto: true,
                ..Media::default()
            },
            timer: None,
            connected: false,
            connects: Vec::new(),
            connect_at: Vec::new(),
            sent: Vec::new(),
            received: Vec::new(),
            closes: 0,
            flow: 0,
            frozen_flow: None,
        });
        self.reachable.push(true);
        idx
    }

    /// Adds, starts and registers a phone for `user`.
    pub fn phone(&mut self, user: &str) -> usize {
        let i = self.add(config(user));
        self.start(i);
        self.drive();
        assert!(self.phones[i].ua.is_registered(), "{user} registered");
        i
    }

    pub fn start(&mut self, i: usize) {
        let now = self.now;
        self.phones[i].ua.start(now);
        self.drain(i);
    }

    fn push(&mut self, at: Instant, to: Dest, what: What) {
        self.seq += 1;
        self.queue.push(Packet {
            at,
            seq: self.seq,
            to,
            what,
        });
    }

    /// Sends SIP text through the fault hook.
    fn send(&mut self, to: Dest, text: String) {
        let at = self.now.plus(self.latency);
        match (self.fault)(to, &text) {
            Fault::Deliver => self.push(at, to, What::Sip(text)),
            Fault::Drop => {}
            Fault::Delay(ms) => self.push(at.plus(ms), to, What::Sip(text)),
            Fault::Duplicate => {
                self.push(at, to, What::Sip(text.clone()));
                self.push(at.plus(1), to, What::Sip(text));
            }
            Fault::Rewrite(other) => self.push(at, to, What::Sip(other)),
        }
    }

    /// Drains a phone's outputs, running the fake media layer.
    pub fn drain(&mut self, i: usize) {
        loop {
            let mut media_results = Vec::new();
            loop {
                let out = self.phones[i].ua.poll_output();
                match out {
                    Output::Transmit(text) => {
                        assert!(
                            self.phones[i].connected,
                            "phone {i} transmits while disconnected"
                        );
                        self.phones[i].sent.push(text.clone());
                        if !self.phones[i].frozen() {
                            self.send(Dest::Proxy { from: i }, text);
                        }
                    }
                    Output::Transport(TransportCommand::Connect { url }) => {
                        self.phones[i].connects.push(url.clone());
                        self.phones[i].connect_at.push(self.now);
                        if self.hang.contains(&url) {
                            continue;
                        }
                        let what = if self.reachable[i] && !self.down.contains(&url) {
                            What::Connected
                        } else {
                            What::Closed
                        };
                        let at = self.now.plus(5);
                        self.push(at, Dest::Phone(i), what);
                    }
                    Output::Transport(TransportCommand::Close) => {
                        self.phones[i].connected = false;
                        self.phones[i].closes += 1;
                    }
                    Output::Media { call, command } => {
                        let p = &mut self.phones[i];
                        if let Some(r) = p.media.run(&call, &command) {
                            if p.media.auto {
                                media_results.push((call, r));
                            }
                        }
                    }
                    Output::Event(e) => self.phones[i].events.push(e),
                    Output::Timeout(t) => {
                        self.phones[i].timer = t;
                        break;
                    }
                }
            }
            if media_results.is_empty() {
                break;
            }
            let now = self.now;
            for (call, result) in media_results {
                self.phones[i]
                    .ua
                    .handle_input(now, Input::Media { call, result });
            }
        }
    }

    fn deliver(&mut self, p: Packet) {
        match (p.to, p.what) {
            (Dest::Proxy { from }, What::Sip(text)) => {
                for (to, out) in self.proxy.handle(from, &text) {
                    if to < self.phones.len() {
                        self.send(Dest::Phone(to), out);
                    }
                }
            }
            (Dest::Phone(i), What::Sip(text)) => {
                if !self.phones[i].connected || self.phones[i].frozen() {
                    return;
                }
                self.phones[i].received.push(text.clone());
                let now = self.now;
                self.phones[i].ua.handle_input(now, Input::Received(&text));
                self.drain(i);
            }
            (Dest::Phone(i), What::Connected) => {
                self.phones[i].connected = true;
                self.phones[i].flow += 1;
                let flow = self.phones[i].flow;
                let flows = &mut self.proxy.flows;
                if flows.len() <= i {
                    flows.resize(i + 1, 0);
                }
                flows[i] = flow;
                let now = self.now;
                self.phones[i]
                    .ua
                    .handle_input(now, Input::TransportConnected);
                self.drain(i);
            }
            (Dest::Phone(i), What::Closed) => {
                self.phones[i].connected = false;
                // The edge's side of the flow is gone too.
                if let Some(f) = self.proxy.flows.get_mut(i) {
                    *f = 0;
                }
                let now = self.now;
                self.phones[i].ua.handle_input(
                    now,
                    Input::TransportClosed {
                        reason: "closed".into(),
                    },
                );
                self.drain(i);
            }
            _ => {}
        }
    }

    fn next_packet(&self) -> Option<Instant> {
        self.queue.iter().map(|p| p.at).min()
    }

    fn next_timer(&self) -> Option<Instant> {
        self.phones.iter().filter_map(|p| p.timer).min()
    }

    /// Processes everything due at the current time; returns whether anything ran.
    fn run_due(&mut self) -> bool {
        let mut any = false;
        loop {
            let due = self
                .queue
                .iter()
                .enumerate()
                .filter(|(_, p)| p.at <= self.now)
                .min_by_key(|(_, p)| (p.at, p.seq))
                .map(|(i, _)| i);
            if let Some(idx) = due {
                let p = self.queue.remove(idx);
                self.deliver(p);
                any = true;
                continue;
            }
            let timer = (0..self.phones.len())
                .find(|&i| self.phones[i].timer.is_some_and(|t| t <= self.now));
            if let Some(i) = timer {
                let now = self.now;
                self.phones[i].timer = None;
                self.phones[i].ua.handle_timeout(now);
                self.drain(i);
                any = true;
                continue;
            }
            return any;
        }
    }

    /// Runs until the network is quiet: packets in flight are delivered (advancing the
    /// clock by their latency); timers in the future do not fire.
    pub fn drive(&mut self) {
        for _ in 0..10_000 {
            self.run_due();
            match self.next_packet() {
                Some(at) => self.now = self.now.max(at),
                None => return,
            }
        }
        panic!("network never went quiet");
    }

    /// Runs everything (packets and timers) up to `ms` from now.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now.plus(ms);
        for _ in 0..100_000 {
            self.run_due();
            let next = match (self.next_packet(), self.next_timer()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            match next {
                Some(t) if t <= end => self.now = self.now.max(t),
                _ => {
                    self.now = end;
                    self.run_due();
                    return;
                }
            }
        }
        panic!("advance did not converge");
    }

    /// Closes a phone's transport (the WebSocket flickers).
    pub fn cut(&mut self, i: usize) {
        self.queue
            .retain(|p| p.to != Dest::Phone(i) && p.to != Dest::Proxy { from: i });
        let at = self.now;
        self.push(at, Dest::Phone(i), What::Closed);
    }

    /// The phone's current flow dies silently (a network switch, a NAT that forgot the
    /// mapping): frames in flight and later ones vanish both ways, nothing closes. Flows
    /// opened afterwards work.
    pub fn freeze(&mut self, i: usize) {
        self.queue
            .retain(|p| p.to != Dest::Phone(i) && p.to != Dest::Proxy { from: i });
        self.phones[i].frozen_flow = Some(self.phones[i].flow);
    }

    // ----- assertions helpers ---------------------------------------------------

    pub fn events(&self, i: usize) -> &[Event] {
        &self.phones[i].events
    }

    pub fn take_events(&mut self, i: usize) -> Vec<Event> {
        std::mem::take(&mut self.phones[i].events)
    }

    /// The id of the last incoming call of phone `i`.
    pub fn incoming(&self, i: usize) -> CallId {
        self.phones[i]
            .events
            .iter()
            .rev()
            .find_map(|e| match e {
                Event::Incoming(info) => Some(info.id.clone()),
                _ => None,
            })
            .expect("an incoming call")
    }

    pub fn ended(&self, i: usize, call: &CallId) -> Option<(sip_core::ua::EndCause, Option<u16>)> {
        self.phones[i].events.iter().find_map(|e| match e {
            Event::SessionEnded {
                call: c,
                cause,
                status,
            } if c == call => Some((*cause, *status)),
            _ => None,
        })
    }

    /// Whether phone `i` emitted `SessionStarted` for `call` (dialling out, or answering in).
    pub fn started(&self, i: usize, call: &CallId) -> bool {
        self.phones[i]
            .events
            .iter()
            .any(|e| matches!(e, Event::SessionStarted(info) if &info.id == call))
    }

    /// How many `CallUpdated` events of phone `i` report `call` active and answered: the
    /// answer of an outbound call, and any later mute or resume (a test without those sees
    /// exactly one per answer).
    pub fn answers(&self, i: usize, call: &CallId) -> usize {
        self.phones[i]
            .events
            .iter()
            .filter(|e| {
                matches!(e, Event::CallUpdated(info)
                    if &info.id == call && info.state == CallState::Active && info.answered_at.is_some())
            })
            .count()
    }

    /// Whether phone `i` saw its outbound `call` answered (see [`Net::answers`]).
    pub fn answered(&self, i: usize, call: &CallId) -> bool {
        self.answers(i, call) > 0
    }

    pub fn state(&self, i: usize, call: &CallId) -> Option<CallState> {
        self.phones[i].ua.call_info(call).map(|c| c.state)
    }

    /// Messages phone `i` sent whose start line begins with `prefix`.
    pub fn sent(&self, i: usize, prefix: &str) -> Vec<String> {
        self.phones[i]
            .sent
            .iter()
            .filter(|m| m.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// Places a call from `a` to `b`'s user and lets it ring; returns (a's id, b's id).
    pub fn ring(&mut self, a: usize, b_user: &str, b: usize) -> (CallId, CallId) {
        let now = self.now;
        let id = self.phones[a].ua.call(now, b_user).expect("call");
        self.drain(a);
        self.drive();
        (id, self.incoming(b))
    }

    /// A call from `a` to `b` answered; returns (a's id, b's id).
    pub fn connect_call(&mut self, a: usize, b_user: &str, b: usize) -> (CallId, CallId) {
        let (ca, cb) = self.ring(a, b_user, b);
        let now = self.now;
        self.phones[b].ua.answer(now, &cb).expect("answer");
        self.drain(b);
        self.drive();
        assert!(
            self.answered(a, &ca) && self.started(b, &cb),
            "the caller saw the answer, the callee started"
        );
        (ca, cb)
    }

    /// Sends SIP text to the proxy as if phone `from` had sent it (a hand-written request).
    pub fn inject(&mut self, from: usize, text: String) {
        self.send(Dest::Proxy { from }, text);
    }

    /// Delivers SIP text to phone `to` as if the proxy had sent it (no fault hook, no
    /// routing: a message the proxy would never forward, as a hostile or broken one is).
    pub fn deliver_to(&mut self, to: usize, text: String) {
        let at = self.now.plus(self.latency);
        self.push(at, Dest::Phone(to), What::Sip(text));
    }

    /// Runs a command on phone `i` and drains it.
    pub fn with<R>(&mut self, i: usize, f: impl FnOnce(&mut Ua, Instant) -> R) -> R {
        let now = self.now;
        let r = f(&mut self.phones[i].ua, now);
        self.drain(i);
        r
    }
}
