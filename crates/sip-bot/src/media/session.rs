//! One call's WebRTC audio: a [`str0m::Rtc`] on its own UDP socket on 127.0.0.1, in its
//! own task, driven by the same rule as the SIP core (drain `poll_output` to a timeout).
//!
//! RTP mode: packets are seen and written as they are, which is what echo wants (the
//! caller's frames go back unchanged, no codec) and lets the bot read RFC 4733 payloads.

use std::net::SocketAddr;
use std::time::Duration;

use sip_core::{CallId, Direction, MediaCommand, MediaResult};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::{Codec, FormatParams};
use str0m::media::{Direction as RtcDirection, Frequency, MediaKind, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{RtpWrite, SeqNo};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;

use super::{payload_types, MediaMode, MediaMsg, PayloadTypes};
use crate::g711::Tone;
use crate::rfc4733::Tracker;

/// Telephone-event payload types offered (answers use the offer's numbers).
const TELE_8K: u8 = 126;
const TELE_48K: u8 = 110;

/// Runs the session of `call` until the user agent drops `commands` (Close) or the
/// socket fails.
pub(super) async fn run(
    call: CallId,
    mode: MediaMode,
    mut commands: UnboundedReceiver<MediaCommand>,
    out: UnboundedSender<(CallId, MediaMsg)>,
) {
    let socket = match UdpSocket::bind("127.0.0.1:0").await {
        Ok(s) => s,
        Err(e) => {
            let reason = ["no UDP socket for media: ", &e.to_string()].concat();
            while let Some(command) = commands.recv().await {
                if expects_result(&command) {
                    let _ = out.send((
                        call.clone(),
                        MediaMsg::Result(MediaResult::Failed(reason.clone())),
                    ));
                }
            }
            return;
        }
    };
    let Ok(local) = socket.local_addr() else {
        return;
    };
    let mut s = Session::new(call, mode, local, out);
    let mut buf = vec![0u8; 2048];
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while let Some(deadline) = s.drain(&socket) {
        tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, source)) => s.receive(source, &buf[..n]),
                Err(_) => break,
            },
            command = commands.recv() => match command {
                Some(MediaCommand::Close) | None => break,
                Some(command) => s.command(command),
            },
            () = tokio::time::sleep_until(deadline) => {
                let _ = s.rtc.handle_input(Input::Timeout(std::time::Instant::now()));
            }
            _ = tick.tick(), if s.tone_due() => s.send_tone(),
        }
    }
    s.rtc.disconnect();
    let _ = s.drain(&socket);
}

/// Whether the core waits for an answer to `command`.
fn expects_result(command: &MediaCommand) -> bool {
    matches!(
        command,
        MediaCommand::CreateOffer
            | MediaCommand::CreateAnswer { .. }
            | MediaCommand::ApplyAnswer { .. }
            | MediaCommand::CreateReoffer { .. }
    )
}

/// The str0m configuration of a mode: the codecs it can take.
fn config(mode: MediaMode) -> RtcConfig {
    let mut config = Rtc::builder().set_rtp_mode(true).clear_codecs();
    config = match mode {
        // The tone is PCMU: offered and accepted alone.
        MediaMode::Tone { .. } => config.enable_pcmu(true, false),
        MediaMode::Echo | MediaMode::Listen { .. } | MediaMode::Null => config
            .enable_opus(true, false)
            .enable_pcmu(true, false)
            .enable_pcma(true, false),
    };
    if mode
        == (MediaMode::Listen {
            telephone_event: false,
        })
    {
        return config;
    }
    let codecs = config.codec_config();
    codecs.add_config(
        Pt::new_with_value(TELE_8K),
        None,
        Codec::Tele,
        Frequency::EIGHT_KHZ,
        None,
        FormatParams::default(),
    );
    if !matches!(mode, MediaMode::Tone { .. }) {
        codecs.add_config(
            Pt::new_with_value(TELE_48K),
            None,
            Codec::Tele,
            Frequency::FORTY_EIGHT_KHZ,
            None,
            FormatParams::default(),
        );
    }
    config
}

fn rtc_direction(d: Direction) -> RtcDirection {
    match d {
        Direction::SendRecv => RtcDirection::SendRecv,
        Direction::SendOnly => RtcDirection::SendOnly,
        Direction::RecvOnly => RtcDirection::RecvOnly,
        Direction::Inactive => RtcDirection::Inactive,
    }
}

