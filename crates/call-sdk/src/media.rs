//! The media driver: one microphone stream and one `RTCPeerConnection` per call, doing what the
//! core asks (offer, answer, apply, re-offer for hold, DTMF, mute) and reporting back.
//!
//! A [`MediaSession`] owns every browser object and callback of its call; dropping it (or
//! [`MediaSession::close`]) stops the tracks, closes the connection and drops the callbacks.
//! Steps that await the browser run one at a time per call, in the order the core asked.
//! When an offer or answer waits for ICE candidates is [`crate::ice_wait`]'s decision.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    MediaStream, MediaStreamTrack, RtcConfiguration, RtcIceConnectionState, RtcIceGatheringState,
    RtcPeerConnection, RtcPeerConnectionIceEvent, RtcRtpSender, RtcRtpTransceiver, RtcSdpType,
    RtcSessionDescriptionInit, RtcTrackEvent, RtcdtmfSender, RtcdtmfToneChangeEvent,
};

use crate::ice_wait::Gathering;
use crate::js;

/// What a step produced: the core's media result, handed to it unchanged.
pub use sip_core::media::MediaResult as MediaOutcome;
/// The direction of a re-offer: the core's own type, so no conversion sits between them.
pub use sip_core::sdp::Direction;

#[wasm_bindgen]
extern "C" {
    /// A view of `RTCPeerConnection` whose throwing methods are caught, not unwound through wasm.
    #[wasm_bindgen(js_name = RTCPeerConnection)]
    type CheckedPeerConnection;
    #[wasm_bindgen(method, catch, js_name = addTrack)]
    fn add_track(
        this: &CheckedPeerConnection,
        track: &MediaStreamTrack,
        stream: &MediaStream,
    ) -> Result<RtcRtpSender, JsValue>;
    /// `createOffer(options)`: web-sys binds it only through `RTCOfferOptions`.
    #[wasm_bindgen(method, js_name = createOffer)]
    fn create_offer_with(this: &CheckedPeerConnection, options: &JsValue) -> Promise;
    #[wasm_bindgen(method, catch, js_name = addTransceiver)]
    fn add_transceiver(
        this: &CheckedPeerConnection,
        kind: &str,
        init: &JsValue,
    ) -> Result<RtcRtpTransceiver, JsValue>;

    /// A view of `RTCDTMFSender`: `insertDTMF` throws on a bad tone or a sender that cannot send.
    #[wasm_bindgen(js_name = RTCDTMFSender)]
    type CheckedDtmfSender;
    #[wasm_bindgen(method, catch, js_name = insertDTMF)]
    fn insert_dtmf(
        this: &CheckedDtmfSender,
        tones: &str,
        duration: u32,
        gap: u32,
    ) -> Result<(), JsValue>;
}

#[wasm_bindgen(module = "/src/promise.js")]
extern "C" {
    /// `[promise, resolve]`: a promise that settles when `resolve` is called.
    #[wasm_bindgen(js_name = deferred)]
    fn deferred_pair() -> Array;
}

/// A promise and the function that resolves it (see `promise.js`).
fn deferred() -> (Promise, Function) {
    let pair = deferred_pair();
    (pair.get(0).unchecked_into(), pair.get(1).unchecked_into())
}

/// A step that awaits the browser.
#[derive(Clone, Debug)]
pub enum MediaOp {
    /// Microphone, connection, offer, bounded ICE wait: [`MediaOutcome::LocalOffer`].
    CreateOffer,
    /// Microphone, connection, remote offer, answer: [`MediaOutcome::LocalAnswer`]. An answer
    /// that rejects every audio stream is reported unapplied, its offer rolled back.
    CreateAnswer(String),
    /// Apply the remote answer to our offer: [`MediaOutcome::RemoteApplied`].
    ApplyAnswer(String),
    /// A new offer with this direction (hold and resume), with new ICE credentials when
    /// asked (an ICE restart), from a fresh connection when asked (a move, see
    /// [`MediaCommand::CreateReoffer`](sip_core::media::MediaCommand::CreateReoffer)):
    /// [`MediaOutcome::LocalOffer`].
    Reoffer(Direction, bool, bool),
    /// Undo our last offer, which the peer refused; reports nothing.
    Rollback,
}

