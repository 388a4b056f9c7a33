//! Browser tests, run in headless Chromium by `scripts/test-wasm`: the real WebRTC stack, and
//! the engine's reading of its settings and of the credential response as JS sees them.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::rc::Rc;

use call_sdk::config::{Config, LogLevel, FIELDS};
use call_sdk::credentials;
use call_sdk::error::ErrorCode;
use call_sdk::media::{MediaNotice, MediaOp, MediaOutcome, MediaSession, MediaSettings};
use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

/// The settings npm/src/config.js makes from `{ userEmail, accessToken }` (its `engineSettings`
/// array, a place per name of `FIELDS`), with `extra` set over them by name (`undefined`
/// leaves a place empty).
fn settings(extra: &[(&str, JsValue)]) -> JsValue {
    let n = JsValue::from_f64;
    let defaults: [JsValue; 25] = [
        JsValue::NULL,
        JsValue::TRUE,
        "urn:uuid:0f6e2c4a-8b1d-4e3f-9a7c-5d2b1e0f3a4c".into(),
        n(2.0),
        n(0.0),
        n(1.0),
        n(30_000.0),
        n(1.0),
        n(15_000.0),
        n(5_000.0),
        n(4_000.0),
        n(1.0),
        n(1_800.0),
        n(90.0),
        n(100.0),
        n(600.0),
        n(2_000.0),
        n(15_000.0),
        n(0.0),
        n(0.0),
        n(1.0),
        n(400.0),
        n(30.0),
        n(1.0),
        n(3.5),
    ];
    let array = Array::new();
    for (name, default) in FIELDS.iter().zip(defaults) {
        let given = extra.iter().find(|(k, _)| k == name);
        array.push(&given.map_or(default, |(_, v)| v.clone()));
    }
    for (k, _) in extra {
        assert!(FIELDS.contains(k), "no setting {k}");
    }
    array.into()
}

fn config_error(cfg: &JsValue) -> (ErrorCode, String) {
    let err = Config::read(cfg).unwrap_err();
    (err.code, err.message)
}

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

// The config's field-by-field checks and defaults are the JS wrapper's (npm/test/config.test.mjs).
// These check what the engine still owns: reading the wrapper's settings, refusing anything
// else without a panic, and refusing to send the token over an insecure transport.

#[wasm_bindgen_test]
fn engine_reads_the_settings_of_the_wrapper() {
    let cfg = Config::read(&settings(&[])).unwrap();
    assert_eq!(cfg.log_level, LogLevel::Warn);
    assert!(!cfg.allow_insecure_transport);
    assert!(cfg.reconnect.enabled);
    assert_eq!(cfg.reconnect.max_delay_ms, 30_000);
    assert_eq!(cfg.keepalive, Some([15_000, 5_000, 4_000]));
    let off = Config::read(&settings(&[
        ("keepalive", JsValue::from_f64(0.0)),
        ("keepalive.idleIntervalMs", JsValue::from_f64(0.0)),
        ("keepalive.callIntervalMs", JsValue::from_f64(0.0)),
        ("keepalive.timeoutMs", JsValue::from_f64(0.0)),
    ]))
    .unwrap();
    assert_eq!(
        off.keepalive, None,
        "keepalive: false reaches the engine as null"
    );
    assert!(cfg.ice_servers.is_none());
    assert_eq!(cfg.ice_gathering_timeout_ms, 100);
    assert_eq!(cfg.register_expires_secs, 600);
    assert_eq!(cfg.ice_disconnected_grace_ms, 2_000);
    assert_eq!(cfg.media_recovery_timeout_ms, 15_000);
    assert_eq!(cfg.audio_constraints, JsValue::TRUE);
    assert_eq!(
        cfg.instance_id,
        "urn:uuid:0f6e2c4a-8b1d-4e3f-9a7c-5d2b1e0f3a4c"
    );

    let ice = Array::of1(&obj(&[("urls", "stun:stun.example.com".into())]));
    let cfg = Config::read(&settings(&[
        ("logLevel", JsValue::from_f64(4.0)),
        ("iceServers", ice.into()),
        ("reconnect.enabled", JsValue::from_f64(0.0)),
        ("reconnect.maxDelayMs", JsValue::from_f64(5_000.0)),
        ("sessionTimers", JsValue::from_f64(0.0)),
        ("qualityWarnings", JsValue::from_f64(0.0)),
        ("incomingWhileBusy", JsValue::from_f64(1.0)),
        (
            "audioConstraints",
            obj(&[("echoCancellation", JsValue::FALSE)]),
        ),
    ]))
    .unwrap();
    assert_eq!(cfg.log_level, LogLevel::Debug);
    assert_eq!(cfg.ice_servers.map(|a| a.length()), Some(1));
    assert!(!cfg.reconnect.enabled);
    assert_eq!(cfg.reconnect.max_delay_ms, 5_000);
    assert!(cfg.audio_constraints.is_object());
    assert!(cfg.session_timers.is_none());
    assert!(cfg.quality_warnings.is_none());
    assert_eq!(cfg.incoming_while_busy, sip_core::ua::BusyPolicy::Reject);
}

