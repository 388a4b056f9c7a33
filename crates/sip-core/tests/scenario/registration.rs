//! REGISTER: digest MD5 and SHA-256, stale nonce, 423, refused credentials, refresh, unregister.

use sip_core::message;
use sip_core::ua::Event;

use crate::harness::{config, Net};

fn registered_events(net: &Net, i: usize) -> Vec<bool> {
    net.events(i)
        .iter()
        .filter_map(|e| match e {
            Event::RegisteredChange { registered } => Some(*registered),
            _ => None,
        })
        .collect()
}

#[test]
fn registers_with_md5_and_refreshes_at_half_the_granted_expiry() {
    let mut net = Net::new();
    net.proxy.grant = Some(120);
    let a = net.phone("1001");
    assert_eq!(registered_events(&net, a), [true]);
    assert!(net.events(a).contains(&Event::Connected));
    // Challenge, then the authorized REGISTER.
    assert_eq!(net.proxy.registers.len(), 2);
    let first = message::parse(&net.proxy.registers[0]).unwrap();
    let contact = first.contacts().into_iter().next().unwrap();
    let uri = message::SipUri::parse(contact.uri).unwrap();
    assert!(uri.host.ends_with(".invalid"));
    assert_eq!(uri.transport(), Some("ws"));
    assert!(uri.params.has("ob"));
    assert_eq!(contact.params.value("reg-id"), Some("1"));
    assert_eq!(
        contact.params.value("+sip.instance"),
        Some("<urn:uuid:00000000-0000-0000-0000-000000001001>")
    );
    assert!(first.supports("outbound") && first.supports("path"));
    let via = first.top_via().unwrap();
    assert_eq!(via.transport, "WSS");
    assert!(via.host.ends_with(".invalid"));
    assert!(via.branch().unwrap().starts_with("z9hG4bK"));
    let second = message::parse(&net.proxy.registers[1]).unwrap();
    assert_eq!(
        second.call_id(),
        first.call_id(),
        "one Call-ID for all REGISTERs"
    );
    assert!(second.cseq().seq > first.cseq().seq);
    let creds = second.credentials().unwrap();
    assert_eq!(creds[0].param("algorithm"), Some("MD5"));
    assert_eq!(creds[0].param("qop"), Some("auth"));

    // Granted 120 s: the refresh goes out at about 60 s, not before.
    net.advance(59_000);
    assert_eq!(net.proxy.registers.len(), 2);
    net.advance(2_000);
    assert!(net.proxy.registers.len() >= 3, "refreshed");
    net.drive();
    assert!(net.phones[a].ua.is_registered());
    assert_eq!(
        registered_events(&net, a),
        [true],
        "a refresh does not flap the state"
    );
}

#[test]
fn registers_with_sha256() {
    let mut net = Net::new();
    net.proxy.sha256 = true;
    let a = net.phone("1001");
    let second = message::parse(&net.proxy.registers[1]).unwrap();
    assert_eq!(
        second.credentials().unwrap()[0].param("algorithm"),
        Some("SHA-256")
    );
    assert!(net.phones[a].ua.is_registered());
}

#[test]
fn refresh_with_a_new_nonce_is_challenged_and_answered() {
    let mut net = Net::new();
    net.proxy.grant = Some(100);
    let a = net.phone("1001");
    // The registrar rotated its nonce: the refresh is challenged again and answered.
    net.proxy.rotate_nonce();
    net.advance(51_000);
    net.drive();
    assert!(net.phones[a].ua.is_registered());
    assert!(!net
        .events(a)
        .iter()
        .any(|e| matches!(e, Event::RegistrationFailed { .. })));
}

#[test]
fn stale_challenge_after_credentials_is_followed() {
    let mut net = Net::new();
    let a = net.add(config("1001"));
    // The first challenge carries a nonce that is rotated before the answer arrives:
    // the registrar answers stale=true and the user agent retries once more.
    net.proxy.nonce = "old".into();
    net.start(a);
    net.advance(5);
    net.advance(20);
    net.proxy.rotate_nonce();
    net.drive();
    assert!(net.phones[a].ua.is_registered());
    assert_eq!(net.proxy.registers.len(), 3);
    assert!(!net
        .events(a)
        .iter()
        .any(|e| matches!(e, Event::RegistrationFailed { .. })));
}

#[test]
fn refused_credentials_stop_after_one_retry() {
    let mut net = Net::new();
    let mut c = config("1001");
    c.password = "wrong".into();
    let a = net.add(c);
    net.start(a);
    net.drive();
    net.advance(120_000);
    assert_eq!(net.proxy.registers.len(), 2, "no endless loop");
    assert!(!net.phones[a].ua.is_registered());
    assert!(net
        .events(a)
        .iter()
        .any(|e| matches!(e, Event::RegistrationFailed { code: 401, .. })));
}