struct Session {
    call: CallId,
    mode: MediaMode,
    rtc: Rtc,
    local: SocketAddr,
    out: UnboundedSender<(CallId, MediaMsg)>,
    mid: Option<Mid>,
    pending: Option<SdpPendingOffer>,
    /// The last offer answered and its answer: the same offer again (early media, then the
    /// 200) gets the same answer.
    answered: Option<(String, String)>,
    pts: PayloadTypes,
    /// The clock rate of the audio received (the stream's timestamps).
    audio_rate: Option<u32>,
    /// The clock rate of the first audio codec of the answer (offer/answer done).
    answer_rate: Option<u32>,
    ice_up: bool,
    muted: bool,
    first_audio: bool,
    digits: Tracker,
    tone: Option<(Tone, u16, u32)>,
}

impl Session {
    fn new(
        call: CallId,
        mode: MediaMode,
        local: SocketAddr,
        out: UnboundedSender<(CallId, MediaMsg)>,
    ) -> Session {
        let mut rtc = config(mode).build(std::time::Instant::now());
        if let Ok(candidate) = Candidate::host(local, "udp") {
            rtc.add_local_candidate(candidate);
        }
        let tone = match mode {
            MediaMode::Tone { hz } => Some((Tone::new(hz, -12.0), 0, 0)),
            MediaMode::Echo | MediaMode::Listen { .. } | MediaMode::Null => None,
        };
        Session {
            call,
            mode,
            rtc,
            local,
            out,
            mid: None,
            pending: None,
            answered: None,
            pts: PayloadTypes::default(),
            audio_rate: None,
            answer_rate: None,
            ice_up: false,
            muted: false,
            first_audio: false,
            digits: Tracker::default(),
            tone,
        }
    }

    fn report(&self, msg: MediaMsg) {
        let _ = self.out.send((self.call.clone(), msg));
    }

    fn result(&self, result: MediaResult) {
        self.report(MediaMsg::Result(result));
    }

