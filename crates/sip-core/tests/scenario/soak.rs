//! Many calls in a row: the user agent holds nothing per finished call once its INVITE
//! transaction is over, and only a compact record while that transaction lingers (Timer M).

use sip_core::ua::{DebugSizes, Input};

use crate::harness::Net;

/// Places, answers and hangs up one call from `a` to `b`.
fn one_call(net: &mut Net, a: usize, b: usize) {
    let (ca, _cb) = net.connect_call(a, "1002", b);
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    assert!(net.ended(a, &ca).is_some(), "the call ended");
}

fn sizes(net: &Net, i: usize) -> DebugSizes {
    net.phones[i].ua.debug_sizes()
}

/// An ended call kept for its INVITE transaction may hold the INVITE's CSeq, not its SDP,
/// request copies or ACK text.
const LINGERING_TEXT_PER_CALL: usize = 16;

fn soak(mut net: Net) {
    let a = net.phone("1001");
    let b = net.phone("1002");
    one_call(&mut net, a, b);
    // Timers J, K, M: past 64*T1 every transaction is gone.
    net.advance(40_000);
    let (idle_a, idle_b) = (sizes(&net, a), sizes(&net, b));
    assert_eq!(
        (idle_a.calls, idle_a.clients),
        (0, 0),
        "nothing left after the first: {idle_a:?}"
    );
    assert_eq!(
        (idle_b.calls, idle_b.servers),
        (0, 0),
        "nothing left after the first: {idle_b:?}"
    );
    for round in 0..20 {
        // Ten calls within one Timer M window: the ended calls linger, compactly.
        for _ in 0..10 {
            one_call(&mut net, a, b);
        }
        let lingering = sizes(&net, a);
        assert_eq!(
            lingering.calls, 10,
            "round {round}: ended calls kept for their INVITE transaction"
        );
        assert!(
            lingering.lingering_text <= 10 * LINGERING_TEXT_PER_CALL,
            "round {round}: ended calls hold {} bytes of message text",
            lingering.lingering_text
        );
        net.advance(40_000);
        assert_eq!(sizes(&net, a), idle_a, "caller after round {round}");
        assert_eq!(sizes(&net, b), idle_b, "callee after round {round}");
    }
}

#[test]
fn two_hundred_calls_leave_nothing_behind() {
    soak(Net::new());
}

#[test]
fn two_hundred_authorized_calls_leave_nothing_behind() {
    let mut net = Net::new();
    net.proxy.auth_invites = true;
    soak(net);
}

#[test]
fn a_2xx_retransmitted_after_hangup_is_acked_again() {
    let mut net = Net::new();
    let a = net.phone("1001");
    let b = net.phone("1002");
    let (ca, _cb) = net.connect_call(a, "1002", b);
    let ok = net.phones[a]
        .received
        .iter()
        .find(|m| m.starts_with("SIP/2.0 200 ") && m.contains(" INVITE\r\n"))
        .cloned()
        .expect("the 2xx of the INVITE");
    let first_ack = net.sent(a, "ACK ").pop().expect("the ACK");
    net.with(a, |ua, now| ua.hangup(now, &ca)).unwrap();
    net.drive();
    assert!(net.ended(a, &ca).is_some());
    assert_eq!(
        sizes(&net, a).calls,
        1,
        "the ended call lingers for its INVITE transaction"
    );

    net.with(a, |ua, now| ua.handle_input(now, Input::Received(&ok)));
    let acks = net.sent(a, "ACK ");
    assert_eq!(acks.len(), 2, "the retransmitted 2xx is ACKed again");
    let header = |m: &str, name: &str| m.lines().find(|l| l.starts_with(name)).map(str::to_owned);
    let again = acks.last().unwrap();
    assert_eq!(
        again.lines().next(),
        first_ack.lines().next(),
        "same Request-URI"
    );
    for name in ["Call-ID:", "CSeq:", "From:", "To:", "Route:"] {
        assert_eq!(header(again, name), header(&first_ack, name), "{name}");
    }
}