#[test]
fn interval_too_brief_raises_expires() {
    let mut net = Net::new();
    net.proxy.min_expires = Some(1200);
    let a = net.phone("1001");
    let last = message::parse(net.proxy.registers.last().unwrap()).unwrap();
    assert_eq!(last.expires().unwrap(), Some(1200));
    assert!(net.phones[a].ua.is_registered());
}

#[test]
fn unregister_sends_expires_zero() {
    let mut net = Net::new();
    let a = net.phone("1001");
    net.with(a, |ua, now| ua.unregister(now));
    net.drive();
    let last = message::parse(net.proxy.registers.last().unwrap()).unwrap();
    assert_eq!(last.expires().unwrap(), Some(0));
    assert!(last.contacts()[0].params.value("expires") == Some("0"));
    assert!(!net.phones[a].ua.is_registered());
    assert_eq!(registered_events(&net, a), [true, false]);
    assert!(net.proxy.bindings.is_empty());
    // No refresh follows.
    net.advance(1_000_000);
    assert!(
        message::parse(net.proxy.registers.last().unwrap())
            .unwrap()
            .expires()
            .unwrap()
            == Some(0)
    );
}

#[test]
fn credentials_expiring_is_announced_and_new_ones_are_used() {
    let mut net = Net::new();
    let mut c = config("1001");
    c.credentials_expire_at = Some(net.now.plus(300_000));
    let a = net.add(c);
    net.start(a);
    net.drive();
    net.advance(230_000);
    assert!(!net.events(a).contains(&Event::CredentialsExpiring));
    net.advance(20_000);
    assert!(net.events(a).contains(&Event::CredentialsExpiring));
    net.proxy.password = "fresh".into();
    let at = net.now.plus(600_000);
    net.with(a, |ua, now| {
        ua.update_credentials(now, "1001".into(), "fresh".into(), Some(at))
    });
    net.advance(300_000);
    assert!(
        net.phones[a].ua.is_registered(),
        "refresh used the new password"
    );
}

#[test]
fn short_lived_credentials_are_not_reported_expiring_at_once() {
    let mut net = Net::new();
    let start = net.now;
    let mut c = config("1001");
    c.credentials_expire_at = Some(start.plus(20_000));
    let a = net.add(c);
    net.start(a);
    net.drive();
    // A quarter of 20 s before expiry, not the 60 s default margin (which is "now").
    net.advance(start.plus(14_900).since(net.now));
    assert!(!net.events(a).contains(&Event::CredentialsExpiring));
    net.advance(200);
    assert!(net.events(a).contains(&Event::CredentialsExpiring));
    net.take_events(a);
    let renewed = net.now;
    net.with(a, |ua, now| {
        ua.update_credentials(now, "1001".into(), "secret".into(), Some(now.plus(40_000)))
    });
    net.advance(29_900);
    assert!(
        !net.events(a).contains(&Event::CredentialsExpiring),
        "not again right after the refresh"
    );
    net.advance(renewed.plus(30_100).since(net.now));
    assert!(net.events(a).contains(&Event::CredentialsExpiring));
}

/// How many `CredentialsExpiring` a phone reported so far.
fn expiring(net: &Net, i: usize) -> usize {
    net.events(i)
        .iter()
        .filter(|e| **e == Event::CredentialsExpiring)
        .count()
}

/// Advances to `ms` after `from`.
fn advance_to(net: &mut Net, from: sip_core::ua::Instant, ms: u64) {
    let at = from.plus(ms);
    net.advance(at.since(net.now));
}

/// The credential refresh is the core's schedule: the driver only hands it the expiry.
#[test]
fn long_lived_credentials_are_refreshed_one_margin_before_they_expire() {
    let mut net = Net::new();
    let start = net.now;
    let mut c = config("1001");
    c.credentials_expire_at = Some(start.plus(3_600_000));
    let a = net.add(c);
    net.start(a);
    net.drive();
    // The default margin, 60 s: a quarter of an hour would be far more.
    advance_to(&mut net, start, 3_539_900);
    assert_eq!(expiring(&net, a), 0);
    advance_to(&mut net, start, 3_540_100);
    assert_eq!(expiring(&net, a), 1);
    assert!(
        net.phones[a].ua.is_registered(),
        "registration refreshes go on meanwhile"
    );

    // A configured margin is kept the same way.
    let mut net = Net::new();
    let start = net.now;
    let mut c = config("1001");
    c.credentials_expire_at = Some(start.plus(300_000));
    c.credentials_refresh_margin = 10_000;
    let a = net.add(c);
    net.start(a);
    net.drive();
    advance_to(&mut net, start, 289_900);
    assert_eq!(expiring(&net, a), 0);
    advance_to(&mut net, start, 290_100);
    assert_eq!(expiring(&net, a), 1);
}

