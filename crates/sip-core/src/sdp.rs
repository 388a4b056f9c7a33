//! SDP as text: the browser writes the SDP, the core only reads and changes what it
//! must (direction per media section, telephone-event, hold detection). Everything
//! else, ICE candidates and fingerprints included, passes through byte for byte.

/// A media direction attribute (RFC 3264 §5.1 / RFC 8866 §6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `a=sendrecv` (the default when absent).
    SendRecv,
    /// `a=sendonly`
    SendOnly,
    /// `a=recvonly`
    RecvOnly,
    /// `a=inactive`
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// Recognises an attribute line's content (`sendonly`, ...).
    pub fn from_attribute(attr: &str) -> Option<Direction> {
        match attr {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    /// The direction the answerer (or the other side) sees: send and receive swap.
    pub fn reversed(&self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            other => *other,
        }
    }
}

/// Why an SDP is not structurally sane.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// No text.
    #[error("empty SDP")]
    Empty,
    /// The first line is not `v=`.
    #[error("SDP does not start with v=")]
    MissingVersion,
    /// A line is not `<letter>=<value>`.
    #[error("malformed SDP line {line}")]
    MalformedLine {
        /// 1-based line number.
        line: usize,
    },
    /// An `m=` line is not `m=<media> <port> <proto> <fmt>...`.
    #[error("malformed m= line {line}")]
    MalformedMedia {
        /// 1-based line number.
        line: usize,
    },
    /// No `m=` line.
    #[error("SDP has no media section")]
    NoMedia,
}

/// Checks that `sdp` starts with `v=`, every line is `x=...` and there is at least one
/// well-formed `m=` line.
pub fn validate(sdp: &str) -> Result<(), SdpError> {
    if sdp.trim().is_empty() {
        return Err(SdpError::Empty);
    }
    let mut media = 0;
    for (i, line) in lines(sdp).enumerate() {
        let n = i + 1;
        if i == 0 && !line.starts_with("v=") {
            return Err(SdpError::MissingVersion);
        }
        let mut chars = line.chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase()) && chars.next() == Some('=');
        if !ok {
            if line.is_empty() && lines(sdp).skip(i).all(str::is_empty) {
                break;
            }
            return Err(SdpError::MalformedLine { line: n });
        }
        if let Some(m) = line.strip_prefix("m=") {
            if parse_m_line(m).is_none() {
                return Err(SdpError::MalformedMedia { line: n });
            }
            media += 1;
        }
    }
    if media == 0 {
        return Err(SdpError::NoMedia);
    }
    Ok(())
}

/// Lines without their terminator (CRLF or LF).
fn lines(sdp: &str) -> Lines<'_> {
    Lines { rest: sdp }
}

/// The iterator of [`lines`]: one concrete type, so its callers share one `next`.
struct Lines<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match self.rest.bytes().position(|b| b == b'\n') {
            Some(i) => (self.rest.get(..i)?, self.rest.get(i + 1..)?),
            None => (self.rest, ""),
        };
        self.rest = rest;
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

fn parse_m_line(m: &str) -> Option<(&str, u16, &str, &str)> {
    let mut it = m.splitn(4, ' ');
    let media = it.next().filter(|s| !s.is_empty())?;
    let port = it.next()?;
    let port = parse_number(port.split_once('/').map_or(port, |(p, _)| p))?;
    let proto = it.next().filter(|s| !s.is_empty())?;
    let fmts = it.next().unwrap_or_default();
    Some((media, port, proto, fmts))
}

/// One `m=` section: its m= line and the lines up to the next `m=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaSection<'a> {
    /// `audio`, `video`, `application`, ...
    pub media: &'a str,
    /// Port (0 = rejected or disabled section).
    pub port: u16,
    /// `UDP/TLS/RTP/SAVPF`, ...
    pub proto: &'a str,
    /// The format list (payload types) as text.
    pub formats: &'a str,
    /// The section's text, from `m=` to just before the next `m=`.
    pub text: &'a str,
}

