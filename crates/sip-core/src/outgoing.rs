//! Messages the user agent sends, kept as parts until the moment they are written.
//!
//! A request stays structured after it is sent because an authentication challenge makes
//! the user agent send it again with a new branch, a new CSeq and credentials.

use crate::message::{MessageBuilder, Method};

/// The first line of an outgoing message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// `METHOD uri SIP/2.0`
    Request { method: String, uri: String },
    /// `SIP/2.0 status reason`
    Response { status: u16, reason: String },
}

/// An outgoing request or response: start line, ordered headers, optional body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outgoing {
    pub(crate) start: Start,
    /// Each header's name and value; an empty name marks `Name:value` lines joined by LF,
    /// written one header each (the application's `X-` headers, which `call/headers.rs`
    /// checked).
    pub(crate) headers: Vec<(&'static str, String)>,
    /// `(content type, body)`.
    pub(crate) body: Option<(String, String)>,
}

impl Outgoing {
    pub(crate) fn request(method: &str, uri: &str) -> Outgoing {
        Outgoing {
            start: Start::Request {
                method: method.to_owned(),
                uri: uri.to_owned(),
            },
            headers: Vec::with_capacity(12),
            body: None,
        }
    }

    pub(crate) fn response(status: u16, reason: &str) -> Outgoing {
        Outgoing {
            start: Start::Response {
                status,
                reason: reason.to_owned(),
            },
            headers: Vec::with_capacity(10),
            body: None,
        }
    }

    /// Appends a header.
    pub(crate) fn push(&mut self, name: &'static str, value: impl Into<String>) -> &mut Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Replaces every header `name` with one value (appended when absent).
    pub(crate) fn set(&mut self, name: &'static str, value: impl Into<String>) -> &mut Self {
        let value = value.into();
        if let Some(pos) = self
            .headers
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            self.headers
                .insert(pos.min(self.headers.len()), (name, value));
        } else {
            self.headers.push((name, value));
        }
        self
    }

    /// Drops every header `name`.
    pub(crate) fn remove(&mut self, name: &str) -> &mut Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    /// The first value of header `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn with_body(&mut self, content_type: &str, body: String) -> &mut Self {
        self.body = Some((content_type.to_owned(), body));
        self
    }

    pub(crate) fn method(&self) -> Option<&str> {
        match &self.start {
            Start::Request { method, .. } => Some(method),
            Start::Response { .. } => None,
        }
    }

    pub(crate) fn uri(&self) -> Option<&str> {
        match &self.start {
            Start::Request { uri, .. } => Some(uri),
            Start::Response { .. } => None,
        }
    }

    /// The SIP text, with Content-Type and Content-Length derived from the body.
    pub(crate) fn render(&self) -> String {
        let mut b = match &self.start {
            Start::Request { method, uri } => MessageBuilder::request(Method::parse(method), uri),
            Start::Response { status, reason } => MessageBuilder::response(*status, reason),
        };
        for (name, value) in &self.headers {
            if name.eq_ignore_ascii_case("Content-Length")
                || name.eq_ignore_ascii_case("Content-Type")
            {
                continue;
            }
            if name.is_empty() {
                for line in value.split('\n').filter(|l| !l.is_empty()) {
                    b.raw(line).raw("\r\n");
                }
            } else {
                b.header(name, value);
            }
        }
        match &self.body {
            Some((ctype, body)) => {
                b.header("Content-Type", ctype);
                b.finish(body)
            }
            None => b.finish(""),
        }
    }
}

/// Quotes a display name for a name-addr, dropping characters that could break the header.
pub(crate) fn quote_display_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_content_length_and_parses_back() {
        let mut m = Outgoing::request("INFO", "sip:b@example.com");
        m.push("Via", "SIP/2.0/WSS x.invalid;branch=z9hG4bKabc")
            .push("Max-Forwards", "70")
            .push("To", "<sip:b@example.com>;tag=2")
            .push("From", "<sip:a@example.com>;tag=1")
            .push("Call-ID", "c1")
            .push("CSeq", "2 INFO")
            .with_body(
                "application/dtmf-relay",
                "Signal=5\r\nDuration=100\r\n".into(),
            );
        m.set("CSeq", "3 INFO");
        let text = m.render();
        let parsed = crate::message::parse(&text).expect("parses");
        assert_eq!(parsed.cseq().seq, 3);
        assert_eq!(parsed.body(), "Signal=5\r\nDuration=100\r\n");
        assert_eq!(quote_display_name("A \"B\"\r\n"), "\"A \\\"B\\\"\"");
    }
}
