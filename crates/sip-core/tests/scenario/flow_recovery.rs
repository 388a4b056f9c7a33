//! A call whose route set names a flow that died moves to a new dialog (RFC 3891 Replaces,
//! decision 0007): behind an RFC 5626 edge (the proxy's `edge` mode puts a flow token in
//! Record-Route), after a WebSocket cut or an edge restart, whichever side hangs up later.

use sip_core::ua::{CallId, CallState, EndCause, ErrorScope, Event, MediaCommand};

use crate::harness::{response_to, Dest, Fault, Net};

/// Two registered phones behind an edge (`edge`) or a plain proxy.
fn two(edge: bool) -> (Net, usize, usize) {
    let mut net = Net::new();
    net.proxy.edge = edge;
    let a = net.phone("1001");
    let b = net.phone("1002");
    (net, a, b)
}

fn header<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.split("\r\n")
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
}

/// The INVITEs with Replaces phone `i` sent.
fn moves(net: &Net, i: usize) -> Vec<String> {
    net.sent(i, "INVITE ")
        .into_iter()
        .filter(|m| header(m, "Replaces").is_some())
        .collect()
}

/// The live calls of phone `i`.
fn live(net: &Net, i: usize) -> Vec<CallId> {
    net.phones[i]
        .ua
        .calls()
        .filter(|c| c.state != CallState::Ended)
        .map(|c| c.id.clone())
        .collect()
}

fn ended_count(net: &Net, i: usize) -> usize {
    net.events(i)
        .iter()
        .filter(|e| matches!(e, Event::SessionEnded { .. }))
        .count()
}

/// The SIP Call-ID of the first INVITE phone `i` sent.
fn first_call_id(net: &Net, i: usize) -> String {
    header(&net.sent(i, "INVITE ")[0], "Call-ID")
        .unwrap()
        .to_owned()
}

