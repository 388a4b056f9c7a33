//! Leaving the page: `suspend` queues every CANCEL, BYE, 480 and the un-REGISTER in one
//! drain, closes the transport after them, waits for nothing; `start` brings the phone back.

use sip_core::message;
use sip_core::ua::{CallState, EndCause, Event, Input, MediaResult};

use crate::harness::{Dest, Fault, Net};

/// What phone `i` transmitted from index `from` on: the start line of each message.
fn start_lines(net: &Net, i: usize, from: usize) -> Vec<String> {
    net.phones[i].sent[from..]
        .iter()
        .map(|m| m.lines().next().unwrap_or("").to_owned())
        .collect()
}

fn bindings_of(net: &Net, user: &str) -> usize {
    net.proxy.bindings.iter().filter(|b| b.user == user).count()
}

#[test]
fn suspend_ends_ringing_out_ringing_in_and_answered_calls_and_unregisters_in_one_drain() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    let c = net.phone("1003");
    let d = net.phone("1004");
    // a talks to b, rings c, and is rung by d, all at once.
    let (ab, ba) = net.ring(a, "1002", b);
    net.with(b, |ua, now| ua.answer(now, &ba)).unwrap();
    net.drive();
    assert_eq!(net.state(a, &ab), Some(CallState::Active));
    let (ac, ca) = net.ring(a, "1003", c);
    assert_eq!(net.state(a, &ac), Some(CallState::Ringing));
    let (db, ad) = net.ring(d, "1001", a);
    assert_eq!(net.state(a, &ad), Some(CallState::Ringing));
    let registers_before: Vec<String> = net.sent(a, "REGISTER ");
    let sent_before = net.phones[a].sent.len();
    let closes_before = net.phones[a].closes;
    net.take_events(a);

    net.with(a, |ua, now| ua.suspend(now));

    // Everything went out in that one drain, before the close (the harness refuses a
    // transmit on a closed transport), with no clock advance.
    let mut lines = start_lines(&net, a, sent_before);
    lines.sort();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[0].starts_with("BYE "), "{lines:?}");
    assert!(lines[1].starts_with("CANCEL "), "{lines:?}");
    assert!(lines[2].starts_with("REGISTER "), "{lines:?}");
    assert_eq!(lines[3], "SIP/2.0 480 Temporarily Unavailable", "{lines:?}");
    assert_eq!(
        net.phones[a].closes,
        closes_before + 1,
        "the transport is closed"
    );
    assert!(!net.phones[a].connected);

    let unregister = net.sent(a, "REGISTER ").pop().unwrap();
    let msg = message::parse(&unregister).unwrap();
    let first = message::parse(&registers_before[0]).unwrap();
    assert_eq!(msg.call_id(), first.call_id(), "the binding's own Call-ID");
    assert!(
        msg.cseq().seq
            > message::parse(registers_before.last().unwrap())
                .unwrap()
                .cseq()
                .seq
    );
    let contact = msg.contacts().into_iter().next().unwrap();
    assert_eq!(contact.params.value("expires"), Some("0"));
    assert_eq!(
        contact.params.value("+sip.instance"),
        Some("<urn:uuid:00000000-0000-0000-0000-000000001001>")
    );
    assert!(
        msg.credentials().is_ok_and(|c| !c.is_empty()),
        "authorized with the cached challenge: no 401 round trip"
    );

    let events = net.take_events(a);
    let ended: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::SessionEnded {
                call,
                cause,
                status,
            } => Some((call.clone(), *cause, *status)),
            _ => None,
        })
        .collect();
    assert_eq!(ended.len(), 3, "{events:?}");
    assert!(ended.contains(&(ab.clone(), EndCause::HangupLocal, Some(200))));
    assert!(ended.contains(&(ac.clone(), EndCause::Cancelled, Some(487))));
    assert!(ended.contains(&(ad.clone(), EndCause::Rejected, Some(480))));
    let tail: Vec<&Event> = events
        .iter()
        .filter(|e| !matches!(e, Event::SessionEnded { .. }))
        .collect();
    assert_eq!(
        tail,
        [
            &Event::Disconnected,
            &Event::RegisteredChange { registered: false }
        ]
    );
    assert!(net.phones[a].ua.calls().next().is_none());
    assert!(!net.phones[a].ua.is_registered() && !net.phones[a].ua.is_connected());
    assert_eq!(
        net.phones[a].timer, None,
        "no reconnect, no retransmission, no keepalive"
    );

    // The far ends hear it.
    net.drive();
    assert_eq!(net.ended(b, &ba), Some((EndCause::HangupRemote, Some(200))));
    assert_eq!(net.ended(c, &ca).map(|e| e.0), Some(EndCause::Cancelled));
    assert_eq!(
        net.ended(d, &db).map(|e| e.1),
        Some(Some(480)),
        "the caller got the 480"
    );
    assert_eq!(
        bindings_of(&net, "1001"),
        0,
        "the registrar dropped the binding"
    );

    // Suspended stays quiet: nothing is retransmitted, nobody reconnects.
    let connects = net.phones[a].connects.len();
    let sent = net.phones[a].sent.len();
    net.advance(120_000);
    assert_eq!(net.phones[a].connects.len(), connects);
    assert_eq!(net.phones[a].sent.len(), sent);
    assert!(net.events(a).is_empty(), "{:?}", net.events(a));

    // start() (the page came back from the back/forward cache) connects and registers again.
    net.start(a);
    net.drive();
    assert!(net.phones[a].ua.is_registered());
    assert_eq!(bindings_of(&net, "1001"), 1);
    let (again, _) = net.ring(a, "1002", b);
    assert_eq!(net.state(a, &again), Some(CallState::Ringing));
}

