//! Loss, duplication, timeouts, transport flicker, hostile input, shutdown.

use sip_core::ua::{CallState, EndCause, Event, Input};

use crate::harness::{Dest, Fault, Net};

fn two() -> (Net, usize, usize) {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    (net, a, b)
}

#[test]
fn unanswered_invite_times_out_with_timer_b() {
    let (mut net, a, _b) = two();
    net.fault = Box::new(|to, text| match to {
        Dest::Proxy { .. } if text.starts_with("INVITE ") => Fault::Drop,
        _ => Fault::Deliver,
    });
    let id = net.with(a, |ua, now| ua.call(now, "1002")).unwrap();
    net.drive();
    net.advance(31_000);
    assert!(net.ended(a, &id).is_none(), "still trying before 64*T1");
    net.advance(1_100);
    assert_eq!(net.ended(a, &id), Some((EndCause::Failed, Some(408))));
    assert!(net.phones[a].ua.calls().next().is_none());
}

#[test]
fn lost_bye_times_out_with_timer_f_and_cleans_up() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.fault = Box::new(|to, text| match to {
        Dest::Proxy { .. } if text.starts_with("BYE ") => Fault::Drop,
        _ => Fault::Deliver,
    });
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    assert_eq!(net.ended(a, &ca), Some((EndCause::HangupLocal, Some(200))));
    assert!(net.ended(b, &cb).is_none(), "the BYE was lost");
    let t = net.phones[a].ua.poll_timeout().expect("Timer F armed");
    assert!(t <= net.now.plus(32_000));
    net.advance(32_100);
    // Only the idle keepalive and the registration refresh are left.
    assert_eq!(
        net.phones[a].ua.debug_sizes().clients,
        0,
        "no transaction timer left"
    );
    assert_eq!(
        net.sent(a, "BYE ").len(),
        1,
        "no retransmission on a reliable transport"
    );
}

#[test]
fn duplicated_messages_are_absorbed() {
    let (mut net, a, b) = two();
    net.fault = Box::new(|_, _| Fault::Duplicate);
    let (ca, cb) = net.connect_call(a, "1002", b);
    assert_eq!(
        net.events(b)
            .iter()
            .filter(|e| matches!(e, Event::Incoming(_)))
            .count(),
        1
    );
    assert_eq!(
        net.events(a)
            .iter()
            .filter(|e| matches!(e, Event::SessionStarted(_)))
            .count(),
        1
    );
    assert_eq!(
        net.answers(a, &ca),
        1,
        "a duplicated 200 is not a second answer"
    );
    assert_eq!(
        net.events(b)
            .iter()
            .filter(|e| matches!(e, Event::SessionStarted(_)))
            .count(),
        1
    );
    net.with(a, |ua, now| ua.dtmf(now, &ca, "7")).unwrap();
    net.drive();
    assert_eq!(
        net.events(b)
            .iter()
            .filter(|e| matches!(e, Event::Dtmf { .. }))
            .count(),
        1,
        "retransmitted INFO is not a new tone"
    );
    net.with(b, |ua, now| ua.hangup(now, &cb)).unwrap();
    net.drive();
    assert_eq!(
        net.events(a)
            .iter()
            .filter(|e| matches!(e, Event::SessionEnded { .. }))
            .count(),
        1
    );
}

#[test]
fn transport_flicker_reconnects_reregisters_and_keeps_the_call() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.connect_call(a, "1002", b);
    let registers = net.proxy.registers.len();
    net.cut(a);
    net.drive();
    assert!(net.events(a).contains(&Event::Disconnected));
    assert!(!net.phones[a].ua.is_registered());
    assert_eq!(
        net.state(a, &ca),
        Some(CallState::Active),
        "the call survives"
    );
    // The first reconnect attempt fails: fail over to the second server.
    net.reachable[a] = false;
    net.advance(1_000);
    net.reachable[a] = true;
    net.advance(5_000);
    let connects = &net.phones[a].connects;
    assert!(connects.len() >= 3, "{connects:?}");
    assert!(
        connects.iter().any(|u| u.contains("edge2")),
        "failover: {connects:?}"
    );
    assert!(net.phones[a].ua.is_registered(), "registered again");
    assert!(net.proxy.registers.len() > registers);
    // The call was refreshed on the new flow and still works both ways.
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    net.with(b, |ua, now| ua.dtmf(now, &cb, "3")).unwrap();
    net.drive();
    assert!(net
        .events(a)
        .iter()
        .any(|e| matches!(e, Event::Dtmf { tone: '3', .. })));
    net.with(b, |ua, now| ua.hangup(now, &cb)).unwrap();
    net.drive();
    assert_eq!(net.ended(a, &ca), Some((EndCause::HangupRemote, Some(200))));
}

