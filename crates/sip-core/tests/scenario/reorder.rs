//! Delay and reordering: a message held back on its way so that a later one overtakes it.
//!
//! WebSocket keeps order on one flow, but the proxy forwards each request and response on its
//! own, so messages of different transactions cross (RFC 3261 §§ 9.2, 13.2.2.4, 15.1.2, 17.1.1.2).

use sip_core::ua::{CallState, EndCause, Event};

use crate::harness::{Dest, Fault, Net};

fn two() -> (Net, usize, usize) {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    (net, a, b)
}

fn count(events: &[Event], f: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

/// Whether phone `i` received a message starting with `prefix`.
fn received(net: &Net, i: usize, prefix: &str) -> bool {
    net.phones[i].received.iter().any(|m| m.starts_with(prefix))
}

#[test]
fn a_180_delayed_past_the_200_does_not_undo_the_answer() {
    let (mut net, a, b) = two();
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(p) if p == a && text.starts_with("SIP/2.0 180 ") => Fault::Delay(1_000),
        _ => Fault::Deliver,
    });
    let ca = net.with(a, |ua, now| ua.call(now, "1002")).unwrap();
    net.advance(100);
    let cb = net.incoming(b);
    net.with(b, |ua, now| ua.answer(now, &cb)).unwrap();
    net.advance(100);
    assert!(
        !received(&net, a, "SIP/2.0 180 "),
        "the 180 is still on its way"
    );
    assert!(net.answered(a, &ca));
    let events = net.events(a).len();
    // The 180 lands on a transaction that already has its final response: it is absorbed.
    net.drive();
    assert!(received(&net, a, "SIP/2.0 180 "));
    assert_eq!(net.state(a, &ca), Some(CallState::Active), "still answered");
    assert_eq!(net.answers(a, &ca), 1);
    assert!(
        !net.events(a)[events..]
            .iter()
            .any(|e| matches!(e, Event::CallUpdated(i) if i.state == CallState::Ringing)),
        "no ringing after the answer: {:?}",
        &net.events(a)[events..]
    );
    assert_eq!(net.sent(a, "ACK ").len(), 1, "the 2xx is ACKed once");
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    assert_eq!(net.ended(b, &cb), Some((EndCause::HangupRemote, Some(200))));
    assert_eq!(
        count(net.events(a), |e| matches!(e, Event::SessionEnded { .. })),
        1
    );
}

#[test]
fn a_bye_overtaking_the_answer_to_our_reinvite_ends_the_call_once() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.connect_call(a, "1002", b);
    // The 200 to a's hold re-INVITE is held back; b hangs up meanwhile, and its BYE wins.
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(p)
            if p == a && text.starts_with("SIP/2.0 200 ") && text.contains(" INVITE\r\n") =>
        {
            Fault::Delay(2_000)
        }
        _ => Fault::Deliver,
    });
    net.with(a, |ua, now| ua.hold(now, &ca)).unwrap();
    net.advance(100);
    assert!(
        net.phones[b].ua.call_info(&cb).unwrap().held.remote,
        "b answered the hold"
    );
    net.with(b, |ua, now| ua.hangup(now, &cb)).unwrap();
    net.advance(100);
    let oks_to_invite = |net: &Net| {
        net.phones[a]
            .received
            .iter()
            .filter(|m| m.starts_with("SIP/2.0 200 ") && m.contains(" INVITE\r\n"))
            .count()
    };
    assert_eq!(
        oks_to_invite(&net),
        1,
        "only the call's 200 so far: the BYE overtook the re-INVITE's"
    );
    assert_eq!(
        net.ended(a, &ca),
        Some((EndCause::HangupRemote, Some(200))),
        "the BYE ends the call at once"
    );
    assert!(net.phones[a]
        .sent
        .iter()
        .any(|m| m.starts_with("SIP/2.0 200 ") && m.contains(" BYE\r\n")));
    assert_eq!(net.ended(b, &cb), Some((EndCause::HangupLocal, Some(200))));
    // The 200 to the re-INVITE arrives for a dialog that is gone: it revives nothing.
    net.advance(40_000);
    assert_eq!(oks_to_invite(&net), 2, "the re-INVITE's 200 came at last");
    // The UAC core ACKs every 2xx to an INVITE (§13.2.2.4), the late one too.
    assert_eq!(
        net.sent(a, "ACK ").len(),
        2,
        "the call's ACK and the re-INVITE's"
    );
    assert_eq!(
        count(net.events(a), |e| matches!(e, Event::SessionEnded { .. })),
        1
    );
    assert_eq!(
        count(net.events(b), |e| matches!(e, Event::SessionEnded { .. })),
        1
    );
    assert!(
        net.sent(a, "BYE ").is_empty(),
        "a never hangs up a call the peer ended"
    );
    assert!(net.phones[a].ua.calls().next().is_none());
    assert!(net.phones[b].ua.calls().next().is_none());
    assert_eq!(net.phones[a].ua.debug_sizes().calls, 0, "nothing lingers");
    assert_eq!(net.phones[b].ua.debug_sizes().calls, 0, "nothing lingers");
}

