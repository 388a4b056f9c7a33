//! Calls: both directions, cancel and its race, reject, hold and glare, BYE, DTMF, forking.

use sip_core::message;
use sip_core::sdp::{self, Direction};
use sip_core::ua::{
    CallDirection, CallInfo, CallState, CommandError, EndCause, Event, Input, MediaCommand,
    MediaResult,
};

use crate::harness::Net;

fn two() -> (Net, usize, usize) {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    (net, a, b)
}

#[test]
fn outbound_call_answered_and_hung_up_by_the_caller() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.ring(a, "1002", b);
    assert_eq!(net.state(a, &ca), Some(CallState::Ringing));
    assert_eq!(net.state(b, &cb), Some(CallState::Ringing));
    let incoming = net.phones[b].ua.call_info(&cb).unwrap().clone();
    assert_eq!(incoming.remote_number, "1001");
    assert_eq!(incoming.remote_name.as_deref(), Some("User 1001"));
    // The INVITE carried the media layer's offer.
    let invite = net.sent(a, "INVITE ");
    assert_eq!(invite.len(), 1);
    let inv = message::parse(&invite[0]).unwrap();
    assert!(inv.body().contains("m=audio"));
    assert!(net.phones[b]
        .sent
        .iter()
        .any(|m| m.starts_with("SIP/2.0 100 ")));

    net.with(b, |ua, now| ua.answer(now, &cb)).unwrap();
    net.drive();
    assert!(net.answered(a, &ca) && net.started(b, &cb));
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    assert_eq!(net.sent(a, "ACK ").len(), 1, "the 2xx is ACKed once");
    // The ACK follows the Record-Route of the proxy.
    assert!(net.sent(a, "ACK ")[0].contains("Route: <sip:proxy.test.local;lr>"));

    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    assert_eq!(net.ended(a, &ca), Some((EndCause::HangupLocal, Some(200))));
    assert_eq!(net.ended(b, &cb), Some((EndCause::HangupRemote, Some(200))));
    assert!(net.phones[a].ua.calls().next().is_none());
    assert!(net.phones[b].ua.calls().next().is_none());
    assert!(net.phones[b]
        .media
        .log
        .iter()
        .any(|(c, m)| c == &cb && *m == MediaCommand::Close));
}