/// Everything the session tells its owner.
#[derive(Debug)]
pub enum MediaNotice {
    /// An outcome for the core.
    Outcome(MediaOutcome),
    /// A remote stream arrived (once per stream).
    RemoteStream(MediaStream),
    /// A DTMF tone started playing on the RTP sender (`""` when the buffer drained).
    ToneSent(String),
    /// Something worth logging that the core need not know.
    Log(String),
}

/// Settings shared by every call.
#[derive(Clone, Debug)]
pub struct MediaSettings {
    /// `RTCIceServer[]`.
    pub ice_servers: Array,
    /// The most to keep gathering after the first candidate when the wanted kind (a relay
    /// with TURN, a server-reflexive address with STUN) does not come.
    pub ice_gathering_timeout_ms: u32,
    /// `getUserMedia`'s `audio` constraints.
    pub audio: JsValue,
}

/// The one browser callback of a connection: its four events share one closure, which costs
/// less wasm than one closure per event. Detaches when dropped.
struct PcCallbacks {
    pc: RtcPeerConnection,
    on_event: Closure<dyn FnMut(web_sys::Event)>,
}

/// The connection events a session listens to.
const PC_EVENTS: [&str; 4] = [
    "icecandidate",
    "icegatheringstatechange",
    "iceconnectionstatechange",
    "track",
];

impl Drop for PcCallbacks {
    fn drop(&mut self) {
        js::listen(
            &self.pc,
            &PC_EVENTS,
            self.on_event.as_ref().unchecked_ref(),
            false,
        );
    }
}

/// The DTMF sender's `tonechange` callback; detaches when dropped.
struct ToneCallback {
    sender: RtcdtmfSender,
    /// Of the connection's closure type: each closure type costs its own wasm glue.
    on_tone: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for ToneCallback {
    fn drop(&mut self) {
        js::listen(
            &self.sender,
            &["tonechange"],
            self.on_tone.as_ref().unchecked_ref(),
            false,
        );
    }
}

struct Inner {
    settings: MediaSettings,
    notify: Box<dyn Fn(MediaNotice)>,
    pc: RefCell<Option<RtcPeerConnection>>,
    callbacks: RefCell<Option<PcCallbacks>>,
    /// The connection a move offered from: the call's once its answer is applied, closed by
    /// a rollback.
    next: RefCell<Option<PcCallbacks>>,
    tone_callback: RefCell<Option<ToneCallback>>,
    local: RefCell<Option<MediaStream>>,
    /// The call's remote audio, as handed to the app.
    remote: RefCell<Option<MediaStream>>,
    gathering: RefCell<Option<Gathering>>,
    queue: RefCell<VecDeque<MediaOp>>,
    running: Cell<bool>,
    muted: Cell<bool>,
    /// The remote audio is silenced here (its tracks disabled; the peer notices nothing).
    muted_in: Cell<bool>,
    /// The direction of our last offer, and the one before it (restored by a rollback).
    direction: Cell<Direction>,
    previous_direction: Cell<Direction>,
    closed: Cell<bool>,
    /// Settles when the session closes. Every step races its browser promise against it:
    /// a closed `RTCPeerConnection` never settles the operations it had in flight, and a
    /// step left waiting on one would keep the session (and its SDP) for the page's lifetime.
    closed_signal: Promise,
    signal_closed: RefCell<Option<Function>>,
    /// ICE is connected as last reported: each change to or from it is reported once.
    ice_up: Cell<bool>,
    /// The offer being made restarts ICE: its wait ignores the last gathering's `complete`.
    restarting: Cell<bool>,
}

/// The media of one call.
pub struct MediaSession {
    inner: Rc<Inner>,
}

impl MediaSession {
    /// A session that reports through `notify`. Nothing is created until the first step.
    pub fn new(settings: MediaSettings, notify: impl Fn(MediaNotice) + 'static) -> Self {
        let (closed_signal, signal_closed) = deferred();
        Self {
            inner: Rc::new(Inner {
                settings,
                notify: Box::new(notify),
                pc: RefCell::new(None),
                callbacks: RefCell::new(None),
                next: RefCell::new(None),
                tone_callback: RefCell::new(None),
                local: RefCell::new(None),
                remote: RefCell::new(None),
                gathering: RefCell::new(None),
                queue: RefCell::new(VecDeque::new()),
                running: Cell::new(false),
                muted: Cell::new(false),
                muted_in: Cell::new(false),
                direction: Cell::new(Direction::SendRecv),
                previous_direction: Cell::new(Direction::SendRecv),
                closed: Cell::new(false),
                closed_signal,
                signal_closed: RefCell::new(Some(signal_closed)),
                ice_up: Cell::new(false),
                restarting: Cell::new(false),
            }),
        }
    }

