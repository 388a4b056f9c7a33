//! RFC 4028 session timers between two user agents: the refresher refreshes at half the
//! interval (UPDATE, or a re-INVITE repeating the session when the peer does not allow
//! UPDATE), 422 raises the interval, a failed refresh or a missed one ends the call with
//! BYE, and a peer without timers gets none.

use sip_core::ua::{EndCause, ErrorScope, Event, SessionTimers, UaConfig};

use crate::harness::{config, Dest, Fault, Net};

/// The value of the first header `name` of `text`.
pub fn header<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let head = text.split("\r\n\r\n").next()?;
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Adds, starts and registers a phone for `user` with `timers`.
pub fn phone_with(net: &mut Net, user: &str, timers: Option<SessionTimers>) -> usize {
    let mut c: UaConfig = config(user);
    c.session_timers = timers;
    let i = net.add(c);
    net.start(i);
    net.drive();
    assert!(net.phones[i].ua.is_registered());
    i
}

pub fn timers(expires: u32, min_se: u32) -> Option<SessionTimers> {
    Some(SessionTimers { expires, min_se })
}

/// Two phones with 90 s session timers (RFC 4028's smallest).
pub fn two() -> (Net, usize, usize) {
    let mut net = Net::new();
    let a = phone_with(&mut net, "1001", timers(90, 90));
    let b = phone_with(&mut net, "1002", timers(90, 90));
    (net, a, b)
}

/// Responses phone `i` sent with `status` to `method`.
pub fn responses(net: &Net, i: usize, status: u16, method: &str) -> Vec<String> {
    net.sent(i, &format!("SIP/2.0 {status} "))
        .into_iter()
        .filter(|m| header(m, "CSeq").is_some_and(|c| c.ends_with(method)))
        .collect()
}

fn is_update(text: &str) -> bool {
    header(text, "CSeq").is_some_and(|c| c.ends_with(" UPDATE"))
}

fn media_commands(net: &Net, i: usize) -> usize {
    net.phones[i].media.log.len()
}