/// The `SessionStarted` events of phone `i`, in order.
fn sessions_started(net: &Net, i: usize) -> Vec<CallInfo> {
    net.events(i)
        .iter()
        .filter_map(|e| match e {
            Event::SessionStarted(info) => Some(info.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn outbound_session_starts_when_dialling_and_the_answer_is_an_update() {
    let (mut net, a, b) = two();
    // The media layer holds the offer back: nothing can go on the wire yet.
    net.phones[a].media.auto = false;
    let ca = net.with(a, |ua, now| ua.call(now, "1002")).unwrap();
    let started = sessions_started(&net, a);
    assert_eq!(started.len(), 1, "dialling started: sessionStarted at once");
    assert_eq!(started[0].id, ca);
    assert_eq!(started[0].direction, CallDirection::Outbound);
    assert_eq!(started[0].state, CallState::Trying);
    assert_eq!(started[0].answered_at, None);
    assert!(
        net.sent(a, "INVITE ").is_empty(),
        "before the INVITE: the offer is not ready"
    );

    net.phones[a].media.auto = true;
    let offer = net.phones[a].media.sdp(Direction::SendRecv);
    net.with(a, |ua, now| {
        ua.handle_input(
            now,
            Input::Media {
                call: ca.clone(),
                result: MediaResult::LocalOffer(offer),
            },
        )
    });
    net.drive();
    assert_eq!(net.sent(a, "INVITE ").len(), 1);
    assert_eq!(net.state(a, &ca), Some(CallState::Ringing));
    let cb = net.incoming(b);
    assert!(
        !net.started(b, &cb),
        "an inbound call has not started while it rings"
    );
    assert!(!net.answered(a, &ca), "ringing is not an answer");

    net.advance(1000);
    net.with(b, |ua, now| ua.answer(now, &cb)).unwrap();
    net.drive();
    // The callee's session starts when it answers.
    let callee = sessions_started(&net, b);
    assert_eq!(callee.len(), 1);
    assert_eq!(callee[0].id, cb);
    assert_eq!(callee[0].direction, CallDirection::Inbound);
    assert_eq!(callee[0].state, CallState::Active);
    assert!(callee[0].answered_at.is_some());
    // The caller learns the answer from one update to active, not a second sessionStarted.
    assert_eq!(net.answers(a, &ca), 1, "one callUpdated to active");
    assert_eq!(
        sessions_started(&net, a).len(),
        1,
        "no sessionStarted on the answer"
    );
    let answer = net
        .events(a)
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::CallUpdated(info) if info.id == ca => Some(info.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(answer.state, CallState::Active);
    assert!(
        answer.answered_at.is_some_and(|t| t > answer.started_at),
        "answered after it started"
    );

    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    assert_eq!(net.ended(a, &ca), Some((EndCause::HangupLocal, Some(200))));
}

#[test]
fn outbound_call_that_fails_before_its_invite_started_and_ended() {
    let (mut net, a, _b) = two();
    net.phones[a].media.fail_next = true;
    let ca = net.with(a, |ua, now| ua.call(now, "1002")).unwrap();
    net.drive();
    assert!(net.sent(a, "INVITE ").is_empty(), "no offer, no INVITE");
    assert_eq!(
        sessions_started(&net, a).len(),
        1,
        "every outbound call starts when dialled"
    );
    assert_eq!(
        net.ended(a, &ca).map(|(cause, _)| cause),
        Some(EndCause::Failed)
    );
    assert!(!net.answered(a, &ca));
    let order: Vec<&str> = net
        .events(a)
        .iter()
        .map(Event::name)
        .filter(|n| n.starts_with("session"))
        .collect();
    assert_eq!(order, ["sessionStarted", "sessionEnded"]);
}

#[test]
fn callee_hangs_up() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.with(b, |ua, now| ua.hangup(now, &cb)).unwrap();
    net.drive();
    assert_eq!(net.ended(b, &cb), Some((EndCause::HangupLocal, Some(200))));
    assert_eq!(net.ended(a, &ca), Some((EndCause::HangupRemote, Some(200))));
    assert_eq!(
        net.with(b, |ua, now| ua.hangup(now, &cb)),
        Err(CommandError::UnknownCall(cb.0.clone()))
    );
}

#[test]
fn caller_cancels_before_answer() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.ring(a, "1002", b);
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    assert_eq!(net.ended(a, &ca), Some((EndCause::Cancelled, Some(487))));
    assert_eq!(net.ended(b, &cb), Some((EndCause::Cancelled, Some(487))));
    assert_eq!(net.sent(a, "CANCEL ").len(), 1);
    assert!(net.phones[b]
        .sent
        .iter()
        .any(|m| m.starts_with("SIP/2.0 487 ")));
    // The 487 is ACKed inside the INVITE transaction.
    assert_eq!(net.sent(a, "ACK ").len(), 1);
    net.advance(1000);
    assert!(net.phones[a].ua.calls().next().is_none());
}

#[test]
fn cancel_before_any_provisional_waits_for_one() {
    let (mut net, a, b) = two();
    let id = net.with(a, |ua, now| ua.call(now, "1002")).unwrap();
    // Hang up before the INVITE even left the media layer stage is covered below;
    // here the INVITE is out but nothing came back yet.
    net.with(a, |ua, now| ua.hangup(now, &id)).unwrap();
    assert!(
        net.sent(a, "CANCEL ").is_empty(),
        "no CANCEL before a provisional response"
    );
    net.drive();
    assert_eq!(net.sent(a, "CANCEL ").len(), 1);
    let cb = net.incoming(b);
    assert_eq!(net.ended(b, &cb), Some((EndCause::Cancelled, Some(487))));
    assert_eq!(net.ended(a, &id), Some((EndCause::Cancelled, Some(487))));
}

#[test]
fn answer_racing_cancel_is_acked_and_byed() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.ring(a, "1002", b);
    // Both act at the same instant: the CANCEL and the 200 cross.
    net.with(b, |ua, now| ua.answer(now, &cb)).unwrap();
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    assert_eq!(net.ended(a, &ca), Some((EndCause::Cancelled, Some(487))));
    assert_eq!(net.sent(a, "ACK ").len(), 1, "the late 2xx is ACKed");
    assert_eq!(net.sent(a, "BYE ").len(), 1, "then ended with BYE");
    assert!(net.started(b, &cb));
    assert_eq!(net.ended(b, &cb), Some((EndCause::HangupRemote, Some(200))));
    assert!(net.phones[a].ua.calls().next().is_none());
    assert!(net.phones[b].ua.calls().next().is_none());
}

#[test]
fn reject_busy_and_decline() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.ring(a, "1002", b);
    net.with(b, |ua, now| ua.reject(now, &cb)).unwrap();
    net.drive();
    assert_eq!(net.ended(a, &ca), Some((EndCause::Busy, Some(486))));
    assert_eq!(net.ended(b, &cb), Some((EndCause::Rejected, Some(486))));

    let (ca, cb) = net.ring(a, "1002", b);
    net.with(b, |ua, now| ua.reject_with(now, &cb, 603))
        .unwrap();
    net.drive();
    assert_eq!(net.ended(a, &ca), Some((EndCause::Rejected, Some(603))));
    assert_eq!(
        net.with(b, |ua, now| ua.reject_with(now, &cb, 200)),
        Err(CommandError::InvalidStatus(200))
    );
}

#[test]
fn unknown_callee_fails_with_404() {
    let (mut net, a, _b) = two();
    let id = net.with(a, |ua, now| ua.call(now, "1999")).unwrap();
    net.drive();
    assert_eq!(net.ended(a, &id), Some((EndCause::Failed, Some(404))));
}

fn last_sdp_dir(net: &Net, i: usize, prefix: &str) -> Direction {
    let m = net.phones[i]
        .sent
        .iter()
        .rev()
        .find(|m| m.starts_with(prefix))
        .expect("message");
    let body = message::parse(m).unwrap().body().to_owned();
    sdp::directions(&body)[0]
}

#[test]
fn hold_and_unhold_from_both_sides() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| ua.hold(now, &ca)).unwrap();
    net.drive();
    assert_eq!(last_sdp_dir(&net, a, "INVITE "), Direction::SendOnly);
    let ia = net.phones[a].ua.call_info(&ca).unwrap().clone();
    assert_eq!(ia.state, CallState::Held);
    assert!(ia.held.local && !ia.held.remote);
    let ib = net.phones[b].ua.call_info(&cb).unwrap().clone();
    assert!(
        !ib.held.local && ib.held.remote,
        "remote hold detected from the SDP"
    );
    assert!(net
        .events(b)
        .iter()
        .any(|e| matches!(e, Event::CallUpdated(i) if i.held.remote)));

    // Now b holds too: both hold, b offers inactive.
    net.with(b, |ua, now| ua.hold(now, &cb)).unwrap();
    net.drive();
    assert_eq!(last_sdp_dir(&net, b, "INVITE "), Direction::Inactive);
    let ia = net.phones[a].ua.call_info(&ca).unwrap().clone();
    assert!(ia.held.local && ia.held.remote);

    net.with(a, |ua, now| ua.unhold(now, &ca)).unwrap();
    net.drive();
    let ia = net.phones[a].ua.call_info(&ca).unwrap().clone();
    assert!(!ia.held.local && ia.held.remote);
    net.with(b, |ua, now| ua.unhold(now, &cb)).unwrap();
    net.drive();
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    assert_eq!(net.state(b, &cb), Some(CallState::Active));
    assert_eq!(last_sdp_dir(&net, b, "INVITE "), Direction::SendRecv);
}

