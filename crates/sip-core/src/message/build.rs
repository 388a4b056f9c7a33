//! Writing messages: header order kept, Content-Length computed, no `format!`.

use super::header::HeaderName;
use super::method::Method;
use super::text::push_u32;
use super::Message;

/// Writes a request or response into one `String` with `push_str`.
///
/// ```
/// use sip_core::message::{MessageBuilder, Method};
/// let mut b = MessageBuilder::request(Method::Options, "sip:example.com");
/// b.header("Via", "SIP/2.0/WSS a.invalid;branch=z9hG4bK1")
///     .header_parts("From", &["<sip:a@example.com>;tag=", "1"])
///     .header("To", "<sip:example.com>")
///     .header("Call-ID", "x")
///     .header("CSeq", "1 OPTIONS")
///     .header_u32("Max-Forwards", 70);
/// let text = b.finish("");
/// assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
/// ```
#[derive(Debug, Clone)]
pub struct MessageBuilder {
    buf: String,
}

impl MessageBuilder {
    /// Starts `METHOD uri SIP/2.0`.
    pub fn request(method: Method<'_>, uri: &str) -> Self {
        let mut buf = String::with_capacity(512);
        buf.push_str(method.as_str());
        buf.push(' ');
        buf.push_str(uri);
        buf.push_str(" SIP/2.0\r\n");
        MessageBuilder { buf }
    }

    /// Starts `SIP/2.0 code reason`.
    pub fn response(code: u16, reason: &str) -> Self {
        let mut buf = String::with_capacity(512);
        buf.push_str("SIP/2.0 ");
        push_u32(&mut buf, u32::from(code));
        buf.push(' ');
        buf.push_str(reason);
        buf.push_str("\r\n");
        MessageBuilder { buf }
    }

    /// Appends `name: value`.
    pub fn header(&mut self, name: &str, value: &str) -> &mut Self {
        self.header_parts(name, &[value])
    }

    /// Appends `name: ` followed by the parts concatenated (no formatting machinery).
    pub fn header_parts(&mut self, name: &str, parts: &[&str]) -> &mut Self {
        self.buf.push_str(name);
        self.buf.push_str(": ");
        for p in parts {
            self.buf.push_str(p);
        }
        self.buf.push_str("\r\n");
        self
    }

    /// Appends `text` as it is: header lines the caller checked, each ending with CRLF.
    pub(crate) fn raw(&mut self, text: &str) -> &mut Self {
        self.buf.push_str(text);
        self
    }

    /// Appends `name: number`.
    pub fn header_u32(&mut self, name: &str, value: u32) -> &mut Self {
        self.buf.push_str(name);
        self.buf.push_str(": ");
        push_u32(&mut self.buf, value);
        self.buf.push_str("\r\n");
        self
    }

    /// Copies every line of a header from a received message, in order.
    pub fn copy_header<'n>(
        &mut self,
        from: &Message<'_>,
        name: impl Into<HeaderName<'n>>,
    ) -> &mut Self {
        let name = name.into();
        for v in from.header_lines(name) {
            self.header(name.as_str(), v);
        }
        self
    }

    /// Appends Content-Length, the blank line and the body; returns the text.
    /// Set Content-Type yourself when there is a body.
    pub fn finish(mut self, body: &str) -> String {
        let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
        self.header_u32("Content-Length", len);
        self.buf.push_str("\r\n");
        self.buf.push_str(body);
        self.buf
    }
}

/// Starts a response to `request` (RFC 3261 §8.2.6): Via (all hops, in order), From,
/// To (with `to_tag` added when the request's To has none), Call-ID and CSeq are
/// copied. Add Record-Route, Contact and the rest with the builder.
pub fn response_to(
    request: &Message<'_>,
    code: u16,
    reason: &str,
    to_tag: Option<&str>,
) -> MessageBuilder {
    let mut b = MessageBuilder::response(code, reason);
    b.copy_header(request, HeaderName::Via)
        .copy_header(request, HeaderName::From);
    let to = request.header(HeaderName::To).unwrap_or_default();
    match to_tag {
        Some(tag) if request.to().tag().is_none() => {
            b.header_parts("To", &[to, ";tag=", tag]);
        }
        _ => {
            b.header("To", to);
        }
    }
    b.copy_header(request, HeaderName::CallId)
        .copy_header(request, HeaderName::CSeq);
    b
}
