//! One native user agent: a tokio task that owns a [`Ua`], its WebSocket and its calls'
//! media, and runs the core's one rule: after every input or command, drain
//! [`Ua::poll_output`] until it yields the next deadline, then wait for whatever comes first
//! (a frame, that deadline, a command, a media result).
//!
//! A task costs a few kilobytes and no thread, so one process runs thousands of them (the
//! load generator); everything it owns is dropped with it.

use std::future::Future;
use std::pin::Pin;

use futures_util::{SinkExt, StreamExt};
use sip_core::message::Method;
use sip_core::{
    CallId, CommandError, Event, Input, MediaCommand, Output, TransportCommand, Ua, UaConfig,
};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::clock::Clock;
use crate::credentials;
use crate::media::{Media, MediaMode, MediaMsg};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Connecting = Pin<Box<dyn Future<Output = Result<Ws, String>> + Send>>;

/// How the agent renews its credential when the core says it expires soon.
#[derive(Clone, Debug)]
pub struct Signer {
    /// The proxy's shared secret.
    pub secret: String,
    /// The extension signed for.
    pub extension: String,
    /// The lifetime of each credential, in seconds.
    pub ttl_secs: u64,
}

impl Signer {
    /// A user agent configuration for `sip:<extension>@<domain>` with a fresh credential,
    /// its expiry on `clock`.
    #[must_use]
    pub fn ua_config(&self, clock: &Clock, domain: &str, ws_servers: Vec<String>) -> UaConfig {
        let c = credentials::mint(
            &self.secret,
            &self.extension,
            credentials::unix_now() + self.ttl_secs,
        );
        let uri = ["sip:", &self.extension, "@", domain].concat();
        let mut config = UaConfig::new(&uri, &c.authorization_user, &c.password, ws_servers);
        config.user_agent = String::from("klink-sip-bot");
        config.instance_id = [
            "urn:uuid:00000000-0000-4000-8000-",
            &format!("{:012x}", crate::clock::os_seed() & 0xffff_ffff_ffff),
        ]
        .concat();
        config.credentials_expire_at = Some(clock.now().plus(self.ttl_secs * 1000));
        config
    }
}

/// What to start an agent with.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The core's configuration (account, servers, timers).
    pub ua: UaConfig,
    /// What calls' media does.
    pub media: MediaMode,
    /// Renews the credential (`None`: the first one is kept until it fails).
    pub signer: Option<Signer>,
}

/// What an application asks of its agent.
#[derive(Debug)]
pub enum Command {
    /// Place a call; the reply is the call's id or why it was refused.
    Call {
        /// A number or `sip:` URI.
        target: String,
        /// Where the id goes.
        reply: oneshot::Sender<Result<CallId, CommandError>>,
    },
    /// Answer a ringing call.
    Answer(CallId),
    /// Send 183 with the call's answer: the media flows before the 200.
    EarlyMedia(CallId),
    /// End a call.
    Hangup(CallId),
    /// Send DTMF (INFO, or RFC 4733 where negotiated: the bot's media sends none).
    Dtmf {
        /// Which call.
        call: CallId,
        /// Tones.
        tones: String,
    },
    /// Hang up, unregister, close; the agent ends after [`Notice::Sip`] `Destroyed`.
    Shutdown,
}

/// What an agent tells its application.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// An event of the core.
    Sip(Event),
    /// A command was refused by the core.
    Refused {
        /// Which command (`answer`, `early_media`, ...).
        command: &'static str,
        /// Why.
        error: CommandError,
    },
    /// An RFC 4733 digit arrived on a call's audio.
    Digit {
        /// Which call.
        call: CallId,
        /// The digit, its duration and start.
        digit: crate::rfc4733::Digit,
    },
    /// A SIP INFO digit arrived (the core's `Dtmf` event, with the INFO's `Duration`).
    InfoDigit {
        /// Which call.
        call: CallId,
        /// The tone.
        tone: char,
        /// The INFO's `Duration` field, in ms, when it had one.
        duration_ms: Option<u32>,
    },
    /// The first audio packet of a call arrived.
    FirstAudio {
        /// Which call.
        call: CallId,
    },
}

/// A running agent: send it commands, read its notices.
#[derive(Debug)]
pub struct Agent {
    /// Where commands go.
    pub commands: UnboundedSender<Command>,
    /// What it reports, in order.
    pub notices: UnboundedReceiver<Notice>,
    /// The task; it ends after `Shutdown` (or when `commands` are all dropped).
    pub task: tokio::task::JoinHandle<()>,
}

/// Starts an agent on the current tokio runtime. Its clock is `clock` (share one per
/// process so reports compare), its RNG is seeded from the OS.
#[must_use]
pub fn spawn(clock: Clock, settings: Settings) -> Agent {
    let (commands, command_rx) = unbounded_channel();
    let (notice_tx, notices) = unbounded_channel();
    let (media_tx, media_rx) = unbounded_channel();
    let ua = Ua::new(settings.ua, crate::clock::os_seed(), clock.now());
    let driver = Driver {
        clock,
        ua,
        ws: None,
        connecting: None,
        media: Media::new(settings.media, media_tx),
        media_rx,
        commands: command_rx,
        notices: notice_tx,
        signer: settings.signer,
        info_durations: Vec::new(),
        pending_early: Vec::new(),
        deadline: None,
        closed: None,
        destroyed: false,
    };
    let task = tokio::spawn(driver.run());
    Agent {
        commands,
        notices,
        task,
    }
}