#[test]
fn suspend_cancels_an_invite_still_waiting_for_its_first_response() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    let ab = net.with(a, |ua, now| ua.call(now, "1002")).unwrap();
    // The INVITE is on the wire; no 100 or 180 came back yet.
    assert_eq!(net.sent(a, "INVITE ").len(), 1);
    net.with(a, |ua, now| ua.suspend(now));
    let cancels = net.sent(a, "CANCEL ");
    assert_eq!(
        cancels.len(),
        1,
        "no provisional response to wait for: the page is going"
    );
    let invites = net.sent(a, "INVITE ");
    let invite = message::parse(&invites[0]).unwrap();
    let cancel = message::parse(&cancels[0]).unwrap();
    assert_eq!(
        cancel.top_via().unwrap().branch(),
        invite.top_via().unwrap().branch()
    );
    assert_eq!(net.ended(a, &ab), Some((EndCause::Cancelled, Some(487))));
    net.drive();
    let ba = net.incoming(b);
    assert_eq!(
        net.ended(b, &ba).map(|e| e.0),
        Some(EndCause::Cancelled),
        "the CANCEL followed the INVITE"
    );
    assert!(net.phones[b].ua.calls().next().is_none());
}

#[test]
fn suspend_before_the_offer_sends_nothing_for_the_call() {
    let mut net = Net::new();
    let a = net.phone("1001");
    net.phone("1002");
    net.phones[a].media.auto = false;
    let ab = net.with(a, |ua, now| ua.call(now, "1002")).unwrap();
    net.with(a, |ua, now| ua.suspend(now));
    assert!(net.sent(a, "INVITE ").is_empty() && net.sent(a, "CANCEL ").is_empty());
    assert_eq!(net.ended(a, &ab), Some((EndCause::Cancelled, None)));
    // The offer the media layer finishes afterwards is dropped, not sent.
    let now = net.now;
    net.phones[a].ua.handle_input(
        now,
        Input::Media {
            call: ab,
            result: MediaResult::LocalOffer("v=0\r\n".into()),
        },
    );
    net.drain(a);
    assert!(net.sent(a, "INVITE ").is_empty());
}

#[test]
fn suspend_sends_the_bye_that_waited_for_the_ack() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    // The caller's ACK never reaches a, so a's 2xx stays unacknowledged.
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(p) if p == a && text.starts_with("ACK ") => Fault::Drop,
        _ => Fault::Deliver,
    });
    let (ba, ab) = net.ring(b, "1001", a);
    net.with(a, |ua, now| ua.answer(now, &ab)).unwrap();
    net.drive();
    assert_eq!(net.state(a, &ab), Some(CallState::Active));
    // A hangup now holds its BYE back until the ACK (RFC 3261 §15)...
    net.with(a, |ua, now| ua.hangup(now, &ab)).unwrap();
    assert!(net.sent(a, "BYE ").is_empty());
    // ...which will never come once the page is gone: suspend sends it.
    net.with(a, |ua, now| ua.suspend(now));
    assert_eq!(net.sent(a, "BYE ").len(), 1);
    net.drive();
    assert_eq!(net.ended(b, &ba), Some((EndCause::HangupRemote, Some(200))));
}

#[test]
fn suspend_while_reconnecting_sends_nothing_and_stays_down_until_started() {
    let mut net = Net::new();
    let a = net.phone("1001");
    net.reachable[a] = false;
    net.cut(a);
    net.drive();
    assert!(!net.phones[a].ua.is_connected());
    assert!(net.phones[a].timer.is_some(), "a reconnect is scheduled");
    let sent = net.phones[a].sent.len();
    let closes = net.phones[a].closes;
    net.take_events(a);
    net.with(a, |ua, now| ua.suspend(now));
    assert_eq!(
        net.phones[a].sent.len(),
        sent,
        "no transport, nothing to send"
    );
    assert_eq!(net.phones[a].closes, closes, "no socket to close");
    assert!(net.events(a).is_empty(), "{:?}", net.events(a));
    assert_eq!(net.phones[a].timer, None, "the reconnect is off");
    let connects = net.phones[a].connects.len();
    net.advance(120_000);
    assert_eq!(net.phones[a].connects.len(), connects);

    net.reachable[a] = true;
    net.start(a);
    net.drive();
    assert!(net.phones[a].ua.is_registered());
}

#[test]
fn suspend_during_shutdown_completes_it_at_once() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    let (ab, ba) = net.ring(a, "1002", b);
    net.with(b, |ua, now| ua.answer(now, &ba)).unwrap();
    net.drive();
    net.with(a, |ua, now| ua.shutdown(now));
    assert_eq!(net.sent(a, "BYE ").len(), 1);
    assert!(
        !net.events(a).contains(&Event::Destroyed),
        "shutdown waits for the answers"
    );
    net.with(a, |ua, now| ua.suspend(now));
    assert!(net.events(a).contains(&Event::Destroyed));
    assert!(!net.phones[a].connected, "the transport is closed");
    assert_eq!(net.ended(a, &ab), Some((EndCause::HangupLocal, Some(200))));
    net.drive();
    assert_eq!(net.ended(b, &ba), Some((EndCause::HangupRemote, Some(200))));
}