impl<'a> MediaSection<'a> {
    /// The direction attribute written in this section, if any.
    pub fn direction_attribute(&self) -> Option<Direction> {
        attributes(self.text).find_map(Direction::from_attribute)
    }

    /// The connection address of a `c=` line in this section.
    pub fn connection_address(&self) -> Option<&'a str> {
        connection_address_in(self.text)
    }

    /// Payload types of `a=rtpmap:<pt> telephone-event/<rate>` with their clock rate.
    pub fn telephone_events(&self) -> Vec<TelephoneEvent> {
        let mut out = Vec::new();
        self.push_telephone_events(&mut out);
        out
    }

    fn push_telephone_events(&self, out: &mut Vec<TelephoneEvent>) {
        for attribute in attributes(self.text) {
            if let Some(event) = attribute.strip_prefix("rtpmap:").and_then(telephone_event) {
                out.push(event);
            }
        }
    }
}

/// The telephone-event of an `rtpmap` value (`<pt> telephone-event/<rate>`).
fn telephone_event(rtpmap: &str) -> Option<TelephoneEvent> {
    let (pt, enc) = rtpmap.split_once(' ')?;
    let (name, rest) = enc.split_once('/')?;
    if !name.eq_ignore_ascii_case("telephone-event") {
        return None;
    }
    let rate = parse_number(rest.split('/').next()?.trim())?;
    Some(TelephoneEvent {
        payload_type: parse_number(pt.trim())?,
        clock_rate: rate,
    })
}

/// A decimal number as `str::parse` reads it (a leading `+` allowed), through the
/// message parser's one `u32` reader for every width.
fn parse_number<T: TryFrom<u32>>(text: &str) -> Option<T> {
    T::try_from(crate::message::parse_u32(
        text.strip_prefix('+').unwrap_or(text),
    )?)
    .ok()
}

/// A telephone-event (RFC 4733) payload type offered in an audio section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// RTP payload type.
    pub payload_type: u8,
    /// Clock rate (8000 or 48000 in browsers).
    pub clock_rate: u32,
}

/// The values of the `a=` lines of `text`, in order.
fn attributes(text: &str) -> Attributes<'_> {
    Attributes(lines(text))
}

/// The iterator of [`attributes`].
struct Attributes<'a>(Lines<'a>);

impl<'a> Iterator for Attributes<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            if let Some(value) = self.0.next()?.strip_prefix("a=") {
                return Some(value.trim_end());
            }
        }
    }
}

fn connection_address_in(text: &str) -> Option<&str> {
    lines(text)
        .filter_map(|l| l.strip_prefix("c="))
        .find_map(|c| c.split(' ').nth(2))
        .map(|a| a.split('/').next().unwrap_or(a))
}

/// The session part (before the first `m=`).
fn session_part(sdp: &str) -> &str {
    match find_line_start(sdp, "m=") {
        Some(i) => sdp.get(..i).unwrap_or(sdp),
        None => sdp,
    }
}