#[test]
fn glare_is_resolved_with_491_backoff() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| ua.hold(now, &ca)).unwrap();
    net.with(b, |ua, now| ua.hold(now, &cb)).unwrap();
    net.drive();
    assert!(net.phones[a]
        .sent
        .iter()
        .any(|m| m.starts_with("SIP/2.0 491 ")));
    assert!(net.phones[b]
        .sent
        .iter()
        .any(|m| m.starts_with("SIP/2.0 491 ")));
    assert!(net.phones[a]
        .media
        .log
        .iter()
        .any(|(_, m)| *m == MediaCommand::Rollback));
    // The callee (not the Call-ID owner) retries within 2 s, the caller would wait 2.1-4 s.
    net.advance(2_100);
    let ia = net.phones[a].ua.call_info(&ca).unwrap().clone();
    let ib = net.phones[b].ua.call_info(&cb).unwrap().clone();
    assert!(ia.held.local && ia.held.remote, "{ia:?}");
    assert!(ib.held.local && ib.held.remote, "{ib:?}");
    net.advance(5_000);
    // Nothing left to negotiate: no further re-INVITE after the caller's backoff.
    let invites = net.sent(a, "INVITE ").len();
    net.advance(10_000);
    assert_eq!(net.sent(a, "INVITE ").len(), invites);
}

