//! UPDATE received inside a dialog (RFC 3311): without a body it is answered 200 (a
//! session refresh, also on an early dialog); with an offer it is answered through the
//! media layer like a re-INVITE's (hold, unhold); an offer while ours is under way gets
//! 491, an unusable one 488, and the call goes on as it was.

use sip_core::ua::{CallState, Event, Input, MediaCommand};

use crate::harness::{Dest, Fault, Net};
use crate::session_timers::{header, responses, two};

const OFFER: &str = "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n";

/// A request from phone `a` in the dialog of its request `template` (an ACK or INVITE it
/// sent), rewritten as `method` with CSeq `cseq`, a new branch and `body` (SDP).
fn request_like(template: &str, method: &str, cseq: u32, body: Option<&str>) -> String {
    let head = template.split("\r\n\r\n").next().unwrap();
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap();
    let uri = first.split(' ').nth(1).unwrap();
    let mut out = format!("{method} {uri} SIP/2.0\r\n");
    for line in lines {
        let name = line.split(':').next().unwrap().trim();
        if name.eq_ignore_ascii_case("CSeq") {
            out.push_str(&format!("CSeq: {cseq} {method}\r\n"));
        } else if name.eq_ignore_ascii_case("Via") {
            let (before, _) = line.split_once(";branch=").unwrap();
            out.push_str(&format!("{before};branch=z9hG4bKupd{cseq}\r\n"));
        } else if !name.to_ascii_lowercase().starts_with("content-") && name != "Contact" {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Contact: <sip:1001@a.invalid;transport=ws>\r\n");
    match body {
        Some(b) => out.push_str(&format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        )),
        None => out.push_str("Content-Length: 0\r\n\r\n"),
    }
    out
}

/// Phone `from` sends `method` (built from its ACK) to its peer; returns the peer's
/// final response to it.
fn send_from(
    net: &mut Net,
    from: usize,
    to: usize,
    method: &str,
    cseq: u32,
    body: Option<&str>,
) -> String {
    let template = net
        .sent(from, "ACK ")
        .pop()
        .expect("an ACK to copy the dialog from");
    net.inject(from, request_like(&template, method, cseq, body));
    net.drive();
    net.phones[to]
        .sent
        .iter()
        .rev()
        .find(|m| {
            m.starts_with("SIP/2.0 ") && header(m, "CSeq") == Some(&format!("{cseq} {method}"))
        })
        .cloned()
        .expect("a response")
}

fn status(r: &str) -> u16 {
    r[8..11].parse().unwrap()
}

fn with_direction(dir: &str) -> String {
    format!("{OFFER}a={dir}\r\n")
}

#[test]
fn update_without_a_body_is_answered_200_and_refreshes_the_session() {
    let (mut net, a, b) = two();
    // The caller's own refreshes are lost: only the hand-written UPDATE refreshes.
    net.fault = Box::new(|to, text| match to {
        Dest::Proxy { from: 0 } if text.starts_with("UPDATE ") && !text.contains("z9hG4bKupd") => {
            Fault::Drop
        }
        _ => Fault::Deliver,
    });
    let (ca, cb) = net.connect_call(a, "1002", b);
    let media = net.phones[b].media.log.len();
    net.advance(40_000);
    let r = send_from(&mut net, a, b, "UPDATE", 10, None);
    assert_eq!(status(&r), 200);
    assert_eq!(header(&r, "Content-Length"), Some("0"));
    assert_eq!(header(&r, "Session-Expires"), Some("90;refresher=uac"));
    assert_eq!(net.phones[b].media.log.len(), media, "no media involved");
    // The callee's expiry now counts from this refresh: 40 + 60 s, past the first one.
    net.advance(35_000);
    assert_eq!(net.ended(b, &cb), None);
    assert_eq!(net.ended(a, &ca), None);
}

#[test]
fn update_with_an_offer_holds_and_unholds_through_the_media_layer() {
    let (mut net, a, b) = two();
    let (_ca, cb) = net.connect_call(a, "1002", b);
    let r = send_from(
        &mut net,
        a,
        b,
        "UPDATE",
        10,
        Some(&with_direction("sendonly")),
    );
    assert_eq!(status(&r), 200);
    let answer = r.split("\r\n\r\n").nth(1).unwrap();
    assert!(answer.contains("a=recvonly"), "{answer}");
    assert!(matches!(
        net.phones[b].media.log.last(),
        Some((_, MediaCommand::CreateAnswer { .. }))
    ));
    assert_eq!(net.state(b, &cb), Some(CallState::Held));
    assert!(net.phones[b].ua.call_info(&cb).unwrap().held.remote);
    let r = send_from(
        &mut net,
        a,
        b,
        "UPDATE",
        11,
        Some(&with_direction("sendrecv")),
    );
    assert_eq!(status(&r), 200);
    assert!(r.split("\r\n\r\n").nth(1).unwrap().contains("a=sendrecv"));
    assert_eq!(net.state(b, &cb), Some(CallState::Active));
    let updates = net
        .events(b)
        .iter()
        .filter(|e| matches!(e, Event::CallUpdated(i) if i.id == cb))
        .count();
    assert!(updates >= 2, "held, then resumed");
}

#[test]
fn an_offer_while_ours_is_under_way_gets_491_and_an_unusable_one_488() {
    let (mut net, a, b) = two();
    let (_ca, cb) = net.connect_call(a, "1002", b);
    let remote = net.phones[b].ua.call_info(&cb).unwrap().held;
    // The callee's hold re-INVITE is out (not yet delivered) when the UPDATE comes.
    net.with(b, |ua, now| ua.hold(now, &cb)).unwrap();
    let template = net.sent(a, "ACK ").pop().unwrap();
    let now = net.now;
    net.phones[b].ua.handle_input(
        now,
        Input::Received(&request_like(
            &template,
            "UPDATE",
            10,
            Some(&with_direction("sendonly")),
        )),
    );
    net.drain(b);
    assert_eq!(status(&responses(&net, b, 491, "UPDATE")[0]), 491);
    net.drive();
    assert_eq!(net.state(b, &cb), Some(CallState::Held), "our hold went on");

    // An offer the browser cannot use: 488, and the call is as it was.
    let before = net.phones[b].ua.call_info(&cb).unwrap().clone();
    let video = "v=0\r\no=- 7 3 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n";
    let r = send_from(&mut net, a, b, "UPDATE", 11, Some(video));
    assert_eq!(status(&r), 488);
    assert!(header(&r, "Warning").is_some());
    let r = send_from(&mut net, a, b, "UPDATE", 12, Some("garbage"));
    assert_eq!(status(&r), 488);
    assert_eq!(net.phones[b].ua.call_info(&cb).unwrap(), &before);
    assert_eq!(remote.remote, before.held.remote);
    // The next good offer is answered as usual.
    let r = send_from(
        &mut net,
        a,
        b,
        "UPDATE",
        13,
        Some(&with_direction("sendrecv")),
    );
    assert_eq!(status(&r), 200);
}

#[test]
fn an_early_dialog_update_is_answered_200_without_an_offer_and_500_with_one() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.ring(a, "1002", b);
    // A request from the caller in the early dialog: its INVITE with the callee's tag.
    let ringing = net.sent(b, "SIP/2.0 180 ").pop().unwrap();
    let to = header(&ringing, "To").unwrap().to_owned();
    let invite = net.sent(a, "INVITE ").pop().unwrap();
    let template = invite.replace(header(&invite, "To").unwrap(), &to);
    net.inject(a, request_like(&template, "UPDATE", 10, None));
    net.drive();
    assert_eq!(responses(&net, b, 200, "UPDATE").len(), 1);
    net.inject(a, request_like(&template, "UPDATE", 11, Some(OFFER)));
    net.drive();
    let r = &responses(&net, b, 500, "UPDATE")[0];
    assert!(header(r, "Retry-After").is_some());
    assert_eq!(net.state(b, &cb), Some(CallState::Ringing), "still ringing");
    net.with(b, |ua, now| ua.answer(now, &cb)).unwrap();
    net.drive();
    assert!(net.answered(a, &ca));
}
