//! The 2xx to an INVITE until its ACK (RFC 3261 §13.3.1.4), and retransmitted INVITEs.

use sip_core::ua::{CallState, EndCause, ErrorScope, Event, Input};

use crate::harness::{Dest, Fault, Net};

fn two() -> (Net, usize, usize) {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    (net, a, b)
}

/// The 200s phone `i` sent to an INVITE.
fn oks_to_invite(net: &Net, i: usize) -> Vec<String> {
    net.sent(i, "SIP/2.0 200 ")
        .into_iter()
        .filter(|m| m.contains(" INVITE\r\n"))
        .collect()
}

/// Runs the network until `ms` after `t0`.
fn advance_to(net: &mut Net, t0: sip_core::ua::Instant, ms: u64) {
    let at = t0.plus(ms);
    assert!(at >= net.now, "already past {ms} ms");
    net.advance(at.since(net.now));
}

fn count(events: &[Event], f: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

#[test]
fn a_lost_ack_makes_the_200_go_out_again_on_t1_t2_timing_then_bye_after_64_t1() {
    let (mut net, a, b) = two();
    // Every ACK from the caller is lost at the proxy: over WebSocket, the first hop is reliable.
    net.fault = Box::new(|to, text| match to {
        Dest::Proxy { from: 0 } if text.starts_with("ACK ") => Fault::Drop,
        _ => Fault::Deliver,
    });
    let (ca, cb) = net.ring(a, "1002", b);
    let t0 = net.now;
    net.with(b, |ua, now| ua.answer(now, &cb)).unwrap();
    assert_eq!(oks_to_invite(&net, b).len(), 1);
    // T1 doubling up to T2: 0.5, 1.5, 3.5, 7.5 s, then every 4 s until 64*T1 = 32 s.
    let mut sent = 1;
    for at in [
        500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500,
    ] {
        advance_to(&mut net, t0, at - 1);
        assert_eq!(
            oks_to_invite(&net, b).len(),
            sent,
            "nothing more before {at} ms"
        );
        advance_to(&mut net, t0, at);
        sent += 1;
        assert_eq!(oks_to_invite(&net, b).len(), sent, "a copy at {at} ms");
    }
    let oks = oks_to_invite(&net, b);
    assert!(oks.iter().all(|m| m == &oks[0]), "the same 200 each time");
    advance_to(&mut net, t0, 31_999);
    // Each copy reached the caller, which answered it with an ACK again (lost too).
    assert_eq!(net.sent(a, "ACK ").len(), sent);
    assert_eq!(
        net.state(b, &cb),
        Some(CallState::Active),
        "the call is up meanwhile"
    );
    assert!(net.sent(b, "BYE ").is_empty());
    assert!(net.ended(b, &cb).is_none());
    advance_to(&mut net, t0, 32_000);
    assert_eq!(
        net.sent(b, "BYE ").len(),
        1,
        "64*T1 without an ACK: the session ends with BYE"
    );
    assert_eq!(net.ended(b, &cb), Some((EndCause::Failed, Some(408))));
    assert!(
        net.events(b).iter().any(|e| matches!(e, Event::Error { scope: ErrorScope::Call, detail } if detail.contains("no ACK"))),
        "{:?}",
        net.events(b)
    );
    net.drive();
    assert_eq!(net.ended(a, &ca), Some((EndCause::HangupRemote, Some(200))));
    net.advance(20_000);
    assert_eq!(oks_to_invite(&net, b).len(), sent, "no copy after the end");
    assert!(net.phones[b].ua.is_registered(), "still registered");
    assert_eq!(net.phones[b].ua.debug_sizes().calls, 0);
}

#[test]
fn a_late_ack_stops_the_copies_and_the_call_goes_on() {
    let (mut net, a, b) = two();
    let mut first = true;
    net.fault = Box::new(move |to, text| match to {
        Dest::Proxy { from: 0 } if first && text.starts_with("ACK ") => {
            first = false;
            Fault::Drop
        }
        _ => Fault::Deliver,
    });
    let (ca, cb) = net.ring(a, "1002", b);
    let t0 = net.now;
    net.with(b, |ua, now| ua.answer(now, &cb)).unwrap();
    advance_to(&mut net, t0, 600);
    assert_eq!(oks_to_invite(&net, b).len(), 2, "one copy at T1");
    assert_eq!(
        net.sent(a, "ACK ").len(),
        2,
        "the copy was ACKed, and this ACK arrived"
    );
    net.advance(40_000);
    assert_eq!(oks_to_invite(&net, b).len(), 2, "no copy after the ACK");
    assert!(net.sent(b, "BYE ").is_empty(), "no BYE: the ACK came");
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    assert_eq!(net.state(b, &cb), Some(CallState::Active));
    assert_eq!(
        count(net.events(b), |e| matches!(e, Event::SessionStarted(_))),
        1
    );
}

#[test]
fn a_retransmitted_invite_gets_the_last_response_again_and_never_rings_twice() {
    let (mut net, a, b) = two();
    let (_ca, cb) = net.ring(a, "1002", b);
    let invite = net.phones[b]
        .received
        .iter()
        .find(|m| m.starts_with("INVITE "))
        .cloned()
        .expect("the INVITE");
    let ringing = net.sent(b, "SIP/2.0 180 ");
    assert_eq!(ringing.len(), 1);

    // Before the answer: the 180 again, word for word (same To tag).
    net.with(b, |ua, now| ua.handle_input(now, Input::Received(&invite)));
    let again = net.sent(b, "SIP/2.0 180 ");
    assert_eq!(again.len(), 2, "the 180 again");
    assert_eq!(again[1], ringing[0]);

    // Answered, the ACK still on its way: the 200 again.
    net.with(b, |ua, now| ua.answer(now, &cb)).unwrap();
    net.with(b, |ua, now| ua.handle_input(now, Input::Received(&invite)));
    let oks = oks_to_invite(&net, b);
    assert_eq!(oks.len(), 2, "the 200 again");
    assert_eq!(oks[1], oks[0]);

    // Once the ACK arrived, a late copy is absorbed (RFC 6026 §7.1).
    net.drive();
    let sent = net.phones[b].sent.len();
    net.with(b, |ua, now| ua.handle_input(now, Input::Received(&invite)));
    assert_eq!(
        net.phones[b].sent.len(),
        sent,
        "nothing answers a copy after the ACK"
    );

    // The same INVITE on another branch (a fork looping back) is not a second call either.
    let looped = invite.replacen("branch=z9hG4bK-p", "branch=z9hG4bK-loop", 1);
    assert_ne!(looped, invite);
    net.with(b, |ua, now| ua.handle_input(now, Input::Received(&looped)));
    assert!(
        net.phones[b]
            .sent
            .last()
            .is_some_and(|m| m.starts_with("SIP/2.0 482 ")),
        "{:?}",
        net.phones[b].sent.last()
    );

    assert_eq!(
        count(net.events(b), |e| matches!(e, Event::Incoming(_))),
        1,
        "one incoming call"
    );
    assert_eq!(
        count(net.events(b), |e| matches!(e, Event::SessionStarted(_))),
        1
    );
    net.advance(40_000);
    assert_eq!(
        net.state(b, &cb),
        Some(CallState::Active),
        "the call is unharmed"
    );
    assert!(net.sent(b, "BYE ").is_empty());
}
