//! Transfers (RFC 3515 REFER with NOTIFY sipfrag, RFC 3891 Replaces): blind and attended,
//! both as the transferor and as the transferee, and each way they fail.

use sip_core::message;
use sip_core::ua::{CallId, CallState, CommandError, EndCause, Event, Input};

use crate::harness::{Dest, Fault, Net};
use crate::proxy::DOMAIN;

fn three() -> (Net, usize, usize, usize) {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    let c = net.phone("1003");
    (net, a, b, c)
}

/// The transfer events of phone `i` for `call`, in order.
fn transfer_events(net: &Net, i: usize, call: &CallId) -> Vec<Event> {
    net.events(i)
        .iter()
        .filter(|e| match e {
            Event::TransferAccepted { call: c }
            | Event::TransferFailed { call: c, .. }
            | Event::TransferRequested { call: c, .. } => c == call,
            _ => false,
        })
        .cloned()
        .collect()
}

fn failed(net: &Net, i: usize, call: &CallId) -> Option<(Option<u16>, String)> {
    net.events(i).iter().find_map(|e| match e {
        Event::TransferFailed {
            call: c,
            status,
            reason,
        } if c == call => Some((*status, reason.clone())),
        _ => None,
    })
}

/// The last SessionStarted call id of phone `i`.
fn last_started(net: &Net, i: usize) -> CallId {
    net.events(i)
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::SessionStarted(info) => Some(info.id.clone()),
            _ => None,
        })
        .expect("a started session")
}

/// A request of the peer of `own` (a request phone `i` sent in the dialog): From and To
/// swapped, so it reads as coming from the other side.
fn from_peer(own: &str, method: &str, cseq: u32, extra: &str, body: &str) -> String {
    let m = message::parse(own).unwrap();
    let from = m.header("From").unwrap();
    let to = m.header("To").unwrap();
    format!(
        "{method} sip:x@h.invalid SIP/2.0\r\nVia: SIP/2.0/WSS peer.invalid;branch=z9hG4bKpeer{cseq}\r\nMax-Forwards: 70\r\nFrom: {to}\r\nTo: {from}\r\nCall-ID: {}\r\nCSeq: {cseq} {method}\r\nContact: <sip:p@peer.invalid;transport=ws>\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        m.call_id(),
        body.len()
    )
}

/// The response `status` to the request `req` (its Via, From, To, Call-ID and CSeq).
fn response_to(req: &str, status: u16, reason: &str) -> String {
    let m = message::parse(req).unwrap();
    format!(
        "SIP/2.0 {status} {reason}\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=peer\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        m.header("Via").unwrap(),
        m.header("From").unwrap(),
        m.header("To").unwrap(),
        m.call_id(),
        m.header("CSeq").unwrap()
    )
}

fn deliver(net: &mut Net, i: usize, text: &str) {
    net.with(i, |ua, now| ua.handle_input(now, Input::Received(text)));
}

/// Phone `b` answers the REFER it got on `cb` and its new call; returns the new call's id.
fn accept(net: &mut Net, b: usize, cb: &CallId) -> CallId {
    let new = net.with(b, |ua, now| ua.accept_transfer(now, cb)).unwrap();
    net.drive();
    new
}