#[test]
fn reconnect_backoff_grows() {
    let mut net = Net::new();
    let a = net.phone("1001");
    net.reachable[a] = false;
    net.cut(a);
    net.advance(120_000);
    // Each round tries both servers back to back, then waits.
    let n = net.phones[a].connects.len() / 2;
    // At most 1 s apart for the first 12 s (12 to 24 rounds), then 2, 4, 8, 16, 30, 30...
    // s (with jitter) for the remaining 108 s: far fewer than one per second after it.
    assert!((18..=34).contains(&n), "{n} rounds");
}

#[test]
fn malformed_input_never_panics_and_gets_400_when_possible() {
    let (mut net, a, b) = two();
    let (_ca, _cb) = net.connect_call(a, "1002", b);
    let bad = "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/WSS x.invalid;branch=z9hG4bK1\r\nFrom: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: abc\r\nCSeq: 1 INVITE\r\nContent-Length: 99\r\n\r\nshort";
    net.with(a, |ua, now| ua.handle_input(now, Input::Received(bad)));
    let reply = net.phones[a].sent.last().unwrap().clone();
    assert!(reply.starts_with("SIP/2.0 400 "), "{reply}");
    let mut seed = 7u64;
    let corpus: Vec<String> = net.phones[a]
        .received
        .iter()
        .chain(net.phones[b].received.iter())
        .cloned()
        .collect();
    for msg in &corpus {
        for cut in [
            0,
            1,
            7,
            msg.len() / 3,
            msg.len() / 2,
            msg.len().saturating_sub(3),
        ] {
            let mut cut = cut.min(msg.len());
            while !msg.is_char_boundary(cut) {
                cut -= 1;
            }
            net.with(a, |ua, now| {
                ua.handle_input(now, Input::Received(&msg[..cut]))
            });
        }
        // Random byte flips (kept valid UTF-8 by using ASCII).
        for _ in 0..20 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut bytes = msg.clone().into_bytes();
            let pos = (seed as usize) % bytes.len().max(1);
            if let Some(b) = bytes.get_mut(pos) {
                const NASTY: &[u8] = b"\0:;<>\" \r\n,=@";
                *b = NASTY[(seed >> 32) as usize % NASTY.len()];
            }
            if let Ok(text) = String::from_utf8(bytes) {
                net.with(a, |ua, now| ua.handle_input(now, Input::Received(&text)));
            }
        }
    }
    for junk in [
        "",
        "\r\n\r\n",
        "SIP/2.0",
        "SIP/2.0 999 X\r\n\r\n",
        "ACK",
        "INVITE  SIP/2.0\r\n\r\n",
    ] {
        net.with(a, |ua, now| ua.handle_input(now, Input::Received(junk)));
    }
    net.drive();
}

#[test]
fn unknown_dialog_gets_481() {
    let (mut net, a, _b) = two();
    let bye = "BYE sip:x@y.invalid SIP/2.0\r\nVia: SIP/2.0/WSS proxy.test.local;branch=z9hG4bK-p9-0-b1\r\nFrom: <sip:z@test.local>;tag=zz\r\nTo: <sip:1001@test.local>;tag=nope\r\nCall-ID: ghost\r\nCSeq: 5 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    net.with(a, |ua, now| ua.handle_input(now, Input::Received(bye)));
    assert!(net.phones[a]
        .sent
        .last()
        .unwrap()
        .starts_with("SIP/2.0 481 "));
}