/// Byte offset of the first line starting with `prefix`.
fn find_line_start(text: &str, prefix: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with(prefix) {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// The media sections in order.
pub fn sections(sdp: &str) -> Vec<MediaSection<'_>> {
    let mut out = Vec::new();
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in sdp.split_inclusive('\n') {
        if line.starts_with("m=") {
            starts.push(offset);
        }
        offset += line.len();
    }
    for (i, start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(sdp.len());
        let Some(text) = sdp.get(*start..end) else {
            continue;
        };
        let first = lines(text).next().unwrap_or_default();
        let Some((media, port, proto, formats)) = first.strip_prefix("m=").and_then(parse_m_line)
        else {
            continue;
        };
        out.push(MediaSection {
            media,
            port,
            proto,
            formats,
            text,
        });
    }
    out
}

/// The session-level direction attribute, if any.
pub fn session_direction(sdp: &str) -> Option<Direction> {
    attributes(session_part(sdp)).find_map(Direction::from_attribute)
}

/// The effective direction of every media section: its own attribute, else the
/// session-level one, else sendrecv.
pub fn directions(sdp: &str) -> Vec<Direction> {
    let session = session_direction(sdp);
    sections(sdp)
        .iter()
        .map(|s| {
            s.direction_attribute()
                .or(session)
                .unwrap_or(Direction::SendRecv)
        })
        .collect()
}

/// Telephone-event payload types of all active audio sections.
pub fn telephone_events(sdp: &str) -> Vec<TelephoneEvent> {
    let mut out = Vec::new();
    for section in sections(sdp) {
        if section.media == "audio" && section.port != 0 {
            section.push_telephone_events(&mut out);
        }
    }
    out
}

/// The session-level `c=` address, else the first section's.
pub fn connection_address(sdp: &str) -> Option<&str> {
    connection_address_in(session_part(sdp))
        .or_else(|| sections(sdp).iter().find_map(|s| s.connection_address()))
}

/// True when the SDP puts the other side on hold: every active audio/video section is
/// `sendonly` or `inactive`, or its connection address is `0.0.0.0` (RFC 2543 style) in an
/// SDP without ICE. With ICE, `c=IN IP4 0.0.0.0` only says the candidates are not in it
/// (RFC 8840 §4.2): JsSIP answers an ICE restart so.
pub fn is_hold(sdp: &str) -> bool {
    let session_dir = session_direction(sdp);
    let session_addr = connection_address_in(session_part(sdp));
    let ice = crate::search::contains(sdp, "a=ice-ufrag:");
    let mut any_media = false;
    for s in sections(sdp) {
        if s.port == 0 || !(s.media == "audio" || s.media == "video") {
            continue;
        }
        any_media = true;
        let dir = s
            .direction_attribute()
            .or(session_dir)
            .unwrap_or(Direction::SendRecv);
        let addr = s.connection_address().or(session_addr);
        let held = matches!(dir, Direction::SendOnly | Direction::Inactive)
            || (addr == Some("0.0.0.0") && !ice);
        if !held {
            return false;
        }
    }
    any_media
}

/// Sets `dir` on every audio/video section (replacing its direction line, or adding
/// one at the end of the section) and drops a session-level direction line so it cannot
/// contradict. Every other line is kept as is, with the SDP's own line endings.
pub fn with_direction(sdp: &str, dir: Direction) -> String {
    rewrite(sdp, |_, media| {
        (media == "audio" || media == "video").then_some(dir)
    })
}

/// Sets `dir` on the section at `index` only.
pub fn with_direction_at(sdp: &str, index: usize, dir: Direction) -> String {
    rewrite(sdp, |i, _| (i == index).then_some(dir))
}

fn rewrite(sdp: &str, choose: impl Fn(usize, &str) -> Option<Direction>) -> String {
    let eol = if crate::search::contains(sdp, "\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut out = String::with_capacity(sdp.len() + 16);
    let mut section: Option<usize> = None;
    let mut target: Option<Direction> = None;
    let mut pending: Option<Direction> = None;
    let mut count = 0;
    let flush = |out: &mut String, pending: &mut Option<Direction>| {
        if let Some(d) = pending.take() {
            out.push_str("a=");
            out.push_str(d.as_str());
            out.push_str(eol);
        }
    };
    for raw in sdp.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\r', '\n']);
        if let Some(m) = line.strip_prefix("m=") {
            flush(&mut out, &mut pending);
            let idx = count;
            count += 1;
            section = Some(idx);
            let media = m.split(' ').next().unwrap_or_default();
            target = choose(idx, media);
            pending = target;
            out.push_str(raw);
            continue;
        }
        let is_dir = line
            .strip_prefix("a=")
            .and_then(Direction::from_attribute)
            .is_some();
        if is_dir {
            match (section, target) {
                // Session level: drop, the sections say it now (only when any changes).
                (None, _) => {
                    if sections(sdp)
                        .iter()
                        .enumerate()
                        .any(|(i, s)| choose(i, s.media).is_some())
                    {
                        continue;
                    }
                }
                (Some(_), Some(d)) => {
                    pending = None;
                    out.push_str("a=");
                    out.push_str(d.as_str());
                    out.push_str(if raw.ends_with("\r\n") {
                        "\r\n"
                    } else if raw.ends_with('\n') {
                        "\n"
                    } else {
                        ""
                    });
                    continue;
                }
                (Some(_), None) => {}
            }
        }
        out.push_str(raw);
    }
    if !out.ends_with('\n') && pending.is_some() {
        out.push_str(eol);
    }
    flush(&mut out, &mut pending);
    out
}

// ----- codecs ------------------------------------------------------------------

/// The audio codecs a browser's `RTCPeerConnection` sends and receives: Opus, G.711 µ-law
/// and A-law (required of every WebRTC endpoint by RFC 7874) and G.722 (Chromium, Firefox
/// and Safari have it too). The one list of them in the SDK: an offer needs one of these
/// in an audio section in use, or it is refused with 488 instead of being "answered" with
/// no sound, and a browser's answer needs one too. `telephone-event`, `CN`, `red` and the
/// like carry no voice and do not count.
pub const AUDIO_CODECS: [&str; 4] = ["opus", "PCMU", "PCMA", "G722"];

impl MediaSection<'_> {
    /// In use: a port, or port zero with `a=bundle-only` (RFC 8843: it shares the port of
    /// its BUNDLE group).
    fn in_use(&self) -> bool {
        self.port != 0 || crate::search::contains(self.text, "a=bundle-only")
    }

    /// How the section names payload type `pt`: its `a=rtpmap` encoding (`G729/8000`),
    /// else the RFC 3551 static name (`PCMU`), else the number itself.
    fn format_name<'s>(&'s self, pt: &'s str) -> &'s str {
        for line in lines(self.text) {
            let encoding = line
                .strip_prefix("a=rtpmap:")
                .and_then(|r| r.strip_prefix(pt))
                .and_then(|r| r.strip_prefix(' '));
            if let Some(encoding) = encoding {
                return encoding.trim();
            }
        }
        for (number, name) in STATIC_PAYLOAD_TYPES {
            if number == pt {
                return name;
            }
        }
        pt
    }
}

