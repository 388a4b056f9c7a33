//! Unit tests with real SIP text (JsSIP over WebSocket, Kamailio responses).

use super::*;
use std::borrow::Cow;

fn crlf(s: &str) -> String {
    s.replace('\n', "\r\n")
}

const REGISTER: &str = "REGISTER sip:klink.local SIP/2.0
Via: SIP/2.0/WSS d4m1ojl9t6e5.invalid;branch=z9hG4bK4823457
Max-Forwards: 69
To: <sip:1001@klink.local>
From: \"Agent 1001\" <sip:1001@klink.local>;tag=kf8j3s0c1t
Call-ID: 8q5gqk0vdh2p4dsmp1u3ar
CSeq: 1 REGISTER
Contact: <sip:a7f0k2r1@d4m1ojl9t6e5.invalid;transport=ws>;+sip.ice;reg-id=1;+sip.instance=\"<urn:uuid:3b2d6c6e-1a7f-4f8b-9d0c-5e2a1b3c4d5e>\";expires=600
Expires: 600
Allow: INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,REFER,INFO,NOTIFY
Supported: path,gruu,outbound
User-Agent: JsSIP 3.13.8
Content-Length: 0

";

const CHALLENGE: &str = "SIP/2.0 401 Unauthorized
Via: SIP/2.0/WSS d4m1ojl9t6e5.invalid;branch=z9hG4bK4823457;rport=53124;received=127.0.0.1
To: <sip:1001@klink.local>;tag=a6a1c5f60faecf035a1ae5b6e96e979a-4c1d
From: \"Agent 1001\" <sip:1001@klink.local>;tag=kf8j3s0c1t
Call-ID: 8q5gqk0vdh2p4dsmp1u3ar
CSeq: 1 REGISTER
WWW-Authenticate: Digest realm=\"klink.local\", nonce=\"ZZx2n2Wcdk0U7pG2c4+Jr8bnpbTHXx3Q\", qop=\"auth\", algorithm=SHA-256
WWW-Authenticate: Digest realm=\"klink.local\", nonce=\"ZZx2n2Wcdk0U7pG2c4+Jr8bnpbTHXx3Q\", qop=\"auth\", algorithm=MD5
Server: kamailio (5.6.3 (x86_64/linux))
Content-Length: 0

";

const OK_REGISTER: &str = "SIP/2.0 200 OK
Via: SIP/2.0/WSS d4m1ojl9t6e5.invalid;branch=z9hG4bK9911;rport=53124;received=127.0.0.1
To: <sip:1001@klink.local>;tag=a6a1c5f60faecf035a1ae5b6e96e979a-7f2e
From: \"Agent 1001\" <sip:1001@klink.local>;tag=kf8j3s0c1t
Call-ID: 8q5gqk0vdh2p4dsmp1u3ar
CSeq: 2 REGISTER
Contact: <sip:a7f0k2r1@d4m1ojl9t6e5.invalid;transport=ws>;expires=300;+sip.instance=\"<urn:uuid:3b2d6c6e-1a7f-4f8b-9d0c-5e2a1b3c4d5e>\";reg-id=1, <sip:old@host.invalid;transport=ws>;expires=12
Require: outbound
Server: kamailio (5.6.3 (x86_64/linux))
Content-Length: 0

";

const INVITE: &str = "INVITE sip:1002@klink.local SIP/2.0
Via: SIP/2.0/WSS 8s1d0c2k.invalid;branch=z9hG4bK2311807
Max-Forwards: 69
To: <sip:1002@klink.local>
From: \"Agent 1001\" <sip:1001@klink.local>;tag=lm2a9r1vb4
Call-ID: r7d0q1m9l2s3ct8a4j6e
CSeq: 7712 INVITE
Route: <sip:127.0.0.1:8080;transport=ws;lr;ob>
Contact: <sip:a7f0k2r1@d4m1ojl9t6e5.invalid;transport=ws;ob>
Content-Type: application/sdp
Session-Expires: 90
Supported: timer,ice,replaces,outbound
Content-Length: 36

v=0
o=- 1 2 IN IP4 127.0.0.1
s=-
";

