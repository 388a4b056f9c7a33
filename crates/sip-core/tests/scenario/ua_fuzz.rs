//! The whole user agent under fuzzed input. Two phones, joined by the in-test proxy, are
//! brought to one of the states worth attacking (registering, ringing either way, answered,
//! held, a re-INVITE pending, reconnecting); then a byte string drives them: SIP messages
//! mutated from those the phones really exchanged (so they reach dialogs and transactions,
//! not only the parser), raw text, user commands, time, transport cuts and failing media.
//! Nothing may panic; after every step each phone's invariants hold (`Ua::debug_check`) and
//! every message it sent parses. At the end the clock runs on until every timer has fired,
//! and the invariants still hold.
//!
//! `cargo test` runs a bounded, deterministic batch (`bounded_ua_fuzz`); the libFuzzer
//! target `fuzz/fuzz_targets/ua.rs` runs the same driver for as long as it is given.

use sip_core::message;
use sip_core::ua::{CallId, Event, Input};

use crate::harness::{config, response_to, Net};

/// Steps per input: enough to reach a few exchanges deep, few enough to run thousands of
/// inputs a second.
const MAX_STEPS: usize = 48;

/// Reads the fuzz input front to back; an exhausted input reads as zeros.
struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bytes<'_> {
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn pick<'s, T>(&mut self, items: &'s [T]) -> Option<&'s T> {
        if items.is_empty() {
            return None;
        }
        let i = usize::from(self.byte()) % items.len();
        items.get(i)
    }

    /// Up to `max` bytes as text (invalid UTF-8 is replaced: a frame is text).
    fn text(&mut self, max: usize) -> String {
        let n = usize::from(self.byte()) % (max + 1);
        let end = (self.pos + n).min(self.data.len());
        let s = String::from_utf8_lossy(self.data.get(self.pos..end).unwrap_or(&[])).into_owned();
        self.pos = end;
        s
    }
}

/// Where the phones are when the fuzzed steps begin.
fn set_up(net: &mut Net, bytes: &mut Bytes<'_>) -> (usize, usize, Vec<CallId>, Vec<CallId>) {
    let a = net.phone("1001");
    let b = net.phone("1002");
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    match bytes.byte() % 7 {
        // Registering: a third phone that has only sent its REGISTER is the one attacked.
        0 => {
            let c = net.add(config("1003"));
            net.start(c);
            return (c, b, ours, theirs);
        }
        // Ringing out (a calls b).
        1 => {
            let (ca, cb) = net.ring(a, "1002", b);
            ours.push(ca);
            theirs.push(cb);
        }
        // Ringing in (b calls a).
        2 => {
            let (cb, ca) = net.ring(b, "1001", a);
            ours.push(ca);
            theirs.push(cb);
        }
        // Answered.
        3 => {
            let (ca, cb) = net.connect_call(a, "1002", b);
            ours.push(ca);
            theirs.push(cb);
        }
        // Held: the re-INVITE answered.
        4 => {
            let (ca, cb) = net.connect_call(a, "1002", b);
            let _ = net.with(a, |ua, now| ua.hold(now, &ca));
            net.drive();
            ours.push(ca);
            theirs.push(cb);
        }
        // A re-INVITE pending: sent, not yet delivered.
        5 => {
            let (ca, cb) = net.connect_call(a, "1002", b);
            let _ = net.with(a, |ua, now| ua.hold(now, &ca));
            ours.push(ca);
            theirs.push(cb);
        }
        // Reconnecting: the flow under an answered call closed.
        _ => {
            let (ca, cb) = net.connect_call(a, "1002", b);
            net.cut(a);
            ours.push(ca);
            theirs.push(cb);
        }
    }
    (a, b, ours, theirs)
}

const STATUSES: [u16; 18] = [
    100, 180, 183, 200, 202, 301, 401, 403, 404, 407, 408, 422, 423, 481, 487, 488, 491, 503,
];
const METHODS: [&str; 12] = [
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "UPDATE",
    "INFO",
    "REFER",
    "NOTIFY",
    "MESSAGE",
    "OPTIONS",
    "PRACK",
    "SUBSCRIBE",
];
const SDPS: [&str; 4] = [
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n",
    "v=0\r\no=- 1 3 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=inactive\r\n",
    "v=0\r\nm=audio 0 RTP/AVP 97\r\n",
    "garbage",
];