    /// Queues a step; steps run one after another, each reporting its outcome.
    pub fn run(&self, op: MediaOp) {
        if self.inner.closed.get() {
            return;
        }
        self.inner.queue.borrow_mut().push_back(op);
        if !self.inner.running.replace(true) {
            spawn_local(drain(self.inner.clone()));
        }
    }

    /// Mutes or unmutes the microphone by disabling its track (no renegotiation).
    pub fn set_muted(&self, muted: bool) {
        self.inner.muted.set(muted);
        self.inner.apply_microphone();
    }

    /// Sends `track` instead of the microphone in use (`setInputDevice` mid-call): the new
    /// track takes the call's mute and hold state, the old one is stopped. Returns
    /// `replaceTrack`'s promise; `None` when the call sends no audio yet (its offer or answer
    /// is still being made), so the track was not taken.
    pub fn use_microphone(&self, track: MediaStreamTrack) -> Option<Promise> {
        let inner = &self.inner;
        let sender = inner.audio_sender()?;
        let stream = MediaStream::new_with_tracks(&Array::of1(&track)).ok()?;
        if let Some(next) = inner.next.borrow().as_ref().and_then(|n| sender_of(&n.pc)) {
            let _ = next.replace_track(Some(&track));
        }
        if let Some(old) = inner.local.replace(Some(stream)) {
            stop_tracks(&old);
        }
        inner.apply_microphone();
        Some(sender.replace_track(Some(&track)))
    }

    /// The track the connection sends (the microphone's), once there is one.
    pub fn sender_track(&self) -> Option<MediaStreamTrack> {
        self.inner.audio_sender()?.track()
    }

    /// Silences (or not) the remote audio here: its tracks are disabled, so the attached
    /// element and the `remoteStream` play silence; a track that comes later follows.
    pub fn set_muted_in(&self, muted: bool) {
        self.inner.muted_in.set(muted);
        if let Some(stream) = self.inner.remote.borrow().as_ref() {
            set_tracks_enabled(stream, !muted);
        }
    }

    /// Sends DTMF as RFC 4733 telephone-events on the audio sender, each tone `duration`
    /// ms long with `gap` ms after it (the core keeps both within the browser's bounds).
    pub fn insert_dtmf(&self, tones: &str, duration: u32, gap: u32) -> Result<(), String> {
        let sender = self
            .inner
            .dtmf_sender()
            .ok_or_else(|| String::from("no DTMF sender on this call yet"))?;
        sender
            .unchecked_ref::<CheckedDtmfSender>()
            .insert_dtmf(tones, duration, gap)
            .map_err(|e| js::describe(&e))
    }

    /// The call's connection, once made (statistics are read from it).
    pub fn peer_connection(&self) -> Option<RtcPeerConnection> {
        self.inner.pc.borrow().clone()
    }

    /// The local microphone stream, once acquired.
    pub fn local_stream(&self) -> Option<MediaStream> {
        self.inner.local.borrow().clone()
    }

    /// Whether a step is running or queued (for tests: a closed session must go idle).
    #[doc(hidden)]
    pub fn is_busy(&self) -> bool {
        self.inner.running.get()
    }

