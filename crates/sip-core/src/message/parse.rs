//! The parser: start line, header lines (with unfolding), body, and the checks
//! that make the core accessors infallible.

use std::borrow::Cow;

use super::header::{Header, HeaderName};
use super::method::Method;
use super::text::{is_lws, is_token, parse_u32, split_outside, trim};
use super::uri::{is_absolute_uri, SipUri};
use super::values::{CSeq, NameAddr, Via};
use super::{Message, ParseError, StartLine};

/// Parses one SIP message (one WebSocket text frame, RFC 7118).
///
/// Leading blank lines are skipped (RFC 3261 §7.5); lines may end in CRLF or a bare
/// LF. Without Content-Length the body is the rest of the text; with it, the lengths
/// must agree.
pub fn parse(text: &str) -> Result<Message<'_>, ParseError> {
    let text = text.trim_start_matches(['\r', '\n']);
    if text.is_empty() {
        return Err(ParseError::Empty);
    }
    let mut lines = Lines { text, pos: 0 };
    let (first, _) = lines.next().ok_or(ParseError::Empty)?;
    let start = parse_start_line(first)?;

    let mut headers: Vec<Header<'_>> = Vec::new();
    // (name, value start, value end, folded) of the header being read.
    let mut current: Option<(HeaderName<'_>, usize, usize, bool)> = None;
    let mut body_start = text.len();
    let mut line_no = 1;
    while let Some((line, line_start)) = lines.next() {
        line_no += 1;
        if line.is_empty() {
            body_start = lines.pos;
            break;
        }
        if line.starts_with([' ', '\t']) {
            let Some(cur) = current.as_mut() else {
                return Err(ParseError::HeaderLine { line: line_no });
            };
            cur.2 = line_start + line.len();
            cur.3 = true;
            continue;
        }
        if let Some(done) = current.take() {
            headers.push(finish_header(text, done));
        }
        let (name, _) = line
            .split_once(':')
            .ok_or(ParseError::HeaderLine { line: line_no })?;
        let name_trimmed = name.trim_end_matches([' ', '\t']);
        if !is_token(name_trimmed) {
            return Err(ParseError::HeaderLine { line: line_no });
        }
        let value_start = line_start + name.len() + 1;
        current = Some((
            HeaderName::parse(name_trimmed),
            value_start,
            line_start + line.len(),
            false,
        ));
    }
    if let Some(done) = current.take() {
        headers.push(finish_header(text, done));
    }
    let body = text.get(body_start..).unwrap_or_default();
    let message = Message {
        start,
        headers,
        body,
    };
    check(&message)?;
    Ok(message)
}

/// Lines with their byte offset; `pos` is the offset after the last line returned.
struct Lines<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Lines<'a> {
    fn next(&mut self) -> Option<(&'a str, usize)> {
        let rest = self.text.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let start = self.pos;
        let (line, advance) = match rest.find('\n') {
            Some(i) => (rest.get(..i)?, i + 1),
            None => (rest, rest.len()),
        };
        self.pos += advance;
        Some((line.strip_suffix('\r').unwrap_or(line), start))
    }
}

fn finish_header<'a>(
    text: &'a str,
    (name, start, end, folded): (HeaderName<'a>, usize, usize, bool),
) -> Header<'a> {
    let raw = text.get(start..end).unwrap_or_default();
    let value = if folded {
        // Each CRLF plus following blanks becomes one space (RFC 3261 §7.3.1).
        let mut out = String::with_capacity(raw.len());
        for (i, part) in raw.split('\n').enumerate() {
            let part = part.strip_suffix('\r').unwrap_or(part);
            if i > 0 {
                out.push(' ');
                out.push_str(part.trim_start_matches([' ', '\t']));
            } else {
                out.push_str(part);
            }
        }
        Cow::Owned(trim(&out).to_owned())
    } else {
        Cow::Borrowed(trim(raw))
    };
    Header { name, value }
}

fn parse_start_line(line: &str) -> Result<StartLine<'_>, ParseError> {
    if let Some(rest) = strip_prefix_ignore_case(line, "SIP/") {
        let (version, rest) = rest.split_once(' ').ok_or(ParseError::StartLine)?;
        if version != "2.0" {
            return Err(ParseError::Version);
        }
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        if code.len() != 3 {
            return Err(ParseError::StatusCode);
        }
        let code = parse_u32(code)
            .and_then(|c| u16::try_from(c).ok())
            .filter(|c| (100..=699).contains(c))
            .ok_or(ParseError::StatusCode)?;
        if reason.contains(['\r', '\n']) {
            return Err(ParseError::StartLine);
        }
        return Ok(StartLine::Response { code, reason });
    }
    let mut parts = line.split(' ');
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::StartLine);
    };
    if !is_token(method) {
        return Err(ParseError::Method);
    }
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        return Err(if strip_prefix_ignore_case(version, "SIP/").is_some() {
            ParseError::Version
        } else {
            ParseError::StartLine
        });
    }
    if !is_absolute_uri(uri) {
        return Err(ParseError::RequestUri);
    }
    if uri.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("sip:"))
        || uri
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("sips:"))
    {
        let parsed = SipUri::parse(uri).map_err(|_| ParseError::RequestUri)?;
        if parsed.headers.is_some() {
            return Err(ParseError::RequestUri);
        }
    }
    Ok(StartLine::Request {
        method: Method::parse(method),
        uri,
    })
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// The checks behind the infallible accessors.
fn check(m: &Message<'_>) -> Result<(), ParseError> {
    let single = |name: HeaderName<'static>| -> Result<Option<&str>, ParseError> {
        let mut it = m.header_lines(name);
        let first = it.next();
        if it.next().is_some() {
            return Err(ParseError::Duplicate(name.static_name()));
        }
        Ok(first)
    };
    let required = |name: HeaderName<'static>| -> Result<&str, ParseError> {
        single(name)?.ok_or(ParseError::Missing(name.static_name()))
    };

    let mut vias = 0;
    for v in m.header_lines(HeaderName::Via) {
        for hop in split_outside(v, ',', true) {
            Via::parse(hop)?;
            vias += 1;
        }
    }
    if vias == 0 {
        return Err(ParseError::Missing("Via"));
    }
    NameAddr::parse(required(HeaderName::From)?, "From")?;
    NameAddr::parse(required(HeaderName::To)?, "To")?;
    let call_id = required(HeaderName::CallId)?;
    if call_id.is_empty() || call_id.contains(is_lws) {
        return Err(ParseError::invalid("Call-ID", "empty or contains blanks"));
    }
    let cseq = CSeq::parse(required(HeaderName::CSeq)?)?;
    if let Some(method) = m.method() {
        if cseq.method != method {
            return Err(ParseError::CSeqMethod);
        }
    }
    if let Some(mf) = single(HeaderName::MaxForwards)? {
        if parse_u32(mf).is_none_or(|n| n > 255) {
            return Err(ParseError::invalid(
                "Max-Forwards",
                "not a number in 0..=255",
            ));
        }
    }
    for v in m.header_lines(HeaderName::Contact) {
        for c in split_outside(v, ',', true) {
            let c = trim(c);
            if c != "*" {
                NameAddr::parse(c, "Contact")?;
            }
        }
    }
    if let Some(cl) = single(HeaderName::ContentLength)? {
        let declared =
            parse_u32(cl).ok_or(ParseError::invalid("Content-Length", "not a number"))?;
        if usize::try_from(declared).ok() != Some(m.body.len()) {
            return Err(ParseError::ContentLength {
                declared,
                actual: m.body.len(),
            });
        }
    }
    Ok(())
}