#[test]
fn dtmf_by_info_both_ways_with_pause() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| ua.dtmf(now, &ca, "1#,9")).unwrap();
    net.drive();
    let tones = |net: &Net, i: usize| -> String {
        net.events(i)
            .iter()
            .filter_map(|e| match e {
                Event::Dtmf { tone, .. } => Some(*tone),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        tones(&net, b),
        "1",
        "a tone's duration and gap hold the next back"
    );
    net.advance(200);
    assert_eq!(tones(&net, b), "1#", "the pause holds the 9 back");
    let info = net.sent(a, "INFO ");
    assert!(
        info[0].contains("Content-Type: application/dtmf-relay")
            && info[0].contains("Signal=1\r\nDuration=")
    );
    net.advance(2_300);
    assert_eq!(tones(&net, b), "1#9");
    net.with(b, |ua, now| ua.dtmf(now, &cb, "*")).unwrap();
    net.drive();
    assert_eq!(tones(&net, a), "*");
    assert_eq!(
        net.with(a, |ua, now| ua.dtmf(now, &ca, "12x")),
        Err(CommandError::InvalidTone('X'))
    );
}

#[test]
fn dtmf_uses_rfc4733_when_offered() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    net.phones[b].media.telephone_event = true;
    let (ca, _cb) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| ua.dtmf(now, &ca, "5")).unwrap();
    net.drive();
    assert!(net.sent(a, "INFO ").is_empty());
    assert!(net.phones[a].media.log.iter().any(|(_, m)| *m
        == MediaCommand::InsertDtmf {
            tones: "5".into(),
            duration: 100,
            gap: 70
        }));
}

#[test]
fn mute_is_local() {
    let (mut net, a, b) = two();
    let (ca, _) = net.connect_call(a, "1002", b);
    let sent = net.phones[a].sent.len();
    net.with(a, |ua, now| ua.mute(now, &ca)).unwrap();
    assert!(net.phones[a].ua.call_info(&ca).unwrap().muted);
    assert!(net.phones[a]
        .media
        .log
        .iter()
        .any(|(_, m)| *m == MediaCommand::SetMuted(true)));
    net.drive();
    assert_eq!(net.phones[a].sent.len(), sent, "no signalling");
    net.with(a, |ua, now| ua.unmute(now, &ca)).unwrap();
    assert!(!net.phones[a].ua.call_info(&ca).unwrap().muted);
}

