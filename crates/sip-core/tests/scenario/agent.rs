//! An agent's day: reject codes and the busy policy, custom headers and caller identity,
//! DTMF timing and mute direction, MESSAGE, and what the call snapshot carries.

use sip_core::message;
use sip_core::ua::{
    BusyPolicy, CommandError, EndCause, ErrorScope, Event, Input, MediaCommand, MuteDirection,
};

use crate::harness::{config, Net};

fn count_incoming(net: &Net, i: usize) -> usize {
    net.events(i)
        .iter()
        .filter(|e| matches!(e, Event::Incoming(_)))
        .count()
}

#[test]
fn reject_with_busy_decline_or_unavailable() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    for (status, cause) in [
        (486, EndCause::Busy),
        (603, EndCause::Rejected),
        (480, EndCause::NoAnswer),
    ] {
        let (ca, cb) = net.ring(a, "1002", b);
        net.with(b, |ua, now| ua.reject_with(now, &cb, status))
            .unwrap();
        net.drive();
        assert_eq!(net.ended(a, &ca), Some((cause, Some(status))), "{status}");
        assert_eq!(net.ended(b, &cb), Some((EndCause::Rejected, Some(status))));
        let last = net.sent(b, "SIP/2.0 ").pop().unwrap();
        assert!(last.starts_with(&format!("SIP/2.0 {status} ")), "{last}");
    }
    // An answered call cannot be rejected: it is hung up.
    let (_, cb) = net.connect_call(a, "1002", b);
    assert!(net
        .with(b, |ua, now| ua.reject_with(now, &cb, 603))
        .is_err());
}

/// A user agent with `incoming_while_busy` set to reject.
fn busy_phone(net: &mut Net, user: &str) -> usize {
    let mut c = config(user);
    c.incoming_while_busy = BusyPolicy::Reject;
    let i = net.add(c);
    net.start(i);
    net.drive();
    i
}

#[test]
fn a_busy_agent_answers_a_second_call_486_without_ringing() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = busy_phone(&mut net, "1002");
    let c = net.phone("1003");
    // Idle: a call rings as usual.
    let (ca, cb) = net.connect_call(a, "1002", b);
    assert_eq!(count_incoming(&net, b), 1);

    // Busy with an answered call: the second call is refused by the core.
    let second = net.with(c, |ua, now| ua.call(now, "1002")).unwrap();
    net.drive();
    assert_eq!(net.ended(c, &second), Some((EndCause::Busy, Some(486))));
    assert_eq!(
        count_incoming(&net, b),
        1,
        "no incoming for the refused call"
    );
    let refused: Vec<_> = net
        .events(b)
        .iter()
        .filter_map(|e| match e {
            Event::Error {
                scope: ErrorScope::Call,
                detail,
            } => Some(detail.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].starts_with("busy: refused a call from sip:1003@")
            && refused[0].ends_with(" with 486"),
        "{refused:?}"
    );
    // The first call is untouched.
    assert!(net.ended(a, &ca).is_none() && net.ended(b, &cb).is_none());

    // Busy while a call rings in (not answered yet) too.
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    let (_, ringing) = net.ring(a, "1002", b);
    let third = net.with(c, |ua, now| ua.call(now, "1002")).unwrap();
    net.drive();
    assert_eq!(net.ended(c, &third), Some((EndCause::Busy, Some(486))));
    net.with(b, |ua, now| ua.reject(now, &ringing)).unwrap();
    net.drive();

    // Idle again: a call rings.
    let before = count_incoming(&net, b);
    net.ring(c, "1002", b);
    assert_eq!(count_incoming(&net, b), before + 1);
}

#[test]
fn the_default_policy_rings_a_second_call() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    let c = net.phone("1003");
    net.connect_call(a, "1002", b);
    let (cc, cb2) = net.ring(c, "1002", b);
    assert_eq!(count_incoming(&net, b), 2);
    assert!(net.ended(c, &cc).is_none() && net.ended(b, &cb2).is_none());
    assert!(!net
        .events(b)
        .iter()
        .any(|e| matches!(e, Event::Error { .. })));
}

