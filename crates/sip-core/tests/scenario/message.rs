//! MESSAGE received (RFC 3428): out of dialog or in a call's dialog, answered 200 and raised
//! as an event naming the sender, the text and its type; a body that is not text is answered
//! 415 with Accept and raises nothing.

use sip_core::ua::{CallId, CallState, Event};

use crate::harness::Net;
use crate::session_timers::{header, responses};

fn two() -> (Net, usize, usize) {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    (net, a, b)
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