    /// Stops everything now; later steps and callbacks do nothing.
    pub fn close(&self) {
        self.inner.close();
    }
}

impl Drop for MediaSession {
    fn drop(&mut self) {
        self.inner.close();
    }
}

fn set_tracks_enabled(stream: &MediaStream, enabled: bool) {
    each_track(stream, Some(enabled));
}

/// Enables or disables every track of `stream`, or stops them (`None`): one loop for both.
fn each_track(stream: &MediaStream, enabled: Option<bool>) {
    for track in stream.get_tracks().iter() {
        // `getTracks()` holds only tracks: no `instanceof` check (an import of its own).
        let track: MediaStreamTrack = track.unchecked_into();
        match enabled {
            Some(on) => track.set_enabled(on),
            None => track.stop(),
        }
    }
}

/// Runs queued steps until the queue is empty.
async fn drain(inner: Rc<Inner>) {
    loop {
        let op = inner.queue.borrow_mut().pop_front();
        let Some(op) = op else {
            inner.running.set(false);
            return;
        };
        let outcome = match inner.perform(op).await {
            Ok(Some(outcome)) => outcome,
            Ok(None) => continue,
            Err(err) => {
                // A move's offer that failed leaves no connection behind.
                inner.drop_next();
                MediaOutcome::Failed(js::describe(&err))
            }
        };
        if inner.closed.get() {
            inner.queue.borrow_mut().clear();
            inner.running.set(false);
            return;
        }
        (inner.notify)(MediaNotice::Outcome(outcome));
    }
}

async fn await_promise(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

impl Inner {
    /// Awaits a promise of the connection, or the session's close, whichever comes first;
    /// a closed session is an error.
    async fn settle(&self, p: Promise) -> Result<JsValue, JsValue> {
        let raced = Promise::race(&Array::of2(&p, &self.closed_signal));
        let result = JsFuture::from(raced).await;
        if self.closed.get() {
            return Err(closed_error());
        }
        result
    }
}

fn closed_error() -> JsValue {
    JsValue::from_str("the call's media was closed")
}

impl Inner {
    /// The microphone sends only when neither muted nor held by us: a `sendonly` hold
    /// would otherwise keep the held party hearing us (JsSIP and SIP.js silence it too).
    fn apply_microphone(&self) {
        let held = matches!(
            self.direction.get(),
            Direction::SendOnly | Direction::Inactive
        );
        if let Some(stream) = self.local.borrow().as_ref() {
            set_tracks_enabled(stream, !self.muted.get() && !held);
        }
    }

    fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        self.queue.borrow_mut().clear();
        let signal = self.signal_closed.borrow_mut().take();
        if let Some(resolve) = signal {
            let _ = resolve.call0(&JsValue::NULL);
        }
        // Let a pending ICE wait finish at once; the step then sees `closed`.
        let gathering = self.gathering.borrow_mut().take();
        if let Some(g) = gathering {
            g.settle();
        }
        drop(self.tone_callback.borrow_mut().take());
        drop(self.callbacks.borrow_mut().take());
        self.drop_next();
        let local = self.local.borrow_mut().take();
        if let Some(stream) = local {
            stop_tracks(&stream);
        }
        let pc = self.pc.borrow_mut().take();
        if let Some(pc) = pc {
            pc.close();
        }
    }

    /// Runs one step; `None` for a step that reports nothing (rollback).
    async fn perform(self: &Rc<Self>, op: MediaOp) -> Result<Option<MediaOutcome>, JsValue> {
        let outcome = match op {
            MediaOp::CreateOffer => MediaOutcome::LocalOffer(self.offer().await?),
            MediaOp::CreateAnswer(remote) => {
                let pc = self.prepare_answer(&remote).await?;
                let answer = self.settle(pc.create_answer()).await?;
                let created = js::get_string(&answer, "sdp").unwrap_or_default();
                if !sip_core::sdp::has_usable_audio(&created) {
                    // The browser can use no codec of the offer. The core refuses the offer
                    // with 488 and never sends this answer; applying it would stop the call's
                    // audio, so the offer is rolled back and a refused re-INVITE changes nothing.
                    let desc = RtcSessionDescriptionInit::new(RtcSdpType::Rollback);
                    self.settle(pc.set_remote_description(&desc)).await?;
                    return Ok(Some(MediaOutcome::LocalAnswer(created)));
                }
                let sdp = self
                    .set_local_and_gather(&pc, RtcSdpType::Answer, &answer)
                    .await?;
                MediaOutcome::LocalAnswer(sdp)
            }
            MediaOp::ApplyAnswer(remote) => {
                self.swap();
                let pc = self.current_pc()?;
                let desc = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
                desc.set_sdp(&remote);
                self.settle(pc.set_remote_description(&desc)).await?;
                MediaOutcome::RemoteApplied
            }
            MediaOp::Reoffer(direction, ice_restart, fresh) => {
                let mut pc = self.current_pc()?;
                self.previous_direction
                    .set(self.direction.replace(direction));
                if fresh {
                    pc = self.fresh()?;
                }
                set_direction(&pc, direction);
                self.apply_microphone();
                let options = js::object(&[("iceRestart", JsValue::from_bool(ice_restart))]);
                let created = pc
                    .unchecked_ref::<CheckedPeerConnection>()
                    .create_offer_with(&options);
                let offer = self.settle(created).await?;
                // An ICE restart gathers anew: the old `complete` says nothing of it.
                self.restarting.set(ice_restart);
                let sdp = self
                    .set_local_and_gather(&pc, RtcSdpType::Offer, &offer)
                    .await;
                self.restarting.set(false);
                let sdp = sdp?;
                MediaOutcome::LocalOffer(sdp)
            }
            MediaOp::Rollback => {
                let pc = self.current_pc()?;
                let previous = self.previous_direction.get();
                self.direction.set(previous);
                self.apply_microphone();
                // A move's offer was made on a connection of its own: closing it undoes the
                // offer, and the call's (stable: a rollback would fail) was never touched.
                if self.drop_next() {
                    return Ok(None);
                }
                set_direction(&pc, previous);
                let desc = RtcSessionDescriptionInit::new(RtcSdpType::Rollback);
                self.settle(pc.set_local_description(&desc)).await?;
                return Ok(None);
            }
        };
        Ok(Some(outcome))
    }

    /// A connection for a move (decision 0007): the call's configuration, sending the track
    /// the call's connection sends (shared: mute and hold apply to both).
    fn fresh(self: &Rc<Self>) -> Result<RtcPeerConnection, JsValue> {
        let pc = self.open()?;
        if let Some(stream) = self.local.borrow().as_ref() {
            add_tracks(&pc, stream)?;
        }
        Ok(pc)
    }

    /// Closes the connection a move offered from; `false` when there was none.
    fn drop_next(&self) -> bool {
        let next = self.next.borrow_mut().take();
        next.map(|next| next.pc.close()).is_some()
    }

    /// `next` becomes the call's connection: the first one, or a move's when its answer
    /// came (its remote track makes a new remote stream; the old connection is closed, the
    /// local track lives on).
    fn swap(self: &Rc<Self>) {
        let Some(next) = self.next.borrow_mut().take() else {
            return;
        };
        *self.pc.borrow_mut() = Some(next.pc.clone());
        let old = self.callbacks.borrow_mut().replace(next);
        if let Some(old) = old {
            old.pc.close();
        }
        self.ice_up.set(false);
        *self.remote.borrow_mut() = None;
        self.watch_tones();
    }

    fn current_pc(&self) -> Result<RtcPeerConnection, JsValue> {
        if self.closed.get() {
            return Err(closed_error());
        }
        self.pc
            .borrow()
            .clone()
            .ok_or_else(|| JsValue::from_str("no peer connection for this call yet"))
    }

    /// An offer. The first one asks for the microphone while the connection is made and
    /// gathers: its audio transceiver starts without a track and gets the microphone's with
    /// `replaceTrack` before the SDP goes out, so audio flows from the first packet and the
    /// slower of the two sets the pace, not their sum (docs/decisions/0003).
    async fn offer(self: &Rc<Self>) -> Result<String, JsValue> {
        if self.closed.get() {
            return Err(closed_error());
        }
        let existing = self.pc.borrow().clone();
        if let Some(pc) = existing {
            let offer = self.settle(pc.create_offer()).await?;
            return self
                .set_local_and_gather(&pc, RtcSdpType::Offer, &offer)
                .await;
        }
        // The connection first: it is the longer path (offer, ICE wait).
        let pc = self.connect()?;
        // A stream id for the SDP's `a=msid`, so the far end's `track` event has a stream.
        let streams = Array::of1(&MediaStream::new()?.into());
        let init = js::object(&[
            ("direction", JsValue::from_str("sendrecv")),
            ("streams", streams.into()),
        ]);
        let sender = pc
            .unchecked_ref::<CheckedPeerConnection>()
            .add_transceiver("audio", &init)?
            .sender();
        let created = pc.create_offer();
        let microphone = self.request_microphone()?;
        // No `?` before the microphone is awaited: it must be kept (or stopped) either way.
        let offered = match self.settle(created).await {
            Ok(offer) => {
                self.set_local_and_gather(&pc, RtcSdpType::Offer, &offer)
                    .await
            }
            Err(e) => Err(e),
        };
        let stream = microphone.await?;
        let sdp = offered?;
        if let Some(track) = stream.get_audio_tracks().iter().next() {
            let track: MediaStreamTrack = track.unchecked_into();
            self.settle(sender.replace_track(Some(&track))).await?;
        }
        if self.closed.get() {
            return Err(closed_error());
        }
        self.watch_tones();
        Ok(sdp)
    }

    /// The connection with the remote offer applied and the microphone attached; the
    /// microphone is asked for while the offer is applied. A re-INVITE (the connection
    /// exists) only applies the new remote offer.
    async fn prepare_answer(
        self: &Rc<Self>,
        remote_offer: &str,
    ) -> Result<RtcPeerConnection, JsValue> {
        if self.closed.get() {
            return Err(closed_error());
        }
        let existing = self.pc.borrow().clone();
        if let Some(pc) = existing {
            apply_offer(self, &pc, remote_offer).await?;
            return Ok(pc);
        }
        let microphone = self.request_microphone()?;
        // No `?` before the microphone is awaited: it must be kept (or stopped) either way.
        let connected = match self.connect() {
            Ok(pc) => apply_offer(self, &pc, remote_offer).await.map(|()| pc),
            Err(e) => Err(e),
        };
        let stream = microphone.await?;
        let pc = connected?;
        if self.closed.get() {
            return Err(closed_error());
        }
        // `addTrack` takes over the transceiver the remote offer created and makes it sendrecv.
        add_tracks(&pc, &stream)?;
        self.watch_tones();
        Ok(pc)
    }

    /// Starts `getUserMedia` now. The returned future must be awaited: it keeps the stream
    /// where `close` stops it, or stops it at once when the call ended meanwhile.
    fn request_microphone(
        self: &Rc<Self>,
    ) -> Result<impl std::future::Future<Output = Result<MediaStream, JsValue>>, JsValue> {
        let constraints = js::object(&[
            ("audio", self.settings.audio.clone()),
            ("video", JsValue::FALSE),
        ]);
        let promise = js::get_user_media(&constraints)?;
        let inner = self.clone();
        Ok(async move {
            // `getUserMedia` resolves with a stream: no `instanceof` check.
            let stream: MediaStream = await_promise(promise).await?.unchecked_into();
            if inner.closed.get() {
                // The call ended while the user was asked: give the microphone back at once.
                stop_tracks(&stream);
                return Err(closed_error());
            }
            set_tracks_enabled(&stream, !inner.muted.get());
            // (A new call is never held: `apply_microphone` takes over from the first re-offer.)
            // `Clone::clone`: `stream.clone()` would be JS `MediaStream.clone()`, new tracks that
            // the connection does not send (mute would silence nothing).
            *inner.local.borrow_mut() = Some(Clone::clone(&stream));
            Ok(stream)
        })
    }

    /// The call's first connection.
    fn connect(self: &Rc<Self>) -> Result<RtcPeerConnection, JsValue> {
        let pc = self.open()?;
        self.swap();
        Ok(pc)
    }

    /// A new connection with the call's configuration, its events routed to this session,
    /// kept as `next` (in place of one kept before).
    fn open(self: &Rc<Self>) -> Result<RtcPeerConnection, JsValue> {
        let config = RtcConfiguration::new();
        config.set_ice_servers(&self.settings.ice_servers);
        let pc = RtcPeerConnection::new_with_configuration(&config)?;
        let weak = Rc::downgrade(self);
        let target = pc.clone();
        let on_event = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
            let Some(inner) = weak.upgrade() else { return };
            match ev.type_().as_str() {
                "icecandidate" => match ev.unchecked_ref::<RtcPeerConnectionIceEvent>().candidate()
                {
                    Some(c) => inner.on_candidate(&c.candidate()),
                    None => inner.finish_gathering("end of candidates"),
                },
                "icegatheringstatechange"
                    if target.ice_gathering_state() == RtcIceGatheringState::Complete =>
                {
                    inner.finish_gathering("complete");
                }
                "iceconnectionstatechange" => inner.on_ice_state(target.ice_connection_state()),
                "track" => inner.on_track(ev.unchecked_ref()),
                _ => {}
            }
        });
        js::listen(&pc, &PC_EVENTS, on_event.as_ref().unchecked_ref(), true);
        self.drop_next();
        *self.next.borrow_mut() = Some(PcCallbacks {
            pc: pc.clone(),
            on_event,
        });
        Ok(pc)
    }

    /// Sets the local description and waits, boundedly, for candidates (DESIGN.md §3): until the
    /// wanted kind is in and candidates went quiet, or gathering completes, or
    /// `ice_gathering_timeout_ms` after the first candidate, or the cap.
    async fn set_local_and_gather(
        self: &Rc<Self>,
        pc: &RtcPeerConnection,
        kind: RtcSdpType,
        created: &JsValue,
    ) -> Result<String, JsValue> {
        let sdp = js::get_string(created, "sdp").unwrap_or_default();
        let desc = RtcSessionDescriptionInit::new(kind);
        desc.set_sdp(&sdp);
        let wait = self.begin_gathering();
        self.settle(pc.set_local_description(&desc)).await?;
        if pc.ice_gathering_state() == RtcIceGatheringState::Complete && !self.restarting.get() {
            self.finish_gathering("already complete");
        }
        let _ = self.settle(wait).await;
        if self.closed.get() {
            return Err(closed_error());
        }
        pc.local_description()
            .map(|d| d.sdp())
            .ok_or_else(|| JsValue::from_str("no local description after setLocalDescription"))
    }

    fn begin_gathering(self: &Rc<Self>) -> Promise {
        let (promise, resolve) = deferred();
        let gathering = Gathering::start(resolve, &self.settings.ice_servers, |ms, why| {
            self.gathering_timer(ms, why)
        });
        *self.gathering.borrow_mut() = Some(gathering);
        promise
    }

    fn on_candidate(self: &Rc<Self>, line: &str) {
        let mut gathering = self.gathering.borrow_mut();
        let Some(g) = gathering.as_mut() else { return };
        g.candidate(line, self.settings.ice_gathering_timeout_ms, |ms, why| {
            self.gathering_timer(ms, why)
        });
    }

    /// A timer that ends the ICE wait, logging `why`. One closure type serves the cap, the
    /// bound and the quiet period (each closure type costs its own wasm glue).
    fn gathering_timer(self: &Rc<Self>, ms: u32, why: &'static str) -> Timeout {
        let weak = Rc::downgrade(self);
        js::timeout(
            ms,
            Box::new(move || {
                if let Some(inner) = weak.upgrade() {
                    inner.finish_gathering(why);
                }
            }),
        )
    }

    fn finish_gathering(&self, why: &str) {
        let Some(g) = self.gathering.borrow_mut().take() else {
            return;
        };
        (self.notify)(MediaNotice::Log(g.finish(why)));
    }

    fn on_ice_state(&self, state: RtcIceConnectionState) {
        if self.closed.get() {
            return;
        }
        // `checking` after a restart, `new` and `closed` report nothing: the core's grace
        // and recovery timers run on.
        let outcome = match state {
            RtcIceConnectionState::Connected | RtcIceConnectionState::Completed => {
                if self.ice_up.replace(true) {
                    return;
                }
                MediaOutcome::IceConnected
            }
            RtcIceConnectionState::Disconnected if self.ice_up.replace(false) => {
                MediaOutcome::IceDisconnected
            }
            RtcIceConnectionState::Failed => {
                self.ice_up.set(false);
                MediaOutcome::IceFailed
            }
            _ => return,
        };
        (self.notify)(MediaNotice::Outcome(outcome));
    }

    /// Collects remote tracks into one stream the session owns. The browser's own remote
    /// stream loses its track while the call is on hold (`sendonly`) and a resume may bring a
    /// new stream object, so a stream handed to the app (and the attached element) would
    /// stay silent after a resume; ours keeps the receiver's track throughout.
    fn on_track(&self, ev: &RtcTrackEvent) {
        if self.closed.get() {
            return;
        }
        let track = ev.track();
        track.set_enabled(!self.muted_in.get());
        let existing = self.remote.borrow().as_ref().map(Clone::clone);
        let stream = match existing {
            Some(stream) => {
                if stream.get_track_by_id(&track.id()).is_none() {
                    stream.add_track(&track);
                }
                return;
            }
            None => match MediaStream::new() {
                Ok(stream) => stream,
                Err(_) => return,
            },
        };
        stream.add_track(&track);
        *self.remote.borrow_mut() = Some(Clone::clone(&stream));
        (self.notify)(MediaNotice::RemoteStream(stream));
    }

    fn audio_sender(&self) -> Option<RtcRtpSender> {
        sender_of(self.pc.borrow().as_ref()?)
    }

    fn dtmf_sender(&self) -> Option<RtcdtmfSender> {
        self.audio_sender()?.dtmf()
    }

    fn watch_tones(self: &Rc<Self>) {
        let Some(sender) = self.dtmf_sender() else {
            return;
        };
        let weak = Rc::downgrade(self);
        let on_tone = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
            if let Some(inner) = weak.upgrade() {
                let tone = ev.unchecked_ref::<RtcdtmfToneChangeEvent>().tone();
                (inner.notify)(MediaNotice::ToneSent(tone));
            }
        });
        js::listen(
            &sender,
            &["tonechange"],
            on_tone.as_ref().unchecked_ref(),
            true,
        );
        *self.tone_callback.borrow_mut() = Some(ToneCallback { sender, on_tone });
    }
}