#[wasm_bindgen_test]
fn engine_refuses_garbage_naming_the_field_without_panicking() {
    for garbage in [
        JsValue::UNDEFINED,
        JsValue::NULL,
        "agent@example.com".into(),
        Array::new().into(),
        obj(&[]),
    ] {
        let (code, msg) = config_error(&garbage);
        assert_eq!(code, ErrorCode::InvalidConfig);
        assert!(msg.contains("config"), "{msg}");
    }
    let fields = [
        "iceServers",
        "logLevel",
        "allowInsecureTransport",
        "reconnect.enabled",
        "iceGatheringTimeoutMs",
        "registerExpires",
        "keepalive",
        "statsIntervalMs",
        "iceDisconnectedGraceMs",
        "mediaRecoveryTimeoutMs",
        "audioConstraints",
        "instanceId",
    ];
    for field in fields {
        let (code, msg) = config_error(&settings(&[(field, JsValue::UNDEFINED)]));
        assert_eq!(code, ErrorCode::InvalidConfig, "{field} missing");
        assert!(msg.contains(field), "{field} missing: {msg}");
    }
    let wrong: [(&str, JsValue); 17] = [
        ("registerExpires", "600".into()),
        ("registerExpires", JsValue::from_f64(-5.0)),
        ("iceServers", "stun:stun.example.com".into()),
        ("logLevel", "loud".into()),
        ("logLevel", JsValue::from_f64(5.0)),
        ("allowInsecureTransport", "yes".into()),
        ("reconnect.enabled", JsValue::TRUE),
        // A group that is on with a field that would make the core spin.
        ("keepalive", JsValue::from_f64(1.0)),
        ("sessionTimers", JsValue::from_f64(1.0)),
        ("iceGatheringTimeoutMs", JsValue::from_f64(f64::NAN)),
        ("iceGatheringTimeoutMs", JsValue::from_f64(f64::INFINITY)),
        ("registerExpires", JsValue::from_f64(0.0)),
        ("audioConstraints", JsValue::FALSE),
        ("audioConstraints", "default".into()),
        // It lands in the Contact header: a line break or quote must not get there.
        (
            "instanceId",
            "urn:uuid:0f6e2c4a-8b1d-4e3f-9a7c-5d2b1e0f3a4c\r\nX: 1".into(),
        ),
        (
            "instanceId",
            "urn:uuid:0f6e2c4a-8b1d-4e3f-9a7c-5d2b1e0f3a\">".into(),
        ),
        ("instanceId", "0f6e2c4a-8b1d-4e3f-9a7c-5d2b1e0f3a4c".into()),
    ];
    for (field, value) in wrong {
        let (code, msg) = match field {
            "keepalive" => config_error(&settings(&[
                (field, value),
                ("keepalive.timeoutMs", JsValue::from_f64(100.0)),
            ])),
            "sessionTimers" => config_error(&settings(&[
                (field, value),
                ("sessionTimers.minSec", JsValue::from_f64(0.0)),
            ])),
            _ => config_error(&settings(&[(field, value)])),
        };
        assert_eq!(code, ErrorCode::InvalidConfig, "{field}");
        assert!(msg.contains(field), "{field}: {msg}");
    }
    let (_, msg) = config_error(&settings(&[(
        "reconnect.maxDelayMs",
        JsValue::from_f64(1.0),
    )]));
    assert!(msg.contains("reconnect.maxDelayMs"), "{msg}");
    // The credential request's fields are the wrapper's: the engine has no place for the token.
    for field in ["userEmail", "accessToken", "apiBaseUrl", "requestTimeoutMs"] {
        assert!(!FIELDS.contains(&field), "{field}");
    }
}