#[test]
fn blind_transfer_the_peer_calls_the_target_and_both_old_legs_end_transferred() {
    let (mut net, a, b, c) = three();
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| ua.transfer(now, &ca, "1003"))
        .unwrap();
    net.drive();
    let refer = net.sent(a, "REFER ");
    assert_eq!(refer.len(), 1);
    let m = message::parse(&refer[0]).unwrap();
    assert_eq!(
        m.header("Refer-To"),
        Some(&format!("<sip:1003@{DOMAIN}>")[..])
    );
    assert!(m.header("Referred-By").unwrap().contains("sip:1001@"));
    // The transferee is asked, with the target's URI.
    assert_eq!(
        transfer_events(&net, b, &cb),
        vec![Event::TransferRequested {
            call: cb.clone(),
            target: format!("sip:1003@{DOMAIN}"),
        }]
    );
    // Nothing answered the REFER yet: a second transfer is refused meanwhile.
    assert!(matches!(
        net.with(a, |ua, now| ua.transfer(now, &ca, "1004")),
        Err(CommandError::WrongState { .. })
    ));
    let new = accept(&mut net, b, &cb);
    assert_eq!(net.sent(b, "SIP/2.0 202 ").len(), 1);
    assert_eq!(
        transfer_events(&net, a, &ca),
        vec![Event::TransferAccepted { call: ca.clone() }]
    );
    // The new call is a normal outbound call, ringing at the target; the first NOTIFY said 100.
    assert!(net.started(b, &new));
    let notifies = net.sent(b, "NOTIFY ");
    assert_eq!(notifies.len(), 1);
    assert!(notifies[0].contains("Event: refer;id="));
    assert!(notifies[0].contains("Subscription-State: active"));
    assert!(notifies[0].contains("Content-Type: message/sipfrag;version=2.0"));
    assert!(notifies[0].ends_with("SIP/2.0 100 Trying\r\n"));
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    let cc = net.incoming(c);
    net.with(c, |ua, now| ua.answer(now, &cc)).unwrap();
    net.drive();
    // The target answered: a final NOTIFY 200, the transferee's old leg ends, and the
    // transferor hangs up its own.
    let notifies = net.sent(b, "NOTIFY ");
    assert_eq!(notifies.len(), 2);
    assert!(notifies[1].contains("Subscription-State: terminated"));
    assert!(notifies[1].ends_with("SIP/2.0 200 OK\r\n"));
    assert_eq!(net.ended(a, &ca), Some((EndCause::Transferred, Some(200))));
    assert_eq!(net.ended(b, &cb), Some((EndCause::Transferred, Some(200))));
    assert_eq!(net.state(b, &new), Some(CallState::Active));
    assert_eq!(net.state(c, &cc), Some(CallState::Active));
    assert!(net.answered(b, &new));
    assert!(net.phones[a].ua.calls().next().is_none());
    assert!(failed(&net, a, &ca).is_none());
}

#[test]
fn a_refused_refer_fails_the_transfer_and_the_call_goes_on() {
    for (status, reason) in [(403, "Forbidden"), (405, "Method Not Allowed")] {
        let (mut net, a, b, _c) = three();
        let (ca, cb) = net.connect_call(a, "1002", b);
        // The REFER never reaches the peer: the test answers it instead.
        net.fault = Box::new(|to, text| match to {
            Dest::Proxy { from: 0 } if text.starts_with("REFER ") => Fault::Drop,
            _ => Fault::Deliver,
        });
        net.with(a, |ua, now| ua.transfer(now, &ca, "1003"))
            .unwrap();
        let refer = net.sent(a, "REFER ").pop().unwrap();
        deliver(&mut net, a, &response_to(&refer, status, reason));
        net.drive();
        assert_eq!(
            failed(&net, a, &ca),
            Some((Some(status), reason.to_owned()))
        );
        assert!(!transfer_events(&net, a, &ca)
            .iter()
            .any(|e| matches!(e, Event::TransferAccepted { .. })));
        assert_eq!(net.state(a, &ca), Some(CallState::Active));
        assert_eq!(net.state(b, &cb), Some(CallState::Active));
        assert!(net.sent(a, "BYE ").is_empty());
        // A new transfer may start.
        net.fault = Box::new(|_, _| Fault::Deliver);
        net.with(a, |ua, now| ua.transfer(now, &ca, "1003"))
            .unwrap();
        net.drive();
        assert_eq!(net.sent(a, "REFER ").len(), 2);
    }
}

#[test]
fn the_transferee_rejects_the_refer_with_603() {
    let (mut net, a, b, _c) = three();
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| ua.transfer(now, &ca, "1003"))
        .unwrap();
    net.drive();
    net.with(b, |ua, now| ua.reject_transfer(now, &cb)).unwrap();
    net.drive();
    assert_eq!(
        failed(&net, a, &ca),
        Some((Some(603), "Decline".to_owned()))
    );
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    assert_eq!(net.state(b, &cb), Some(CallState::Active));
    // Nothing waits any more: a second answer is misuse.
    assert!(matches!(
        net.with(b, |ua, now| ua.accept_transfer(now, &cb)),
        Err(CommandError::WrongState { .. })
    ));
}