#[test]
fn jssip_register_over_wss() {
    let text = crlf(REGISTER);
    let m = parse(&text).unwrap();
    assert!(m.is_request());
    assert_eq!(m.method(), Some(Method::Register));
    assert_eq!(m.request_uri(), Some("sip:klink.local"));
    let via = m.top_via().unwrap();
    assert_eq!(
        (via.transport, via.host, via.port),
        ("WSS", "d4m1ojl9t6e5.invalid", None)
    );
    assert_eq!(via.branch(), Some("z9hG4bK4823457"));
    assert_eq!(m.max_forwards(), Some(69));
    assert_eq!(m.from().display_name, Some("Agent 1001"));
    assert_eq!(m.from().tag(), Some("kf8j3s0c1t"));
    assert_eq!(m.to().tag(), None);
    assert_eq!(m.call_id(), "8q5gqk0vdh2p4dsmp1u3ar");
    assert_eq!(
        m.cseq(),
        CSeq {
            seq: 1,
            method: Method::Register
        }
    );
    let c = m.contacts();
    assert_eq!(c.len(), 1);
    let uri = SipUri::parse(c[0].uri).unwrap();
    assert_eq!(uri.transport(), Some("ws"));
    assert_eq!(
        c[0].params.value("+sip.instance"),
        Some("<urn:uuid:3b2d6c6e-1a7f-4f8b-9d0c-5e2a1b3c4d5e>")
    );
    assert_eq!(c[0].params.value("reg-id"), Some("1"));
    assert!(c[0].params.has("+sip.ice"));
    assert_eq!(c[0].expires(), Some(600));
    assert_eq!(m.expires(), Ok(Some(600)));
    assert!(m.supports("outbound"));
    assert_eq!(m.list("Allow").count(), 10);
    assert_eq!(m.header("user-agent"), Some("JsSIP 3.13.8"));
    assert_eq!(m.body(), "");
}

#[test]
fn kamailio_challenge_and_ok() {
    let text = crlf(CHALLENGE);
    let m = parse(&text).unwrap();
    assert_eq!(m.status(), Some(401));
    assert_eq!(m.reason(), Some("Unauthorized"));
    assert_eq!(m.cseq().method, Method::Register);
    let via = m.top_via().unwrap();
    assert_eq!(via.rport(), Some(Some(53124)));
    assert_eq!(via.received(), Some("127.0.0.1"));
    let ch = m.challenges().unwrap();
    assert_eq!(ch.len(), 2);
    assert_eq!(ch[0].kind, AuthKind::Www);
    assert_eq!(ch[0].algorithm(), Some("SHA-256"));
    assert_eq!(ch[1].algorithm(), Some("MD5"));
    assert_eq!(ch[0].nonce(), Some("ZZx2n2Wcdk0U7pG2c4+Jr8bnpbTHXx3Q"));
    assert_eq!(ch[0].qop().collect::<Vec<_>>(), vec!["auth"]);
    assert!(!ch[0].stale());

    let text = crlf(OK_REGISTER);
    let m = parse(&text).unwrap();
    let c = m.contacts();
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].expires(), Some(300));
    assert_eq!(c[1].expires(), Some(12));
    assert_eq!(m.require().collect::<Vec<_>>(), vec!["outbound"]);
}

#[test]
fn invite_with_body_and_route() {
    let text = crlf(INVITE);
    let m = parse(&text).unwrap();
    assert_eq!(m.body(), "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n");
    assert!(m.content_type().unwrap().unwrap().is("application/sdp"));
    let routes = m.routes().unwrap();
    assert_eq!(routes.len(), 1);
    assert!(SipUri::parse(routes[0].uri).unwrap().params.has("lr"));
    assert_eq!(m.record_routes().unwrap(), vec![]);
    assert!(SipUri::parse(m.contacts()[0].uri).unwrap().params.has("ob"));
    assert_eq!(m.header(HeaderName::SessionExpires), Some("90"));
}

