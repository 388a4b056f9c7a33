//! A hold or resume the peer refuses is a typed `HoldFailed` (not an error text), so the
//! application's `hold()` can reject with the status; the call stays as it was. A refused
//! re-INVITE that was not a hold change (the refresh after a reconnect) stays an error.

use sip_core::ua::{CallState, Event};

use crate::harness::{response_to, Dest, Fault, Net};

fn two() -> (Net, usize, usize) {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    (net, a, b)
}

/// The far phone never sees a re-INVITE (an in-dialog INVITE): the test answers it.
fn swallow_reinvites(net: &mut Net, b: usize) {
    net.fault = Box::new(move |to, text: &str| {
        let in_dialog = text
            .split("\r\n")
            .any(|l| l.starts_with("To:") && l.contains(";tag="));
        if to == Dest::Phone(b) && text.starts_with("INVITE ") && in_dialog {
            Fault::Drop
        } else {
            Fault::Deliver
        }
    });
}

/// Answers phone `a`'s last re-INVITE with `status`.
fn refuse_last_reinvite(net: &mut Net, a: usize, status: u16) {
    let reinvite = net.sent(a, "INVITE ").pop().expect("a re-INVITE");
    let text = response_to(&reinvite, status, "unused", None).expect("a response");
    net.deliver_to(a, text);
    net.drive();
}

fn hold_failures(net: &Net, i: usize) -> Vec<(bool, Option<u16>)> {
    net.events(i)
        .iter()
        .filter_map(|e| match e {
            Event::HoldFailed {
                hold,
                status,
                reason,
                ..
            } => {
                assert!(!reason.is_empty());
                Some((*hold, *status))
            }
            _ => None,
        })
        .collect()
}

fn errors(net: &Net, i: usize) -> usize {
    net.events(i)
        .iter()
        .filter(|e| matches!(e, Event::Error { .. }))
        .count()
}

#[test]
fn a_refused_hold_is_a_hold_failed_event_and_the_call_stays_active() {
    let (mut net, a, b) = two();
    let (ca, _cb) = net.connect_call(a, "1002", b);
    swallow_reinvites(&mut net, b);
    net.take_events(a);
    let invites = net.sent(a, "INVITE ").len();
    net.with(a, |ua, now| ua.hold(now, &ca)).unwrap();
    net.drive();
    assert_eq!(
        net.sent(a, "INVITE ").len(),
        invites + 1,
        "the hold re-INVITE"
    );
    refuse_last_reinvite(&mut net, a, 488);
    assert_eq!(hold_failures(&net, a), [(true, Some(488))]);
    assert_eq!(errors(&net, a), 0, "a typed event, not an error text");
    let info = net.phones[a].ua.call_info(&ca).unwrap();
    assert_eq!(info.state, CallState::Active);
    assert!(!info.held.local, "not held");
    // Asked again, the hold is tried again: nothing was left half-done.
    net.with(a, |ua, now| ua.hold(now, &ca)).unwrap();
    net.drive();
    assert_eq!(net.sent(a, "INVITE ").len(), invites + 2);
}

#[test]
fn a_refused_resume_is_a_hold_failed_event_and_the_call_stays_held() {
    let (mut net, a, b) = two();
    let (ca, _cb) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| ua.hold(now, &ca)).unwrap();
    net.drive();
    assert_eq!(net.state(a, &ca), Some(CallState::Held));
    swallow_reinvites(&mut net, b);
    net.take_events(a);
    net.with(a, |ua, now| ua.unhold(now, &ca)).unwrap();
    net.drive();
    refuse_last_reinvite(&mut net, a, 403);
    assert_eq!(hold_failures(&net, a), [(false, Some(403))]);
    assert_eq!(errors(&net, a), 0);
    assert_eq!(net.state(a, &ca), Some(CallState::Held));
}

#[test]
fn a_hold_the_media_layer_cannot_offer_is_a_hold_failed_event_without_status() {
    let (mut net, a, b) = two();
    let (ca, _cb) = net.connect_call(a, "1002", b);
    net.take_events(a);
    let invites = net.sent(a, "INVITE ").len();
    net.phones[a].media.fail_next = true;
    net.with(a, |ua, now| ua.hold(now, &ca)).unwrap();
    net.drive();
    assert_eq!(
        net.sent(a, "INVITE ").len(),
        invites,
        "no offer, no re-INVITE"
    );
    assert_eq!(hold_failures(&net, a), [(true, None)]);
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
}

#[test]
fn a_refused_refresh_after_a_reconnect_is_an_error_not_a_hold_failure() {
    let (mut net, a, b) = two();
    let (ca, _cb) = net.connect_call(a, "1002", b);
    swallow_reinvites(&mut net, b);
    let invites = net.sent(a, "INVITE ").len();
    net.cut(a);
    net.advance(3_000);
    assert_eq!(
        net.sent(a, "INVITE ").len(),
        invites + 1,
        "the refresh re-INVITE"
    );
    net.take_events(a);
    refuse_last_reinvite(&mut net, a, 500);
    assert!(hold_failures(&net, a).is_empty(), "no hold was asked");
    assert_eq!(errors(&net, a), 1, "{:?}", net.events(a));
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
}