/// Through the exported entry, as a page calling the engine without the wrapper would: a bad
/// config is `invalid_config`, a response the engine cannot use `init_failed`, an insecure
/// WebSocket server from the API `invalid_config`, each thrown as `{ code, message }`.
#[wasm_bindgen_test]
fn engine_create_refuses_garbage_settings_and_responses() {
    let emit = js_sys::Function::new_no_args("");
    let good = obj(&good_body());
    let insecure = {
        let mut body = good_body();
        body[7] = (
            "wsServers",
            Array::of1(&"ws://edge.example.com/ws".into()).into(),
        );
        obj(&body)
    };
    let cases = [
        (JsValue::UNDEFINED, good.clone(), "invalid_config", "config"),
        ("config".into(), good.clone(), "invalid_config", "config"),
        (
            obj(&[
                ("userEmail", "agent@example.com".into()),
                ("accessToken", "kpt_abc123".into()),
            ]),
            good.clone(),
            "invalid_config",
            "config",
        ),
        (
            settings(&[]),
            JsValue::UNDEFINED,
            "init_failed",
            "the credential response",
        ),
        (
            settings(&[]),
            "{}".into(),
            "init_failed",
            "the credential response",
        ),
        (
            settings(&[]),
            obj(&[]),
            "init_failed",
            "the credential response",
        ),
        (settings(&[]), insecure, "invalid_config", "wsServers[0]"),
    ];
    for (config, body, want_code, want_message) in cases {
        let err = match call_sdk::Engine::create(config, body, emit.clone(), emit.clone()) {
            Ok(_) => panic!("Engine.create succeeded"),
            Err(e) => e,
        };
        let code = Reflect::get(&err, &"code".into()).unwrap();
        assert_eq!(code.as_string().as_deref(), Some(want_code));
        let message = Reflect::get(&err, &"message".into())
            .unwrap()
            .as_string()
            .unwrap();
        assert!(message.starts_with(want_message), "{message}");
    }
    assert!(call_sdk::Engine::create(settings(&[]), good, emit.clone(), emit).is_ok());
}

fn good_body() -> Vec<(&'static str, JsValue)> {
    vec![
        ("extension", "1001".into()),
        ("displayName", "Agent One".into()),
        ("sipUri", "sip:1001@pbx.example.com".into()),
        ("authorizationUser", "1900000000:1001".into()),
        ("password", "c2lnbmF0dXJl".into()),
        ("realm", "pbx.example.com".into()),
        ("expiresAt", JsValue::from_f64(1_900_000_000.0)),
        (
            "wsServers",
            Array::of1(&"wss://edge.example.com/ws".into()).into(),
        ),
        (
            "iceServers",
            Array::of1(&obj(&[("urls", "stun:stun.example.com:3478".into())])).into(),
        ),
    ]
}

#[wasm_bindgen_test]
fn credential_response_is_read_and_checked() {
    let cfg = Config::read(&settings(&[])).unwrap();
    let creds = credentials::parse_body(&obj(&good_body()), &cfg).unwrap();
    assert_eq!(creds.extension, "1001");
    assert_eq!(creds.password.expose(), "c2lnbmF0dXJl");
    assert!(
        !format!("{creds:?}").contains("c2lnbmF0dXJl"),
        "password leaked into Debug"
    );
    assert_eq!(creds.expires_at_unix_ms, Some(1_900_000_000_000.0));
    assert_eq!(creds.ice_servers.length(), 1);

    // An insecure WebSocket from the API is refused like an insecure config.
    let mut body = good_body();
    body[7] = (
        "wsServers",
        Array::of1(&"ws://edge.example.com/ws".into()).into(),
    );
    let err = credentials::parse_body(&obj(&body), &cfg).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidConfig);
    assert!(err.message.contains("wsServers[0]"), "{}", err.message);

    // The list must be an array; each server's URLs are left to the peer connection (below).
    let mut body = good_body();
    body[8] = ("iceServers", "stun:stun.example.com".into());
    let err = credentials::parse_body(&obj(&body), &cfg).unwrap_err();
    assert_eq!(err.code, ErrorCode::InitFailed);
    assert!(err.message.contains("iceServers"), "{}", err.message);
    let mut body = good_body();
    body.retain(|(k, _)| *k != "iceServers");
    let creds = credentials::parse_body(&obj(&body), &cfg).unwrap();
    assert_eq!(creds.ice_servers.length(), 0);

    let mut body = good_body();
    body.retain(|(k, _)| *k != "password");
    let err = credentials::parse_body(&obj(&body), &cfg).unwrap_err();
    assert_eq!(err.code, ErrorCode::InitFailed);
    assert!(err.message.contains("password"));

    assert_eq!(
        credentials::parse_expiry(&"2030-01-01T00:00:00Z".into()),
        Some(1_893_456_000_000.0)
    );
}

