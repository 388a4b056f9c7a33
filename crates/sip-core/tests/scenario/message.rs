//! MESSAGE (RFC 3428). Sent: out of dialog to a number or URI, authorized when challenged,
//! its final status reported by id (`Pong`), resent after a reconnect. Received: out of
//! dialog or in a call's dialog, answered 200 and raised as an event naming the sender, the
//! text and its type; a body that is not text is answered 415 with Accept and raises nothing.

use sip_core::ua::{CallId, CallState, CommandError, Event, MAX_MESSAGE_BYTES};

use crate::harness::{Dest, Fault, Net};
use crate::session_timers::{header, responses};

fn two() -> (Net, usize, usize) {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    (net, a, b)
}

/// The outcomes of the MESSAGEs phone `i` sent: (id, status).
fn outcomes(net: &Net, i: usize) -> Vec<(u16, u16)> {
    net.events(i)
        .iter()
        .filter_map(|e| match e {
            Event::Pong {
                id: Some(id),
                status,
                ..
            } => Some((*id, *status)),
            _ => None,
        })
        .collect()
}

/// Sends `text` from phone `i` to `target` as MESSAGE `id`, which must go.
fn send(net: &mut Net, i: usize, target: &str, text: &str, id: u16) -> u16 {
    net.with(i, |ua, now| ua.send_message(now, target, text, id))
        .unwrap();
    id
}

/// The `Message` events phone `i` raised: (call, from, text, content type).
fn received(net: &Net, i: usize) -> Vec<(Option<CallId>, String, String, String)> {
    net.events(i)
        .iter()
        .filter_map(|e| match e {
            Event::Message {
                call,
                from,
                text,
                content_type,
            } => Some((
                call.clone(),
                from.clone(),
                text.clone(),
                content_type.clone(),
            )),
            _ => None,
        })
        .collect()
}

