//! Offers with no codec the browser can use: 488 Not Acceptable Here with a Warning.

use sip_core::ua::{
    CallId, CallState, EndCause, ErrorScope, Event, Input, MediaCommand, MediaResult,
};

use crate::harness::Net;

fn two() -> (Net, usize, usize) {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    (net, a, b)
}

/// An offer a desk phone could make: G.729 and DTMF events only.
fn g729_offer(direction: &str) -> String {
    format!(
        "v=0\r\no=- 9 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 18 101\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\na=rtpmap:101 telephone-event/8000\r\na={direction}\r\n"
    )
}

/// What a browser answers when it can use none of the offered codecs.
const REJECTED_ANSWER: &str = "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 0 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=inactive\r\n";

fn feed(net: &mut Net, i: usize, call: &CallId, result: MediaResult) {
    let call = call.clone();
    net.with(i, |ua, now| {
        ua.handle_input(now, Input::Media { call, result })
    });
}

/// The one 488 phone `i` sent, and its Warning value.
fn refusal(net: &Net, i: usize) -> (String, String) {
    let sent = net.sent(i, "SIP/2.0 488 ");
    assert_eq!(sent.len(), 1, "one 488: {sent:?}");
    let warning = sent[0]
        .lines()
        .find_map(|l| l.strip_prefix("Warning: "))
        .expect("a Warning header")
        .to_owned();
    (sent[0].clone(), warning)
}