#[test]
fn the_snapshot_has_our_number_and_the_final_status_and_every_end_has_a_status() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    let (ca, cb) = net.ring(a, "1002", b);
    let ringing = net.phones[b].ua.call_info(&cb).unwrap().clone();
    assert_eq!(ringing.local_number, "1002");
    assert_eq!(ringing.status, None, "no final status while ringing");
    assert_eq!(
        net.phones[a].ua.call_info(&ca).unwrap().local_number,
        "1001"
    );
    net.with(b, |ua, now| ua.answer(now, &cb)).unwrap();
    net.drive();
    assert_eq!(net.phones[a].ua.call_info(&ca).unwrap().status, Some(200));
    assert_eq!(net.phones[b].ua.call_info(&cb).unwrap().status, Some(200));
    // BYE, ours or theirs: 200 on both sides.
    net.with(b, |ua, now| ua.hangup(now, &cb)).unwrap();
    net.drive();
    assert_eq!(net.ended(b, &cb), Some((EndCause::HangupLocal, Some(200))));
    assert_eq!(net.ended(a, &ca), Some((EndCause::HangupRemote, Some(200))));
    // A cancelled INVITE: 487 on both sides.
    let (ca, cb) = net.ring(a, "1002", b);
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    assert_eq!(net.ended(a, &ca), Some((EndCause::Cancelled, Some(487))));
    assert_eq!(net.ended(b, &cb), Some((EndCause::Cancelled, Some(487))));
}

#[test]
fn dtmf_by_info_announces_the_duration_and_spaces_tones_by_duration_plus_gap() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    let (ca, _) = net.connect_call(a, "1002", b);
    let infos = |net: &Net| net.sent(a, "INFO ");
    let t0 = net.now.0;
    net.with(a, |ua, now| ua.dtmf_with(now, &ca, "12", 250, 100))
        .unwrap();
    net.drive();
    assert_eq!(infos(&net).len(), 1);
    // The first INFO went out at once and its 200 came back within 40 ms: the second
    // waits for duration + gap = 350 ms after the first.
    net.advance(t0 + 345 - net.now.0);
    assert_eq!(infos(&net).len(), 1, "not before duration + gap");
    net.advance(10);
    assert_eq!(infos(&net).len(), 2);
    for m in infos(&net) {
        assert!(m.contains("\r\nDuration=250\r\n"), "{m}");
    }
    // Out of bounds: clamped to 40 ms and 30 ms.
    net.with(a, |ua, now| ua.dtmf_with(now, &ca, "3", 1, 1))
        .unwrap();
    net.advance(1_000);
    assert!(infos(&net)[2].contains("\r\nDuration=40\r\n"));
}

#[test]
fn rfc4733_dtmf_hands_the_duration_and_gap_to_the_media_layer() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    net.phones[b].media.telephone_event = true;
    let (ca, _) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| ua.dtmf_with(now, &ca, "9#", 400, 9_000))
        .unwrap();
    assert!(net.phones[a].media.log.iter().any(|(_, m)| *m
        == MediaCommand::InsertDtmf {
            tones: "9#".into(),
            duration: 400,
            gap: 6000,
        }));
    assert!(net.sent(a, "INFO ").is_empty());
}

#[test]
fn mute_in_silences_the_remote_audio_here_and_out_the_microphone() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    let (ca, _) = net.connect_call(a, "1002", b);
    let sent_before = net.phones[a].sent.len();
    let info = |net: &Net| net.phones[a].ua.call_info(&ca).unwrap().clone();
    let last_media = |net: &Net| net.phones[a].media.log.last().unwrap().1.clone();

    net.with(a, |ua, now| ua.mute_with(now, &ca, true, MuteDirection::In))
        .unwrap();
    assert_eq!(last_media(&net), MediaCommand::SetMutedIn(true));
    assert!(info(&net).muted_in && !info(&net).muted);
    net.with(a, |ua, now| {
        ua.mute_with(now, &ca, true, MuteDirection::All)
    })
    .unwrap();
    assert_eq!(
        last_media(&net),
        MediaCommand::SetMuted(true),
        "only what changed"
    );
    assert!(info(&net).muted_in && info(&net).muted);
    net.with(a, |ua, now| {
        ua.mute_with(now, &ca, false, MuteDirection::Out)
    })
    .unwrap();
    assert!(info(&net).muted_in && !info(&net).muted);
    net.with(a, |ua, now| {
        ua.mute_with(now, &ca, false, MuteDirection::In)
    })
    .unwrap();
    assert_eq!(last_media(&net), MediaCommand::SetMutedIn(false));
    assert!(!info(&net).muted_in && !info(&net).muted);
    net.drive();
    assert_eq!(net.phones[a].sent.len(), sent_before, "no signalling");
    let updates = net
        .events(a)
        .iter()
        .filter(|e| matches!(e, Event::CallUpdated(c) if c.id == ca))
        .count();
    assert!(updates >= 4, "each change is a callUpdated: {updates}");
}