#[test]
fn a_busy_target_is_notified_as_486_and_every_call_stays_up() {
    let (mut net, a, b, c) = three();
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| ua.transfer(now, &ca, "1003"))
        .unwrap();
    net.drive();
    let new = accept(&mut net, b, &cb);
    let cc = net.incoming(c);
    net.with(c, |ua, now| ua.reject(now, &cc)).unwrap();
    net.drive();
    let notifies = net.sent(b, "NOTIFY ");
    assert_eq!(notifies.len(), 2);
    assert!(notifies[1].ends_with("SIP/2.0 486 Busy Here\r\n"));
    assert!(notifies[1].contains("Subscription-State: terminated"));
    assert_eq!(
        failed(&net, a, &ca),
        Some((Some(486), "Busy Here".to_owned()))
    );
    assert_eq!(net.ended(b, &new), Some((EndCause::Busy, Some(486))));
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    assert_eq!(net.state(b, &cb), Some(CallState::Active));
}

#[test]
fn no_notify_after_the_202_fails_the_transfer_after_64_t1() {
    let (mut net, a, b, _c) = three();
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.fault = Box::new(|to, text| match to {
        Dest::Proxy { from: 1 } if text.starts_with("NOTIFY ") => Fault::Drop,
        _ => Fault::Deliver,
    });
    net.with(a, |ua, now| ua.transfer(now, &ca, "1003"))
        .unwrap();
    net.drive();
    let _new = accept(&mut net, b, &cb);
    assert!(matches!(
        transfer_events(&net, a, &ca).as_slice(),
        [Event::TransferAccepted { .. }]
    ));
    net.advance(31_000);
    assert!(failed(&net, a, &ca).is_none());
    net.advance(2_000);
    let (status, reason) = failed(&net, a, &ca).expect("the transfer timed out");
    assert_eq!(status, None);
    assert!(reason.contains("32 s"), "{reason}");
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
}

#[test]
fn a_malformed_sipfrag_gets_400_and_a_subscription_ended_without_status_fails() {
    let (mut net, a, b, _c) = three();
    let (ca, _cb) = net.connect_call(a, "1002", b);
    net.fault = Box::new(|to, text| match to {
        Dest::Proxy { from: 0 } if text.starts_with("REFER ") => Fault::Drop,
        _ => Fault::Deliver,
    });
    net.with(a, |ua, now| ua.transfer(now, &ca, "1003"))
        .unwrap();
    let refer = net.sent(a, "REFER ").pop().unwrap();
    deliver(&mut net, a, &response_to(&refer, 202, "Accepted"));
    let ack = net.sent(a, "ACK ").pop().unwrap();
    let extra = "Event: refer\r\nSubscription-State: active;expires=60\r\nContent-Type: message/sipfrag\r\n";
    deliver(
        &mut net,
        a,
        &from_peer(&ack, "NOTIFY", 10, extra, "hello, not a status line"),
    );
    assert_eq!(net.sent(a, "SIP/2.0 400 ").len(), 1);
    assert!(
        failed(&net, a, &ca).is_none(),
        "a bad NOTIFY changes nothing"
    );
    // A NOTIFY of another event package is refused.
    let presence = "Event: presence\r\nSubscription-State: active\r\n";
    deliver(&mut net, a, &from_peer(&ack, "NOTIFY", 11, presence, ""));
    assert_eq!(net.sent(a, "SIP/2.0 489 ").len(), 1);
    let ended = "Event: refer\r\nSubscription-State: terminated;reason=timeout\r\n";
    deliver(&mut net, a, &from_peer(&ack, "NOTIFY", 12, ended, ""));
    assert_eq!(net.sent(a, "SIP/2.0 200 ").len(), 1);
    let (status, reason) = failed(&net, a, &ca).expect("failed");
    assert_eq!(status, None);
    assert!(reason.contains("without a final status"), "{reason}");
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    // No transfer is under way now: a NOTIFY is for no subscription.
    deliver(
        &mut net,
        a,
        &from_peer(&ack, "NOTIFY", 13, extra, "SIP/2.0 200 OK\r\n"),
    );
    assert_eq!(net.sent(a, "SIP/2.0 481 ").len(), 1);
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
}

