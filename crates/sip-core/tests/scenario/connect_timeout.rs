//! Connects that never get an answer (a network dropping packets silently) are abandoned
//! after the connect timeout and fail over like refused ones.

use sip_core::ua::{ErrorScope, Event, Input};

use crate::harness::{config, Net};

const EDGE1: &str = "wss://edge1.test/ws";
const EDGE2: &str = "wss://edge2.test/ws";

fn transport_errors(net: &Net, i: usize) -> Vec<String> {
    net.events(i)
        .iter()
        .filter_map(|e| match e {
            Event::Error {
                scope: ErrorScope::Transport,
                detail,
            } => Some(detail.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn hanging_first_server_is_abandoned_and_the_second_registers() {
    let mut net = Net::new();
    net.hang.push(EDGE1.into());
    let a = net.add(config("1001"));
    net.start(a);
    net.advance(9_900);
    assert!(!net.phones[a].ua.is_connected(), "still waiting for edge1");
    assert!(
        transport_errors(&net, a).is_empty(),
        "nothing reported before the deadline"
    );
    assert_eq!(net.phones[a].closes, 0);
    net.advance(600);
    assert_eq!(net.phones[a].connects, [EDGE1.to_owned(), EDGE2.to_owned()]);
    assert_eq!(net.phones[a].closes, 1, "the hanging socket is dropped");
    let errors = transport_errors(&net, a);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains(EDGE1) && errors[0].contains("no answer within 10000 ms"),
        "{errors:?}"
    );
    assert!(net.phones[a].ua.is_connected());
    assert!(net.phones[a].ua.is_registered(), "registered through edge2");
}

#[test]
fn all_servers_hanging_back_off_in_rounds_then_recover() {
    let mut net = Net::new();
    let a = net.phone("1001");
    net.hang.extend([EDGE1.to_owned(), EDGE2.to_owned()]);
    net.take_events(a);
    let before = net.phones[a].connects.len();
    net.cut(a);
    // Retry after 0.25-0.5 s, two 10 s attempts (the 12 s fast phase is over by then), a
    // 1-2 s backoff, two more, a 2-4 s backoff, two more: five or six connects within 65 s.
    net.advance(65_000);
    let attempts = net.phones[a].connects.len() - before;
    assert!(
        (5..=6).contains(&attempts),
        "{attempts} connects: {:?}",
        net.phones[a].connects
    );
    let errors = transport_errors(&net, a);
    // Every attempt but possibly the one still pending was abandoned and reported.
    assert!(
        errors.len() == attempts || errors.len() + 1 == attempts,
        "{errors:?}"
    );
    assert!(
        errors.iter().all(|e| e.contains("no answer within")),
        "{errors:?}"
    );
    assert_eq!(
        net.phones[a].closes,
        errors.len(),
        "each abandoned socket is closed"
    );
    assert!(!net.phones[a].ua.is_connected());
    assert!(!net.phones[a].ua.is_registered());
    // One server comes back: the next attempt to it succeeds and registers.
    net.hang.clear();
    net.advance(25_000);
    assert!(net.phones[a].ua.is_connected());
    assert!(net.phones[a].ua.is_registered(), "registered again");
    let errors_after = transport_errors(&net, a).len();
    net.advance(30_000);
    assert_eq!(
        transport_errors(&net, a).len(),
        errors_after,
        "no error once connected"
    );
    assert!(net.phones[a].ua.is_connected());
}

#[test]
fn stray_reports_of_an_abandoned_socket_change_nothing() {
    let mut net = Net::new();
    net.hang.extend([EDGE1.to_owned(), EDGE2.to_owned()]);
    let a = net.add(config("1001"));
    net.start(a);
    // Both servers time out: the round is over and a backoff is waiting.
    net.advance(20_100);
    assert_eq!(net.phones[a].connects.len(), 2);
    assert_eq!(transport_errors(&net, a).len(), 2);
    let waiting_until = net.phones[a].ua.poll_timeout().expect("backoff armed");
    // The dropped socket reports late anyway.
    net.with(a, |ua, now| {
        ua.handle_input(
            now,
            Input::TransportClosed {
                reason: "late".into(),
            },
        )
    });
    net.with(a, |ua, now| ua.handle_input(now, Input::TransportConnected));
    assert!(
        !net.phones[a].ua.is_connected(),
        "a late open of an abandoned socket is ignored"
    );
    assert_eq!(
        transport_errors(&net, a).len(),
        2,
        "a late close is not another failure"
    );
    assert_eq!(net.phones[a].connects.len(), 2, "no extra connect");
    assert_eq!(
        net.phones[a].ua.poll_timeout(),
        Some(waiting_until),
        "the backoff is untouched"
    );
    net.hang.clear();
    net.advance(2_000);
    assert!(net.phones[a].ua.is_registered(), "the next round connects");
}

#[test]
fn answered_connect_is_unaffected_by_the_deadline() {
    let mut net = Net::new();
    let a = net.phone("1001");
    net.advance(60_000);
    assert_eq!(net.phones[a].connects, [EDGE1.to_owned()]);
    assert_eq!(net.phones[a].closes, 0, "no socket was abandoned");
    assert!(transport_errors(&net, a).is_empty());
    assert!(net.phones[a].ua.is_connected() && net.phones[a].ua.is_registered());
}

#[test]
fn connect_timeout_is_configurable() {
    let mut net = Net::new();
    net.hang.push(EDGE1.into());
    let mut c = config("1001");
    c.reconnect.connect_timeout = 3_000;
    let a = net.add(c);
    net.start(a);
    net.advance(2_900);
    assert_eq!(net.phones[a].connects.len(), 1);
    net.advance(300);
    assert!(net.phones[a].ua.is_registered(), "failed over after 3 s");
    assert!(transport_errors(&net, a)[0].contains("no answer within 3000 ms"));
}