/// The transport check reads URLs with the browser's parser, so it sees the host that
/// WebSocket would connect to.
#[wasm_bindgen_test]
fn url_check_allows_wss_and_ws_only_to_loopback() {
    use call_sdk::url::check;
    for url in [
        "wss://edge.example.com/ws",
        "WSS://Edge.Example.COM/ws",
        "ws://127.0.0.1:8080",
        "ws://localhost:8080/ws",
        "ws://user@127.0.0.1",
        "ws://[::1]:8080",
    ] {
        assert!(check(url, false).is_ok(), "{url}");
    }
    let err = check("ws://10.0.0.5:8080", false).unwrap_err();
    assert!(err.contains("allowInsecureTransport"), "{err}");
    assert!(check("ws://10.0.0.5:8080", true).is_ok());
    // Loopback-looking URLs whose host is not loopback stay insecure.
    for url in [
        "ws://127.0.0.1.evil.com",
        "ws://127.0.0.1@evil.com",
        "ws://evil.com\\@127.0.0.1/",
        "ws://evil.com\\@localhost/ws",
        "ws://evil.com#@127.0.0.1",
    ] {
        let err = check(url, false).unwrap_err();
        assert!(err.contains("allowInsecureTransport"), "{url}: {err}");
    }
    // Another scheme is refused even with the opt-in.
    for url in [
        "https://edge.example.com",
        "http://127.0.0.1",
        "ftp://127.0.0.1",
    ] {
        let err = check(url, true).unwrap_err();
        assert!(err.contains("wss://"), "{url}: {err}");
    }
    let err = check("not a url", true).unwrap_err();
    assert!(err.contains("absolute wss://"), "{err}");
}