#[test]
fn a_reinvite_delayed_past_the_bye_is_refused_481_and_ends_nothing_twice() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.connect_call(a, "1002", b);
    // a's hold re-INVITE is held back on its way to b; b hangs up before it arrives.
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(p) if p == b && text.starts_with("INVITE ") => Fault::Delay(1_000),
        _ => Fault::Deliver,
    });
    net.with(a, |ua, now| ua.hold(now, &ca)).unwrap();
    net.advance(100);
    net.with(b, |ua, now| ua.hangup(now, &cb)).unwrap();
    net.advance(100);
    assert_eq!(net.ended(a, &ca), Some((EndCause::HangupRemote, Some(200))));
    // The re-INVITE reaches b after its dialog ended: no such call (RFC 3261 §12.2.2).
    net.advance(40_000);
    assert!(received(&net, b, "INVITE "));
    assert!(
        net.phones[b]
            .sent
            .iter()
            .any(|m| m.starts_with("SIP/2.0 481 ")),
        "{:?}",
        net.phones[b].sent.last()
    );
    assert_eq!(
        count(net.events(b), |e| matches!(e, Event::Incoming(_))),
        1,
        "not a new call"
    );
    assert_eq!(
        count(net.events(a), |e| matches!(e, Event::SessionEnded { .. })),
        1
    );
    assert_eq!(
        count(net.events(b), |e| matches!(e, Event::SessionEnded { .. })),
        1
    );
    assert_eq!(net.phones[a].ua.debug_sizes().calls, 0);
    assert_eq!(
        net.phones[a].ua.debug_sizes().clients,
        0,
        "the re-INVITE's transaction finished"
    );
}

#[test]
fn dtmf_stays_in_order_when_one_info_is_delayed() {
    let (mut net, a, b) = two();
    let (ca, _cb) = net.connect_call(a, "1002", b);
    // The first tone's INFO is slow; the next ones must not overtake it.
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(p) if p == b && text.starts_with("INFO ") && text.contains("Signal=1\r\n") => {
            Fault::Delay(700)
        }
        _ => Fault::Deliver,
    });
    net.with(a, |ua, now| ua.dtmf(now, &ca, "123")).unwrap();
    net.advance(5_000);
    let tones: String = net
        .events(b)
        .iter()
        .filter_map(|e| match e {
            Event::Dtmf { tone, .. } => Some(*tone),
            _ => None,
        })
        .collect();
    assert_eq!(tones, "123");
    assert_eq!(net.sent(a, "INFO ").len(), 3, "each tone sent once");
}