#[test]
fn a_refer_with_a_bad_refer_to_gets_400() {
    let (mut net, a, b, _c) = three();
    let (ca, cb) = net.connect_call(a, "1002", b);
    let _ = ca;
    // b's view: a request from its peer a, built from b's own in-dialog request.
    net.with(b, |ua, now| ua.hold(now, &cb)).unwrap();
    net.drive();
    let own = net.sent(b, "INVITE ").pop().unwrap();
    for (n, refer_to) in [
        "",
        "Refer-To: tel:+15551234\r\n",
        "Refer-To: <sip:1003@x?Replaces=broken>\r\n",
        "Refer-To: <sip:1003@x?Replaces=a%0D%0AVia%3Ax;to-tag=1;from-tag=2>\r\n",
        "Refer-To: <not a uri>\r\n",
    ]
    .iter()
    .enumerate()
    {
        let before = net.sent(b, "SIP/2.0 400 ").len();
        let cseq = 100 + u32::try_from(n).unwrap();
        deliver(&mut net, b, &from_peer(&own, "REFER", cseq, refer_to, ""));
        assert_eq!(
            net.sent(b, "SIP/2.0 400 ").len(),
            before + 1,
            "{refer_to:?}"
        );
    }
    assert!(transfer_events(&net, b, &cb).is_empty());
    assert_eq!(net.state(b, &cb), Some(CallState::Held));
}

#[test]
fn attended_transfer_replaces_the_target_call_and_ends_both_legs_transferred() {
    let (mut net, a, b, c) = three();
    // a talks to b (the customer), then calls c (the supervisor).
    let (ab, ba) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| ua.hold(now, &ab)).unwrap();
    net.drive();
    let (ac, ca) = net.connect_call(a, "1003", c);
    net.with(a, |ua, now| ua.transfer_replacing(now, &ab, &ac))
        .unwrap();
    net.drive();
    let refer = net.sent(a, "REFER ").pop().unwrap();
    let m = message::parse(&refer).unwrap();
    let refer_to = m.header("Refer-To").unwrap().to_owned();
    assert!(
        refer_to.starts_with(&format!("<sip:1003@{DOMAIN}?Replaces=")),
        "{refer_to}"
    );
    assert!(refer_to.contains("%3Bto-tag%3D") && refer_to.contains("%3Bfrom-tag%3D"));
    let new = accept(&mut net, b, &ba);
    // c got an INVITE with Replaces: answered at once, its old call handed over.
    let invite = net.phones[c]
        .received
        .iter()
        .rev()
        .find(|t| t.starts_with("INVITE "))
        .cloned()
        .unwrap();
    let replaces = message::parse(&invite).unwrap();
    let r = replaces.replaces().unwrap().expect("a Replaces header");
    let first = net.phones[c]
        .received
        .iter()
        .find(|t| t.starts_with("INVITE "))
        .cloned()
        .unwrap();
    assert_eq!(r.call_id, message::parse(&first).unwrap().call_id());
    let cb = net.incoming(c);
    assert_ne!(cb, ca);
    assert_eq!(net.state(c, &cb), Some(CallState::Active));
    assert_eq!(net.state(b, &new), Some(CallState::Active));
    assert_eq!(net.ended(c, &ca), Some((EndCause::Transferred, Some(200))));
    assert_eq!(net.ended(b, &ba), Some((EndCause::Transferred, Some(200))));
    assert_eq!(net.ended(a, &ab), Some((EndCause::Transferred, Some(200))));
    assert_eq!(net.ended(a, &ac), Some((EndCause::Transferred, Some(200))));
    assert!(net.phones[a].ua.calls().next().is_none());
    assert_eq!(net.phones[c].ua.calls().count(), 1);
    // The replacing INVITE was never left ringing.
    assert!(net.started(c, &cb));
}