/// Mutates `text` (a message a phone really sent or received) in one of several ways.
fn mutate(text: &str, bytes: &mut Bytes<'_>) -> String {
    let mut lines: Vec<String> = text.split("\r\n").map(str::to_owned).collect();
    let n = lines.len().max(1);
    match bytes.byte() % 9 {
        // Another method on the same start line: a request the dialog does not expect.
        0 => {
            if let (Some(first), Some(method)) = (lines.first_mut(), bytes.pick(&METHODS)) {
                if !first.starts_with("SIP/2.0") {
                    let rest = first.split_once(' ').map_or("", |(_, r)| r).to_owned();
                    *first = format!("{method} {rest}");
                }
            }
        }
        // Another status on a response.
        1 => {
            if let (Some(first), Some(status)) = (lines.first_mut(), bytes.pick(&STATUSES)) {
                if first.starts_with("SIP/2.0") {
                    *first = format!("SIP/2.0 {status} Fuzz");
                }
            }
        }
        // A header removed.
        2 => {
            let i = 1 + usize::from(bytes.byte()) % n;
            if i < lines.len() && !lines[i].is_empty() {
                lines.remove(i);
            }
        }
        // A header duplicated.
        3 => {
            let i = 1 + usize::from(bytes.byte()) % n;
            if i < lines.len() && !lines[i].is_empty() {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
        }
        // A header value replaced by fuzz text.
        4 => {
            let i = 1 + usize::from(bytes.byte()) % n;
            let value = bytes.text(40);
            if let Some(line) = lines.get_mut(i) {
                if let Some((name, _)) = line.split_once(':') {
                    *line = format!("{name}: {value}");
                }
            }
        }
        // A CSeq number moved.
        5 => {
            let delta = i64::from(bytes.byte()) - 128;
            for line in &mut lines {
                if let Some(v) = line.strip_prefix("CSeq: ") {
                    if let Some((num, method)) = v.split_once(' ') {
                        let num: i64 = num.parse().unwrap_or(1);
                        *line = format!("CSeq: {} {method}", (num + delta).max(0));
                    }
                }
            }
        }
        // Truncated.
        6 => {
            let joined = lines.join("\r\n");
            let cut = usize::from(bytes.byte()) * joined.len() / 256;
            let mut end = cut;
            while !joined.is_char_boundary(end) {
                end -= 1;
            }
            return joined[..end].to_owned();
        }
        // The body replaced.
        7 => {
            let joined = lines.join("\r\n");
            let head = joined.split("\r\n\r\n").next().unwrap_or("");
            let body = match bytes.pick(&SDPS) {
                Some(s) => (*s).to_owned(),
                None => String::new(),
            };
            let head: Vec<&str> = head
                .split("\r\n")
                .filter(|l| {
                    let l = l.to_ascii_lowercase();
                    !l.starts_with("content-length") && !l.starts_with("content-type")
                })
                .collect();
            return format!(
                "{}\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
                head.join("\r\n"),
                body.len()
            );
        }
        // A byte flipped.
        _ => {
            let mut raw = lines.join("\r\n").into_bytes();
            if !raw.is_empty() {
                let i = usize::from(bytes.byte()) * raw.len() / 256;
                raw[i] ^= bytes.byte() | 1;
            }
            return String::from_utf8_lossy(&raw).into_owned();
        }
    }
    lines.join("\r\n")
}

/// The invariants after a step: the core's own, and every message sent parses.
fn check(net: &Net, phones: [usize; 2], checked: &mut [usize; 2]) {
    for (k, &i) in phones.iter().enumerate() {
        let p = &net.phones[i];
        if let Err(e) = p.ua.debug_check() {
            panic!("phone {i}: {e}");
        }
        for text in &p.sent[checked[k]..] {
            if text.bytes().all(|b| b == b'\r' || b == b'\n') {
                continue;
            }
            // A 400 to a request that did not parse copies its routing lines as they came;
            // its top Via at least must parse, or the response could not be routed.
            if text.starts_with("SIP/2.0 400 Bad Request - ") {
                let via = text
                    .split("\r\n")
                    .find_map(|l| l.strip_prefix("Via: "))
                    .and_then(|v| v.split(',').next());
                assert!(
                    via.is_some_and(|v| message::Via::parse(v.trim()).is_ok()),
                    "phone {i} answered 400 with a Via that does not parse:\n{text}"
                );
                continue;
            }
            if let Err(e) = message::parse(text) {
                panic!("phone {i} sent a message that does not parse ({e:?}):\n{text}");
            }
        }
        checked[k] = p.sent.len();
    }
}

/// The call ids a phone knows: those it was given, and any incoming ones since.
fn known_calls(net: &Net, i: usize, mut ids: Vec<CallId>) -> Vec<CallId> {
    for e in net.events(i) {
        if let Event::Incoming(info) = e {
            if !ids.contains(&info.id) {
                ids.push(info.id.clone());
            }
        }
    }
    ids
}

/// Runs one fuzz input (see the module comment).
pub fn run(data: &[u8]) {
    let mut bytes = Bytes { data, pos: 0 };
    let mut net = Net::new();
    let (a, b, mut ours, mut theirs) = set_up(&mut net, &mut bytes);
    let mut checked = [0, 0];
    check(&net, [a, b], &mut checked);
    for _ in 0..MAX_STEPS {
        if bytes.done() {
            break;
        }
        ours = known_calls(&net, a, ours);
        theirs = known_calls(&net, b, theirs);
        match bytes.byte() % 12 {
            // A message the attacked phone sent, answered with any status (and maybe SDP).
            0 => {
                let sent = net.phones[a].sent.clone();
                let requests: Vec<&String> = sent
                    .iter()
                    .filter(|m| !m.starts_with("SIP/2.0") && m.len() > 4)
                    .collect();
                if let Some(req) = bytes.pick(&requests) {
                    let status = *bytes.pick(&STATUSES).unwrap_or(&200);
                    let body = if bytes.byte() % 2 == 0 {
                        bytes.pick(&SDPS).copied()
                    } else {
                        None
                    };
                    let tag = format!("fz{}", bytes.byte());
                    if let Some(text) = response_to(req, status, &tag, body) {
                        net.deliver_to(a, text);
                    }
                }
            }
            // A message the attacked phone received, mutated and delivered again.
            1 | 2 => {
                let received = net.phones[a].received.clone();
                if let Some(m) = bytes.pick(&received) {
                    let text = mutate(m, &mut bytes);
                    net.deliver_to(a, text);
                }
            }
            // A message it sent, mutated and delivered to it (its own dialog ids, other roles).
            3 => {
                let sent = net.phones[a].sent.clone();
                if let Some(m) = bytes.pick(&sent) {
                    let text = mutate(m, &mut bytes);
                    net.deliver_to(a, text);
                }
            }
            // Raw text.
            4 => {
                let text = bytes.text(200);
                net.deliver_to(a, text);
            }
            // Time passes.
            5 => {
                let ms = u64::from(bytes.byte()) * 250;
                net.advance(ms);
            }
            // The network delivers what is in flight.
            6 => net.drive(),
            // A user command on one of the attacked phone's calls.
            7 => {
                let id = bytes.pick(&ours).cloned();
                let op = bytes.byte() % 8;
                if let Some(id) = id {
                    let _ = net.with(a, |ua, now| match op {
                        0 => ua.answer(now, &id),
                        1 => ua.hangup(now, &id),
                        2 => ua.hold(now, &id),
                        3 => ua.unhold(now, &id),
                        4 => ua.mute(now, &id),
                        5 => ua.dtmf(now, &id, "1#"),
                        6 => ua.reject_with(now, &id, 603),
                        _ => ua.unmute(now, &id),
                    });
                }
            }
            // The same on the far phone.
            8 => {
                let id = bytes.pick(&theirs).cloned();
                let op = bytes.byte() % 4;
                if let Some(id) = id {
                    let _ = net.with(b, |ua, now| match op {
                        0 => ua.answer(now, &id),
                        1 => ua.hangup(now, &id),
                        2 => ua.hold(now, &id),
                        _ => ua.unhold(now, &id),
                    });
                }
            }
            // A new call, either way.
            9 => {
                let (from, to, user) = if bytes.byte() % 2 == 0 {
                    (a, b, "1002")
                } else {
                    (b, a, "1001")
                };
                let _ = to;
                if let Ok(id) = net.with(from, |ua, now| ua.call(now, user)) {
                    if from == a {
                        ours.push(id);
                    } else {
                        theirs.push(id);
                    }
                }
            }
            // Transport trouble.
            10 => match bytes.byte() % 3 {
                0 => net.cut(a),
                1 => net.freeze(a),
                _ => net.with(a, |ua, now| ua.handle_input(now, Input::NetworkChanged)),
            },
            // The media layer fails its next command, or stops answering for a while.
            _ => {
                let media = &mut net.phones[a].media;
                if bytes.byte() % 2 == 0 {
                    media.fail_next = true;
                } else {
                    media.auto = !media.auto;
                }
            }
        }
        check(&net, [a, b], &mut checked);
    }
    // Every timer runs out; nothing may be left in a state no timer will leave.
    net.phones[a].media.auto = true;
    net.advance(200_000);
    check(&net, [a, b], &mut checked);
    for i in [a, b] {
        let ua = &net.phones[i].ua;
        let live = ua.calls().count();
        assert_eq!(
            ua.debug_sizes().calls,
            live,
            "phone {i}: ended calls are forgotten once every timer ran out"
        );
    }
}

/// A deterministic batch: inputs from a seeded generator, every start state, a few hundred
/// steps each in all. Any panic here is a finding of the fuzz target too.
#[test]
fn bounded_ua_fuzz() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for case in 0..600u32 {
        let len = 8 + (next() % 120) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        // Every start state in turn.
        data[0] = (case % 7) as u8;
        run(&data);
    }
}

/// Every input the fuzz target crashed on (tests/corpus/ua), replayed: each was a bug, and is
/// fixed.
#[test]
fn ua_fuzz_findings_stay_fixed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/ua");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("tests/corpus/ua") {
        let path = entry.expect("a corpus entry").path();
        run(&std::fs::read(&path).expect("a corpus file"));
        n += 1;
    }
    assert!(n > 0, "the findings are in {dir}");
}