/// The static RTP audio payload types (RFC 3551 §6) an offer may list without `a=rtpmap`.
const STATIC_PAYLOAD_TYPES: [(&str, &str); 7] = [
    ("0", "PCMU"),
    ("3", "GSM"),
    ("4", "G723"),
    ("8", "PCMA"),
    ("9", "G722"),
    ("13", "CN"),
    ("18", "G729"),
];

/// Whether `sdp` has an audio section in use that carries a codec of [`AUDIO_CODECS`]. An
/// offer without one cannot be answered with sound; an answer without one rejected every
/// audio stream (`m=audio 0`).
pub fn has_usable_audio(sdp: &str) -> bool {
    for s in sections(sdp) {
        if s.media != "audio" || !s.in_use() {
            continue;
        }
        for pt in s.formats.split(' ').filter(|pt| !pt.is_empty()) {
            let name = s.format_name(pt);
            let codec = name.split('/').next().unwrap_or(name);
            for c in &AUDIO_CODECS {
                if c.eq_ignore_ascii_case(codec) {
                    return true;
                }
            }
        }
    }
    false
}

/// Why `offer` cannot be answered with sound, as an RFC 3261 §20.43 warning: 305
/// (Incompatible media format) with the formats its audio sections offer, or 304 (Media
/// type not available) with the media it offers when no audio section is in use. The text
/// names at most eight formats and keeps only letters, digits and `-._/+` of each: it comes
/// from the network and goes into a quoted string.
pub fn audio_refusal(offer: &str) -> (u16, String) {
    const MAX_LISTED: usize = 8;
    let all = sections(offer);
    let audio = all.iter().any(|s| s.media == "audio" && s.in_use());
    let mut text = String::from(if audio {
        "Incompatible media format: offered"
    } else {
        "Media type not available: offered"
    });
    let mut listed = 0;
    'sections: for s in &all {
        if !s.in_use() || (audio && s.media != "audio") {
            continue;
        }
        // Audio: each format of the section; otherwise the section's media.
        for pt in (if audio { s.formats } else { s.media })
            .split(' ')
            .filter(|pt| !pt.is_empty())
        {
            if listed == MAX_LISTED {
                text.push_str(" ...");
                break 'sections;
            }
            listed += 1;
            text.push(' ');
            let name = if audio { s.format_name(pt) } else { pt };
            for &b in name.as_bytes().iter().take(24) {
                if b.is_ascii_alphanumeric() || b"-._/+".contains(&b) {
                    text.push(char::from(b));
                }
            }
        }
    }
    if listed == 0 {
        text.push_str(" nothing");
    }
    text.push_str("; usable:");
    for codec in &AUDIO_CODECS {
        text.push(' ');
        text.push_str(codec);
    }
    (if audio { 305 } else { 304 }, text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// An offer as Chromium writes it (audio with opus and telephone-event, a data channel).
    const CHROME_OFFER: &str = "v=0\r\n\
o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE 0 1\r\n\
a=extmap-allow-mixed\r\n\
a=msid-semantic: WMS 9a1f3f2e-4d7c-4d7e-9d5c-2c3b0d1e6f70\r\n\
m=audio 54872 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n\
c=IN IP4 192.168.1.20\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=candidate:3442447574 1 udp 2122260223 192.168.1.20 54872 typ host generation 0 network-id 1\r\n\
a=candidate:1234567890 1 udp 1686052607 203.0.113.7 54872 typ srflx raddr 192.168.1.20 rport 54872 generation 0\r\n\
a=ice-ufrag:Xy7q\r\n\
a=ice-pwd:2vVv5sK0dJ8H5b8j6a9d3c1e\r\n\
a=ice-options:trickle\r\n\
a=fingerprint:sha-256 3B:7F:2A:91:0C:4E:55:AA:18:6D:E2:91:3C:0B:7D:44:9A:11:2F:3E:8C:5D:6A:7B:00:19:C4:2E:81:F0:DA:33\r\n\
a=setup:actpass\r\n\
a=mid:0\r\n\
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n\
a=sendrecv\r\n\
a=msid:9a1f3f2e-4d7c-4d7e-9d5c-2c3b0d1e6f70 0b4c1b8e-2a3d-4f5e-8c7d-6e5f4a3b2c1d\r\n\
a=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=rtcp-fb:111 transport-cc\r\n\
a=fmtp:111 minptime=10;useinbandfec=1\r\n\
a=rtpmap:63 red/48000/2\r\n\
a=fmtp:63 111/111\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:13 CN/8000\r\n\
a=rtpmap:110 telephone-event/48000\r\n\
a=rtpmap:126 telephone-event/8000\r\n\
a=ssrc:1001 cname:abcd\r\n\
m=application 54873 UDP/DTLS/SCTP webrtc-datachannel\r\n\
c=IN IP4 192.168.1.20\r\n\
a=mid:1\r\n\
a=sctp-port:5000\r\n";

    #[test]
    fn reads_a_chromium_offer() {
        assert_eq!(validate(CHROME_OFFER), Ok(()));
        let s = sections(CHROME_OFFER);
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].media, s[0].port, s[0].proto),
            ("audio", 54872, "UDP/TLS/RTP/SAVPF")
        );
        assert_eq!(s[0].formats, "111 63 9 0 8 13 110 126");
        assert_eq!(s[1].media, "application");
        assert_eq!(
            directions(CHROME_OFFER),
            vec![Direction::SendRecv, Direction::SendRecv]
        );
        assert_eq!(
            telephone_events(CHROME_OFFER),
            vec![
                TelephoneEvent {
                    payload_type: 110,
                    clock_rate: 48000
                },
                TelephoneEvent {
                    payload_type: 126,
                    clock_rate: 8000
                }
            ]
        );
        assert_eq!(connection_address(CHROME_OFFER), Some("192.168.1.20"));
        assert!(!is_hold(CHROME_OFFER));
    }

    #[test]
    fn hold_changes_only_the_direction_line() {
        let held = with_direction(CHROME_OFFER, Direction::SendOnly);
        assert_eq!(
            held,
            CHROME_OFFER.replace("a=sendrecv\r\n", "a=sendonly\r\n")
        );
        assert!(is_hold(&held));
        assert_eq!(
            directions(&held),
            vec![Direction::SendOnly, Direction::SendRecv]
        );
        let back = with_direction(&held, Direction::SendRecv);
        assert_eq!(back, CHROME_OFFER);
        let inactive = with_direction_at(CHROME_OFFER, 0, Direction::Inactive);
        assert!(is_hold(&inactive));
        assert!(!is_hold(&with_direction(CHROME_OFFER, Direction::RecvOnly)));
    }

    #[test]
    fn adds_missing_direction_and_honours_session_level() {
        let sdp = "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\na=sendonly\nm=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n";
        assert_eq!(session_direction(sdp), Some(Direction::SendOnly));
        assert_eq!(directions(sdp), vec![Direction::SendOnly]);
        assert!(is_hold(sdp));
        let out = with_direction(sdp, Direction::SendRecv);
        assert_eq!(out, "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\na=sendrecv\n");
        assert_eq!(directions(&out), vec![Direction::SendRecv]);
        // No trailing newline: the new line still lands in its own line.
        assert_eq!(
            with_direction("v=0\r\nm=audio 1 RTP/AVP 0", Direction::Inactive),
            "v=0\r\nm=audio 1 RTP/AVP 0\r\na=inactive\r\n"
        );
    }

    #[test]
    fn old_style_hold_and_rejected_sections() {
        let sdp = "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n";
        assert!(is_hold(sdp));
        assert!(!is_hold("v=0\r\nm=audio 0 RTP/AVP 0\r\n"));
        // With ICE, 0.0.0.0 means "no candidates here" (an answer to an ICE restart), not hold.
        let ice = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:yma0\r\na=sendrecv\r\n";
        assert!(!is_hold(ice));
        assert!(is_hold(&with_direction(ice, Direction::SendOnly)));
        let session_ice = "v=0\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:x\r\nm=audio 9 RTP/AVP 0\r\n";
        assert!(!is_hold(session_ice));
        assert!(telephone_events(
            "v=0\r\nm=audio 0 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n"
        )
        .is_empty());
    }

    #[test]
    fn line_and_number_helpers_agree_with_str() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\r\nb",
            "a\n\nb\r\n",
            "\r\n\r\n",
            "x\r",
            "é\r\nü",
        ] {
            let expected: Vec<&str> = text
                .split_terminator('\n')
                .map(|l| l.strip_suffix('\r').unwrap_or(l))
                .collect();
            assert_eq!(lines(text).collect::<Vec<_>>(), expected, "{text:?}");
        }
        for text in [
            "0",
            "+7",
            "255",
            "256",
            "65535",
            "65536",
            "-1",
            "",
            " 1",
            "4294967296",
            "١",
        ] {
            assert_eq!(
                parse_number::<u8>(text),
                text.parse::<u8>().ok(),
                "{text:?}"
            );
            assert_eq!(
                parse_number::<u16>(text),
                text.parse::<u16>().ok(),
                "{text:?}"
            );
            assert_eq!(
                parse_number::<u32>(text),
                text.parse::<u32>().ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn validation_errors() {
        assert_eq!(validate(""), Err(SdpError::Empty));
        assert_eq!(
            validate("o=- 1 1 IN IP4 x\r\nm=audio 1 RTP/AVP 0\r\n"),
            Err(SdpError::MissingVersion)
        );
        assert_eq!(validate("v=0\r\ns=-\r\n"), Err(SdpError::NoMedia));
        assert_eq!(
            validate("v=0\r\nnonsense\r\nm=audio 1 RTP/AVP 0\r\n"),
            Err(SdpError::MalformedLine { line: 2 })
        );
        assert_eq!(
            validate("v=0\r\nm=audio x RTP/AVP 0\r\n"),
            Err(SdpError::MalformedMedia { line: 2 })
        );
        assert_eq!(validate("v=0\r\nm=audio 1 RTP/AVP 0\r\n\r\n"), Ok(()));
    }

    #[test]
    fn usable_audio_needs_a_browser_codec_in_a_section_in_use() {
        assert!(has_usable_audio(CHROME_OFFER));
        let g729 = "v=0\r\nm=audio 4000 RTP/AVP 18 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
        assert!(
            !has_usable_audio(g729),
            "G.729 and telephone-event carry no voice we can play"
        );
        // Static payload types count without an rtpmap; an rtpmap renaming one wins.
        assert!(has_usable_audio("v=0\r\nm=audio 4000 RTP/AVP 8\r\n"));
        assert!(!has_usable_audio("v=0\r\nm=audio 4000 RTP/AVP 18\r\n"));
        assert!(!has_usable_audio(
            "v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 G729/8000\r\n"
        ));
        assert!(has_usable_audio(
            "v=0\r\nm=audio 4000 RTP/AVP 96\r\na=rtpmap:96 OPUS/48000/2\r\n"
        ));
        // A rejected section (an answer with no common codec), video only, nothing at all.
        assert!(!has_usable_audio(
            "v=0\r\nm=audio 0 UDP/TLS/RTP/SAVPF 0\r\n"
        ));
        assert!(!has_usable_audio(
            "v=0\r\nm=video 4000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"
        ));
        assert!(!has_usable_audio(""));
        assert!(has_usable_audio(
            "v=0\r\nm=video 9 RTP/AVP 96\r\nm=audio 0 RTP/AVP 0\r\na=bundle-only\r\n"
        ));
    }

    #[test]
    fn the_refusal_names_what_was_offered() {
        let g729 = "v=0\r\nm=audio 4000 RTP/AVP 18 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
        assert_eq!(
            audio_refusal(g729),
            (305, String::from("Incompatible media format: offered G729/8000 telephone-event/8000; usable: opus PCMU PCMA G722"))
        );
        assert_eq!(
            audio_refusal("v=0\r\nm=audio 4000 RTP/AVP 18\r\n").1,
            "Incompatible media format: offered G729; usable: opus PCMU PCMA G722"
        );
        let video = "v=0\r\nm=audio 0 RTP/AVP 0\r\nm=video 5000 RTP/AVP 96\r\n";
        assert_eq!(
            audio_refusal(video),
            (
                304,
                String::from(
                    "Media type not available: offered video; usable: opus PCMU PCMA G722"
                )
            )
        );
        assert_eq!(
            audio_refusal("").1,
            "Media type not available: offered nothing; usable: opus PCMU PCMA G722"
        );
        // Network text lands in a quoted string: quotes, backslashes and controls never pass,
        // and the list is bounded.
        let hostile =
            "v=0\r\nm=audio 1 RTP/AVP 96 1 2 3 4 5 6 7 10 11\r\na=rtpmap:96 x\"\\\u{7}y/8000\r\n";
        let (_, text) = audio_refusal(hostile);
        assert!(
            text.starts_with("Incompatible media format: offered xy/8000 1 2 GSM G723 5 6 7 ...;"),
            "{text}"
        );
        assert!(!text.contains(['"', '\\', '\u{7}']));
    }
}