#[test]
fn attended_transfer_to_an_unknown_or_unanswered_call_is_refused() {
    let (mut net, a, b, c) = three();
    let (ab, _) = net.connect_call(a, "1002", b);
    assert!(matches!(
        net.with(a, |ua, now| ua.transfer_replacing(
            now,
            &ab,
            &CallId("nope".into())
        )),
        Err(CommandError::UnknownCall(_))
    ));
    assert!(matches!(
        net.with(a, |ua, now| ua.transfer_replacing(now, &ab, &ab)),
        Err(CommandError::UnknownCall(_))
    ));
    let (ringing, _) = net.ring(a, "1003", c);
    assert!(matches!(
        net.with(a, |ua, now| ua.transfer_replacing(now, &ab, &ringing)),
        Err(CommandError::WrongState { .. })
    ));
    assert!(matches!(
        net.with(a, |ua, now| ua.transfer(now, &ringing, "1002")),
        Err(CommandError::WrongState { .. })
    ));
    assert!(matches!(
        net.with(a, |ua, now| ua.transfer(now, &ab, "10 02")),
        Err(CommandError::InvalidTarget(_))
    ));
    assert!(net.sent(a, "REFER ").is_empty());
}

#[test]
fn an_invite_whose_replaces_matches_no_call_gets_481_and_rings_nobody() {
    let (mut net, a, b, c) = three();
    let (ab, _ba) = net.connect_call(a, "1002", b);
    let _ = ab;
    let ack = net.sent(a, "ACK ").pop().unwrap();
    let dialog = message::parse(&ack).unwrap();
    let call_id = dialog.call_id().to_owned();
    let invite = |replaces: &str, cseq: u32| {
        format!(
            "INVITE sip:1003@{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/WSS x.invalid;branch=z9hG4bKrep{cseq}\r\nMax-Forwards: 70\r\nFrom: <sip:1009@{DOMAIN}>;tag=r{cseq}\r\nTo: <sip:1003@{DOMAIN}>\r\nCall-ID: rep{cseq}\r\nCSeq: 1 INVITE\r\nContact: <sip:r@x.invalid;transport=ws>\r\nReplaces: {replaces}\r\nContent-Length: 0\r\n\r\n"
        )
    };
    // c has no call at all; b has one, but not with these tags.
    deliver(
        &mut net,
        c,
        &invite(&format!("{call_id};to-tag=x;from-tag=y"), 1),
    );
    assert_eq!(net.sent(c, "SIP/2.0 481 ").len(), 1);
    deliver(
        &mut net,
        b,
        &invite(&format!("{call_id};to-tag=x;from-tag=y"), 2),
    );
    assert_eq!(net.sent(b, "SIP/2.0 481 ").len(), 1);
    deliver(&mut net, b, &invite("no-tags-here", 3));
    assert_eq!(net.sent(b, "SIP/2.0 400 ").len(), 1);
    assert!(!net
        .events(c)
        .iter()
        .any(|e| matches!(e, Event::Incoming(_))));
    assert_eq!(net.phones[b].ua.calls().count(), 1);
    // early-only never replaces a confirmed call (RFC 3891 §3): 486.
    let from_tag = dialog.from().tag().unwrap().to_owned();
    let to_tag = dialog.to().tag().unwrap().to_owned();
    deliver(
        &mut net,
        b,
        &invite(
            &format!("{call_id};to-tag={to_tag};from-tag={from_tag};early-only"),
            4,
        ),
    );
    assert_eq!(net.sent(b, "SIP/2.0 486 ").len(), 1);
    assert_eq!(net.phones[b].ua.calls().count(), 1);
}

#[test]
fn the_referred_call_is_notified_when_the_new_call_fails_before_the_peer_hangs_up() {
    let (mut net, a, b, _c) = three();
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| ua.transfer(now, &ca, "1099"))
        .unwrap();
    net.drive();
    let new = accept(&mut net, b, &cb);
    // Nobody is 1099: the proxy answers 404.
    assert_eq!(net.ended(b, &new), Some((EndCause::Failed, Some(404))));
    assert!(net
        .sent(b, "NOTIFY ")
        .pop()
        .unwrap()
        .ends_with("SIP/2.0 404 Not Found\r\n"));
    assert_eq!(
        failed(&net, a, &ca),
        Some((Some(404), "Not Found".to_owned()))
    );
    assert_eq!(last_started(&net, b), new);
    assert_eq!(net.state(b, &cb), Some(CallState::Active));
}