#[wasm_bindgen_test]
async fn peer_connection_creates_an_audio_offer() {
    let pc = web_sys::RtcPeerConnection::new().unwrap();
    let init = web_sys::RtcRtpTransceiverInit::new();
    init.set_direction(web_sys::RtcRtpTransceiverDirection::Sendrecv);
    pc.add_transceiver_with_str_and_init("audio", &init);
    let offer = JsFuture::from(pc.create_offer()).await.unwrap();
    let sdp = Reflect::get(&offer, &"sdp".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(sdp.starts_with("v=0"), "{sdp}");
    assert!(sdp.contains("m=audio"), "{sdp}");
    assert!(
        sdp.contains("telephone-event"),
        "RFC 4733 is offered: {sdp}"
    );
    pc.close();
}

/// The media driver end to end: microphone (Chromium's fake device), connection, offer and the
/// bounded ICE wait, then close releasing the microphone.
#[wasm_bindgen_test]
async fn media_session_offers_with_candidates_and_cleans_up() {
    let notices: Rc<RefCell<Vec<String>>> = Rc::default();
    let offer: Rc<RefCell<Option<String>>> = Rc::default();
    let session = {
        let notices = notices.clone();
        let offer = offer.clone();
        MediaSession::new(
            MediaSettings {
                ice_servers: Array::new(),
                ice_gathering_timeout_ms: 200,
                audio: JsValue::TRUE,
            },
            move |n| match n {
                MediaNotice::Outcome(MediaOutcome::LocalOffer(sdp)) => {
                    *offer.borrow_mut() = Some(sdp)
                }
                other => notices.borrow_mut().push(format!("{other:?}")),
            },
        )
    };
    session.run(MediaOp::CreateOffer);
    let started = js_sys::Date::now();
    while offer.borrow().is_none() && js_sys::Date::now() - started < 5_000.0 {
        sleep(20).await;
    }
    let sdp = offer
        .borrow()
        .clone()
        .unwrap_or_else(|| panic!("no offer; notices: {:?}", notices.borrow()));
    assert!(sdp.contains("m=audio"), "{sdp}");
    assert!(sdp.contains("a=sendrecv"), "{sdp}");
    assert!(
        sdp.contains("a=candidate:"),
        "the bounded wait let candidates in: {sdp}"
    );
    web_sys::console::log_1(&format!("ice notices: {:?}", notices.borrow()).into());

    // The track the connection sends must be the microphone's own (not a clone), so that
    // mute silences what the peer hears and close releases the device.
    let track = session
        .sender_track()
        .expect("an audio sender with a track");
    let mic = session.local_stream().expect("microphone acquired");
    let mic_track: web_sys::MediaStreamTrack = mic.get_audio_tracks().get(0).unchecked_into();
    assert_eq!(
        track.id(),
        mic_track.id(),
        "the sender sends the microphone's track"
    );
    assert_eq!(track.ready_state(), web_sys::MediaStreamTrackState::Live);
    session.set_muted(true);
    assert!(!track.enabled(), "mute disables the sender's track");
    session.set_muted(false);
    assert!(track.enabled());

    session.close();
    assert_eq!(
        track.ready_state(),
        web_sys::MediaStreamTrackState::Ended,
        "close stops the microphone"
    );
    assert!(
        session.insert_dtmf("1", 100, 70).is_err(),
        "no DTMF after close"
    );
}

/// ICE servers the browser refuses (their URLs were not checked by the engine) fail the media
/// step with a message; nothing panics.
#[wasm_bindgen_test]
async fn refused_ice_servers_fail_the_offer() {
    let failed: Rc<RefCell<Option<String>>> = Rc::default();
    let session = {
        let failed = failed.clone();
        MediaSession::new(
            MediaSettings {
                ice_servers: Array::of1(&obj(&[("urls", "http://stun.example.com".into())])),
                ice_gathering_timeout_ms: 100,
                audio: JsValue::TRUE,
            },
            move |n| {
                if let MediaNotice::Outcome(MediaOutcome::Failed(why)) = n {
                    *failed.borrow_mut() = Some(why);
                }
            },
        )
    };
    session.run(MediaOp::CreateOffer);
    let started = js_sys::Date::now();
    while failed.borrow().is_none() && js_sys::Date::now() - started < 5_000.0 {
        sleep(20).await;
    }
    let why = failed.borrow().clone().expect("the offer failed");
    assert!(!why.is_empty());
    session.close();
}

/// Runs one offer with the given bounded wait and ICE servers; returns (sent after ms, why,
/// first candidate ms).
async fn gather_once(timeout_ms: u32, ice_servers: Array) -> (u64, String, String) {
    let logs: Rc<RefCell<Vec<String>>> = Rc::default();
    let done: Rc<RefCell<bool>> = Rc::default();
    let session = {
        let logs = logs.clone();
        let done = done.clone();
        MediaSession::new(
            MediaSettings {
                ice_servers,
                ice_gathering_timeout_ms: timeout_ms,
                audio: JsValue::TRUE,
            },
            move |n| match n {
                MediaNotice::Log(line) => logs.borrow_mut().push(line),
                MediaNotice::Outcome(_) => *done.borrow_mut() = true,
                _ => {}
            },
        )
    };
    session.run(MediaOp::CreateOffer);
    let started = js_sys::Date::now();
    while !*done.borrow() && js_sys::Date::now() - started < 5_000.0 {
        sleep(5).await;
    }
    session.close();
    let line = logs
        .borrow()
        .iter()
        .find(|l| l.starts_with("ice gathering"))
        .cloned()
        .expect("gathering logged");
    // "ice gathering: sent after N ms (WHY), first candidate at M ms"
    let after: u64 = line
        .split("sent after ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    let why = line
        .split('(')
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap()
        .to_string();
    let first = line
        .rsplit("first candidate at ")
        .next()
        .unwrap()
        .to_string();
    (after, why, first)
}

/// Without STUN or TURN the offer goes out once the first burst of host candidates went quiet,
/// long before gathering completes (~130 ms, when the TCP candidates come); with a STUN server
/// it waits for a server-reflexive candidate, here one that never comes, up to the bound.
/// Run with `-- --nocapture` to see the timeline.
#[wasm_bindgen_test]
async fn ice_wait_is_bounded_after_the_first_candidate() {
    let (host_ms, host_why, first) = gather_once(5_000, Array::new()).await;
    web_sys::console::log_1(
        &format!("host only: sent after {host_ms} ms ({host_why}), first candidate at {first}")
            .into(),
    );
    assert!(host_why.contains("quiet after host"), "{host_why}");
    assert!(
        host_ms < 100,
        "host candidates need no long wait: {host_ms} ms"
    );

    let unreachable_stun = Array::of1(&obj(&[("urls", "stun:127.0.0.1:9".into())]));
    let (stun_ms, stun_why, first) = gather_once(150, unreachable_stun).await;
    web_sys::console::log_1(
        &format!("silent STUN, bound 150 ms: sent after {stun_ms} ms ({stun_why}), first candidate at {first}")
            .into(),
    );
    assert!(stun_why.contains("bounded wait"), "{stun_why}");
    assert!(
        stun_ms >= 150,
        "waited for a server-reflexive candidate: {stun_ms} ms"
    );

    let (short_ms, short_why, _) = gather_once(0, Array::new()).await;
    assert!(short_why.contains("bounded wait"), "{short_why}");
    assert!(
        short_ms <= host_ms,
        "bound 0 {short_ms} ms vs quiet period {host_ms} ms"
    );
}

/// A media session whose notices are collected, for driving two of them against each other.
struct Probe {
    session: MediaSession,
    outcomes: Rc<RefCell<Vec<MediaOutcome>>>,
    streams: Rc<RefCell<Vec<web_sys::MediaStream>>>,
}

impl Probe {
    fn new() -> Self {
        let outcomes: Rc<RefCell<Vec<MediaOutcome>>> = Rc::default();
        let streams: Rc<RefCell<Vec<web_sys::MediaStream>>> = Rc::default();
        let session = {
            let (outcomes, streams) = (outcomes.clone(), streams.clone());
            MediaSession::new(
                MediaSettings {
                    ice_servers: Array::new(),
                    ice_gathering_timeout_ms: 50,
                    audio: JsValue::TRUE,
                },
                move |n| match n {
                    MediaNotice::Outcome(o) => outcomes.borrow_mut().push(o),
                    MediaNotice::RemoteStream(s) => streams.borrow_mut().push(s),
                    _ => {}
                },
            )
        };
        Self {
            session,
            outcomes,
            streams,
        }
    }

    /// Runs `op` and waits for its outcome (ICE reports are skipped).
    async fn step(&self, op: MediaOp) -> MediaOutcome {
        let seen = self.outcomes.borrow().len();
        self.session.run(op);
        let started = js_sys::Date::now();
        loop {
            let found = self
                .outcomes
                .borrow()
                .iter()
                .skip(seen)
                .find(|o| {
                    !matches!(
                        o,
                        MediaOutcome::IceConnected | MediaOutcome::IceDisconnected
                    )
                })
                .cloned();
            if let Some(o) = found {
                return o;
            }
            assert!(
                js_sys::Date::now() - started < 5_000.0,
                "no outcome for the step"
            );
            sleep(10).await;
        }
    }
}

fn ice_ufrag(sdp: &str) -> String {
    sdp.lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .unwrap_or_default()
        .to_owned()
}

fn sdp_of(o: MediaOutcome) -> String {
    match o {
        MediaOutcome::LocalOffer(s) | MediaOutcome::LocalAnswer(s) => s,
        other => panic!("expected an SDP, got {other:?}"),
    }
}

/// Two sessions in one page negotiate, hold and resume as the core would drive them: hold
/// offers `sendonly` and silences our microphone, resume restores both, and the remote stream
/// handed out once keeps a live track through the hold (the browser's own stream loses it).
#[wasm_bindgen_test]
async fn hold_and_resume_between_two_sessions() {
    let (a, b) = (Probe::new(), Probe::new());
    let offer = sdp_of(a.step(MediaOp::CreateOffer).await);
    let answer = sdp_of(b.step(MediaOp::CreateAnswer(offer)).await);
    assert!(answer.contains("a=sendrecv"), "{answer}");
    assert_eq!(
        a.step(MediaOp::ApplyAnswer(answer)).await,
        MediaOutcome::RemoteApplied
    );

    let mic = a.session.sender_track().expect("a sends its microphone");
    let hold = sdp_of(
        a.step(MediaOp::Reoffer(
            call_sdk::media::Direction::SendOnly,
            false,
            false,
        ))
        .await,
    );
    assert!(hold.contains("a=sendonly"), "{hold}");
    let hold_ufrag = ice_ufrag(&hold);
    assert!(!mic.enabled(), "on hold our microphone is silenced");
    let held = sdp_of(b.step(MediaOp::CreateAnswer(hold)).await);
    assert!(held.contains("a=recvonly"), "{held}");
    assert_eq!(
        a.step(MediaOp::ApplyAnswer(held)).await,
        MediaOutcome::RemoteApplied
    );

    let resume = sdp_of(
        a.step(MediaOp::Reoffer(
            call_sdk::media::Direction::SendRecv,
            false,
            false,
        ))
        .await,
    );
    assert!(resume.contains("a=sendrecv"), "{resume}");
    let resume_ufrag = ice_ufrag(&resume);
    assert!(mic.enabled(), "resume un-silences the microphone");
    let resumed = sdp_of(b.step(MediaOp::CreateAnswer(resume)).await);
    assert_eq!(
        a.step(MediaOp::ApplyAnswer(resumed)).await,
        MediaOutcome::RemoteApplied
    );

    // An ICE restart offers new credentials and keeps the direction; a plain re-offer does not.
    let restart = sdp_of(
        a.step(MediaOp::Reoffer(
            call_sdk::media::Direction::SendRecv,
            true,
            false,
        ))
        .await,
    );
    assert_ne!(ice_ufrag(&restart), resume_ufrag, "{restart}");
    assert_eq!(resume_ufrag, hold_ufrag, "no restart without asking");
    assert!(restart.contains("a=sendrecv"), "{restart}");
    // Gathered anew (the last gathering's `complete` must not end the wait at once).
    assert!(
        restart.contains(" typ host"),
        "the restart offer has candidates: {restart}"
    );
    let restarted = sdp_of(b.step(MediaOp::CreateAnswer(restart)).await);
    assert_eq!(
        a.step(MediaOp::ApplyAnswer(restarted)).await,
        MediaOutcome::RemoteApplied
    );

    for probe in [&a, &b] {
        let streams = probe.streams.borrow();
        assert_eq!(streams.len(), 1, "one remoteStream per call");
        let tracks = streams[0].get_audio_tracks();
        assert_eq!(
            tracks.length(),
            1,
            "the remote stream still has its track after hold and resume"
        );
        let track: web_sys::MediaStreamTrack = tracks.get(0).unchecked_into();
        assert_eq!(track.ready_state(), web_sys::MediaStreamTrackState::Live);
    }
    a.session.close();
    b.session.close();
}

/// A closed `RTCPeerConnection` never settles the operations it had in flight: a session
/// closed in the middle of a step must still finish the step, or the pending step keeps the
/// session and its SDP in memory for the page's lifetime (one per call).
#[wasm_bindgen_test]
async fn a_step_in_flight_ends_when_the_session_closes() {
    let (a, b) = (Probe::new(), Probe::new());
    let offer = sdp_of(a.step(MediaOp::CreateOffer).await);
    let answer = sdp_of(b.step(MediaOp::CreateAnswer(offer)).await);
    a.session.run(MediaOp::ApplyAnswer(answer));
    // One microtask: the step has started and awaits setRemoteDescription.
    let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&JsValue::NULL)).await;
    assert!(a.session.is_busy(), "the step is in flight");
    a.session.close();
    sleep(200).await;
    assert!(!a.session.is_busy(), "the step ended with the session");
    assert!(
        !a.outcomes.borrow().contains(&MediaOutcome::RemoteApplied),
        "a closed session reports nothing"
    );
    b.session.close();
}