/// The 2xx `text` turned into a bodiless `status` (as a proxy on the way would answer).
fn as_status(text: &str, status: u16) -> String {
    let head = text.split("\r\n\r\n").next().unwrap_or(text);
    let mut out = format!("SIP/2.0 {status} Refused\r\n");
    for l in head.split("\r\n").skip(1) {
        let lower = l.to_ascii_lowercase();
        if !(lower.starts_with("content-") || lower.starts_with("contact")) {
            out.push_str(l);
            out.push_str("\r\n");
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

/// The first 2xx to phone `i`'s re-INVITEs (CSeq above 1, no Replaces) becomes `status`.
fn refuse_refresh(net: &mut Net, i: usize, status: u16) {
    let mut done = false;
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(p)
            if p == i
                && !done
                && text.starts_with("SIP/2.0 2")
                && header(text, "CSeq")
                    .is_some_and(|c| c.ends_with(" INVITE") && !c.starts_with("1 ")) =>
        {
            done = true;
            Fault::Rewrite(as_status(text, status))
        }
        _ => Fault::Deliver,
    });
}

#[test]
fn behind_an_edge_a_cut_caller_moves_its_call_to_a_new_dialog() {
    let (mut net, a, b) = two(true);
    let (ca, cb) = net.connect_call(a, "1002", b);
    let old = first_call_id(&net, a);
    net.with(a, |ua, now| ua.mute(now, &ca)).unwrap();
    net.take_events(a);
    net.cut(a);
    net.advance(3_000);
    assert!(net.phones[a].ua.is_registered());
    // The re-INVITE announcing the new flow took the old route: the edge refused it.
    assert!(net.phones[a]
        .received
        .iter()
        .any(|m| m.starts_with("SIP/2.0 430") && m.contains(" INVITE\r\n")));
    let sent = moves(&net, a);
    assert_eq!(sent.len(), 1, "one move");
    let m = &sent[0];
    let tag_b = net.phones[b]
        .sent
        .iter()
        .find(|t| t.starts_with("SIP/2.0 200") && t.contains(&old))
        .and_then(|t| header(t, "To"))
        .and_then(|t| t.split(";tag=").nth(1))
        .unwrap()
        .to_owned();
    let replaces = header(m, "Replaces").unwrap();
    assert!(
        replaces.starts_with(&format!("{old};to-tag={tag_b};from-tag=")),
        "{replaces}"
    );
    assert_eq!(header(m, "Require"), Some("replaces"));
    assert!(m.starts_with("INVITE sip:1002@"), "to the peer's AoR: {m}");
    assert_ne!(header(m, "Call-ID"), Some(&old[..]), "a new dialog");
    assert_eq!(
        net.sent(a, "INVITE ").len(),
        3,
        "the call's INVITE, the refresh, the move"
    );
    // The media layer re-offered with new ICE credentials and applied the new answer.
    let log = &net.phones[a].media.log;
    let reoffer = log.iter().rposition(|(_, c)| {
        matches!(
            c,
            MediaCommand::CreateReoffer {
                ice_restart: true,
                ..
            }
        )
    });
    let applied = log
        .iter()
        .rposition(|(_, c)| matches!(c, MediaCommand::ApplyAnswer { .. }));
    assert!(reoffer.is_some() && applied > reoffer, "{log:?}");
    // The call kept its id, its state and its mute; nothing ended on our side.
    assert_eq!(ended_count(&net, a), 0, "{:?}", net.events(a));
    let info = net.phones[a].ua.call_info(&ca).unwrap().clone();
    assert_eq!(info.state, CallState::Active);
    assert!(info.muted);
    // The peer took the new dialog and ended the old one.
    assert_eq!(net.ended(b, &cb).map(|e| e.0), Some(EndCause::Transferred));
    let live_b = live(&net, b);
    assert_eq!(live_b.len(), 1);
    // Our hangup now reaches the peer.
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    let at = net.now;
    net.drive();
    assert_eq!(
        net.ended(b, &live_b[0]).map(|e| e.0),
        Some(EndCause::HangupRemote)
    );
    assert!(net.now.since(at) < 1_000);
    assert!(live(&net, b).is_empty() && live(&net, a).is_empty());
}

#[test]
fn after_the_move_the_peer_hangs_up_through_the_new_dialog() {
    let (mut net, a, b) = two(true);
    let (ca, _) = net.connect_call(a, "1002", b);
    net.cut(a);
    net.advance(3_000);
    let live_b = live(&net, b);
    assert_eq!(live_b.len(), 1);
    net.with(b, |ua, now| ua.hangup(now, &live_b[0])).unwrap();
    net.drive();
    assert_eq!(net.ended(a, &ca).map(|e| e.0), Some(EndCause::HangupRemote));
}

#[test]
fn without_a_move_the_old_route_set_is_dead_both_ways() {
    // The harness's edge behaves as the issue describes: after the cut, a request into the
    // old dialog from either side gets 430 (a BYE of the peer, sent before our move).
    let (mut net, a, b) = two(true);
    let (_, cb) = net.connect_call(a, "1002", b);
    net.phones[a].media.auto = true;
    net.reachable[a] = false;
    net.cut(a);
    net.drive();
    net.with(b, |ua, now| ua.hangup(now, &cb)).unwrap();
    net.drive();
    assert!(
        net.phones[b]
            .received
            .iter()
            .any(|m| m.starts_with("SIP/2.0 430") && m.contains(" BYE\r\n")),
        "the peer's BYE is refused by the edge"
    );
}

#[test]
fn a_callee_whose_route_names_the_peer_flow_only_refreshes() {
    // b called: the token names b's flow, which lives; our re-INVITE gets through.
    let (mut net, a, b) = two(true);
    let (_, ca) = net.connect_call(b, "1001", a);
    net.cut(a);
    net.advance(3_000);
    assert!(moves(&net, a).is_empty());
    assert_eq!(net.sent(a, "INVITE ").len(), 1, "the refresh re-INVITE");
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    net.with(b, |ua, now| {
        let id = ua.calls().next().unwrap().id.clone();
        ua.hangup(now, &id)
    })
    .unwrap();
    net.drive();
    assert_eq!(net.ended(a, &ca).map(|e| e.0), Some(EndCause::HangupRemote));
}

#[test]
fn a_callee_on_an_edge_with_a_new_secret_moves_after_403() {
    // Our flow moved to an edge that cannot read the old token (a restart or another edge
    // without the secret): the refresh gets 403, then the move.
    let (mut net, a, b) = two(true);
    let (_, ca) = net.connect_call(b, "1001", a);
    net.proxy.epoch += 1;
    net.cut(a);
    net.advance(3_000);
    assert!(net.phones[a]
        .received
        .iter()
        .any(|m| m.starts_with("SIP/2.0 403") && m.contains(" INVITE\r\n")));
    assert_eq!(moves(&net, a).len(), 1);
    assert_eq!(ended_count(&net, a), 0, "{:?}", net.events(a));
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    // Both ways after: the peer's hangup reaches us.
    let live_b = live(&net, b);
    assert_eq!(live_b.len(), 1);
    net.with(b, |ua, now| ua.hangup(now, &live_b[0])).unwrap();
    net.drive();
    assert_eq!(net.ended(a, &ca).map(|e| e.0), Some(EndCause::HangupRemote));
}

#[test]
fn an_edge_restart_moves_held_calls_and_keeps_them_held() {
    let (mut net, a, b) = two(true);
    let (ca, _) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| ua.hold(now, &ca)).unwrap();
    net.drive();
    assert_eq!(net.state(a, &ca), Some(CallState::Held));
    net.proxy.epoch += 1;
    net.cut(a);
    net.cut(b);
    net.advance(5_000);
    assert_eq!(moves(&net, a).len(), 1);
    let m = &moves(&net, a)[0];
    assert!(m.contains("a=sendonly"), "the move offers the hold again");
    assert_eq!(net.state(a, &ca), Some(CallState::Held));
    assert_eq!(ended_count(&net, a), 0);
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    assert!(live(&net, b).is_empty(), "the peer ended too");
}