#[test]
fn short_lived_credentials_are_refreshed_a_quarter_of_their_life_early() {
    let mut net = Net::new();
    let start = net.now;
    let mut c = config("1001");
    c.credentials_expire_at = Some(start.plus(8_000));
    let a = net.add(c);
    net.start(a);
    net.drive();
    // 2 s before the 8 s are over.
    advance_to(&mut net, start, 5_900);
    assert_eq!(expiring(&net, a), 0);
    advance_to(&mut net, start, 6_100);
    assert_eq!(expiring(&net, a), 1);
    // Renewed for 2 minutes: 30 s early, once.
    let renewed = net.now;
    net.with(a, |ua, now| {
        ua.update_credentials(now, "1001".into(), "secret".into(), Some(now.plus(120_000)))
    });
    advance_to(&mut net, renewed, 89_900);
    assert_eq!(expiring(&net, a), 1);
    advance_to(&mut net, renewed, 90_100);
    assert_eq!(expiring(&net, a), 2);
    advance_to(&mut net, renewed, 200_000);
    assert_eq!(
        expiring(&net, a),
        2,
        "nothing more until new credentials come"
    );
}

#[test]
fn expired_credentials_are_refreshed_no_sooner_than_five_seconds() {
    let mut net = Net::new();
    let start = net.now;
    let mut c = config("1001");
    // Handed out already expired (a server clock behind ours) or about to expire.
    c.credentials_expire_at = Some(start);
    let a = net.add(c);
    net.start(a);
    net.drive();
    advance_to(&mut net, start, 4_900);
    assert_eq!(expiring(&net, a), 0, "no fetch loop");
    advance_to(&mut net, start, 5_100);
    assert_eq!(expiring(&net, a), 1);
    let renewed = net.now;
    net.with(a, |ua, now| {
        ua.update_credentials(now, "1001".into(), "secret".into(), Some(now.plus(2_000)))
    });
    advance_to(&mut net, renewed, 4_900);
    assert_eq!(
        expiring(&net, a),
        1,
        "2 s credentials: still 5 s until the next request"
    );
    advance_to(&mut net, renewed, 5_100);
    assert_eq!(expiring(&net, a), 2);
}

#[test]
fn register_refresh_reuses_the_accepted_challenge() {
    for strict_nc in [false, true] {
        let mut net = Net::new();
        net.proxy.grant = Some(120);
        net.proxy.strict_nc = strict_nc;
        let a = net.phone("1001");
        assert_eq!(net.proxy.challenges, 1);
        net.advance(61_000);
        net.drive();
        assert_eq!(
            net.proxy.registers.len(),
            3,
            "the refresh is not challenged (strict nc: {strict_nc})"
        );
        assert_eq!(net.proxy.challenges, 1);
        let answered = message::parse(&net.proxy.registers[1]).unwrap();
        let refresh = message::parse(&net.proxy.registers[2]).unwrap();
        let (c1, c2) = (
            &answered.credentials().unwrap()[0],
            &refresh.credentials().unwrap()[0],
        );
        assert_eq!(c2.param("nonce"), c1.param("nonce"));
        assert_eq!(c1.param("nc"), Some("00000001"));
        assert_eq!(c2.param("nc"), Some("00000002"));
        assert_ne!(c2.param("cnonce"), c1.param("cnonce"));
        assert!(net.phones[a].ua.is_registered());
        // The next refresh counts on.
        net.advance(61_000);
        net.drive();
        assert_eq!(net.proxy.challenges, 1);
        let third = message::parse(net.proxy.registers.last().unwrap()).unwrap();
        assert_eq!(
            third.credentials().unwrap()[0].param("nc"),
            Some("00000003")
        );
    }
}

#[test]
fn reused_nonce_gone_stale_is_challenged_and_recovers() {
    let mut net = Net::new();
    net.proxy.grant = Some(120);
    let a = net.phone("1001");
    net.proxy.rotate_nonce();
    net.advance(61_000);
    net.drive();
    // Pre-emptive REGISTER with the old nonce, stale challenge, answered REGISTER.
    assert_eq!(net.proxy.registers.len(), 4);
    assert_eq!(net.proxy.challenges, 2);
    assert!(net.phones[a].ua.is_registered());
    assert!(!net
        .events(a)
        .iter()
        .any(|e| matches!(e, Event::RegistrationFailed { .. })));
    // The new nonce is reused from then on.
    net.advance(61_000);
    net.drive();
    assert_eq!(net.proxy.registers.len(), 5);
    assert_eq!(net.proxy.challenges, 2);
}