#[test]
fn a_cancel_delayed_past_the_answer_leaves_the_call_to_a_bye() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.ring(a, "1002", b);
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(p) if p == b && text.starts_with("CANCEL ") => Fault::Delay(50),
        _ => Fault::Deliver,
    });
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.advance(50);
    // b answers before the CANCEL arrives, which then has nothing to cancel (§9.2); the
    // caller's ACK and BYE come after it.
    net.with(b, |ua, now| ua.answer(now, &cb)).unwrap();
    net.advance(5_000);
    let at = |prefix: &str| {
        net.phones[b]
            .received
            .iter()
            .position(|m| m.starts_with(prefix))
    };
    let cancel = at("CANCEL ").expect("the CANCEL arrived");
    assert!(
        at("ACK ").is_some_and(|ack| cancel < ack),
        "the CANCEL came between the 200 and the ACK"
    );
    assert!(
        net.phones[b]
            .sent
            .iter()
            .all(|m| !m.starts_with("SIP/2.0 487 ")),
        "the answered INVITE is not cancelled"
    );
    assert!(
        net.phones[b]
            .sent
            .iter()
            .any(
                |m| (m.starts_with("SIP/2.0 200 ") || m.starts_with("SIP/2.0 481 "))
                    && m.contains(" CANCEL\r\n")
            ),
        "the CANCEL gets its own answer"
    );
    // The caller, which gave up, takes the 2xx, ACKs it and ends the session with BYE.
    assert_eq!(net.sent(a, "ACK ").len(), 1);
    assert_eq!(net.sent(a, "BYE ").len(), 1);
    assert_eq!(net.ended(a, &ca), Some((EndCause::Cancelled, Some(487))));
    assert!(net.started(b, &cb));
    assert_eq!(net.ended(b, &cb), Some((EndCause::HangupRemote, Some(200))));
    assert_eq!(
        count(net.events(b), |e| matches!(e, Event::SessionEnded { .. })),
        1
    );
    assert!(net.phones[a].ua.calls().next().is_none());
    assert!(net.phones[b].ua.calls().next().is_none());
}

#[test]
fn a_register_answer_delayed_past_the_refresh_time_keeps_the_registration() {
    let mut net = Net::new();
    net.proxy.grant = Some(120);
    let a = net.phone("1001");
    assert_eq!(net.proxy.registers.len(), 2, "challenged, then registered");
    // Every later REGISTER's 200 takes 20 s to come back (under Timer F's 32 s).
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(p)
            if p == a && text.starts_with("SIP/2.0 200 ") && text.contains(" REGISTER\r\n") =>
        {
            Fault::Delay(20_000)
        }
        _ => Fault::Deliver,
    });
    // The refresh goes out at half the 120 s granted, about 60 s in.
    net.advance(61_000);
    assert_eq!(net.proxy.registers.len(), 3, "refreshed");
    net.advance(19_000);
    assert_eq!(
        net.proxy.registers.len(),
        3,
        "no second refresh while the first is pending"
    );
    assert!(
        net.phones[a].ua.is_registered(),
        "the binding still holds while the answer is slow"
    );
    net.advance(2_000);
    let oks = net.phones[a]
        .received
        .iter()
        .filter(|m| m.starts_with("SIP/2.0 200 ") && m.contains(" REGISTER\r\n"))
        .count();
    assert_eq!(oks, 2, "the slow 200 came");
    assert!(net.phones[a].ua.is_registered());
    assert_eq!(registered_events(&net, a), [true], "never flapped");
    assert!(!net
        .events(a)
        .iter()
        .any(|e| matches!(e, Event::RegistrationFailed { .. })));
    // The next refresh follows the new grant.
    net.advance(60_000);
    assert!(net.proxy.registers.len() >= 4, "refreshed again");
    assert_eq!(registered_events(&net, a), [true]);
}

fn registered_events(net: &Net, i: usize) -> Vec<bool> {
    net.events(i)
        .iter()
        .filter_map(|e| match e {
            Event::RegisteredChange { registered } => Some(*registered),
            _ => None,
        })
        .collect()
}