#[test]
fn misuse_is_an_error() {
    let (mut net, a, b) = two();
    let bogus = sip_core::ua::CallId("nope".into());
    assert!(matches!(
        net.with(a, |ua, now| ua.hold(now, &bogus)),
        Err(CommandError::UnknownCall(_))
    ));
    let (ca, cb) = net.ring(a, "1002", b);
    assert!(matches!(
        net.with(a, |ua, now| ua.hold(now, &ca)),
        Err(CommandError::WrongState { .. })
    ));
    assert!(matches!(
        net.with(a, |ua, now| ua.answer(now, &ca)),
        Err(CommandError::WrongState { .. })
    ));
    assert!(matches!(
        net.with(a, |ua, now| ua.call(now, "12 34")),
        Err(CommandError::InvalidTarget(_))
    ));
    net.with(b, |ua, now| ua.answer(now, &cb)).unwrap();
    assert!(matches!(
        net.with(b, |ua, now| ua.answer(now, &cb)),
        Err(CommandError::WrongState { .. })
    ));
}

#[test]
fn forked_second_2xx_is_acked_and_byed() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b1 = net.phone("1002");
    let mut c = crate::harness::config("1002");
    c.instance_id = "urn:uuid:second-device".into();
    let b2 = net.add(c);
    net.start(b2);
    net.drive();
    assert_eq!(
        net.proxy
            .bindings
            .iter()
            .filter(|x| x.user == "1002")
            .count(),
        2
    );
    let ca = net.with(a, |ua, now| ua.call(now, "1002")).unwrap();
    net.drive();
    let c1 = net.incoming(b1);
    let c2 = net.incoming(b2);
    net.with(b1, |ua, now| ua.answer(now, &c1)).unwrap();
    net.with(b2, |ua, now| ua.answer(now, &c2)).unwrap();
    net.drive();
    assert!(net.started(a, &ca));
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
        "the second fork's 2xx is not a second answer"
    );
    assert_eq!(net.sent(a, "ACK ").len(), 2, "both 2xx ACKed");
    assert_eq!(net.sent(a, "BYE ").len(), 1, "the second fork is hung up");
    // Exactly one of the callees was hung up; the other is in the call.
    let e1 = net.ended(b1, &c1);
    let e2 = net.ended(b2, &c2);
    assert!(e1.is_none() != e2.is_none(), "{e1:?} {e2:?}");
    assert_eq!(e1.or(e2), Some((EndCause::HangupRemote, Some(200))));
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
}

#[test]
fn unanswered_inbound_call_times_out_with_480() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.ring(a, "1002", b);
    net.advance(61_000);
    assert_eq!(net.ended(b, &cb), Some((EndCause::NoAnswer, Some(480))));
    assert_eq!(net.ended(a, &ca), Some((EndCause::NoAnswer, Some(480))));
}

#[test]
fn options_are_answered() {
    let (mut net, a, _b) = two();
    let opts = "OPTIONS sip:x@y.invalid SIP/2.0\r\nVia: SIP/2.0/WSS proxy.test.local;branch=z9hG4bK-p9-0-o1\r\nFrom: <sip:probe@test.local>;tag=p\r\nTo: <sip:1001@test.local>\r\nCall-ID: opt1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    net.with(a, |ua, now| {
        ua.handle_input(now, sip_core::ua::Input::Received(opts))
    });
    let reply = net.phones[a].sent.last().unwrap().clone();
    assert!(reply.starts_with("SIP/2.0 200 OK"));
    assert!(reply.contains("Allow: INVITE, ACK, CANCEL, BYE, INFO, OPTIONS"));
}