    /// Sends what str0m wants sent and handles its events; the next wake-up, or `None`
    /// when the session is dead.
    fn drain(&mut self, socket: &UdpSocket) -> Option<Instant> {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(at)) => {
                    let wait = at.saturating_duration_since(std::time::Instant::now());
                    return Some(Instant::now() + wait.min(Duration::from_secs(1)));
                }
                Ok(Output::Transmit(t)) => {
                    // UDP on loopback: a full buffer drops the packet as the network would.
                    let _ = socket.try_send_to(&t.contents, t.destination);
                }
                Ok(Output::Event(event)) => self.event(event),
                Err(_) => return None,
            }
        }
    }

    fn receive(&mut self, source: SocketAddr, data: &[u8]) {
        if let Ok(r) = Receive::new(Protocol::Udp, source, self.local, data) {
            let _ = self
                .rtc
                .handle_input(Input::Receive(std::time::Instant::now(), r));
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::IceConnectionStateChange(state) => match state {
                IceConnectionState::Connected | IceConnectionState::Completed => {
                    if !self.ice_up {
                        self.ice_up = true;
                        self.result(MediaResult::IceConnected);
                    }
                }
                IceConnectionState::Disconnected => {
                    if self.ice_up {
                        self.ice_up = false;
                        self.result(MediaResult::IceDisconnected);
                    }
                }
                IceConnectionState::New | IceConnectionState::Checking => {}
            },
            Event::MediaAdded(m) if m.kind == MediaKind::Audio => {
                self.mid.get_or_insert(m.mid);
            }
            Event::RtpPacket(packet) => {
                let pt = *packet.header.payload_type;
                if let Some(rate) = self.pts.telephone_event_rate(pt) {
                    // Events may come before any audio (tones sent as soon as DTLS is
                    // up): the answer's first codec is what the peer sends with then.
                    let stream_rate = self.audio_rate.or(self.answer_rate).unwrap_or(rate);
                    if let Some(digit) = self.digits.push(
                        packet.header.timestamp,
                        (rate, stream_rate),
                        &packet.payload,
                    ) {
                        self.report(MediaMsg::Digit(digit));
                    }
                    return;
                }
                if let Some(rate) = self.pts.audio_rate(pt) {
                    self.audio_rate = Some(rate);
                }
                if !self.first_audio {
                    self.first_audio = true;
                    self.report(MediaMsg::FirstAudio);
                }
                if self.mode == MediaMode::Echo && !self.muted {
                    self.write(
                        RtpWrite::new(
                            packet.header.payload_type,
                            packet.seq_no,
                            packet.header.timestamp,
                            std::time::Instant::now(),
                            packet.payload.clone(),
                        )
                        .marker(packet.header.marker),
                    );
                }
            }
            _ => {}
        }
    }

    fn write(&mut self, rtp: RtpWrite) {
        let Some(mid) = self.mid else {
            return;
        };
        if let Some(tx) = self.rtc.direct_api().stream_tx_by_mid(mid, None) {
            tx.write_rtp(rtp);
        }
    }

    fn tone_due(&self) -> bool {
        self.tone.is_some() && self.ice_up && self.mid.is_some() && !self.muted
    }

    fn send_tone(&mut self) {
        let pt = Pt::new_with_value(self.pts.pcmu.unwrap_or(0));
        let Some((tone, seq, time)) = self.tone.as_mut() else {
            return;
        };
        let frame = tone.frame();
        let first = *seq == 0;
        *seq = seq.wrapping_add(1);
        *time = time.wrapping_add(crate::g711::FRAME_SAMPLES as u32);
        let rtp = RtpWrite::new(
            pt,
            SeqNo::from(u64::from(*seq)),
            *time,
            std::time::Instant::now(),
            frame.to_vec(),
        )
        .marker(first);
        self.write(rtp);
    }

    fn command(&mut self, command: MediaCommand) {
        match command {
            MediaCommand::CreateAnswer { remote_sdp } => {
                if let Some((offer, answer)) = &self.answered {
                    if *offer == remote_sdp {
                        let answer = answer.clone();
                        self.result(MediaResult::LocalAnswer(answer));
                        return;
                    }
                }
                let result = SdpOffer::from_sdp_string(&remote_sdp)
                    .map_err(|e| e.to_string())
                    .and_then(|offer| {
                        self.rtc
                            .sdp_api()
                            .accept_offer(offer)
                            .map_err(|e| e.to_string())
                    });
                match result {
                    Ok(answer) => {
                        let answer = answer.to_sdp_string();
                        self.pts = payload_types(&remote_sdp);
                        self.answer_rate = payload_types(&answer).audio[0].map(|(_, r)| r);
                        self.pending = None;
                        self.answered = Some((remote_sdp, answer.clone()));
                        self.result(MediaResult::LocalAnswer(answer));
                    }
                    Err(e) => self.result(MediaResult::Failed(e)),
                }
            }
            MediaCommand::CreateOffer => {
                let mut api = self.rtc.sdp_api();
                let mid = api.add_media(MediaKind::Audio, RtcDirection::SendRecv, None, None, None);
                let applied = api.apply();
                self.offer(applied, Some(mid));
            }
            MediaCommand::CreateReoffer {
                direction,
                ice_restart,
                // One `Rtc` per call here: a move restarts ICE on it, as it always did.
                fresh,
            } => {
                let mut api = self.rtc.sdp_api();
                if let Some(mid) = self.mid {
                    api.set_direction(mid, rtc_direction(direction));
                }
                if ice_restart || fresh {
                    api.ice_restart(true);
                }
                let applied = api.apply();
                self.offer(applied, None);
            }
            MediaCommand::ApplyAnswer { remote_sdp } => {
                let Some(pending) = self.pending.take() else {
                    self.result(MediaResult::Failed(String::from("no offer to answer")));
                    return;
                };
                let result = SdpAnswer::from_sdp_string(&remote_sdp)
                    .map_err(|e| e.to_string())
                    .and_then(|answer| {
                        self.rtc
                            .sdp_api()
                            .accept_answer(pending, answer)
                            .map_err(|e| e.to_string())
                    });
                match result {
                    Ok(()) => {
                        self.pts = payload_types(&remote_sdp);
                        self.answer_rate = self.pts.audio[0].map(|(_, r)| r);
                        self.result(MediaResult::RemoteApplied);
                    }
                    Err(e) => self.result(MediaResult::Failed(e)),
                }
            }
            MediaCommand::Rollback => self.pending = None,
            MediaCommand::SetMuted(muted) => self.muted = muted,
            // The bots send no DTMF and play nothing locally; no statistics are sampled.
            MediaCommand::InsertDtmf { .. }
            | MediaCommand::SetMutedIn(_)
            | MediaCommand::GetStats
            | MediaCommand::Close => {}
        }
    }

    fn offer(&mut self, applied: Option<(SdpOffer, SdpPendingOffer)>, mid: Option<Mid>) {
        match applied {
            Some((offer, pending)) => {
                if let Some(mid) = mid {
                    self.mid.get_or_insert(mid);
                }
                let sdp = offer.to_sdp_string();
                if mid.is_some() {
                    self.pts = payload_types(&sdp);
                }
                self.pending = Some(pending);
                self.result(MediaResult::LocalOffer(sdp));
            }
            None => self.result(MediaResult::Failed(String::from("nothing to renegotiate"))),
        }
    }
}