#[test]
fn when_both_ends_move_after_an_edge_restart_the_caller_wins() {
    for (cut_first, later) in [(0, 1), (1, 0)] {
        let (mut net, a, b) = two(true);
        let (ca, cb) = net.connect_call(a, "1002", b);
        net.proxy.epoch += 1;
        let ends = [a, b];
        net.cut(ends[cut_first]);
        net.advance(200);
        net.cut(ends[later]);
        net.advance(20_000);
        // Both refreshes got 403; both ends sent an INVITE with Replaces.
        assert!(!moves(&net, a).is_empty() && !moves(&net, b).is_empty());
        assert_eq!(ended_count(&net, a), 0, "{:?}", net.events(a));
        assert_eq!(net.state(a, &ca), Some(CallState::Active));
        assert_eq!(
            net.ended(b, &cb).map(|e| e.0),
            Some(EndCause::Transferred),
            "{:?}",
            net.events(b)
        );
        let live_b = live(&net, b);
        assert_eq!(live_b.len(), 1, "one call at the callee");
        net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
        net.drive();
        assert!(live(&net, b).is_empty(), "the hangup reached the callee");
    }
}

#[test]
fn refresh_failures_430_and_481_move_the_call() {
    for status in [430, 481] {
        let (mut net, a, b) = two(false);
        let (ca, _) = net.connect_call(a, "1002", b);
        refuse_refresh(&mut net, a, status);
        net.cut(a);
        net.advance(3_000);
        assert_eq!(moves(&net, a).len(), 1, "{status}");
        assert_eq!(ended_count(&net, a), 0, "{status}: {:?}", net.events(a));
        assert_eq!(net.state(a, &ca), Some(CallState::Active));
        assert_eq!(live(&net, b).len(), 1);
    }
}

