//! `Ua::ping`, the signalling round trip of the SDK's preflight: an OPTIONS to the registrar
//! domain whose answer, any status, is an `Event::Pong` with the time it took.

use sip_core::message::{self, Method};
use sip_core::ua::{CommandError, Event};

use crate::harness::{Dest, Fault, Net};
use crate::proxy::DOMAIN;

fn pongs(net: &Net, i: usize) -> Vec<(u16, u64)> {
    net.events(i)
        .iter()
        .filter_map(|e| match e {
            Event::Pong {
                id: None,
                status,
                rtt_ms,
            } => Some((*status, *rtt_ms)),
            _ => None,
        })
        .collect()
}

#[test]
fn ping_reports_the_status_and_the_round_trip_on_the_virtual_clock() {
    let mut net = Net::new();
    net.proxy.options_status = Some((200, "OK"));
    let a = net.phone("1001");
    net.take_events(a);
    let before = net.sent(a, "OPTIONS ").len();
    net.with(a, |ua, now| ua.ping(now)).unwrap();
    net.drive();
    // 10 ms each way through the in-test network.
    assert_eq!(pongs(&net, a), vec![(200, 20)]);
    let sent = net.sent(a, "OPTIONS ");
    assert_eq!(sent.len(), before + 1, "one OPTIONS");
    let msg = message::parse(sent.last().unwrap()).unwrap();
    assert_eq!(msg.method(), Some(Method::Options));
    assert_eq!(msg.request_uri(), Some(&format!("sip:{DOMAIN}")[..]));

    // A slower network is a longer round trip.
    net.latency = 150;
    net.with(a, |ua, now| ua.ping(now)).unwrap();
    net.drive();
    assert_eq!(pongs(&net, a), vec![(200, 20), (200, 300)]);
}

#[test]
fn any_answer_proves_the_server_reached() {
    // The default proxy routes an OPTIONS to its domain like any request: 404.
    let mut net = Net::new();
    let a = net.phone("1001");
    net.take_events(a);
    net.with(a, |ua, now| ua.ping(now)).unwrap();
    net.drive();
    assert_eq!(pongs(&net, a), vec![(404, 20)]);
}

#[test]
fn ping_without_a_connection_is_refused_and_sends_nothing() {
    let mut net = Net::new();
    let a = net.add(crate::harness::config("1001"));
    assert_eq!(
        net.with(a, |ua, now| ua.ping(now)),
        Err(CommandError::NotConnected)
    );
    assert!(net.sent(a, "OPTIONS ").is_empty());
    assert!(pongs(&net, a).is_empty());
}

#[test]
fn an_unanswered_ping_reports_nothing_and_harms_nothing() {
    let mut net = Net::new();
    net.proxy.options_status = Some((200, "OK"));
    let a = net.phone("1001");
    net.take_events(a);
    net.fault = Box::new(|to, text| match to {
        Dest::Proxy { .. } if text.starts_with("OPTIONS ") => Fault::Drop,
        _ => Fault::Deliver,
    });
    net.with(a, |ua, now| ua.ping(now)).unwrap();
    // Past Timer F (32 s): the caller's deadline, not the core, says "unreachable".
    net.advance(40_000);
    assert!(pongs(&net, a).is_empty());
    assert!(
        !net.events(a)
            .iter()
            .any(|e| matches!(e, Event::Error { .. } | Event::Disconnected)),
        "{:?}",
        net.events(a)
    );
    assert!(net.phones[a].ua.is_registered());
}