#[test]
fn x_headers_and_a_display_name_go_out_on_the_invite_and_come_in_on_the_call() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    let id = net
        .with(a, |ua, now| {
            ua.call_with(
                now,
                "1002",
                "Agent Ann",
                "X-Ticket:T-42\nx-queue: sales support",
            )
        })
        .unwrap();
    net.drive();
    let invite = net.sent(a, "INVITE ").pop().unwrap();
    let parsed = message::parse(&invite).unwrap();
    assert_eq!(parsed.header("X-Ticket"), Some("T-42"));
    assert_eq!(parsed.header("X-Queue"), Some("sales support"));
    let from = parsed.from();
    assert_eq!(from.display_name, Some("Agent Ann"));
    assert!(from.uri.starts_with("sip:1001@"), "{}", from.uri);
    // The callee sees the X- headers, and the display name as the caller's name.
    let incoming = net
        .events(b)
        .iter()
        .find_map(|e| match e {
            Event::Incoming(info) => Some(info.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(incoming.headers, "X-Ticket:T-42\nx-queue:sales support\n");
    assert_eq!(incoming.remote_name.as_deref(), Some("Agent Ann"));
    // Our own snapshot carries what we sent.
    assert_eq!(
        net.phones[a].ua.call_info(&id).unwrap().headers,
        "X-Ticket:T-42\nx-queue: sales support"
    );
    // A call without them sends the configured display name and no X- header.
    net.with(a, |ua, now| ua.call(now, "1002")).unwrap();
    net.drive();
    let plain = net.sent(a, "INVITE ").pop().unwrap();
    assert!(!plain.to_ascii_lowercase().contains("\r\nx-"), "{plain}");
    assert_eq!(
        message::parse(&plain).unwrap().from().display_name,
        Some("User 1001")
    );
}

#[test]
fn a_header_or_display_name_that_could_inject_is_refused_and_nothing_is_sent() {
    let mut net = Net::new();
    let a = net.phone("1001");
    net.phone("1002");
    net.drive();
    let sent = net.phones[a].sent.len();
    let events = net.events(a).len();
    for (name, headers) in [
        ("", "X-Ticket:1\r\nVia: SIP/2.0/WSS evil;branch=z9hG4bKx"),
        ("", "X-Ticket:1\rP-Asserted-Identity: <sip:boss@x>"),
        ("", "X-Ticket:1\0"),
        ("", "Via:x"),
        ("", "X-Two Words:x"),
        ("", "X-Ticket"),
        ("Ann\r\nX-Injected: 1", ""),
        ("Ann \"Boss\" <sip:boss@x>", ""),
    ] {
        assert!(
            matches!(
                net.with(a, |ua, now| ua.call_with(now, "1002", name, headers)),
                Err(CommandError::InvalidArgument(_))
            ),
            "{name:?} {headers:?}"
        );
    }
    net.drive();
    assert_eq!(net.phones[a].sent.len(), sent, "nothing was sent");
    assert_eq!(net.events(a).len(), events, "no call was started");
    assert!(net.phones[a].ua.calls().next().is_none());
}

#[test]
fn an_incoming_call_exposes_its_x_headers_and_p_asserted_identity() {
    let mut net = Net::new();
    let a = net.phone("1001");
    net.drive();
    let invite = "INVITE sip:1001@198.51.100.7;transport=ws SIP/2.0\r\nVia: SIP/2.0/WSS proxy.test.local;branch=z9hG4bK-pai-1\r\nMax-Forwards: 69\r\nFrom: \"Trunk\" <sip:anonymous@test.local>;tag=p1\r\nTo: <sip:1001@test.local>\r\nCall-ID: pai-1\r\nCSeq: 1 INVITE\r\np-asserted-identity: \"Jane Roe\" <sip:+15551234567@carrier.example>, <tel:+15551234567>\r\nX-Campaign: spring\r\nSubject: not exposed\r\nContact: <sip:600@proxy.test.local;transport=ws>\r\nContent-Length: 0\r\n\r\n";
    net.with(a, |ua, now| ua.handle_input(now, Input::Received(invite)));
    let id = net.incoming(a);
    let info = net.phones[a].ua.call_info(&id).unwrap();
    assert_eq!(
        info.headers,
        "P-Asserted-Identity:\"Jane Roe\" <sip:+15551234567@carrier.example>, <tel:+15551234567>\nX-Campaign:spring\n"
    );
    assert_eq!(info.remote_number, "anonymous");
}