#[test]
fn a_refresh_that_times_out_after_a_reconnect_moves_the_call() {
    let (mut net, a, b) = two(false);
    let (ca, _) = net.connect_call(a, "1002", b);
    net.cut(a);
    net.drive();
    // The re-INVITE that announces the new flow is lost; the move is not.
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(p)
            if p == b && text.starts_with("INVITE ") && header(text, "Replaces").is_none() =>
        {
            Fault::Drop
        }
        _ => Fault::Deliver,
    });
    net.advance(40_000);
    assert_eq!(moves(&net, a).len(), 1);
    assert_eq!(ended_count(&net, a), 0, "{:?}", net.events(a));
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    let live_b = live(&net, b);
    assert_eq!(live_b.len(), 1);
    net.with(b, |ua, now| ua.dtmf(now, &live_b[0], "5"))
        .unwrap();
    net.drive();
    assert!(net
        .events(a)
        .iter()
        .any(|e| matches!(e, Event::Dtmf { tone: '5', .. })));
}

#[test]
fn a_refused_move_ends_the_call_with_its_status() {
    let (mut net, a, b) = two(true);
    let (ca, _) = net.connect_call(a, "1002", b);
    // The peer declines it (answered here for the peer, which would accept).
    net.fault = Box::new(move |to, text| match to {
        Dest::Proxy { from } if from == a && header(text, "Replaces").is_some() => Fault::Drop,
        _ => Fault::Deliver,
    });
    net.cut(a);
    net.drive_until_move(a);
    let invite = moves(&net, a).pop().unwrap();
    net.deliver_to(a, response_to(&invite, 603, "x", None).unwrap());
    net.advance(3_000);
    assert_eq!(net.ended(a, &ca), Some((EndCause::Failed, Some(603))));
    assert!(net.events(a).iter().any(|e| matches!(
        e,
        Event::Error {
            scope: ErrorScope::Call,
            detail
        } if detail.contains("moved")
    )));
    assert!(net.phones[a]
        .media
        .log
        .iter()
        .any(|(_, c)| *c == MediaCommand::Close));
}

#[test]
fn a_peer_not_registered_again_yet_is_tried_for_about_10_s() {
    // Back after 4 s: the move succeeds on a later try.
    let (mut net, a, b) = two(true);
    let (ca, _) = net.connect_call(a, "1002", b);
    let binding = net
        .proxy
        .bindings
        .iter()
        .position(|x| x.phone == b)
        .unwrap();
    let saved = net.proxy.bindings.remove(binding);
    net.cut(a);
    net.advance(4_000);
    assert!(moves(&net, a).len() >= 2, "tried again");
    net.proxy.bindings.push(saved.clone());
    net.advance(3_000);
    assert_eq!(ended_count(&net, a), 0);
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    assert_eq!(live(&net, b).len(), 1);
    // Never back: the call ends once the tries are spent, with the last status.
    let (mut net, a, b) = two(true);
    let (ca, _) = net.connect_call(a, "1002", b);
    net.proxy.bindings.retain(|x| x.phone != b);
    net.cut(a);
    let at = net.now;
    net.advance(30_000);
    let (cause, status) = net.ended(a, &ca).unwrap();
    assert_eq!((cause, status), (EndCause::Failed, Some(404)));
    assert_eq!(moves(&net, a).len(), 8);
    let last = net
        .events(a)
        .iter()
        .position(|e| matches!(e, Event::SessionEnded { .. }))
        .unwrap();
    let _ = (last, at);
}