async fn apply_offer(inner: &Inner, pc: &RtcPeerConnection, sdp: &str) -> Result<(), JsValue> {
    let desc = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
    desc.set_sdp(sdp);
    inner.settle(pc.set_remote_description(&desc)).await?;
    Ok(())
}

/// `addTrack` for each audio track of `stream` (which names them in the SDP's `msid`).
fn add_tracks(pc: &RtcPeerConnection, stream: &MediaStream) -> Result<(), JsValue> {
    for track in stream.get_audio_tracks().iter() {
        pc.unchecked_ref::<CheckedPeerConnection>()
            .add_track(track.unchecked_ref(), stream)?;
    }
    Ok(())
}

/// The sender of `pc`'s audio track.
fn sender_of(pc: &RtcPeerConnection) -> Option<RtcRtpSender> {
    for t in pc.get_transceivers().iter() {
        // `getTransceivers()` holds only transceivers: no `instanceof` check.
        let sender = t.unchecked_into::<RtcRtpTransceiver>().sender();
        if sender.track().is_some_and(|t| t.kind() == "audio") {
            return Some(sender);
        }
    }
    None
}

fn set_direction(pc: &RtcPeerConnection, direction: Direction) {
    for t in pc.get_transceivers().iter() {
        // A stopped transceiver throws on assignment: Reflect catches it.
        let _ = js_sys::Reflect::set(&t, &"direction".into(), &direction.as_str().into());
    }
}

fn stop_tracks(stream: &MediaStream) {
    each_track(stream, None);
}
