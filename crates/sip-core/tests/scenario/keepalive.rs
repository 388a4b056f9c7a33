//! Keepalive: a transport that dies silently (frames vanish, nothing closes) is detected
//! within the probe bound, and the reconnect path keeps registration and calls.

use sip_core::ua::{CallState, Event, Input, KeepalivePolicy};

use crate::harness::Net;

pub const PING: &str = "\r\n\r\n";

fn two() -> (Net, usize, usize) {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    (net, a, b)
}

pub fn pings(net: &Net, i: usize) -> usize {
    net.phones[i]
        .sent
        .iter()
        .filter(|m| m.as_str() == PING)
        .count()
}

pub fn disconnects(net: &Net, i: usize) -> usize {
    net.events(i)
        .iter()
        .filter(|e| matches!(e, Event::Disconnected))
        .count()
}

/// Advances in 100 ms steps until phone `i` hears a pong on its current flow, which
/// makes an unanswered ping fatal there (a flow that never answered one gets an OPTIONS
/// probe first: see `keepalive_options.rs`).
pub fn hear_a_pong(net: &mut Net, i: usize) {
    let pongs = |net: &Net| {
        net.phones[i]
            .received
            .iter()
            .filter(|m| m.as_str() == "\r\n")
            .count()
    };
    let before = pongs(net);
    let start = net.now;
    while pongs(net) == before {
        assert!(net.now.since(start) < 60_000, "no pong within 60 s");
        net.advance(100);
    }
}

/// Advances in 100 ms steps until phone `i` reports `Disconnected`; returns the ms it took.
pub fn time_to_disconnect(net: &mut Net, i: usize, limit: u64) -> u64 {
    let before = disconnects(net, i);
    let start = net.now;
    while net.now.since(start) < limit {
        net.advance(100);
        if disconnects(net, i) > before {
            return net.now.since(start);
        }
    }
    panic!("no disconnect within {limit} ms");
}

#[test]
fn silent_transport_mid_call_is_detected_then_reconnect_reregister_reinvite_keep_the_call() {
    let (mut net, a, b) = two();
    let (ca, cb) = net.connect_call(a, "1002", b);
    hear_a_pong(&mut net, a);
    let invites_before = net.sent(a, "INVITE ").len();
    let registers_before = net.proxy.registers.len();
    let closes_before = net.phones[a].closes;
    net.take_events(a);

    net.freeze(a);
    let policy = KeepalivePolicy::default();
    let detected = time_to_disconnect(&mut net, a, 60_000);
    assert!(
        detected >= policy.timeout && detected <= policy.call_interval + policy.timeout + 200,
        "a call's silent transport is detected within interval + timeout: {detected} ms"
    );
    assert_eq!(
        net.phones[a].closes,
        closes_before + 1,
        "the UA asked the driver to drop the dead socket"
    );
    assert!(pings(&net, a) >= 1, "a probe went out");

    net.advance(3_000);
    let events = net.take_events(a);
    let names: Vec<&str> = events.iter().map(Event::name).collect();
    assert_eq!(
        names
            .iter()
            .copied()
            .filter(|n| *n != "callUpdated")
            .take(4)
            .collect::<Vec<_>>(),
        [
            "disconnected",
            "registeredChange",
            "connected",
            "registeredChange"
        ],
        "{names:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::SessionEnded { .. })),
        "the call was kept: {names:?}"
    );
    assert!(
        net.phones[a].ua.is_registered(),
        "registered again on the new flow"
    );
    assert!(
        net.proxy.registers.len() > registers_before,
        "a REGISTER on the new flow"
    );
    assert_eq!(
        net.sent(a, "INVITE ").len(),
        invites_before + 1,
        "the call was re-INVITEd"
    );
    assert!(
        net.events(b)
            .iter()
            .any(|e| matches!(e, Event::CallUpdated(_)))
            || net.state(b, &cb) == Some(CallState::Active)
    );
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    assert_eq!(net.state(b, &cb), Some(CallState::Active));

    // The call's signalling works over the new flow.
    net.with(b, |ua, now| ua.hangup(now, &cb)).unwrap();
    net.drive();
    assert!(
        net.ended(a, &ca).is_some(),
        "the far end's BYE arrived over the new flow"
    );
}

#[test]
fn idle_silent_transport_is_detected_within_the_idle_interval_and_registration_recovers() {
    let mut net = Net::new();
    let a = net.phone("1001");
    hear_a_pong(&mut net, a);
    net.take_events(a);
    net.freeze(a);
    let policy = KeepalivePolicy::default();
    let detected = time_to_disconnect(&mut net, a, 120_000);
    assert!(
        detected > policy.call_interval + policy.timeout
            && detected <= policy.idle_interval + policy.timeout + 200,
        "idle: probed at the idle interval: {detected} ms"
    );
    net.advance(3_000);
    assert!(net.phones[a].ua.is_registered(), "registered again");
    assert!(net.phones[a].connects.len() >= 2, "a new flow was opened");
}

