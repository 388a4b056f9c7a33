//! Media recovery: ICE `disconnected` past the grace period, `failed`, or a network change
//! while it is down starts one ICE restart re-INVITE; the call is `Reconnecting` until ICE
//! connects again, or ends with BYE when the restart fails or takes too long.

use sip_core::message;
use sip_core::sdp::{self, Direction};
use sip_core::ua::{
    CallId, CallState, EndCause, ErrorScope, Event, Input, MediaCommand, MediaResult,
};

use crate::harness::Net;

/// A call from a (1001) to b (1002), answered, ICE connected on a.
fn call() -> (Net, usize, usize, CallId, CallId) {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    let (ca, cb) = net.connect_call(a, "1002", b);
    ice(&mut net, a, &ca, MediaResult::IceConnected);
    net.take_events(a);
    net.take_events(b);
    (net, a, b, ca, cb)
}

/// The media layer of phone `i` reports an ICE change.
fn ice(net: &mut Net, i: usize, call: &CallId, result: MediaResult) {
    net.with(i, |ua, now| {
        ua.handle_input(
            now,
            Input::Media {
                call: call.clone(),
                result,
            },
        )
    });
    net.drive();
}

/// The directions of the re-offers phone `i` asked its media layer for with an ICE restart.
fn restarts(net: &Net, i: usize) -> Vec<Direction> {
    net.phones[i]
        .media
        .log
        .iter()
        .filter_map(|(_, c)| match c {
            MediaCommand::CreateReoffer {
                direction,
                ice_restart: true,
                fresh: false,
            } => Some(*direction),
            _ => None,
        })
        .collect()
}

/// The `a=ice-ufrag` of the SDP in message `m`.
fn ufrag(m: &str) -> String {
    let body = message::parse(m).unwrap().body().to_owned();
    body.lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .expect("an ice-ufrag")
        .to_owned()
}

/// The states phone `i` reported for `call` in `CallUpdated`, in order.
fn updates(net: &Net, i: usize, call: &CallId) -> Vec<CallState> {
    net.events(i)
        .iter()
        .filter_map(|e| match e {
            Event::CallUpdated(info) if &info.id == call => Some(info.state),
            _ => None,
        })
        .collect()
}