struct Driver {
    clock: Clock,
    ua: Ua,
    ws: Option<Ws>,
    connecting: Option<Connecting>,
    media: Media,
    media_rx: UnboundedReceiver<(CallId, MediaMsg)>,
    commands: UnboundedReceiver<Command>,
    notices: UnboundedSender<Notice>,
    signer: Option<Signer>,
    /// `Duration` of the INFO digits just fed, in order, for the core's `Dtmf` events.
    info_durations: Vec<(char, Option<u32>)>,
    /// Calls whose next answer from the media layer goes in a 183, not to the core.
    pending_early: Vec<CallId>,
    deadline: Option<sip_core::Instant>,
    /// The WebSocket failed while sending: reported as closed after the drain.
    closed: Option<String>,
    destroyed: bool,
}

/// The next frame of `ws`, or never when there is none.
async fn next_frame(ws: &mut Option<Ws>) -> Option<Result<Message, String>> {
    match ws {
        Some(ws) => ws.next().await.map(|r| r.map_err(|e| e.to_string())),
        None => std::future::pending().await,
    }
}

async fn connected(connecting: &mut Option<Connecting>) -> Result<Ws, String> {
    match connecting {
        Some(c) => c.await,
        None => std::future::pending().await,
    }
}

async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Opens a WebSocket with the `sip` subprotocol (RFC 7118).
fn connect(url: String) -> Connecting {
    Box::pin(async move {
        let mut request = url.into_client_request().map_err(|e| e.to_string())?;
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("sip"));
        // SIP messages are a few KiB: tungstenite's 128 KiB read buffer per connection was
        // most of an agent's memory (scripts/load runs 1,000). No Nagle: an ACK and the
        // INVITE after a challenge leave back to back, and the second must not wait.
        let config = WebSocketConfig::default().read_buffer_size(4096);
        let (ws, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
            .await
            .map_err(|e| e.to_string())?;
        Ok(ws)
    })
}

/// The tone and `Duration` of a DTMF INFO, read before the core sees it.
fn info_digit(text: &str) -> Option<(char, Option<u32>)> {
    let msg = sip_core::message::parse(text).ok()?;
    if msg.method()? != Method::Info {
        return None;
    }
    let mut tone = None;
    let mut duration = None;
    for line in msg.body().lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        if k.eq_ignore_ascii_case("signal") {
            tone = v.chars().next().map(|c| c.to_ascii_uppercase());
        } else if k.eq_ignore_ascii_case("duration") {
            duration = v.parse().ok();
        }
    }
    Some((tone?, duration))
}

impl Driver {
    async fn run(mut self) {
        self.ua.start(self.clock.now());
        while !self.destroyed {
            self.drain().await;
            if self.destroyed {
                break;
            }
            let wake = self.deadline.map(|at| self.clock.deadline(at));
            tokio::select! {
                frame = next_frame(&mut self.ws) => self.frame(frame),
                opened = connected(&mut self.connecting) => {
                    self.connecting = None;
                    let now = self.clock.now();
                    match opened {
                        Ok(ws) => {
                            self.ws = Some(ws);
                            self.ua.handle_input(now, Input::TransportConnected);
                        }
                        Err(reason) => self.ua.handle_input(now, Input::TransportClosed { reason }),
                    }
                }
                () = until(wake) => self.ua.handle_timeout(self.clock.now()),
                command = self.commands.recv() => match command {
                    Some(command) => self.command(command),
                    // Nobody can command this agent any more: leave cleanly.
                    None => self.ua.shutdown(self.clock.now()),
                },
                Some((call, msg)) = self.media_rx.recv() => self.media_msg(call, msg),
            }
        }
        self.media.close_all();
        if let Some(mut ws) = self.ws.take() {
            let _ = ws.close(None).await;
        }
    }

    fn notify(&self, notice: Notice) {
        let _ = self.notices.send(notice);
    }

    fn frame(&mut self, frame: Option<Result<Message, String>>) {
        let now = self.clock.now();
        let text = match frame {
            Some(Ok(Message::Text(t))) => t.as_str().to_owned(),
            Some(Ok(Message::Binary(b))) => match String::from_utf8(b.to_vec()) {
                Ok(t) => t,
                Err(_) => return,
            },
            // tungstenite answers pings itself.
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => return,
            Some(Ok(Message::Close(_))) | None => {
                self.ws = None;
                let reason = String::from("closed by the server");
                self.ua.handle_input(now, Input::TransportClosed { reason });
                return;
            }
            Some(Err(reason)) => {
                self.ws = None;
                self.ua.handle_input(now, Input::TransportClosed { reason });
                return;
            }
        };
        if let Some(digit) = info_digit(&text) {
            self.info_durations.push(digit);
        }
        self.ua.handle_input(now, Input::Received(&text));
    }