fn two_authorizing() -> (Net, usize, usize) {
    let mut net = Net::new();
    net.proxy.auth_invites = true;
    let a = net.phone("1001");
    let b = net.phone("1002");
    (net, a, b)
}

#[test]
fn first_invite_carries_credentials_and_is_not_challenged() {
    let (mut net, a, b) = two_authorizing();
    let challenges = net.proxy.challenges;
    let (ca, _cb) = net.connect_call(a, "1002", b);
    assert_eq!(net.proxy.challenges, challenges, "no 407");
    let invites = net.sent(a, "INVITE ");
    assert_eq!(
        invites.len(),
        1,
        "no INVITE / 407 / ACK / INVITE round trip"
    );
    let inv = message::parse(&invites[0]).unwrap();
    let creds = inv.credentials().unwrap();
    assert_eq!(creds[0].kind, message::AuthKind::Proxy);
    assert_eq!(creds[0].param("nc"), Some("00000002"));
    assert!(
        !net.phones[a]
            .received
            .iter()
            .any(|m| m.starts_with("SIP/2.0 407 ")),
        "no 407 to ACK"
    );
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
}

#[test]
fn invite_with_a_stale_reused_nonce_falls_back_to_the_challenge() {
    let (mut net, a, b) = two_authorizing();
    net.proxy.rotate_nonce();
    let challenges = net.proxy.challenges;
    let (ca, _cb) = net.connect_call(a, "1002", b);
    assert_eq!(net.proxy.challenges, challenges + 1, "one 407, no loop");
    assert_eq!(net.sent(a, "INVITE ").len(), 2);
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    // A challenge for a realm we never saw, and wrong credentials: answered once, then given up.
    net.proxy.rotate_nonce();
    net.proxy.password = "other".into();
    let id = net.with(a, |ua, now| ua.call(now, "1002")).unwrap();
    net.drive();
    assert_eq!(net.ended(a, &id).map(|e| e.1), Some(Some(407)));
    assert_eq!(
        net.sent(a, "INVITE ").len(),
        4,
        "pre-emptive + one answer only"
    );
}

/// An INVITE without SDP from the server (RFC 3261 §13.2.1 late offer), to phone `a`.
fn late_offer_invite(net: &mut Net, a: usize) -> sip_core::ua::CallId {
    let invite = "INVITE sip:1001@198.51.100.7;transport=ws SIP/2.0\r\nVia: SIP/2.0/WSS proxy.test.local;branch=z9hG4bK-late-1\r\nMax-Forwards: 69\r\nFrom: \"Queue\" <sip:600@test.local>;tag=lq1\r\nTo: <sip:1001@test.local>\r\nCall-ID: late-offer-1\r\nCSeq: 10 INVITE\r\nContact: <sip:600@proxy.test.local;transport=ws>\r\nContent-Length: 0\r\n\r\n";
    net.with(a, |ua, now| {
        ua.handle_input(now, sip_core::ua::Input::Received(invite))
    });
    net.incoming(a)
}

/// The 200 phone `a` sent to the late-offer INVITE, parsed: (to-tag, body).
fn late_offer_ok(net: &Net, a: usize) -> (String, String) {
    let ok = net.phones[a]
        .sent
        .iter()
        .rev()
        .find(|m| m.starts_with("SIP/2.0 200 ") && m.contains("Call-ID: late-offer-1"))
        .expect("a 200 to the INVITE");
    let msg = message::parse(ok).unwrap();
    assert_eq!(
        msg.content_type().unwrap().map(|c| c.mime),
        Some("application/sdp")
    );
    (msg.to().tag().unwrap().to_owned(), msg.body().to_owned())
}