#[test]
fn a_peer_reinvite_while_the_move_is_out_gets_491() {
    let (mut net, a, b) = two(false);
    let (ca, cb) = net.connect_call(a, "1002", b);
    refuse_refresh(&mut net, a, 430);
    net.cut(a);
    net.drive();
    // Hold the move back on its way to the peer, which holds meanwhile.
    let fault = std::mem::replace(&mut net.fault, Box::new(|_, _| Fault::Deliver));
    let mut fault = fault;
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(p) if p == b && header(text, "Replaces").is_some() => Fault::Delay(300),
        _ => fault(to, text),
    });
    net.advance(30);
    while moves(&net, a).is_empty() {
        net.advance(5);
    }
    net.with(b, |ua, now| ua.hold(now, &cb)).unwrap();
    net.advance(2_000);
    assert!(net.phones[a]
        .sent
        .iter()
        .any(|m| m.starts_with("SIP/2.0 491") && m.contains(" INVITE\r\n")));
    assert_eq!(ended_count(&net, a), 0, "{:?}", net.events(a));
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    assert_eq!(live(&net, b).len(), 1);
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    assert!(live(&net, b).is_empty());
}

#[test]
fn a_hangup_while_the_move_is_out_ends_the_new_dialog_too() {
    let (mut net, a, b) = two(true);
    let (ca, _) = net.connect_call(a, "1002", b);
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(p) if p == b && header(text, "Replaces").is_some() => Fault::Delay(300),
        _ => Fault::Deliver,
    });
    net.cut(a);
    net.drive_until_move(a);
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.advance(2_000);
    assert_eq!(net.ended(a, &ca).map(|e| e.0), Some(EndCause::HangupLocal));
    assert!(
        live(&net, b).is_empty(),
        "the peer's new call was ended with BYE"
    );
}

trait UntilMove {
    fn drive_until_move(&mut self, i: usize);
}

impl UntilMove for Net {
    fn drive_until_move(&mut self, i: usize) {
        while moves(self, i).is_empty() {
            self.advance(5);
        }
    }
}