    fn command(&mut self, command: Command) {
        let now = self.clock.now();
        let (name, result) = match command {
            Command::Call { target, reply } => {
                let _ = reply.send(self.ua.call(now, &target));
                return;
            }
            Command::Answer(id) => ("answer", self.ua.answer(now, &id)),
            Command::EarlyMedia(id) => ("early_media", self.early_media(&id)),
            Command::Hangup(id) => ("hangup", self.ua.hangup(now, &id)),
            Command::Dtmf { call, tones } => ("dtmf", self.ua.dtmf(now, &call, &tones)),
            Command::Shutdown => {
                self.ua.shutdown(now);
                return;
            }
        };
        if let Err(error) = result {
            self.notify(Notice::Refused {
                command: name,
                error,
            });
        }
    }

    /// Early media: the media layer answers the call's offer, then the core sends it in
    /// a 183 (see [`Ua::early_media`]).
    fn early_media(&mut self, id: &CallId) -> Result<(), CommandError> {
        let Some(offer) = self.ua.remote_offer(id) else {
            return Err(CommandError::UnknownCall(id.as_str().to_owned()));
        };
        let remote_sdp = offer.to_owned();
        self.pending_early.push(id.clone());
        self.media
            .command(id, MediaCommand::CreateAnswer { remote_sdp });
        Ok(())
    }

    fn media_msg(&mut self, call: CallId, msg: MediaMsg) {
        let now = self.clock.now();
        match msg {
            MediaMsg::Result(sip_core::MediaResult::LocalAnswer(sdp))
                if self.pending_early.contains(&call) =>
            {
                self.pending_early.retain(|c| *c != call);
                if let Err(error) = self.ua.early_media(now, &call, sdp) {
                    self.notify(Notice::Refused {
                        command: "early_media",
                        error,
                    });
                }
            }
            MediaMsg::Result(result) => self.ua.handle_input(now, Input::Media { call, result }),
            MediaMsg::Digit(digit) => self.notify(Notice::Digit { call, digit }),
            MediaMsg::FirstAudio => self.notify(Notice::FirstAudio { call }),
        }
    }

    /// Fulfils the core's outputs until it yields its next deadline.
    async fn drain(&mut self) {
        loop {
            match self.ua.poll_output() {
                Output::Transmit(text) => {
                    if let Some(ws) = self.ws.as_mut() {
                        if let Err(e) = ws.send(Message::text(text)).await {
                            self.ws = None;
                            self.closed = Some(e.to_string());
                        }
                    }
                }
                Output::Transport(TransportCommand::Connect { url }) => {
                    self.ws = None;
                    self.connecting = Some(connect(url));
                }
                Output::Transport(TransportCommand::Close) => {
                    self.ws = None;
                    self.connecting = None;
                    self.closed = None;
                }
                Output::Media { call, command } => self.media.command(&call, command),
                Output::Event(event) => self.event(event),
                Output::Timeout(at) => {
                    self.deadline = at;
                    match self.closed.take() {
                        Some(reason) => {
                            let now = self.clock.now();
                            self.ua.handle_input(now, Input::TransportClosed { reason });
                        }
                        None => return,
                    }
                }
            }
        }
    }

    fn event(&mut self, event: Event) {
        match &event {
            Event::CredentialsExpiring => {
                if let Some(signer) = &self.signer {
                    let expires = credentials::unix_now() + signer.ttl_secs;
                    let c = credentials::mint(&signer.secret, &signer.extension, expires);
                    let now = self.clock.now();
                    let at = now.plus(signer.ttl_secs * 1000);
                    self.ua
                        .update_credentials(now, c.authorization_user, c.password, Some(at));
                }
            }
            Event::Dtmf { call, tone } => {
                let position = self.info_durations.iter().position(|(t, _)| t == tone);
                let duration_ms = position.and_then(|i| self.info_durations.remove(i).1);
                self.info_durations.clear();
                self.notify(Notice::InfoDigit {
                    call: call.clone(),
                    tone: *tone,
                    duration_ms,
                });
                return;
            }
            Event::Destroyed => self.destroyed = true,
            _ => {}
        }
        self.notify(Notice::Sip(event));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_duration_of_an_info_digit() {
        let info = "INFO sip:a@b SIP/2.0\r\nVia: SIP/2.0/WSS x.invalid;branch=z9hG4bK1\r\n\
                    From: <sip:1@b>;tag=1\r\nTo: <sip:2@b>;tag=2\r\nCall-ID: c\r\nCSeq: 2 INFO\r\n\
                    Max-Forwards: 70\r\nContent-Type: application/dtmf-relay\r\nContent-Length: 24\r\n\r\n\
                    Signal=5\r\nDuration=250\r\n";
        assert_eq!(info_digit(info), Some(('5', Some(250))));
        assert_eq!(info_digit(&info.replace("INFO sip", "BYE sip")), None);
        assert_eq!(info_digit("garbage"), None);
    }
}