#[test]
fn shutdown_hangs_up_unregisters_and_closes() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| ua.shutdown(now));
    net.drive();
    assert_eq!(net.ended(a, &ca), Some((EndCause::HangupLocal, Some(200))));
    assert_eq!(net.ended(b, &cb), Some((EndCause::HangupRemote, Some(200))));
    let last_reg = sip_core::message::parse(net.proxy.registers.last().unwrap()).unwrap();
    assert_eq!(last_reg.expires().unwrap(), Some(0));
    assert!(net.events(a).contains(&Event::Destroyed));
    assert_eq!(net.phones[a].closes, 1);
    assert_eq!(net.phones[a].ua.poll_timeout(), None);
}

fn transport_errors(net: &Net, i: usize) -> Vec<String> {
    net.events(i)
        .iter()
        .filter_map(|e| match e {
            Event::Error {
                scope: sip_core::ua::ErrorScope::Transport,
                detail,
            } => Some(detail.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn failed_connect_is_reported_and_the_next_server_is_tried_at_once() {
    let mut net = Net::new();
    let a = net.phone("1001");
    net.down.push("wss://edge1.test/ws".into());
    net.take_events(a);
    net.cut(a);
    // First retry after 250-500 ms to edge1, which refuses; edge2 follows without a backoff.
    net.advance(600);
    assert!(
        net.phones[a].ua.is_connected(),
        "{:?}",
        net.phones[a].connects
    );
    let connects = &net.phones[a].connects;
    assert_eq!(
        connects[connects.len() - 2..],
        [
            "wss://edge1.test/ws".to_owned(),
            "wss://edge2.test/ws".to_owned()
        ]
    );
    let errors = transport_errors(&net, a);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("edge1"), "{errors:?}");
    net.drive();
    assert!(net.phones[a].ua.is_registered());
    // Every server down: one error per failed connect, a backoff after each full round.
    net.down.push("wss://edge2.test/ws".into());
    net.take_events(a);
    let before = net.phones[a].connects.len();
    net.cut(a);
    net.advance(20_000);
    let attempts = net.phones[a].connects.len() - before;
    assert_eq!(transport_errors(&net, a).len(), attempts);
    // Rounds at most 1 s apart for 12 s (12 to 24), then waits of 1-2, 2-4 and 4-8 s.
    assert!(
        attempts % 2 == 0 && (28..=54).contains(&attempts),
        "{attempts} connects in rounds of two"
    );
}

#[test]
fn refresh_and_move_timing_out_after_reconnect_end_the_call() {
    let (mut net, a, b) = two();
    let (ca, _) = net.connect_call(a, "1002", b);
    net.cut(a);
    net.drive();
    // The peer is unreachable for the re-INVITE that announces the new flow, and for the
    // INVITE with Replaces that follows its timeout (flow_recovery.rs has the move working).
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(p) if p == b && text.starts_with("INVITE ") => Fault::Drop,
        _ => Fault::Deliver,
    });
    net.advance(5_000);
    assert!(net.phones[a].ua.is_registered());
    assert_eq!(
        net.sent(a, "INVITE ").len(),
        2,
        "the refresh re-INVITE went out"
    );
    net.advance(33_000);
    assert!(net.ended(a, &ca).is_none(), "moving, not ended");
    assert_eq!(net.sent(a, "INVITE ").len(), 3, "the INVITE with Replaces");
    net.advance(33_000);
    assert_eq!(net.ended(a, &ca), Some((EndCause::Failed, Some(408))));
    assert!(net.events(a).iter().any(|e| matches!(
        e,
        Event::Error {
            scope: sip_core::ua::ErrorScope::Call,
            ..
        }
    )));
}

#[test]
fn refresh_reinvite_answered_481_ends_the_call() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.cut(a);
    net.drive();
    // The peer hangs up while we are away: its BYE is lost, the dialog is gone there.
    net.with(b, |ua, now| ua.hangup(now, &cb)).unwrap();
    net.advance(5_000);
    assert_eq!(net.ended(a, &ca), Some((EndCause::Failed, Some(481))));
}
