//! Arbitrary bytes as a received WebSocket frame: if they are UTF-8 (a text frame),
//! parse, read every typed header, serialize and parse again. Nothing may panic, and
//! the serialized form of an accepted message must be accepted too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_core::message::{parse, SipUri};
use sip_core::{digest, sdp};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(m) = parse(text) else { return };
    let _ = (
        m.method(),
        m.request_uri().map(SipUri::parse),
        m.status(),
        m.call_id(),
        m.cseq(),
    );
    let _ = (
        m.from().tag(),
        m.to().display_name_unescaped(),
        m.max_forwards(),
    );
    for v in m.vias() {
        let _ = (v.branch(), v.received(), v.rport());
    }
    for c in m.contacts() {
        let _ = (c.expires(), SipUri::parse(c.uri));
    }
    let _ = (
        m.routes(),
        m.record_routes(),
        m.expires(),
        m.min_expires(),
        m.content_type(),
    );
    let _ = (m.event(), m.refer_to(), m.replaces(), m.credentials());
    if let Ok(challenges) = m.challenges() {
        let req = digest::DigestRequest {
            username: "u",
            password: "p",
            method: "REGISTER",
            uri: "sip:example.com",
            cnonce: "c",
            nonce_count: 1,
        };
        for c in &challenges {
            let _ = digest::respond(c, &req);
        }
    }
    let _ = (
        sdp::validate(m.body()),
        sdp::is_hold(m.body()),
        sdp::telephone_events(m.body()),
    );
    let _ = sdp::with_direction(m.body(), sdp::Direction::SendOnly);
    let out = m.serialize();
    assert!(parse(&out).is_ok(), "serialized form rejected");
});
