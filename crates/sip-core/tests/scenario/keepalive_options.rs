//! Keepalive against servers that ignore CRLF pings (RFC 7118 defines no keepalive): a
//! flow that never answered a ping falls back to OPTIONS probes instead of being dropped,
//! a flow that answered one keeps the fatal ping, and every new flow learns anew.

use std::collections::HashSet;

use sip_core::message::{self, HeaderName, Method};
use sip_core::ua::{CallState, Event, Input, KeepalivePolicy};

use crate::harness::{config, Fault, Net};
use crate::keepalive::{disconnects, hear_a_pong, pings, time_to_disconnect};
use crate::proxy::DOMAIN;

fn options(net: &Net, i: usize) -> Vec<String> {
    net.sent(i, "OPTIONS ")
}

/// A proxy that ignores pings and answers an OPTIONS to its domain with `status`
/// (`None`: routed like any request, so 404).
fn deaf_to_pings(status: Option<(u16, &'static str)>) -> Net {
    let mut net = Net::new();
    net.proxy.answer_pings = false;
    net.proxy.options_status = status;
    net
}

/// Checks every OPTIONS probe phone `i` sent is a well-formed out-of-dialog request to
/// the registrar domain from and to the phone's AOR, each a new transaction and Call-ID.
fn assert_well_formed_probes(net: &Net, i: usize, user: &str) {
    let sent = options(net, i);
    let register = net.sent(i, "REGISTER ");
    let register_call_id = message::parse(&register[0]).unwrap().call_id().to_owned();
    let mut call_ids = HashSet::new();
    let mut branches = HashSet::new();
    let aor = format!("sip:{user}@{DOMAIN}");
    for text in &sent {
        let msg = message::parse(text)
            .unwrap_or_else(|e| panic!("an OPTIONS probe parses: {e:?}\n{text}"));
        assert_eq!(msg.method(), Some(Method::Options));
        assert_eq!(
            msg.request_uri(),
            Some(&format!("sip:{DOMAIN}")[..]),
            "same request-URI as the REGISTER"
        );
        assert_eq!(msg.from().uri, aor);
        assert!(
            msg.from().tag().is_some_and(|t| !t.is_empty()),
            "From carries a tag"
        );
        assert_eq!(msg.to().uri, aor);
        assert_eq!(msg.to().tag(), None, "out of dialog");
        assert_eq!(msg.max_forwards(), Some(70));
        let cseq = msg.cseq();
        assert_eq!((cseq.seq, cseq.method), (1, Method::Options));
        let via = msg.top_via().expect("a Via");
        assert_eq!(via.transport, "WSS");
        assert!(via.host.ends_with(".invalid"));
        let branch = via.branch().expect("a branch").to_owned();
        assert!(branch.starts_with("z9hG4bK"), "{branch}");
        assert!(branches.insert(branch), "a new transaction per probe");
        assert_ne!(msg.call_id(), register_call_id);
        assert!(
            call_ids.insert(msg.call_id().to_owned()),
            "a new Call-ID per probe"
        );
        assert!(msg.header(HeaderName::CallId).is_some());
        assert_eq!(msg.body(), "");
    }
}

/// Ten idle minutes and five minutes of a call against a server that ignores pings: no
/// reconnect, the probes are OPTIONS and the server's answer (`status`) keeps the flow.
fn survives_idle_and_a_call(status: Option<(u16, &'static str)>) {
    let mut net = deaf_to_pings(status);
    let a = net.phone("1001");
    let b = net.phone("1002");
    net.take_events(a);
    let policy = KeepalivePolicy::default();

    net.advance(600_000);
    assert_eq!(
        disconnects(&net, a),
        0,
        "an ignored ping is not fatal: {:?}",
        net.events(a)
    );
    assert_eq!(net.phones[a].closes, 0);
    assert_eq!(net.phones[a].connects.len(), 1, "no reconnect");
    assert!(net.phones[a].ua.is_registered());
    // The ping at connect goes unanswered (the REGISTER's answers prove the flow, so that is
    // not fatal); a timeout without its pong makes the first probe after the idle interval
    // an OPTIONS already.
    assert_eq!(
        pings(&net, a),
        1,
        "the ignored ping at connect switches the flow to OPTIONS"
    );
    let probes = options(&net, a).len();
    // About one per idle interval plus timeout, then per idle interval.
    let per_interval = (600_000 / policy.idle_interval) as usize;
    assert!(
        (per_interval - 4..=per_interval + 1).contains(&probes),
        "OPTIONS probes in 10 idle minutes: {probes}"
    );
    assert!(
        net.phones[a].ua.debug_sizes().clients <= 1,
        "answered probes are not kept: {:?}",
        net.phones[a].ua.debug_sizes()
    );
    assert!(
        !net.events(a)
            .iter()
            .any(|e| matches!(e, Event::Error { .. } | Event::RegistrationFailed { .. })),
        "probe answers are not reported: {:?}",
        net.events(a)
    );

    let (ca, cb) = net.connect_call(a, "1002", b);
    let invites = net.sent(a, "INVITE ").len();
    let before = options(&net, a).len();
    net.advance(300_000);
    let during = options(&net, a).len() - before;
    assert!(
        during >= 300_000 / (policy.call_interval + 1_000) as usize,
        "probes at the call interval: {during}"
    );
    assert_eq!(
        disconnects(&net, a) + disconnects(&net, b),
        0,
        "no reconnect during the call"
    );
    assert_eq!(net.sent(a, "INVITE ").len(), invites, "no re-INVITE");
    assert_eq!(net.state(a, &ca), Some(CallState::Active));
    assert_eq!(net.state(b, &cb), Some(CallState::Active));
    assert!(net.ended(a, &ca).is_none() && net.ended(b, &cb).is_none());
    assert_well_formed_probes(&net, a, "1001");
    assert_well_formed_probes(&net, b, "1002");
}

#[test]
fn a_server_ignoring_pings_but_answering_options_200_keeps_the_flow() {
    survives_idle_and_a_call(Some((200, "OK")));
}

#[test]
fn a_405_to_the_options_probe_also_proves_the_flow() {
    survives_idle_and_a_call(Some((405, "Method Not Allowed")));
}

#[test]
fn a_404_to_the_options_probe_also_proves_the_flow() {
    survives_idle_and_a_call(None);
}

#[test]
fn a_challenged_options_probe_proves_the_flow_and_is_not_retried() {
    let mut net = deaf_to_pings(Some((407, "Proxy Authentication Required")));
    let a = net.phone("1001");
    net.advance(120_000);
    assert_eq!(disconnects(&net, a), 0);
    let probes = options(&net, a);
    assert!(probes.len() >= 3);
    assert!(
        probes.iter().all(|p| !p.contains("Authorization:")),
        "no credentials on a probe"
    );
    assert!(
        net.phones[a]
            .received
            .iter()
            .any(|m| m.starts_with("SIP/2.0 407") && m.contains("Proxy-Authenticate: Digest")),
        "the server really challenged"
    );
    let call_ids: HashSet<String> = probes
        .iter()
        .map(|p| message::parse(p).unwrap().call_id().to_owned())
        .collect();
    assert_eq!(
        call_ids.len(),
        probes.len(),
        "one request per probe: the challenge was not answered"
    );
}

#[test]
fn a_silent_server_is_dead_after_the_ping_and_the_options_deadlines() {
    let mut net = Net::new();
    net.proxy.answer_pings = false;
    let a = net.phone("1001");
    net.take_events(a);
    net.freeze(a);
    let policy = KeepalivePolicy::default();
    let detected = time_to_disconnect(&mut net, a, 120_000);
    let expected = policy.idle_interval + policy.timeout;
    assert!(
        detected + 200 >= expected && detected <= expected + 200,
        "idle interval + timeout: the ping at connect taught the flow its probe: {detected} ms"
    );
    assert_eq!(pings(&net, a), 1, "the ping at connect, ignored");
    assert_eq!(
        options(&net, a).len(),
        1,
        "then one OPTIONS after the idle interval"
    );
    assert_eq!(net.phones[a].closes, 1, "the dead socket was dropped");

    net.advance(3_000);
    assert!(
        net.phones[a].ua.is_registered(),
        "registered again on a new flow"
    );
    assert_eq!(net.phones[a].connects.len(), 2);
    assert_eq!(
        options(&net, a).len(),
        1,
        "the dead flow's OPTIONS is not resent on the new one"
    );
    assert_eq!(net.phones[a].ua.debug_sizes().clients, 0, "nor kept");
    let names: Vec<&str> = net.events(a).iter().map(Event::name).collect();
    assert_eq!(
        names,
        [
            "disconnected",
            "registeredChange",
            "connected",
            "registeredChange"
        ]
    );
}

#[test]
fn a_silent_server_during_a_call_is_dead_after_both_deadlines_and_the_call_is_kept() {
    let mut net = Net::new();
    net.proxy.answer_pings = false;
    let a = net.phone("1001");
    let b = net.phone("1002");
    let (ca, _cb) = net.connect_call(a, "1002", b);
    net.freeze(a);
    let policy = KeepalivePolicy::default();
    let detected = time_to_disconnect(&mut net, a, 60_000);
    assert!(
        detected <= policy.call_interval + policy.timeout + 200,
        "the probe was an OPTIONS at once, with one deadline: {detected} ms"
    );
    assert!(detected > policy.call_interval, "{detected} ms");
    assert_eq!(pings(&net, a), 1, "only the ping at connect");
    assert_eq!(options(&net, a).len(), 1, "the probe was an OPTIONS");
    net.advance(3_000);
    assert_eq!(
        net.state(a, &ca),
        Some(CallState::Active),
        "the call survives the reconnect"
    );
}

#[test]
fn a_server_that_answered_a_ping_then_went_silent_is_dead_after_one_timeout() {
    let mut net = Net::new();
    let a = net.phone("1001");
    hear_a_pong(&mut net, a);
    net.freeze(a);
    let policy = KeepalivePolicy::default();
    let detected = time_to_disconnect(&mut net, a, 60_000);
    assert!(
        detected <= policy.idle_interval + policy.timeout + 200,
        "{detected} ms"
    );
    assert_eq!(
        options(&net, a).len(),
        0,
        "no OPTIONS fallback once the flow answered a ping"
    );
}

#[test]
fn an_options_flow_that_goes_silent_is_dead_after_one_timeout() {
    let mut net = deaf_to_pings(Some((200, "OK")));
    let a = net.phone("1001");
    // The first idle ping goes unanswered and an OPTIONS follows its timeout.
    let policy = KeepalivePolicy::default();
    net.advance(policy.idle_interval + policy.timeout + 1_000);
    assert_eq!(options(&net, a).len(), 1, "the flow probes with OPTIONS");
    net.freeze(a);
    let policy = KeepalivePolicy::default();
    let detected = time_to_disconnect(&mut net, a, 60_000);
    assert!(
        detected <= policy.idle_interval + policy.timeout + 200,
        "{detected} ms"
    );
    assert_eq!(
        pings(&net, a),
        1,
        "no ping on an OPTIONS flow after the one that taught it"
    );
}

#[test]
fn network_change_probes_with_the_flows_mode() {
    let mut net = deaf_to_pings(Some((200, "OK")));
    let a = net.phone("1001");
    // The first idle ping goes unanswered and an OPTIONS follows its timeout.
    let policy = KeepalivePolicy::default();
    net.advance(policy.idle_interval + policy.timeout + 1_000);
    let (pings_before, options_before) = (pings(&net, a), options(&net, a).len());
    net.with(a, |ua, now| ua.handle_input(now, Input::NetworkChanged));
    assert_eq!(
        options(&net, a).len(),
        options_before + 1,
        "an OPTIONS at once"
    );
    assert_eq!(pings(&net, a), pings_before);
    net.freeze(a);
    let detected = time_to_disconnect(&mut net, a, 20_000);
    assert!(
        detected <= KeepalivePolicy::default().timeout + 100,
        "{detected} ms"
    );
}

#[test]
fn every_new_flow_learns_its_probe_again() {
    // A server that answers pings: the flow learns it, then the transport flickers and the
    // server behind the new flow ignores pings. The first ignored ping there must not be
    // fatal, as the new flow has not answered one yet.
    let mut net = Net::new();
    let a = net.phone("1001");
    hear_a_pong(&mut net, a);
    net.proxy.answer_pings = false;
    net.proxy.options_status = Some((200, "OK"));
    net.cut(a);
    net.advance(3_000);
    assert!(net.phones[a].ua.is_registered());
    net.advance(120_000);
    assert_eq!(disconnects(&net, a), 1, "only the cut: {:?}", net.events(a));
    assert!(
        !options(&net, a).is_empty(),
        "the new flow fell back to OPTIONS"
    );

    // And back: a flow on OPTIONS is cut, the server answers pings again; the new flow
    // probes with a ping first.
    net.proxy.answer_pings = true;
    net.cut(a);
    net.advance(3_000);
    let (pings_before, options_before) = (pings(&net, a), options(&net, a).len());
    net.advance(60_000);
    assert!(pings(&net, a) > pings_before, "the new flow pings");
    assert_eq!(
        options(&net, a).len(),
        options_before,
        "and needs no OPTIONS"
    );
    assert_eq!(disconnects(&net, a), 2);
}

#[test]
fn an_unanswered_options_probe_ends_nothing_before_its_deadline() {
    // A probe bound above Timer F (32 s): the OPTIONS transaction times out first, which
    // must end no call or registration and tell the application nothing.
    let mut net = Net::new();
    net.proxy.answer_pings = false;
    let mut cfg = config("1001");
    cfg.keepalive = Some(KeepalivePolicy {
        idle_interval: 25_000,
        call_interval: 10_000,
        timeout: 40_000,
    });
    let a = net.add(cfg);
    net.start(a);
    net.drive();
    assert!(net.phones[a].ua.is_registered());
    net.take_events(a);
    net.freeze(a);
    net.advance(25_000 + 40_000 + 35_000);
    assert_eq!(options(&net, a).len(), 1, "the OPTIONS went out");
    assert!(
        net.events(a).is_empty(),
        "Timer F of the probe is silent: {:?}",
        net.events(a)
    );
    assert!(net.phones[a].ua.is_registered());
    assert_eq!(
        net.phones[a].ua.debug_sizes().clients,
        0,
        "the timed-out probe is dropped"
    );
    net.advance(10_000);
    assert_eq!(
        disconnects(&net, a),
        1,
        "the probe's own deadline is what ends the flow"
    );
}

#[test]
fn shutdown_does_not_wait_for_a_probe() {
    let mut net = deaf_to_pings(Some((200, "OK")));
    // The server loses OPTIONS: a probe stays in flight.
    net.fault = Box::new(|_, text: &str| {
        if text.starts_with("OPTIONS ") {
            Fault::Drop
        } else {
            Fault::Deliver
        }
    });
    let a = net.phone("1001");
    net.advance(30_500);
    assert_eq!(options(&net, a).len(), 1, "a probe is in flight");
    net.take_events(a);
    net.with(a, |ua, now| ua.shutdown(now));
    net.advance(100);
    assert!(
        net.events(a).iter().any(|e| matches!(e, Event::Destroyed)),
        "destroyed once the un-REGISTER was answered, not after the grace: {:?}",
        net.events(a)
    );
}

#[test]
fn the_ping_at_connect_teaches_the_flow_so_a_silent_death_takes_one_timeout() {
    // A server that answers pings, a flow frozen right after it registered (no idle interval
    // has passed, so only the ping sent at connect can have been answered).
    let mut net = Net::new();
    let a = net.phone("1001");
    assert_eq!(net.proxy.pings, 1, "the ping at connect reached the server");
    net.freeze(a);
    let policy = KeepalivePolicy::default();
    let detected = time_to_disconnect(&mut net, a, 60_000);
    assert!(
        detected <= policy.idle_interval + policy.timeout + 200,
        "idle interval + one timeout: {detected} ms"
    );
    assert_eq!(
        options(&net, a).len(),
        0,
        "no OPTIONS on a flow that answered its ping"
    );
}