fn late_offer_ack(to_tag: &str, body: &str) -> String {
    let ctype = if body.is_empty() {
        String::new()
    } else {
        String::from("Content-Type: application/sdp\r\n")
    };
    format!(
        "ACK sip:1001@198.51.100.7;transport=ws SIP/2.0\r\nVia: SIP/2.0/WSS proxy.test.local;branch=z9hG4bK-late-ack\r\nMax-Forwards: 69\r\nFrom: \"Queue\" <sip:600@test.local>;tag=lq1\r\nTo: <sip:1001@test.local>;tag={to_tag}\r\nCall-ID: late-offer-1\r\nCSeq: 10 ACK\r\n{ctype}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn a_late_offer_invite_is_answered_with_our_offer_and_the_answer_in_the_ack_applied() {
    let (mut net, a, _b) = two();
    let id = late_offer_invite(&mut net, a);
    assert_eq!(
        net.state(a, &id),
        Some(CallState::Ringing),
        "no 488: {:?}",
        net.phones[a].sent.last()
    );
    net.with(a, |ua, now| ua.answer(now, &id).unwrap());
    assert!(
        net.phones[a]
            .media
            .log
            .iter()
            .any(|(c, cmd)| c == &id && matches!(cmd, MediaCommand::CreateOffer)),
        "the media layer was asked for an offer, not an answer"
    );
    let (to_tag, offer) = late_offer_ok(&net, a);
    assert!(
        offer.contains("m=audio"),
        "the 200 carries our offer: {offer}"
    );
    let answer = "v=0\r\no=- 7 1 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\nm=audio 4000 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n";
    let ack = late_offer_ack(&to_tag, answer);
    net.with(a, |ua, now| {
        ua.handle_input(now, sip_core::ua::Input::Received(&ack))
    });
    assert!(
        net.phones[a].media.log.iter().any(|(c, cmd)| c == &id
            && *cmd
                == MediaCommand::ApplyAnswer {
                    remote_sdp: answer.to_owned()
                }),
        "the answer in the ACK went to the media layer: {:?}",
        net.phones[a].media.log
    );
    assert_eq!(net.state(a, &id), Some(CallState::Active));
    assert!(net.ended(a, &id).is_none());
    assert!(net.sent(a, "BYE ").is_empty());
}

#[test]
fn a_late_offer_whose_ack_has_no_answer_is_ended_with_bye() {
    let (mut net, a, _b) = two();
    let id = late_offer_invite(&mut net, a);
    net.with(a, |ua, now| ua.answer(now, &id).unwrap());
    let (to_tag, _) = late_offer_ok(&net, a);
    let ack = late_offer_ack(&to_tag, "");
    net.with(a, |ua, now| {
        ua.handle_input(now, sip_core::ua::Input::Received(&ack))
    });
    assert_eq!(net.ended(a, &id), Some((EndCause::Failed, Some(488))));
    assert_eq!(net.sent(a, "BYE ").len(), 1, "the dialog is ended");
    assert!(net
        .events(a)
        .iter()
        .any(|e| matches!(e, Event::Error { detail, .. } if detail.contains("no answer"))));
}

#[test]
fn an_invite_with_a_body_that_is_not_sdp_is_still_refused_with_488() {
    let (mut net, a, _b) = two();
    let invite = "INVITE sip:1001@198.51.100.7;transport=ws SIP/2.0\r\nVia: SIP/2.0/WSS proxy.test.local;branch=z9hG4bK-late-2\r\nMax-Forwards: 69\r\nFrom: <sip:600@test.local>;tag=lq2\r\nTo: <sip:1001@test.local>\r\nCall-ID: not-sdp-1\r\nCSeq: 1 INVITE\r\nContact: <sip:600@proxy.test.local;transport=ws>\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
    net.with(a, |ua, now| {
        ua.handle_input(now, sip_core::ua::Input::Received(invite))
    });
    assert!(net.phones[a]
        .sent
        .iter()
        .any(|m| m.starts_with("SIP/2.0 488 ") && m.contains("Call-ID: not-sdp-1")));
    assert!(!net
        .events(a)
        .iter()
        .any(|e| matches!(e, Event::Incoming(_))));
}