#[test]
fn answered_probes_keep_a_quiet_transport_open() {
    let mut net = Net::new();
    let a = net.phone("1001");
    net.take_events(a);
    let policy = KeepalivePolicy::default();
    net.advance(policy.idle_interval - 1_000);
    assert_eq!(
        pings(&net, a),
        1,
        "one ping at connect, to learn that the server answers pings; none until the idle interval"
    );
    net.advance(100_000);
    let sent = pings(&net, a);
    let per_interval = 1 + (100_000 / policy.idle_interval) as usize;
    assert!(
        (per_interval..=per_interval + 1).contains(&sent),
        "then one probe per quiet idle interval: {sent}"
    );
    assert_eq!(net.proxy.pings, sent, "each probe reached the server");
    assert_eq!(
        disconnects(&net, a),
        0,
        "answered probes keep the transport"
    );
    assert_eq!(net.phones[a].closes, 0);
    assert!(net.phones[a].ua.is_registered());
}

#[test]
fn probes_run_more_often_during_a_call() {
    let (mut net, a, b) = two();
    let _call = net.connect_call(a, "1002", b);
    let before = pings(&net, a);
    net.advance(60_000);
    let sent = pings(&net, a) - before;
    let expected = (60_000 / KeepalivePolicy::default().call_interval) as usize;
    assert!(
        (expected - 1..=expected + 1).contains(&sent),
        "a probe per quiet call interval: {sent}"
    );
    assert_eq!(disconnects(&net, a), 0);
}

#[test]
fn no_probe_while_frames_flow() {
    let (mut net, a, b) = two();
    let (ca, _cb) = net.connect_call(a, "1002", b);
    let before_a = pings(&net, a);
    // a sends a tone a second before each probe would be due: a hears the 200s, b hears
    // the INFOs, so neither probes.
    let step = KeepalivePolicy::default().call_interval - 1_000;
    for _ in 0..60_000 / step {
        net.with(a, |ua, now| ua.dtmf(now, &ca, "5")).unwrap();
        net.advance(step);
    }
    assert_eq!(
        pings(&net, a),
        before_a,
        "traffic from the server proves the flow"
    );
    assert_eq!(disconnects(&net, a), 0);
}

#[test]
fn network_change_probes_at_once() {
    let mut net = Net::new();
    let a = net.phone("1001");
    hear_a_pong(&mut net, a);
    net.advance(3_000);
    net.freeze(a);
    net.take_events(a);
    let before = pings(&net, a);
    net.with(a, |ua, now| ua.handle_input(now, Input::NetworkChanged));
    assert_eq!(pings(&net, a), before + 1, "probed at once");
    let detected = time_to_disconnect(&mut net, a, 20_000);
    assert!(
        detected <= KeepalivePolicy::default().timeout + 100,
        "detected within the bound: {detected} ms"
    );
    net.advance(3_000);
    assert!(net.phones[a].ua.is_registered());

    // On a live flow the same input costs one answered probe and nothing else.
    net.with(a, |ua, now| ua.handle_input(now, Input::NetworkChanged));
    net.advance(6_000);
    assert_eq!(disconnects(&net, a), 1);
}

#[test]
fn network_change_skips_the_reconnect_backoff() {
    let mut net = Net::new();
    let a = net.phone("1001");
    net.reachable[a] = false;
    net.cut(a);
    net.advance(40_000);
    let attempts = net.phones[a].connects.len();
    net.reachable[a] = true;
    net.with(a, |ua, now| ua.handle_input(now, Input::NetworkChanged));
    assert_eq!(
        net.phones[a].connects.len(),
        attempts + 1,
        "connects at once"
    );
    net.drive();
    assert!(net.phones[a].ua.is_registered());
}

#[test]
fn keepalive_can_be_turned_off() {
    let mut net = Net::new();
    let mut config = crate::harness::config("1001");
    config.keepalive = None;
    let a = net.add(config);
    net.start(a);
    net.drive();
    net.freeze(a);
    net.advance(120_000);
    assert_eq!(pings(&net, a), 0);
    assert_eq!(
        disconnects(&net, a),
        0,
        "without probes a silent death goes unnoticed"
    );
}

/// The promise of the defaults: a flow that dies silently just after a frame from the server
/// (the worst case) is noticed within 20 s while idle and 10 s during a call, whether the
/// server answers CRLF pings or only OPTIONS.
#[test]
fn a_silent_death_is_noticed_within_20_s_idle_and_10_s_in_a_call() {
    for answers_pings in [true, false] {
        for in_call in [false, true] {
            let mut net = Net::new();
            net.proxy.answer_pings = answers_pings;
            net.proxy.options_status = Some((200, "OK"));
            let a = net.phone("1001");
            let b = net.phone("1002");
            if in_call {
                net.connect_call(a, "1002", b);
            }
            // Past the ping at connect and its deadline: the flow has learned its probe.
            net.advance(KeepalivePolicy::default().timeout + 100);
            // The flow dies just after a frame (whatever comes next: an answer to a probe,
            // most likely): the longest a death can go unnoticed.
            let heard = net.phones[a].received.len();
            while net.phones[a].received.len() == heard {
                net.advance(10);
            }
            net.freeze(a);
            let detected = time_to_disconnect(&mut net, a, 60_000);
            let bound = if in_call { 10_000 } else { 20_000 };
            assert!(
                detected <= bound,
                "answers pings: {answers_pings}, in a call: {in_call}: {detected} ms > {bound} ms"
            );
        }
    }
}