fn errors(net: &Net, i: usize) -> Vec<String> {
    net.events(i)
        .iter()
        .filter_map(|e| match e {
            Event::Error {
                scope: ErrorScope::Call,
                detail,
            } => Some(detail.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_caller_refreshes_by_update_at_half_the_interval_and_the_call_survives() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.connect_call(a, "1002", b);
    let invite = &net.sent(a, "INVITE ")[0];
    assert_eq!(header(invite, "Session-Expires"), Some("90;refresher=uac"));
    assert_eq!(header(invite, "Min-SE"), Some("90"));
    assert!(invite.contains("Supported: timer\r\n"));
    assert!(header(invite, "Allow").unwrap().contains("UPDATE"));
    let ok = &responses(&net, b, 200, "INVITE")[0];
    assert_eq!(header(ok, "Session-Expires"), Some("90;refresher=uac"));
    assert_eq!(header(ok, "Require"), Some("timer"), "the caller refreshes");
    let media = (media_commands(&net, a), media_commands(&net, b));

    net.advance(44_000);
    assert!(
        net.sent(a, "UPDATE ").is_empty(),
        "not before half the interval"
    );
    net.advance(2_000);
    let updates = net.sent(a, "UPDATE ");
    assert_eq!(updates.len(), 1, "one refresh at 45 s");
    assert_eq!(
        header(&updates[0], "Session-Expires"),
        Some("90;refresher=uac")
    );
    assert_eq!(header(&updates[0], "Content-Length"), Some("0"), "no offer");
    let ok = &responses(&net, b, 200, "UPDATE")[0];
    assert_eq!(header(ok, "Session-Expires"), Some("90;refresher=uac"));

    net.advance(200_000);
    assert_eq!(net.sent(a, "UPDATE ").len(), 5, "every 45 s");
    assert!(
        net.sent(b, "UPDATE ").is_empty(),
        "the callee never refreshes"
    );
    assert!(net.sent(a, "BYE ").is_empty() && net.sent(b, "BYE ").is_empty());
    assert_eq!(net.ended(a, &ca), None);
    assert_eq!(net.ended(b, &cb), None);
    assert_eq!(
        (media_commands(&net, a), media_commands(&net, b)),
        media,
        "a refresh does not touch the media"
    );
}

#[test]
fn the_callee_refreshes_when_the_request_names_it() {
    let (mut net, a, b) = two();
    net.fault = Box::new(|to, text| match to {
        Dest::Proxy { from: 0 } if text.starts_with("INVITE ") => {
            Fault::Rewrite(text.replace("refresher=uac", "refresher=uas"))
        }
        _ => Fault::Deliver,
    });
    let (ca, cb) = net.connect_call(a, "1002", b);
    let ok = &responses(&net, b, 200, "INVITE")[0];
    assert_eq!(header(ok, "Session-Expires"), Some("90;refresher=uas"));
    assert_eq!(header(ok, "Require"), None);
    net.advance(46_000);
    let updates = net.sent(b, "UPDATE ");
    assert_eq!(updates.len(), 1, "the callee refreshes at 45 s");
    assert_eq!(
        header(&updates[0], "Session-Expires"),
        Some("90;refresher=uac")
    );
    assert_eq!(
        responses(&net, a, 200, "UPDATE").len(),
        1,
        "the caller answers"
    );
    net.advance(200_000);
    assert!(net.sent(a, "UPDATE ").is_empty());
    assert_eq!(net.sent(b, "UPDATE ").len(), 5);
    assert_eq!(net.ended(a, &ca), None);
    assert_eq!(net.ended(b, &cb), None);
}

#[test]
fn without_update_in_allow_the_refresh_is_a_reinvite_repeating_the_session() {
    let (mut net, a, b) = two();
    // The callee's messages reach the caller without UPDATE in Allow.
    net.fault = Box::new(|to, text| match to {
        Dest::Phone(0) => Fault::Rewrite(text.replace(", UPDATE", "")),
        _ => Fault::Deliver,
    });
    let (ca, cb) = net.connect_call(a, "1002", b);
    let media = (media_commands(&net, a), media_commands(&net, b));
    net.advance(46_000);
    assert!(net.sent(a, "UPDATE ").is_empty());
    let invites = net.sent(a, "INVITE ");
    assert_eq!(invites.len(), 2, "the refresh re-INVITE");
    let body = |m: &str| m.split("\r\n\r\n").nth(1).unwrap().to_owned();
    assert_eq!(
        body(&invites[1]),
        body(&invites[0]),
        "same description, same version"
    );
    assert_eq!(
        header(&invites[1], "Session-Expires"),
        Some("90;refresher=uac")
    );
    assert_eq!(responses(&net, b, 200, "INVITE").len(), 2);
    assert_eq!(net.sent(a, "ACK ").len(), 2, "the refresh 2xx is ACKed");
    assert_eq!(
        (media_commands(&net, a), media_commands(&net, b)),
        media,
        "no renegotiation on either side"
    );
    net.advance(100_000);
    assert_eq!(net.sent(a, "INVITE ").len(), 4);
    assert_eq!(net.ended(a, &ca), None);
    assert_eq!(net.ended(b, &cb), None);
    assert_eq!(net.state(a, &ca), Some(sip_core::ua::CallState::Active));
}

#[test]
fn a_422_is_retried_with_the_min_se_it_names() {
    let mut net = Net::new();
    let a = phone_with(&mut net, "1001", timers(90, 90));
    let b = phone_with(&mut net, "1002", timers(1800, 1200));
    let (ca, _cb) = net.connect_call(a, "1002", b);
    let r422 = &responses(&net, b, 422, "INVITE")[0];
    assert_eq!(header(r422, "Min-SE"), Some("1200"));
    let invites = net.sent(a, "INVITE ");
    assert_eq!(invites.len(), 2);
    assert_eq!(
        header(&invites[1], "Session-Expires"),
        Some("1200;refresher=uac")
    );
    assert_eq!(header(&invites[1], "Min-SE"), Some("1200"));
    assert_eq!(header(&invites[1], "CSeq"), Some("2 INVITE"));
    assert_eq!(
        header(&responses(&net, b, 200, "INVITE")[0], "Session-Expires"),
        Some("1200;refresher=uac")
    );
    net.advance(599_000);
    assert!(
        net.sent(a, "UPDATE ").is_empty(),
        "refresh at 600 s, not 45 s"
    );
    net.advance(2_000);
    assert_eq!(net.sent(a, "UPDATE ").len(), 1);
    assert_eq!(net.ended(a, &ca), None);
}

/// The callee's 200 to the caller's first UPDATE becomes `status_line` (+ `extra` headers).
fn rewrite_first_update_ok(net: &mut Net, status_line: &'static str, extra: &'static str) {
    let mut done = false;
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(0) if !done && text.starts_with("SIP/2.0 200 ") && is_update(text) => {
            done = true;
            let rest = text.split_once("\r\n").unwrap().1;
            Fault::Rewrite(format!("{status_line}\r\n{extra}{rest}"))
        }
        _ => Fault::Deliver,
    });
}

#[test]
fn a_422_to_a_refresh_raises_the_interval_and_refreshes_again() {
    let (mut net, a, b) = two();
    rewrite_first_update_ok(
        &mut net,
        "SIP/2.0 422 Session Interval Too Small",
        "Min-SE: 120\r\n",
    );
    let (ca, _cb) = net.connect_call(a, "1002", b);
    net.advance(46_000);
    let updates = net.sent(a, "UPDATE ");
    assert_eq!(updates.len(), 2, "sent again at once");
    assert_eq!(
        header(&updates[1], "Session-Expires"),
        Some("120;refresher=uac")
    );
    assert_eq!(header(&updates[1], "Min-SE"), Some("120"));
    net.advance(58_000);
    assert_eq!(net.sent(a, "UPDATE ").len(), 2, "the next one 60 s later");
    net.advance(3_000);
    assert_eq!(net.sent(a, "UPDATE ").len(), 3);
    assert_eq!(net.ended(a, &ca), None);
}

#[test]
fn a_refresh_answered_481_ends_the_call_with_bye() {
    let (mut net, a, b) = two();
    rewrite_first_update_ok(&mut net, "SIP/2.0 481 Call/Transaction Does Not Exist", "");
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.advance(46_000);
    assert_eq!(net.ended(a, &ca), Some((EndCause::Failed, Some(481))));
    assert_eq!(net.sent(a, "BYE ").len(), 1);
    assert_eq!(net.ended(b, &cb), Some((EndCause::HangupRemote, Some(200))));
    assert!(errors(&net, a)
        .iter()
        .any(|e| e.contains("session refresh failed")));
}

#[test]
fn a_refresh_without_answer_ends_the_call_with_bye_when_it_times_out() {
    let (mut net, a, b) = two();
    net.fault = Box::new(|to, text| match to {
        Dest::Proxy { from: 1 } if text.starts_with("SIP/2.0 200 ") && is_update(text) => {
            Fault::Drop
        }
        _ => Fault::Deliver,
    });
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.advance(45_000 + 31_000);
    assert_eq!(net.ended(a, &ca), None, "Timer F runs 32 s");
    net.advance(2_000);
    assert_eq!(net.ended(a, &ca), Some((EndCause::Failed, Some(408))));
    assert_eq!(net.sent(a, "BYE ").len(), 1);
    assert_eq!(net.ended(b, &cb), Some((EndCause::HangupRemote, Some(200))));
}

#[test]
fn a_missed_refresh_makes_the_other_side_end_the_call_before_expiry() {
    let (mut net, a, b) = two();
    net.fault = Box::new(|to, text| match to {
        Dest::Proxy { from: 0 } if text.starts_with("UPDATE ") => Fault::Drop,
        _ => Fault::Deliver,
    });
    let (ca, cb) = net.connect_call(a, "1002", b);
    // 90 s - min(32, 90/3) = 60 s after the 200.
    net.advance(59_000);
    assert_eq!(net.ended(b, &cb), None);
    net.advance(2_000);
    assert_eq!(net.ended(b, &cb), Some((EndCause::Failed, Some(408))));
    assert_eq!(net.sent(b, "BYE ").len(), 1);
    assert_eq!(net.ended(a, &ca), Some((EndCause::HangupRemote, Some(200))));
    assert!(errors(&net, b)
        .iter()
        .any(|e| e.contains("session timer expired")));
}

#[test]
fn a_peer_without_session_timers_gets_none_either_way() {
    for caller_has_timers in [false, true] {
        let mut net = Net::new();
        let (ta, tb) = if caller_has_timers {
            (timers(90, 90), None)
        } else {
            (None, timers(90, 90))
        };
        let a = phone_with(&mut net, "1001", ta);
        let b = phone_with(&mut net, "1002", tb);
        let (ca, cb) = net.connect_call(a, "1002", b);
        let invite = &net.sent(a, "INVITE ")[0];
        assert_eq!(
            header(invite, "Session-Expires").is_some(),
            caller_has_timers
        );
        let ok = &responses(&net, b, 200, "INVITE")[0];
        assert_eq!(header(ok, "Session-Expires"), None);
        net.advance(1_000_000);
        for i in [a, b] {
            assert!(net.sent(i, "UPDATE ").is_empty());
            assert_eq!(net.sent(i, "INVITE ").len(), usize::from(i == a));
        }
        assert_eq!(net.ended(a, &ca), None);
        assert_eq!(net.ended(b, &cb), None);
    }
}

#[test]
fn without_an_allow_update_is_tried_and_a_405_falls_back_to_a_reinvite() {
    let (mut net, a, b) = two();
    // The callee's messages reach the caller with no Allow at all (as JsSIP's 2xx), and its
    // first answer to an UPDATE is 405.
    let mut refused = false;
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(0) => {
            let mut t: String = text
                .split_inclusive("\r\n")
                .filter(|l| !l.starts_with("Allow:"))
                .collect();
            if !refused && t.starts_with("SIP/2.0 200 ") && is_update(&t) {
                refused = true;
                t = t.replacen("SIP/2.0 200 OK", "SIP/2.0 405 Method Not Allowed", 1);
            }
            Fault::Rewrite(t)
        }
        _ => Fault::Deliver,
    });
    let (ca, cb) = net.connect_call(a, "1002", b);
    net.advance(46_000);
    assert_eq!(net.sent(a, "UPDATE ").len(), 1, "UPDATE tried first");
    assert_eq!(
        net.sent(a, "INVITE ").len(),
        2,
        "then the re-INVITE at once"
    );
    net.advance(45_000);
    assert_eq!(net.sent(a, "UPDATE ").len(), 1, "no UPDATE after the 405");
    assert_eq!(net.sent(a, "INVITE ").len(), 3);
    assert_eq!(net.ended(a, &ca), None);
    assert_eq!(net.ended(b, &cb), None);
}