/// `text` without its body (Content-Type gone, Content-Length 0).
fn without_body(text: &str) -> String {
    let head = text.split("\r\n\r\n").next().unwrap_or(text);
    let mut out = String::new();
    for l in head.split("\r\n") {
        if !l.to_ascii_lowercase().starts_with("content-") {
            out.push_str(l);
            out.push_str("\r\n");
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

#[test]
fn a_move_answered_without_sdp_keeps_the_call_and_its_media() {
    // A 2xx without a body carries no answer (the same as for a re-INVITE): the new dialog
    // is taken and ACKed, the media layer is not handed an empty answer, the call goes on.
    let (mut net, a, b) = two(true);
    let (ca, _) = net.connect_call(a, "1002", b);
    let old = first_call_id(&net, a);
    let mut done = false;
    net.fault = Box::new(move |to, text| match to {
        Dest::Phone(p)
            if p == a
                && !done
                && text.starts_with("SIP/2.0 200")
                && header(text, "CSeq") == Some("1 INVITE")
                && header(text, "Call-ID") != Some(&old[..]) =>
        {
            done = true;
            Fault::Rewrite(without_body(text))
        }
        _ => Fault::Deliver,
    });
    net.cut(a);
    net.advance(3_000);
    assert_eq!(moves(&net, a).len(), 1, "one move");
    let log = &net.phones[a].media.log;
    let reoffer = log
        .iter()
        .rposition(|(_, c)| matches!(c, MediaCommand::CreateReoffer { .. }))
        .unwrap();
    assert!(
        !log[reoffer..]
            .iter()
            .any(|(_, c)| matches!(c, MediaCommand::ApplyAnswer { .. } | MediaCommand::Close)),
        "{log:?}"
    );
    // The fresh connection the move offered from is closed (rolled back); the call's stays.
    assert!(offer_steps(&net, a, 0).ends_with("rbFb"), "{log:?}");
    assert_eq!(ended_count(&net, a), 0, "{:?}", net.events(a));
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    let live_b = live(&net, b);
    assert_eq!(live_b.len(), 1);
    // The new dialog is the call's: the hangup reaches the peer through it.
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    assert_eq!(
        net.ended(b, &live_b[0]).map(|e| e.0),
        Some(EndCause::HangupRemote)
    );
}

/// Phone `i`'s offer/answer steps since its media log entry `from`, one letter each: `r` a
/// re-offer on the call's connection, `F` one from a fresh connection, `b` a rollback, `p` an
/// answer applied, `c` close.
fn offer_steps(net: &Net, i: usize, from: usize) -> String {
    net.phones[i].media.log[from..]
        .iter()
        .filter_map(|(_, c)| match c {
            MediaCommand::CreateReoffer { fresh: false, .. } => Some('r'),
            MediaCommand::CreateReoffer { fresh: true, .. } => Some('F'),
            MediaCommand::Rollback => Some('b'),
            MediaCommand::ApplyAnswer { .. } => Some('p'),
            MediaCommand::Close => Some('c'),
            _ => None,
        })
        .collect()
}

#[test]
fn only_the_move_offers_from_a_fresh_connection() {
    // Behind a plain proxy a cut needs only the refresh re-INVITE; hold and resume are
    // re-INVITEs too: all keep the call's connection.
    let (mut net, a, b) = two(false);
    let (ca, _) = net.connect_call(a, "1002", b);
    let from = net.phones[a].media.log.len();
    net.with(a, |ua, now| ua.hold(now, &ca)).unwrap();
    net.drive();
    net.with(a, |ua, now| ua.unhold(now, &ca)).unwrap();
    net.drive();
    net.cut(a);
    net.advance(3_000);
    assert!(moves(&net, a).is_empty());
    assert_eq!(offer_steps(&net, a, from), "rprprp");

    // Behind an edge the refresh fails and the move follows: only its offer is fresh, the
    // refused one is rolled back, and the answer of the move is applied to it.
    let (mut net, a, b) = two(true);
    let (ca, _) = net.connect_call(a, "1002", b);
    let from = net.phones[a].media.log.len();
    net.cut(a);
    net.advance(3_000);
    assert_eq!(moves(&net, a).len(), 1);
    assert_eq!(offer_steps(&net, a, from), "rbFp");
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
}

#[test]
fn each_try_of_a_move_offers_from_a_fresh_connection_and_a_refusal_rolls_it_back() {
    // The peer is not registered again for 4 s: each refused try (404) is rolled back (the
    // media layer closes that connection and keeps the call's), the next is fresh again.
    let (mut net, a, b) = two(true);
    let (ca, _) = net.connect_call(a, "1002", b);
    let binding = net
        .proxy
        .bindings
        .iter()
        .position(|x| x.phone == b)
        .unwrap();
    let saved = net.proxy.bindings.remove(binding);
    let from = net.phones[a].media.log.len();
    net.cut(a);
    net.advance(4_000);
    net.proxy.bindings.push(saved);
    net.advance(3_000);
    let tries = moves(&net, a).len();
    assert!(tries >= 2, "tried again");
    let steps = offer_steps(&net, a, from);
    assert_eq!(steps, format!("rb{}Fp", "Fb".repeat(tries - 1)));
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    // A move that fails for good: its connection goes with the call's (close).
    let (mut net, a, b) = two(true);
    let (ca, _) = net.connect_call(a, "1002", b);
    net.fault = Box::new(move |to, text| match to {
        Dest::Proxy { from } if from == a && header(text, "Replaces").is_some() => Fault::Drop,
        _ => Fault::Deliver,
    });
    let from = net.phones[a].media.log.len();
    net.cut(a);
    net.drive_until_move(a);
    let invite = moves(&net, a).pop().unwrap();
    net.deliver_to(a, response_to(&invite, 603, "x", None).unwrap());
    net.advance(3_000);
    assert_eq!(net.ended(a, &ca), Some((EndCause::Failed, Some(603))));
    assert_eq!(offer_steps(&net, a, from), "rbFbc");
}