/// `sdp` with its audio section narrowed to G.729 only: what a desk phone might offer, and a
/// codec no browser has.
fn g729_only(sdp: &str) -> String {
    let mut out = String::new();
    for line in sdp.split("\r\n").filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("m=audio ") {
            let mut parts = rest.splitn(3, ' ');
            let (port, proto) = (parts.next().unwrap(), parts.next().unwrap());
            out.push_str(&format!(
                "m=audio {port} {proto} 18\r\na=rtpmap:18 G729/8000\r\n"
            ));
            continue;
        }
        if ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"]
            .iter()
            .any(|p| line.starts_with(p))
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

/// The browser answers an offer without a codec it has by rejecting the audio (`m=audio 0`).
/// The session reports that answer without applying it and rolls the offer back: the core
/// then refuses the offer with 488, and the call in progress keeps its audio.
#[wasm_bindgen_test]
async fn an_answer_rejecting_all_audio_is_reported_unapplied_and_the_call_keeps_its_audio() {
    let (a, b) = (Probe::new(), Probe::new());
    // A new call offering only G.729.
    let offer = sdp_of(a.step(MediaOp::CreateOffer).await);
    assert!(sip_core::sdp::has_usable_audio(&offer), "{offer}");
    let fresh = Probe::new();
    let refused = sdp_of(fresh.step(MediaOp::CreateAnswer(g729_only(&offer))).await);
    assert!(!sip_core::sdp::has_usable_audio(&refused), "{refused}");
    fresh.session.close();

    // A call up, then a re-offer of only G.729: refused, and the call goes on.
    let answer = sdp_of(b.step(MediaOp::CreateAnswer(offer)).await);
    assert!(sip_core::sdp::has_usable_audio(&answer), "{answer}");
    assert_eq!(
        a.step(MediaOp::ApplyAnswer(answer)).await,
        MediaOutcome::RemoteApplied
    );
    let reoffer = sdp_of(
        a.step(MediaOp::Reoffer(
            call_sdk::media::Direction::SendRecv,
            false,
            false,
        ))
        .await,
    );
    let refused = sdp_of(b.step(MediaOp::CreateAnswer(g729_only(&reoffer))).await);
    assert!(!sip_core::sdp::has_usable_audio(&refused), "{refused}");
    // The 488 makes the offerer roll back, as the core asks it to.
    a.session.run(MediaOp::Rollback);
    sleep(50).await;
    // Had the rejecting answer been applied, b's audio transceiver would be stopped and this
    // answer would reject the audio too.
    let reoffer = sdp_of(
        a.step(MediaOp::Reoffer(
            call_sdk::media::Direction::SendRecv,
            false,
            false,
        ))
        .await,
    );
    let answer = sdp_of(b.step(MediaOp::CreateAnswer(reoffer)).await);
    assert!(sip_core::sdp::has_usable_audio(&answer), "{answer}");
    assert!(answer.contains("a=sendrecv"), "{answer}");
    assert_eq!(
        a.step(MediaOp::ApplyAnswer(answer)).await,
        MediaOutcome::RemoteApplied
    );
    let track = b
        .session
        .sender_track()
        .expect("b still sends its microphone");
    assert_eq!(track.ready_state(), web_sys::MediaStreamTrackState::Live);
    a.session.close();
    b.session.close();
}

/// Every `RTCPeerConnection` the page creates from now on, in order (the engine's bindings
/// look the constructor up at each call, so a subclass installed here sees them all).
fn watch_connections() -> Array {
    let install = js_sys::Function::new_no_args(
        "if (!globalThis.__pcs) {
           globalThis.__pcs = [];
           const Native = globalThis.RTCPeerConnection;
           globalThis.RTCPeerConnection = class extends Native {
             constructor(...a) { super(...a); globalThis.__pcs.push(this); }
           };
         }
         return globalThis.__pcs;",
    );
    install.call0(&JsValue::NULL).unwrap().unchecked_into()
}

