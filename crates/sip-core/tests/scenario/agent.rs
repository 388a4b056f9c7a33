//! An agent's day: reject codes and the busy policy, custom headers and caller identity,
//! DTMF timing and mute direction, MESSAGE, and what the call snapshot carries.

use sip_core::ua::{BusyPolicy, EndCause, ErrorScope, Event, MediaCommand, MuteDirection};

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