/// A MESSAGE from 1001 to 1002 out of dialog, as another user agent writes it; `branch`
/// makes each a new transaction.
fn message(branch: &str, content_type: Option<&str>, body: &str) -> String {
    let ctype = content_type.map_or(String::new(), |c| format!("Content-Type: {c}\r\n"));
    format!(
        "MESSAGE sip:1002@test.local SIP/2.0\r\nVia: SIP/2.0/WSS other.invalid;branch=z9hG4bK{branch}\r\nMax-Forwards: 70\r\nFrom: \"Ann\" <sip:1001@test.local>;tag=ft1\r\nTo: <sip:1002@test.local>\r\nCall-ID: m-{branch}\r\nCSeq: 7 MESSAGE\r\n{ctype}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn a_message_is_answered_200_and_raised_with_sender_text_and_type() {
    let (mut net, a, b) = two();
    let text = "Ticket #42: caller wants a refund ✓\r\nsecond line";
    net.inject(a, message("m1", Some("text/plain;charset=UTF-8"), text));
    net.drive();
    assert_eq!(
        received(&net, b),
        vec![(
            None,
            "1001".into(),
            text.into(),
            "text/plain;charset=UTF-8".into()
        )]
    );
    let ok = responses(&net, b, 200, "MESSAGE");
    assert_eq!(ok.len(), 1);
    assert!(
        header(&ok[0], "To").unwrap().contains(";tag="),
        "the 200 tags To"
    );
    assert_eq!(header(&ok[0], "Call-ID"), Some("m-m1"));
    // Not a dialog: nothing is left once the transaction is over.
    net.advance(10_000);
    assert_eq!(net.phones[b].ua.debug_sizes().servers, 0);
    assert_eq!(net.phones[b].ua.debug_sizes().calls, 0);
    // Other text types are delivered with their type: the application decides how to show them.
    net.inject(
        a,
        message("m2", Some("text/html; charset=utf-8"), "<b>hi</b>"),
    );
    net.drive();
    assert_eq!(
        received(&net, b).last(),
        Some(&(
            None,
            "1001".into(),
            "<b>hi</b>".into(),
            "text/html; charset=utf-8".into()
        ))
    );
}

#[test]
fn a_body_that_is_not_text_gets_415_with_accept_and_no_event() {
    let (mut net, a, b) = two();
    let typing = "<?xml version=\"1.0\"?><isComposing><state>active</state></isComposing>";
    net.inject(
        a,
        message("t1", Some("application/im-iscomposing+xml"), typing),
    );
    // No Content-Type at all is not text either.
    net.inject(a, message("t2", None, "hi"));
    // Nor a type that only starts like one.
    net.inject(a, message("t3", Some("tex"), "hi"));
    net.drive();
    let refused = responses(&net, b, 415, "MESSAGE");
    assert_eq!(refused.len(), 3);
    for r in &refused {
        assert_eq!(header(r, "Accept"), Some("text/plain, text/*"));
        assert!(header(r, "To").unwrap().contains(";tag="));
    }
    assert!(received(&net, b).is_empty());
    assert!(responses(&net, b, 405, "MESSAGE").is_empty());
}

#[test]
fn a_message_in_a_call_dialog_names_the_call_and_the_call_goes_on() {
    let (mut net, a, b) = two();
    let (_ca, cb) = net.connect_call(a, "1002", b);
    // The caller's ACK carries the dialog (Request-URI, route, tags): copy it as a MESSAGE.
    let ack = net.sent(a, "ACK ").pop().unwrap();
    let head = ack.split("\r\n\r\n").next().unwrap();
    let mut m = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        if i == 0 {
            m.push_str(&line.replacen("ACK", "MESSAGE", 1));
        } else if line.starts_with("CSeq:") {
            m.push_str("CSeq: 9 MESSAGE");
        } else if line.starts_with("Via:") {
            m.push_str("Via: SIP/2.0/WSS a.invalid;branch=z9hG4bKindialog");
        } else if line.starts_with("Content-") {
            continue;
        } else {
            m.push_str(line);
        }
        m.push_str("\r\n");
    }
    m.push_str("Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
    net.inject(a, m.clone());
    net.drive();
    assert_eq!(
        received(&net, b),
        vec![(
            Some(cb.clone()),
            "1001".into(),
            "hello".into(),
            "text/plain".into()
        )]
    );
    let ok = responses(&net, b, 200, "MESSAGE");
    assert_eq!(ok.len(), 1);
    assert_eq!(
        header(&ok[0], "To"),
        header(&ack, "To"),
        "the dialog's tag, no new one"
    );
    assert_eq!(net.state(b, &cb), Some(CallState::Active));
    // An old CSeq in the dialog is refused like any request's.
    net.inject(
        a,
        m.replace("CSeq: 9", "CSeq: 8")
            .replace("z9hG4bKindialog", "z9hG4bKold"),
    );
    net.drive();
    assert_eq!(responses(&net, b, 500, "MESSAGE").len(), 1);
    assert_eq!(received(&net, b).len(), 1);
}

#[test]
fn message_is_announced_in_allow() {
    let (mut net, a, b) = two();
    net.connect_call(a, "1002", b);
    let invite = net.sent(a, "INVITE ").pop().unwrap();
    assert!(header(&invite, "Allow").unwrap().contains("MESSAGE"));
}

#[test]
fn a_sent_message_reaches_the_user_and_its_200_is_the_outcome() {
    let (mut net, a, b) = two();
    let text = "Ticket #42: caller wants a refund \u{2713}";
    let id = send(&mut net, a, "1002", text, 1);
    net.drive();
    let sent = net.sent(a, "MESSAGE ");
    assert_eq!(sent.len(), 1);
    let m = &sent[0];
    assert!(
        m.starts_with("MESSAGE sip:1002@test.local SIP/2.0\r\n"),
        "{m}"
    );
    assert_eq!(header(m, "Content-Type"), Some("text/plain;charset=UTF-8"));
    assert!(header(m, "Call-ID").is_some_and(|c| c.len() > 10));
    assert_eq!(header(m, "To"), Some("<sip:1002@test.local>"));
    assert_eq!(header(m, "CSeq"), Some("1 MESSAGE"));
    assert!(header(m, "From").unwrap().contains(";tag="));
    // Not a dialog: no Contact.
    assert_eq!(header(m, "Contact"), None);
    assert!(m.ends_with(text));
    assert_eq!(
        received(&net, b),
        vec![(
            None,
            "1001".into(),
            text.into(),
            "text/plain;charset=UTF-8".into()
        )]
    );
    assert_eq!(outcomes(&net, a), vec![(id, 200)]);
    // A sip: URI target goes as it is.
    send(&mut net, a, "sip:1002@test.local", "by URI", 11);
    net.drive();
    assert_eq!(received(&net, b).len(), 2);
    // Nothing lingers once the transactions are over.
    net.advance(10_000);
    assert_eq!(net.phones[a].ua.debug_sizes().clients, 0);
}

#[test]
fn a_challenged_message_goes_again_with_credentials_once() {
    let (mut net, a, b) = two();
    net.proxy.auth_invites = true;
    // The first MESSAGE carries credentials from the REGISTER's challenge; a new nonce makes
    // them stale, so the proxy challenges (407) and the MESSAGE goes again.
    net.proxy.rotate_nonce();
    let id = send(&mut net, a, "1002", "hi", 2);
    net.drive();
    let sent = net.sent(a, "MESSAGE ");
    assert_eq!(sent.len(), 2, "the first was challenged (407)");
    assert!(header(&sent[0], "Proxy-Authorization")
        .unwrap()
        .contains("nonce=\"n0\""));
    assert!(header(&sent[1], "Proxy-Authorization")
        .unwrap()
        .contains("nonce=\"n1\""));
    assert_eq!(header(&sent[1], "CSeq"), Some("2 MESSAGE"));
    assert_ne!(header(&sent[0], "Via"), header(&sent[1], "Via"));
    assert_eq!(received(&net, b).len(), 1);
    assert_eq!(
        outcomes(&net, a),
        vec![(id, 200)],
        "one outcome, not the 407"
    );
    // The accepted challenge is reused: the next MESSAGE needs no round trip.
    send(&mut net, a, "1002", "again", 3);
    net.drive();
    assert_eq!(net.sent(a, "MESSAGE ").len(), 3);
    assert_eq!(received(&net, b).len(), 2);
    // Wrong credentials are not retried forever: the 407 is the outcome.
    net.proxy.password = "changed".into();
    net.proxy.rotate_nonce();
    let refused = send(&mut net, a, "1002", "refused", 4);
    net.drive();
    assert_eq!(outcomes(&net, a).last(), Some(&(refused, 407)));
    assert_eq!(received(&net, b).len(), 2);
}

#[test]
fn a_refused_or_unanswered_message_reports_its_status() {
    let (mut net, a, b) = two();
    // Nobody is registered as 1009: the proxy answers 404.
    let missing = send(&mut net, a, "1009", "anyone?", 5);
    net.drive();
    assert_eq!(outcomes(&net, a), vec![(missing, 404)]);
    // The MESSAGE is lost every time: Timer F (64*T1) reports 408.
    net.fault = Box::new(|to, text| match to {
        Dest::Proxy { .. } if text.starts_with("MESSAGE ") => Fault::Drop,
        _ => Fault::Deliver,
    });
    let lost = send(&mut net, a, "1002", "lost", 6);
    net.advance(31_000);
    assert_eq!(outcomes(&net, a).len(), 1, "still waiting");
    net.advance(2_000);
    assert_eq!(outcomes(&net, a).last(), Some(&(lost, 408)));
    assert!(received(&net, b).is_empty());
}

#[test]
fn bad_text_or_target_is_refused_and_nothing_is_sent() {
    let (mut net, a, b) = two();
    let too_long = "x".repeat(MAX_MESSAGE_BYTES + 1);
    // Text counts in UTF-8 bytes: 4097 two-byte characters are one byte too many.
    let too_long_utf8 = "\u{e9}".repeat(MAX_MESSAGE_BYTES / 2 + 1);
    let text = CommandError::InvalidArgument("a message text is 1 to 8192 bytes");
    let cases: [(&str, &str, CommandError); 5] = [
        ("1002", "", text.clone()),
        ("1002", &too_long, text.clone()),
        ("1002", &too_long_utf8, text),
        ("10 02", "hi", CommandError::InvalidTarget("10 02".into())),
        (
            "1002\r\nVia: x",
            "hi",
            CommandError::InvalidTarget("1002\r\nVia: x".into()),
        ),
    ];
    for (target, text, err) in cases {
        assert_eq!(
            net.with(a, |ua, now| ua.send_message(now, target, text, 9)),
            Err(err)
        );
    }
    net.drive();
    assert!(net.sent(a, "MESSAGE ").is_empty());
    assert!(outcomes(&net, a).is_empty());
    // The limit itself is allowed, and CR/LF in the text is only body.
    let full = "\u{e9}".repeat(MAX_MESSAGE_BYTES / 2);
    let tricky = "line 1\r\nVia: SIP/2.0/WSS x\r\n\r\nline 3";
    for t in [full.as_str(), tricky] {
        send(&mut net, a, "1002", t, 7);
    }
    net.drive();
    let got: Vec<String> = received(&net, b).into_iter().map(|m| m.2).collect();
    assert_eq!(got, vec![full.clone(), tricky.to_owned()]);
    assert_eq!(outcomes(&net, a).iter().filter(|o| o.1 == 200).count(), 2);
}

#[test]
fn a_message_made_before_the_connection_goes_when_it_opens_and_none_after_shutdown() {
    let mut net = Net::new();
    let a = net.add(crate::harness::config("1001"));
    let b = net.phone("1002");
    send(&mut net, a, "1002", "early", 1);
    net.drive();
    assert!(received(&net, b).is_empty(), "no flow yet");
    net.start(a);
    net.drive();
    assert_eq!(received(&net, b).len(), 1);
    assert_eq!(
        header(&net.sent(a, "MESSAGE ")[0], "CSeq"),
        Some("1 MESSAGE")
    );
    assert_eq!(outcomes(&net, a), vec![(1, 200)]);
    net.with(a, |ua, now| ua.shutdown(now));
    assert_eq!(
        net.with(a, |ua, now| ua.send_message(now, "1002", "hi", 9)),
        Err(CommandError::ShutDown)
    );
}

#[test]
fn a_message_in_flight_goes_again_after_a_reconnect_and_after_the_page_comes_back() {
    let (mut net, a, b) = two();
    // The flow dies with the MESSAGE on it: it goes again on the next flow.
    let id = send(&mut net, a, "1002", "resent", 8);
    net.cut(a);
    net.advance(3_000);
    assert!(net.phones[a].ua.is_connected());
    assert_eq!(received(&net, b).len(), 1);
    assert_eq!(outcomes(&net, a), vec![(id, 200)]);
    // Leaving the page forgets calls and transactions, but not a MESSAGE waiting for its
    // answer: the restored page sends it again when it connects.
    let waiting = send(&mut net, a, "1002", "after the cache", 9);
    net.with(a, |ua, now| ua.suspend(now));
    net.drive();
    assert_eq!(outcomes(&net, a).len(), 1, "nothing reported yet");
    net.start(a);
    net.drive();
    assert_eq!(outcomes(&net, a).last(), Some(&(waiting, 200)));
    assert_eq!(
        received(&net, b).last().map(|m| m.2.as_str()),
        Some("after the cache")
    );
    // One that is never answered is reported by its timeout, suspended or not.
    net.fault = Box::new(|to, text| match to {
        Dest::Proxy { .. } if text.starts_with("MESSAGE ") => Fault::Drop,
        _ => Fault::Deliver,
    });
    let lost = send(&mut net, a, "1002", "never", 10);
    net.with(a, |ua, now| ua.suspend(now));
    net.advance(33_000);
    assert_eq!(outcomes(&net, a).last(), Some(&(lost, 408)));
}
