//! The media layer of one user agent: fulfils the core's [`MediaCommand`]s with one
//! [`str0m`] session per call ([`session`]), or, for signalling-only agents, with a fixed
//! SDP and no packets at all ([`MediaMode::Null`]).

mod rtpmap;
mod session;

use std::collections::HashMap;

use sip_core::{CallId, MediaCommand, MediaResult};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

pub use rtpmap::{payload_types, PayloadTypes};

/// What a call's media does once it flows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MediaMode {
    /// Send every audio packet received back as it came (same payload, timestamp, marker).
    Echo,
    /// Send a generated PCMU tone at `hz`; offers and answers only PCMU.
    Tone {
        /// The tone's frequency.
        hz: f64,
    },
    /// Receive only (RFC 4733 digits are reported): nothing is sent.
    Listen {
        /// Accept telephone-event in answers (`false`: the peer must use SIP INFO).
        telephone_event: bool,
    },
    /// No WebRTC at all: a fixed SDP answers and offers, no socket, no packet. For
    /// signalling load between native agents (a browser would never connect to it).
    Null,
}

/// What a call's media reports to its user agent.
#[derive(Clone, Debug, PartialEq)]
pub enum MediaMsg {
    /// A result for the core.
    Result(MediaResult),
    /// An RFC 4733 digit completed on the received stream.
    Digit(crate::rfc4733::Digit),
    /// The first audio packet arrived (for measurements; once per call).
    FirstAudio,
}

/// The calls' media sessions of one user agent.
#[derive(Debug)]
pub struct Media {
    mode: MediaMode,
    calls: HashMap<CallId, UnboundedSender<MediaCommand>>,
    results: UnboundedSender<(CallId, MediaMsg)>,
}

impl Media {
    /// An empty media layer whose sessions report to `results`.
    #[must_use]
    pub fn new(mode: MediaMode, results: UnboundedSender<(CallId, MediaMsg)>) -> Media {
        Media {
            mode,
            calls: HashMap::new(),
            results,
        }
    }

    /// Carries out `command` for `call`: a new session on its first command, gone after Close.
    pub fn command(&mut self, call: &CallId, command: MediaCommand) {
        if self.mode == MediaMode::Null {
            if let Some(result) = null_result(&command) {
                let _ = self.results.send((call.clone(), MediaMsg::Result(result)));
            }
            return;
        }
        if command == MediaCommand::Close {
            // Dropping the sender ends the session's task.
            self.calls.remove(call);
            return;
        }
        let sender = self.calls.entry(call.clone()).or_insert_with(|| {
            let (tx, rx) = unbounded_channel();
            tokio::spawn(session::run(
                call.clone(),
                self.mode,
                rx,
                self.results.clone(),
            ));
            tx
        });
        if sender.send(command).is_err() {
            // The session ended by itself (its socket failed): say so to the core.
            self.calls.remove(call);
            let _ = self.results.send((
                call.clone(),
                MediaMsg::Result(MediaResult::Failed(String::from("media session ended"))),
            ));
        }
    }

    /// Closes every session (the user agent is going away).
    pub fn close_all(&mut self) {
        self.calls.clear();
    }

    /// How many calls have a media session.
    #[must_use]
    pub fn sessions(&self) -> usize {
        self.calls.len()
    }
}

/// The fixed SDP of signalling-only calls: PCMU on the discard port, never used.
const NULL_SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";

/// What a signalling-only media layer answers at once.
fn null_result(command: &MediaCommand) -> Option<MediaResult> {
    match command {
        MediaCommand::CreateOffer | MediaCommand::CreateReoffer { .. } => {
            Some(MediaResult::LocalOffer(NULL_SDP.to_owned()))
        }
        MediaCommand::CreateAnswer { .. } => Some(MediaResult::LocalAnswer(NULL_SDP.to_owned())),
        MediaCommand::ApplyAnswer { .. } => Some(MediaResult::RemoteApplied),
        MediaCommand::Rollback
        | MediaCommand::InsertDtmf { .. }
        | MediaCommand::SetMuted(_)
        | MediaCommand::SetMutedIn(_)
        | MediaCommand::Close
        | MediaCommand::GetStats => None,
    }
}