#[test]
fn a_hold_reinvite_refreshes_the_session_too() {
    let (mut net, a, b) = two();
    net.fault = Box::new(|to, text| match to {
        Dest::Proxy { from: 0 } if text.starts_with("UPDATE ") => Fault::Drop,
        _ => Fault::Deliver,
    });
    let (ca, cb) = net.connect_call(a, "1002", b);
    // The callee holds at 30 s: its re-INVITE and the 200 carry the session timer and restart
    // both sides' timers, so the caller's next refresh is due 45 s later, at 75 s.
    net.advance(30_000);
    net.with(b, |ua, now| ua.hold(now, &cb)).unwrap();
    net.drive();
    let reinvite = net.sent(b, "INVITE ").pop().unwrap();
    assert_eq!(
        header(&reinvite, "Session-Expires"),
        Some("90;refresher=uas"),
        "the caller still refreshes"
    );
    let ok = responses(&net, a, 200, "INVITE").pop().unwrap();
    assert_eq!(
        header(&ok, "Session-Expires"),
        Some("90;refresher=uas"),
        "the caller (the UAS here)"
    );
    net.advance(44_000);
    assert!(net.sent(a, "UPDATE ").is_empty(), "not at 45 s any more");
    net.advance(2_000);
    assert_eq!(net.sent(a, "UPDATE ").len(), 1);
    // That refresh is lost: the callee's expiry counts from the 200 to its re-INVITE
    // (30 + 60 s), not from the answer (60 s).
    net.advance(9_000);
    assert_eq!(net.ended(a, &ca), None);
    assert_eq!(net.ended(b, &cb), None);
    net.advance(6_000);
    assert_eq!(net.ended(b, &cb), Some((EndCause::Failed, Some(408))));
}