fn errors(net: &Net, i: usize, scope: ErrorScope) -> Vec<String> {
    net.events(i)
        .iter()
        .filter_map(|e| match e {
            Event::Error { scope: s, detail } if *s == scope => Some(detail.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_g729_only_offer_is_refused_with_488_naming_the_codecs_and_never_rings() {
    let (mut net, a, b) = two();
    net.phones[a].media.auto = false;
    let ca = net.with(a, |ua, now| ua.call(now, "1002")).unwrap();
    feed(
        &mut net,
        a,
        &ca,
        MediaResult::LocalOffer(g729_offer("sendrecv")),
    );
    net.drive();

    let (_, warning) = refusal(&net, b);
    let host = warning.split(' ').nth(1).unwrap_or_default().to_owned();
    assert!(
        host.ends_with(".invalid"),
        "warn-agent is our host: {warning}"
    );
    assert_eq!(
        warning,
        format!("305 {host} \"Incompatible media format: offered G729/8000 telephone-event/8000; usable: opus PCMU PCMA G722\"")
    );
    assert!(net.sent(b, "SIP/2.0 180 ").is_empty(), "it never rang");
    assert!(!net
        .events(b)
        .iter()
        .any(|e| matches!(e, Event::Incoming(_))));
    let why = errors(&net, b, ErrorScope::Call);
    assert!(
        why.iter()
            .any(|d| d.contains("call from 1001") && d.contains("G729/8000")),
        "{why:?}"
    );
    assert!(net.phones[b].ua.calls().next().is_none());
    assert!(
        net.phones[b].media.log.is_empty(),
        "no microphone or connection for it"
    );

    // The caller learns at once, and its 488 is ACKed.
    assert_eq!(net.ended(a, &ca), Some((EndCause::Failed, Some(488))));
    assert_eq!(net.sent(a, "ACK ").len(), 1);

    // Still registered, and the next call with a usable offer rings and connects.
    net.advance(40_000);
    assert!(net.phones[b].ua.is_registered());
    net.phones[a].media.auto = true;
    let (ca2, cb2) = net.connect_call(a, "1002", b);
    assert_eq!(net.state(a, &ca2), Some(CallState::Active));
    assert_eq!(net.state(b, &cb2), Some(CallState::Active));
}

#[test]
fn a_reinvite_offering_no_usable_codec_gets_488_and_the_call_stays_up() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.phones[a].media.auto = false;
    net.with(a, |ua, now| ua.hold(now, &ca)).unwrap();
    feed(
        &mut net,
        a,
        &ca,
        MediaResult::LocalOffer(g729_offer("sendonly")),
    );
    net.drive();

    let (_, warning) = refusal(&net, b);
    assert!(
        warning.starts_with("305 ") && warning.contains("offered G729/8000 telephone-event/8000"),
        "{warning}"
    );
    let why = errors(&net, b, ErrorScope::Call);
    assert!(
        why.iter()
            .any(|d| d.contains("re-INVITE") && d.contains("G729/8000")),
        "{why:?}"
    );
    // The refused offer was never given to b's media layer; a undid its own.
    let answers = net.phones[b]
        .media
        .log
        .iter()
        .filter(|(_, m)| matches!(m, MediaCommand::CreateAnswer { .. }))
        .count();
    assert_eq!(answers, 1, "only the initial offer was answered");
    assert!(net.phones[a]
        .media
        .log
        .iter()
        .any(|(_, m)| *m == MediaCommand::Rollback));
    assert!(
        net.ended(a, &ca).is_none() && net.ended(b, &cb).is_none(),
        "nobody hung up"
    );
    assert_eq!(
        net.state(a, &ca),
        Some(CallState::Active),
        "the hold did not happen"
    );
    assert_eq!(net.state(b, &cb), Some(CallState::Active));
    assert!(net.sent(a, "BYE ").is_empty() && net.sent(b, "BYE ").is_empty());

    // The dialog still works: DTMF by INFO, then a normal hangup.
    net.with(b, |ua, now| ua.dtmf(now, &cb, "5")).unwrap();
    net.drive();
    assert!(net
        .events(a)
        .iter()
        .any(|e| matches!(e, Event::Dtmf { tone: '5', .. })));
    net.with(b, |ua, now| ua.hangup(now, &cb)).unwrap();
    net.drive();
    assert_eq!(net.ended(a, &ca), Some((EndCause::HangupRemote, Some(200))));
}

#[test]
fn a_browser_answer_rejecting_all_audio_is_not_sent_but_turned_into_488() {
    let (mut net, a, b) = two();
    net.phones[b].media.auto = false;
    let (ca, cb) = net.ring(a, "1002", b);
    net.with(b, |ua, now| ua.answer(now, &cb)).unwrap();
    feed(
        &mut net,
        b,
        &cb,
        MediaResult::LocalAnswer(REJECTED_ANSWER.into()),
    );
    net.drive();

    assert!(oks(&net, b).is_empty(), "the rejecting answer never left");
    let (response, warning) = refusal(&net, b);
    assert!(
        warning.starts_with("305 ") && warning.contains("offered opus/48000/2"),
        "{warning}"
    );
    let ringing = net.sent(b, "SIP/2.0 180 ");
    let tag = |m: &str| m.lines().find(|l| l.starts_with("To: ")).map(str::to_owned);
    assert_eq!(
        tag(&response),
        tag(&ringing[0]),
        "the 488 keeps the To tag of the 180"
    );
    assert_eq!(net.ended(b, &cb), Some((EndCause::Failed, Some(488))));
    let why = errors(&net, b, ErrorScope::Media);
    assert!(why.iter().any(|d| d.contains("no codec")), "{why:?}");
    assert!(net.phones[b]
        .media
        .log
        .iter()
        .any(|(c, m)| c == &cb && *m == MediaCommand::Close));
    assert_eq!(net.ended(a, &ca), Some((EndCause::Failed, Some(488))));
    assert!(net.phones[b].ua.is_registered());
}

#[test]
fn a_browser_answer_rejecting_all_audio_of_a_reinvite_leaves_the_call_as_it_was() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.phones[b].media.auto = false;
    net.with(a, |ua, now| ua.hold(now, &ca)).unwrap();
    net.drive();
    let answers = net.phones[b]
        .media
        .log
        .iter()
        .filter(|(_, m)| matches!(m, MediaCommand::CreateAnswer { .. }))
        .count();
    assert_eq!(answers, 2, "the re-INVITE's offer went to the media layer");
    feed(
        &mut net,
        b,
        &cb,
        MediaResult::LocalAnswer(REJECTED_ANSWER.into()),
    );
    net.drive();

    let (_, warning) = refusal(&net, b);
    assert!(warning.starts_with("305 "), "{warning}");
    assert_eq!(oks(&net, b).len(), 1, "only the 200 of the initial INVITE");
    assert!(net.ended(a, &ca).is_none() && net.ended(b, &cb).is_none());
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    assert_eq!(net.state(b, &cb), Some(CallState::Active));
    // The next re-INVITE is answered normally: nothing was left pending.
    net.phones[b].media.auto = true;
    net.with(a, |ua, now| ua.hold(now, &ca)).unwrap();
    net.advance(5_000);
    assert_eq!(net.state(a, &ca), Some(CallState::Held));
    assert_eq!(net.state(b, &cb), Some(CallState::Held));
}

/// The 200s phone `i` sent to an INVITE.
fn oks(net: &Net, i: usize) -> Vec<String> {
    net.sent(i, "SIP/2.0 200 ")
        .into_iter()
        .filter(|m| m.contains(" INVITE\r\n"))
        .collect()
}