#[test]
fn compact_forms_folding_and_multi_via() {
    let text = "OPTIONS sip:x@example.com SIP/2.0\r\n\
v: SIP/2.0/WS a.invalid;branch=z9hG4bK1,\r\n SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK2\r\n\
Via: SIP/2.0/TCP 10.0.0.2;branch=z9hG4bK3\r\n\
f: <sip:a@example.com>\r\n ;tag=1\r\n\
t: sip:x@example.com\r\n\
i: abc@host\r\n\
CSeq: 1 OPTIONS\r\n\
k: 100rel, timer\r\n\
X-Custom:   keep   this  \r\n\
l: 0\r\n\r\n";
    let m = parse(text).unwrap();
    let vias = m.vias();
    assert_eq!(vias.len(), 3);
    assert_eq!(
        vias.iter().map(|v| v.branch().unwrap()).collect::<Vec<_>>(),
        vec!["z9hG4bK1", "z9hG4bK2", "z9hG4bK3"]
    );
    assert_eq!(vias[1].port, Some(5060));
    assert_eq!(m.from().tag(), Some("1"));
    assert_eq!(m.call_id(), "abc@host");
    assert_eq!(m.supported().collect::<Vec<_>>(), vec!["100rel", "timer"]);
    assert_eq!(m.header("x-custom"), Some("keep   this"));
    // Folded value is unfolded; the rest borrows.
    assert!(matches!(m.headers()[0].value, Cow::Owned(_)));
    assert!(matches!(m.headers()[3].value, Cow::Borrowed(_)));
    let out = m.serialize();
    assert!(out.contains(
        "Via: SIP/2.0/WS a.invalid;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK2\r\n"
    ));
    assert!(out.contains("Call-ID: abc@host\r\n"));
    assert!(out.contains("X-Custom: keep   this\r\n"));
    let again = parse(&out).unwrap();
    assert_eq!(again.vias(), m.vias());
    assert_eq!(again.headers().len(), m.headers().len());
}

#[test]
fn content_length_rules() {
    let head = "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/WSS h.invalid;branch=z9hG4bK1\r\nFrom: <sip:c@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\nCSeq: 1 MESSAGE\r\n";
    let no_length = [head, "\r\nhello"].concat();
    assert_eq!(parse(&no_length).unwrap().body(), "hello");
    let right = [head, "Content-Length: 5\r\n\r\nhello"].concat();
    assert_eq!(parse(&right).unwrap().body(), "hello");
    let long = [head, "Content-Length: 9999\r\n\r\nhello"].concat();
    assert_eq!(
        parse(&long),
        Err(ParseError::ContentLength {
            declared: 9999,
            actual: 5
        })
    );
    let short = [head, "l: 2\r\n\r\nhello"].concat();
    assert!(matches!(
        parse(&short),
        Err(ParseError::ContentLength { .. })
    ));
    let negative = [head, "Content-Length: -999\r\n\r\n"].concat();
    assert!(matches!(
        parse(&negative),
        Err(ParseError::Invalid {
            header: "Content-Length",
            ..
        })
    ));
    let twice = [head, "Content-Length: 5\r\nl: 5\r\n\r\nhello"].concat();
    assert_eq!(parse(&twice), Err(ParseError::Duplicate("Content-Length")));
}

#[test]
fn start_line_errors() {
    let rest = "\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:c@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n\r\n";
    let case = |line: &str| {
        parse(&[line, rest].concat()).map(|m| (m.status(), m.reason().map(str::to_owned)))
    };
    assert!(case("OPTIONS sip:a@b SIP/2.0").is_ok());
    assert_eq!(case("OPTIONS  sip:a@b SIP/2.0"), Err(ParseError::StartLine));
    assert_eq!(case("OPTIONS sip:a@b SIP/2.0 "), Err(ParseError::StartLine));
    assert_eq!(case("OPTIONS sip:a@b SIP/7.0"), Err(ParseError::Version));
    assert_eq!(
        case("OPTIONS <sip:a@b> SIP/2.0"),
        Err(ParseError::RequestUri)
    );
    assert_eq!(
        case("OPTIONS sip:a@b?Route=%3Csip:x%3E SIP/2.0"),
        Err(ParseError::RequestUri)
    );
    assert_eq!(case("INVITE sip:a@b SIP/2.0"), Err(ParseError::CSeqMethod));
    assert_eq!(
        case("SIP/2.0 4294967301 better not break the receiver"),
        Err(ParseError::StatusCode)
    );
    assert_eq!(case("SIP/2.0 099 Low"), Err(ParseError::StatusCode));
    assert_eq!(
        case("SIP/2.0 100 ").unwrap(),
        (Some(100), Some(String::new()))
    );
    assert_eq!(parse("\r\n\r\n"), Err(ParseError::Empty));
    assert_eq!(parse("garbage"), Err(ParseError::StartLine));
    assert_eq!(
        case("OPTIONS sip:a@b SIP/2.0\r\nno colon here"),
        Err(ParseError::HeaderLine { line: 2 })
    );
}