fn open_connections(all: &Array, from: u32) -> usize {
    all.iter()
        .skip(from as usize)
        .map(|pc| pc.unchecked_into::<web_sys::RtcPeerConnection>())
        .filter(|pc| pc.signaling_state() != web_sys::RtcSignalingState::Closed)
        .count()
}

/// A move (decision 0007) offers from a fresh connection that sends the call's microphone
/// track, mute included. A refused move is rolled back: that connection is closed and the
/// call's goes on. An accepted one (answered by a new session at the peer, as JsSIP answers an
/// INVITE with Replaces) becomes the call's connection: the old one is closed without stopping
/// the track, a new remote stream is handed out, and media flows on it.
#[wasm_bindgen_test]
async fn a_move_offers_from_a_fresh_connection_that_becomes_the_call_s() {
    use call_sdk::media::Direction::SendRecv;
    let all = watch_connections();
    let from = all.length();
    let (a, b) = (Probe::new(), Probe::new());
    let offer = sdp_of(a.step(MediaOp::CreateOffer).await);
    let answer = sdp_of(b.step(MediaOp::CreateAnswer(offer.clone())).await);
    assert_eq!(
        a.step(MediaOp::ApplyAnswer(answer)).await,
        MediaOutcome::RemoteApplied
    );
    let first = a.session.peer_connection().expect("a has a connection");
    let mic = a.session.sender_track().expect("a sends its microphone");
    a.session.set_muted(true);

    let moved = sdp_of(a.step(MediaOp::Reoffer(SendRecv, true, true)).await);
    assert_ne!(ice_ufrag(&moved), ice_ufrag(&offer), "{moved}");
    assert_eq!(open_connections(&all, from), 3, "a's two and b's");
    let seen = a.outcomes.borrow().len();
    a.session.run(MediaOp::Rollback);
    sleep(50).await;
    assert_eq!(
        open_connections(&all, from),
        2,
        "the refused move's connection is closed"
    );
    let failed = a.outcomes.borrow()[seen..]
        .iter()
        .any(|o| matches!(o, MediaOutcome::Failed(_)));
    assert!(
        !failed,
        "the rollback did not fail: {:?}",
        a.outcomes.borrow()
    );
    assert_eq!(a.session.peer_connection(), Some(first.clone()));
    assert_eq!(first.signaling_state(), web_sys::RtcSignalingState::Stable);

    let c = Probe::new();
    let moved = sdp_of(a.step(MediaOp::Reoffer(SendRecv, true, true)).await);
    let answer = sdp_of(c.step(MediaOp::CreateAnswer(moved)).await);
    assert_eq!(
        a.step(MediaOp::ApplyAnswer(answer)).await,
        MediaOutcome::RemoteApplied
    );
    let now = a.session.peer_connection().expect("a has a connection");
    assert_ne!(now, first, "the move's connection is the call's");
    assert_eq!(first.signaling_state(), web_sys::RtcSignalingState::Closed);
    let sent = a.session.sender_track().expect("the new connection sends");
    assert_eq!(sent.id(), mic.id(), "the same microphone track");
    assert_eq!(mic.ready_state(), web_sys::MediaStreamTrackState::Live);
    assert!(!mic.enabled(), "still muted");
    let streams = a.streams.borrow().clone();
    assert_eq!(
        streams.len(),
        2,
        "a new remote stream for the new connection"
    );
    let track = streams[1].get_audio_tracks().get(0);
    let received = now
        .get_receivers()
        .iter()
        .map(|r| r.unchecked_into::<web_sys::RtcRtpReceiver>().track().id())
        .collect::<Vec<_>>();
    assert!(
        received.contains(&track.unchecked_into::<web_sys::MediaStreamTrack>().id()),
        "the new stream plays the new connection's track"
    );
    let started = js_sys::Date::now();
    while !a
        .outcomes
        .borrow()
        .iter()
        .rev()
        .any(|o| *o == MediaOutcome::IceConnected)
    {
        assert!(
            js_sys::Date::now() - started < 5_000.0,
            "ICE on the new connection"
        );
        sleep(20).await;
    }
    b.session.close();
    assert_eq!(open_connections(&all, from), 2, "a's new one and c's");
    a.session.close();
    c.session.close();
    assert_eq!(open_connections(&all, from), 0);
    assert_eq!(mic.ready_state(), web_sys::MediaStreamTrackState::Ended);
}