fn media_errors(net: &Net, i: usize) -> Vec<String> {
    net.events(i)
        .iter()
        .filter_map(|e| match e {
            Event::Error {
                scope: ErrorScope::Media,
                detail,
            } => Some(detail.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn disconnected_shorter_than_the_grace_changes_nothing() {
    let (mut net, a, _b, ca, _cb) = call();
    let invites = net.sent(a, "INVITE ").len();
    ice(&mut net, a, &ca, MediaResult::IceDisconnected);
    net.advance(1_900);
    ice(&mut net, a, &ca, MediaResult::IceConnected);
    net.advance(30_000);
    assert!(restarts(&net, a).is_empty());
    assert_eq!(net.sent(a, "INVITE ").len(), invites, "no re-INVITE");
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    assert!(updates(&net, a, &ca).is_empty(), "no reconnecting shown");
}

#[test]
fn disconnected_past_the_grace_restarts_ice_and_connected_makes_the_call_active_again() {
    let (mut net, a, b, ca, cb) = call();
    let first_ufrag = ufrag(&net.sent(a, "INVITE ")[0]);
    ice(&mut net, a, &ca, MediaResult::IceDisconnected);
    net.advance(1_990);
    assert!(restarts(&net, a).is_empty(), "still within the 2 s grace");
    net.advance(20);
    assert_eq!(restarts(&net, a), vec![Direction::SendRecv]);
    net.drive();
    let invites = net.sent(a, "INVITE ");
    assert_eq!(invites.len(), 2, "the restart re-INVITE went out");
    assert_ne!(ufrag(&invites[1]), first_ufrag, "with new ICE credentials");
    assert!(
        net.phones[b]
            .received
            .iter()
            .any(|m| m.starts_with("INVITE ")),
        "b got it"
    );
    assert!(
        net.phones[a]
            .media
            .log
            .iter()
            .any(|(c, m)| c == &ca && matches!(m, MediaCommand::ApplyAnswer { .. })),
        "b's answer was applied"
    );
    // Answered, but media is not back until ICE says so.
    assert_eq!(net.state(a, &ca), Some(CallState::Reconnecting));
    assert_eq!(updates(&net, a, &ca), vec![CallState::Reconnecting]);
    ice(&mut net, a, &ca, MediaResult::IceConnected);
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    assert_eq!(
        updates(&net, a, &ca),
        vec![CallState::Reconnecting, CallState::Active]
    );
    // The recovery bound is off: the call lasts.
    net.advance(60_000);
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    assert_eq!(net.state(b, &cb), Some(CallState::Active));
    assert!(net.sent(a, "BYE ").is_empty());
}

#[test]
fn failed_restarts_at_once() {
    let (mut net, a, _b, ca, _cb) = call();
    ice(&mut net, a, &ca, MediaResult::IceFailed);
    assert_eq!(restarts(&net, a), vec![Direction::SendRecv]);
    assert_eq!(net.sent(a, "INVITE ").len(), 2);
    assert_eq!(net.state(a, &ca), Some(CallState::Reconnecting));
    ice(&mut net, a, &ca, MediaResult::IceConnected);
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
}

#[test]
fn no_ice_within_the_bound_ends_the_call_with_bye_and_a_media_error() {
    let (mut net, a, b, ca, cb) = call();
    ice(&mut net, a, &ca, MediaResult::IceFailed);
    net.advance(14_900);
    assert_eq!(net.state(a, &ca), Some(CallState::Reconnecting));
    assert!(net.sent(a, "BYE ").is_empty());
    net.advance(200);
    assert_eq!(net.sent(a, "BYE ").len(), 1, "BYE to the peer");
    assert_eq!(net.ended(a, &ca), Some((EndCause::Failed, Some(200))));
    assert_eq!(net.ended(b, &cb), Some((EndCause::HangupRemote, Some(200))));
    let errors = media_errors(&net, a);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("mediaRecoveryTimeoutMs"), "{errors:?}");
    assert!(
        net.phones[a]
            .media
            .log
            .iter()
            .any(|(c, m)| c == &ca && *m == MediaCommand::Close),
        "media closed"
    );
}

#[test]
fn a_refused_restart_ends_the_call_with_bye_and_a_media_error() {
    let (mut net, a, b, ca, cb) = call();
    // b's browser cannot answer the new offer: 488.
    net.phones[b].media.fail_next = true;
    ice(&mut net, a, &ca, MediaResult::IceFailed);
    assert!(net.phones[b]
        .sent
        .iter()
        .any(|m| m.starts_with("SIP/2.0 488 ")));
    assert_eq!(net.sent(a, "BYE ").len(), 1);
    assert_eq!(net.ended(a, &ca), Some((EndCause::Failed, Some(488))));
    assert_eq!(net.ended(b, &cb), Some((EndCause::HangupRemote, Some(200))));
    let errors = media_errors(&net, a);
    assert!(
        errors.len() == 1 && errors[0].contains("re-INVITE failed"),
        "{errors:?}"
    );
}

#[test]
fn a_failed_restart_offer_ends_the_call() {
    let (mut net, a, b, ca, cb) = call();
    net.phones[a].media.fail_next = true;
    ice(&mut net, a, &ca, MediaResult::IceFailed);
    assert_eq!(
        net.sent(a, "INVITE ").len(),
        1,
        "no re-INVITE without an offer"
    );
    assert_eq!(net.ended(a, &ca), Some((EndCause::Failed, Some(200))));
    assert_eq!(net.ended(b, &cb), Some((EndCause::HangupRemote, Some(200))));
    assert_eq!(media_errors(&net, a).len(), 1);
}

#[test]
fn network_change_restarts_a_call_whose_ice_is_down_and_leaves_a_connected_one() {
    let (mut net, a, _b, ca, _cb) = call();
    net.with(a, |ua, now| ua.handle_input(now, Input::NetworkChanged));
    net.drive();
    assert!(restarts(&net, a).is_empty(), "ICE connected: left alone");
    ice(&mut net, a, &ca, MediaResult::IceDisconnected);
    net.advance(300);
    net.with(a, |ua, now| ua.handle_input(now, Input::NetworkChanged));
    net.drive();
    assert_eq!(
        restarts(&net, a).len(),
        1,
        "restarted without waiting for the grace"
    );
    assert_eq!(net.state(a, &ca), Some(CallState::Reconnecting));
    // The grace timer was dropped: no second restart when it would have fired.
    net.advance(3_000);
    assert_eq!(restarts(&net, a).len(), 1);
    ice(&mut net, a, &ca, MediaResult::IceConnected);
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
}

#[test]
fn one_restart_at_a_time() {
    let (mut net, a, _b, ca, _cb) = call();
    ice(&mut net, a, &ca, MediaResult::IceDisconnected);
    net.advance(2_100);
    assert_eq!(restarts(&net, a).len(), 1);
    // More bad news while the restart is under way changes nothing.
    ice(&mut net, a, &ca, MediaResult::IceFailed);
    ice(&mut net, a, &ca, MediaResult::IceDisconnected);
    net.with(a, |ua, now| ua.handle_input(now, Input::NetworkChanged));
    net.advance(5_000);
    assert_eq!(restarts(&net, a).len(), 1);
    assert_eq!(net.sent(a, "INVITE ").len(), 2);
    assert_eq!(
        updates(&net, a, &ca),
        vec![CallState::Reconnecting],
        "reconnecting shown once"
    );
    // A later loss, after recovery, restarts again.
    ice(&mut net, a, &ca, MediaResult::IceConnected);
    ice(&mut net, a, &ca, MediaResult::IceFailed);
    assert_eq!(restarts(&net, a).len(), 2);
}

#[test]
fn a_restart_on_hold_keeps_the_hold_direction() {
    let (mut net, a, b, ca, cb) = call();
    net.with(a, |ua, now| ua.hold(now, &ca)).unwrap();
    net.drive();
    assert_eq!(net.state(a, &ca), Some(CallState::Held));
    ice(&mut net, a, &ca, MediaResult::IceFailed);
    assert_eq!(restarts(&net, a), vec![Direction::SendOnly]);
    let invite = net.sent(a, "INVITE ").pop().unwrap();
    let body = message::parse(&invite).unwrap().body().to_owned();
    assert_eq!(sdp::directions(&body)[0], Direction::SendOnly);
    assert_eq!(net.state(a, &ca), Some(CallState::Reconnecting));
    let info = net.phones[b].ua.call_info(&cb).unwrap().clone();
    assert!(info.held.remote, "b still sees our hold");
    ice(&mut net, a, &ca, MediaResult::IceConnected);
    assert_eq!(
        net.state(a, &ca),
        Some(CallState::Held),
        "back to held, not active"
    );
    let info = net.phones[a].ua.call_info(&ca).unwrap().clone();
    assert!(info.held.local);
}

#[test]
fn a_restart_in_glare_is_retried_as_a_restart() {
    let (mut net, a, b, ca, cb) = call();
    // b holds as a restarts: both re-INVITEs cross, both get 491.
    net.with(b, |ua, now| ua.hold(now, &cb)).unwrap();
    net.with(a, |ua, now| {
        ua.handle_input(
            now,
            Input::Media {
                call: ca.clone(),
                result: MediaResult::IceFailed,
            },
        )
    });
    net.drive();
    assert!(net.phones[a]
        .sent
        .iter()
        .any(|m| m.starts_with("SIP/2.0 491 ")));
    assert_eq!(restarts(&net, a).len(), 1);
    // a owns the Call-ID: it retries after 2.1-4 s, b within 2 s.
    net.advance(4_100);
    let reoffers: Vec<bool> = net.phones[a]
        .media
        .log
        .iter()
        .filter_map(|(_, c)| match c {
            MediaCommand::CreateReoffer { ice_restart, .. } => Some(*ice_restart),
            _ => None,
        })
        .collect();
    assert_eq!(reoffers, vec![true, true], "the retry is a restart again");
    assert_eq!(
        net.sent(a, "INVITE ").len(),
        3,
        "initial, restart, its retry"
    );
    let invite = net.sent(a, "INVITE ").pop().unwrap();
    let body = message::parse(&invite).unwrap().body().to_owned();
    assert_eq!(
        sdp::directions(&body)[0],
        Direction::SendRecv,
        "b holds: our offer stays sendrecv"
    );
    assert!(net.phones[b].ua.call_info(&cb).unwrap().held.local);
    ice(&mut net, a, &ca, MediaResult::IceConnected);
    assert_eq!(net.state(a, &ca), Some(CallState::Held), "held by b");
    assert!(net.ended(a, &ca).is_none());
}

#[test]
fn hangup_while_reconnecting_sends_bye() {
    let (mut net, a, b, ca, cb) = call();
    ice(&mut net, a, &ca, MediaResult::IceFailed);
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    assert_eq!(net.ended(a, &ca), Some((EndCause::HangupLocal, Some(200))));
    assert_eq!(net.ended(b, &cb), Some((EndCause::HangupRemote, Some(200))));
    net.advance(20_000);
    assert!(media_errors(&net, a).is_empty(), "no late recovery error");
}