#[test]
fn missing_and_duplicate_headers() {
    let m =
        "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 OPTIONS\r\n\r\n";
    assert_eq!(parse(m), Err(ParseError::Missing("From")));
    let m = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:c@b>;tag=1\r\nTo: <sip:a@b>\r\nTo: <sip:z@b>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n\r\n";
    assert_eq!(parse(m), Err(ParseError::Duplicate("To")));
    let m = "OPTIONS sip:a@b SIP/2.0\r\nFrom: <sip:c@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n\r\n";
    assert_eq!(parse(m), Err(ParseError::Missing("Via")));
}

#[test]
fn builds_requests_and_responses() {
    let mut b = MessageBuilder::request(Method::Invite, "sip:1002@klink.local");
    b.header_parts(
        "Via",
        &["SIP/2.0/WSS ", "h.invalid", ";branch=", "z9hG4bKx"],
    )
    .header_u32("Max-Forwards", 70)
    .header("From", "<sip:1001@klink.local>;tag=a")
    .header("To", "<sip:1002@klink.local>")
    .header("Call-ID", "c1")
    .header("CSeq", "1 INVITE")
    .header("Content-Type", "application/sdp");
    let text = b.finish("v=0\r\n");
    assert!(text.starts_with("INVITE sip:1002@klink.local SIP/2.0\r\nVia: SIP/2.0/WSS h.invalid;branch=z9hG4bKx\r\nMax-Forwards: 70\r\n"));
    assert!(text.ends_with("Content-Length: 5\r\n\r\nv=0\r\n"));
    let m = parse(&text).unwrap();
    assert_eq!(m.body(), "v=0\r\n");

    let req_text = crlf(INVITE);
    let req = parse(&req_text).unwrap();
    let mut r = response_to(&req, 180, "Ringing", Some("totag1"));
    r.header("Contact", "<sip:me@h.invalid;transport=ws>");
    let resp_text = r.finish("");
    let resp = parse(&resp_text).unwrap();
    assert_eq!(resp.status(), Some(180));
    assert_eq!(resp.to().tag(), Some("totag1"));
    assert_eq!(resp.from().tag(), req.from().tag());
    assert_eq!(resp.call_id(), req.call_id());
    assert_eq!(resp.cseq(), req.cseq());
    assert_eq!(resp.vias(), req.vias());
    // An existing To tag is kept.
    let again = response_to(&resp, 200, "OK", Some("other")).finish("");
    assert_eq!(parse(&again).unwrap().to().tag(), Some("totag1"));
}

#[test]
fn optional_headers_report_errors() {
    let text = "NOTIFY sip:a@b SIP/2.0\r\nVia: SIP/2.0/WSS h.invalid;branch=z9hG4bK1\r\nFrom: <sip:c@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: 1\r\nCSeq: 3 NOTIFY\r\n\
Event: refer;id=7\r\nr: <sip:x@y?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>\r\nReplaces: abc@h;to-tag=1;from-tag=2\r\nExpires: abc\r\nRoute: <sip:ok>, bad route\r\n\r\n";
    let m = parse(text).unwrap();
    assert_eq!(m.event().unwrap().unwrap().params.value("id"), Some("7"));
    let refer = m.refer_to().unwrap().unwrap();
    assert_eq!(
        SipUri::parse(refer.uri).unwrap().headers,
        Some("Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2")
    );
    assert_eq!(m.replaces().unwrap().unwrap().call_id, "abc@h");
    assert!(m.expires().is_err());
    assert!(m.routes().is_err());
    assert_eq!(m.min_expires(), Ok(None));
}

#[test]
fn list_splits_every_line_outside_quotes_and_angles() {
    let text = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/WSS h.invalid;branch=z9hG4bK1\r\nFrom: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nRecord-Route: <sip:p1;lr>, ,\"a,b\" <sip:p2;lr>\r\nSupported: timer\r\nrecord-route:  <sip:p3,x;lr> ,\r\nContent-Length: 0\r\n\r\n";
    let m = parse(text).unwrap();
    assert_eq!(
        m.list(HeaderName::RecordRoute).collect::<Vec<_>>(),
        vec!["<sip:p1;lr>", "\"a,b\" <sip:p2;lr>", "<sip:p3,x;lr>"]
    );
    assert_eq!(m.list("Supported").collect::<Vec<_>>(), vec!["timer"]);
    assert_eq!(m.list("Require").next(), None);
}
