//! SIP messages: a lean, zero-copy parser over the received text and a small builder.
//!
//! [`parse`] checks the start line, every header line, Content-Length against the body
//! and the headers every transaction needs (Via, From, To, Call-ID, CSeq, Max-Forwards,
//! Contact), so the accessors for those cannot fail afterwards. Other typed headers
//! are read on demand and return `Result`. Unknown headers are kept as received and
//! written back unchanged by [`Message::serialize`].

mod build;
mod error;
mod header;
mod method;
mod params;
mod parse;
mod text;
pub(crate) use text::parse_u32;
mod uri;
mod values;

pub use build::{response_to, MessageBuilder};
pub use error::ParseError;
pub use header::{Header, HeaderName};
pub use method::Method;
pub use params::Params;
pub use parse::parse;
pub use uri::{is_absolute_uri, SipUri};
pub use values::{
    AuthKind, CSeq, Challenge, ContentType, Credentials, Event, NameAddr, Replaces, Via,
};

use text::{split_outside, trim};

/// The first line of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// `METHOD Request-URI SIP/2.0`
    Request {
        /// The method.
        method: Method<'a>,
        /// The Request-URI as received.
        uri: &'a str,
    },
    /// `SIP/2.0 code reason`
    Response {
        /// Status code, 100..=699.
        code: u16,
        /// Reason phrase (may be empty or UTF-8).
        reason: &'a str,
    },
}

/// A parsed SIP request or response borrowing the received text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    start: StartLine<'a>,
    headers: Vec<Header<'a>>,
    body: &'a str,
}

impl<'a> Message<'a> {
    /// The start line.
    pub fn start_line(&self) -> StartLine<'a> {
        self.start
    }

    /// True for a request.
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// The request method (`None` for a response; use [`Message::cseq`] there).
    pub fn method(&self) -> Option<Method<'a>> {
        match self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI of a request.
    pub fn request_uri(&self) -> Option<&'a str> {
        match self.start {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// The reason phrase of a response.
    pub fn reason(&self) -> Option<&'a str> {
        match self.start {
            StartLine::Response { reason, .. } => Some(reason),
            StartLine::Request { .. } => None,
        }
    }

    /// The body (may be empty).
    pub fn body(&self) -> &'a str {
        self.body
    }

    /// All header fields in received order.
    pub fn headers(&self) -> &[Header<'a>] {
        &self.headers
    }

    /// The value of the first header with this name.
    pub fn header<'n>(&self, name: impl Into<HeaderName<'n>>) -> Option<&str> {
        let name = name.into();
        self.headers
            .iter()
            .find(|h| h.name == name)
            .map(|h| h.value.as_ref())
    }

    /// The values of every header line with this name, in order (not comma-split).
    pub fn header_lines<'s>(
        &'s self,
        name: impl Into<HeaderName<'s>>,
    ) -> impl Iterator<Item = &'s str> + 's {
        let name = name.into();
        self.headers
            .iter()
            .filter(move |h| h.name == name)
            .map(|h| h.value.as_ref())
    }

    /// The comma-separated elements of every line of a list header (commas inside
    /// quotes or `<...>` do not split), trimmed, empty elements skipped.
    pub fn list<'s>(
        &'s self,
        name: impl Into<HeaderName<'s>>,
    ) -> impl Iterator<Item = &'s str> + 's {
        ListElements {
            headers: self.headers.iter(),
            name: name.into(),
            line: None,
        }
    }

    /// Call-ID (checked by [`parse`]).
    pub fn call_id(&self) -> &str {
        self.header(HeaderName::CallId).unwrap_or_default()
    }

    /// CSeq (checked by [`parse`]).
    pub fn cseq(&self) -> CSeq<'_> {
        self.header(HeaderName::CSeq)
            .and_then(|v| CSeq::parse(v).ok())
            .unwrap_or(CSeq {
                seq: 0,
                method: Method::Other(""),
            })
    }

    /// From (checked by [`parse`]).
    pub fn from(&self) -> NameAddr<'_> {
        self.name_addr(HeaderName::From, "From")
    }

    /// To (checked by [`parse`]).
    pub fn to(&self) -> NameAddr<'_> {
        self.name_addr(HeaderName::To, "To")
    }

    fn name_addr(&self, name: HeaderName<'static>, label: &'static str) -> NameAddr<'_> {
        self.header(name)
            .and_then(|v| NameAddr::parse(v, label).ok())
            .unwrap_or(NameAddr {
                display_name: None,
                uri: "",
                params: Params::default(),
            })
    }

    /// Every Via hop, topmost first (checked by [`parse`]).
    pub fn vias(&self) -> Vec<Via<'_>> {
        self.list(HeaderName::Via)
            .filter_map(|v| Via::parse(v).ok())
            .collect()
    }

    /// The topmost Via (checked by [`parse`], so present).
    pub fn top_via(&self) -> Option<Via<'_>> {
        self.list(HeaderName::Via)
            .next()
            .and_then(|v| Via::parse(v).ok())
    }

    /// Max-Forwards (checked by [`parse`]).
    pub fn max_forwards(&self) -> Option<u8> {
        self.header(HeaderName::MaxForwards)
            .and_then(text::parse_u32)
            .and_then(|n| u8::try_from(n).ok())
    }

    /// Contact addresses in order (checked by [`parse`]); empty for `Contact: *`.
    pub fn contacts(&self) -> Vec<NameAddr<'_>> {
        self.list(HeaderName::Contact)
            .filter(|v| *v != "*")
            .filter_map(|v| NameAddr::parse(v, "Contact").ok())
            .collect()
    }

    /// The first Contact whose URI is a SIP or SIPS URI: what a dialog may target (RFC 3261
    /// §12.1.1); any other URI would become the Request-URI of a request we could not send.
    pub fn target(&self) -> Option<&str> {
        self.contacts()
            .into_iter()
            .map(|c| c.uri)
            .find(|uri| SipUri::parse(uri).is_ok())
    }

    /// True for `Contact: *` (un-REGISTER all bindings).
    pub fn contact_is_wildcard(&self) -> bool {
        self.list(HeaderName::Contact).any(|v| v == "*")
    }

    /// Route entries in order.
    pub fn routes(&self) -> Result<Vec<NameAddr<'_>>, ParseError> {
        self.name_addrs(HeaderName::Route, "Route")
    }

    /// Record-Route entries in order.
    pub fn record_routes(&self) -> Result<Vec<NameAddr<'_>>, ParseError> {
        self.name_addrs(HeaderName::RecordRoute, "Record-Route")
    }

    fn name_addrs(
        &self,
        name: HeaderName<'static>,
        label: &'static str,
    ) -> Result<Vec<NameAddr<'_>>, ParseError> {
        self.list(name).map(|v| NameAddr::parse(v, label)).collect()
    }

    /// Expires, in seconds (values above `u32::MAX` saturate).
    pub fn expires(&self) -> Result<Option<u32>, ParseError> {
        self.delta_seconds(HeaderName::Expires, "Expires")
    }

    /// Min-Expires (423 Interval Too Brief).
    pub fn min_expires(&self) -> Result<Option<u32>, ParseError> {
        self.delta_seconds(HeaderName::MinExpires, "Min-Expires")
    }

    fn delta_seconds(
        &self,
        name: HeaderName<'static>,
        label: &'static str,
    ) -> Result<Option<u32>, ParseError> {
        let Some(v) = self.header(name) else {
            return Ok(None);
        };
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::invalid(label, "not a number of seconds"));
        }
        Ok(Some(text::parse_u32(v).unwrap_or(u32::MAX)))
    }

    /// Challenges from WWW-Authenticate and Proxy-Authenticate, in header order.
    pub fn challenges(&self) -> Result<Vec<Challenge<'_>>, ParseError> {
        let mut out = Vec::new();
        for h in &self.headers {
            let (kind, label) = match h.name {
                HeaderName::WwwAuthenticate => (AuthKind::Www, "WWW-Authenticate"),
                HeaderName::ProxyAuthenticate => (AuthKind::Proxy, "Proxy-Authenticate"),
                _ => continue,
            };
            out.extend(Challenge::parse_all(&h.value, kind, label)?);
        }
        Ok(out)
    }

    /// Credentials from Authorization and Proxy-Authorization, in header order.
    pub fn credentials(&self) -> Result<Vec<Credentials<'_>>, ParseError> {
        let mut out = Vec::new();
        for h in &self.headers {
            let (kind, label) = match h.name {
                HeaderName::Authorization => (AuthKind::Www, "Authorization"),
                HeaderName::ProxyAuthorization => (AuthKind::Proxy, "Proxy-Authorization"),
                _ => continue,
            };
            out.extend(Challenge::parse_all(&h.value, kind, label)?);
        }
        Ok(out)
    }

    /// The body when it is a session description: not empty, `Content-Type: application/sdp`.
    #[must_use]
    pub fn sdp_body(&self) -> Option<&'a str> {
        let is_sdp = !self.body.is_empty()
            && self
                .content_type()
                .ok()
                .flatten()
                .is_some_and(|c| c.is("application/sdp"));
        is_sdp.then_some(self.body)
    }

    /// Content-Type.
    pub fn content_type(&self) -> Result<Option<ContentType<'_>>, ParseError> {
        self.header(HeaderName::ContentType)
            .map(ContentType::parse)
            .transpose()
    }

    /// Option tags of Supported (`k`).
    pub fn supported(&self) -> impl Iterator<Item = &str> {
        self.list(HeaderName::Supported)
    }

    /// Option tags of Require.
    pub fn require(&self) -> impl Iterator<Item = &str> {
        self.list(HeaderName::Require)
    }

    /// True when `tag` is listed in Supported or Require.
    pub fn supports(&self, tag: &str) -> bool {
        self.supported()
            .chain(self.require())
            .any(|t| t.eq_ignore_ascii_case(tag))
    }

    /// Event (`o`).
    pub fn event(&self) -> Result<Option<Event<'_>>, ParseError> {
        self.header(HeaderName::Event).map(Event::parse).transpose()
    }

    /// Refer-To (`r`).
    pub fn refer_to(&self) -> Result<Option<NameAddr<'_>>, ParseError> {
        self.header(HeaderName::ReferTo)
            .map(|v| NameAddr::parse(v, "Refer-To"))
            .transpose()
    }

    /// Replaces.
    pub fn replaces(&self) -> Result<Option<Replaces<'_>>, ParseError> {
        self.header(HeaderName::Replaces)
            .map(Replaces::parse)
            .transpose()
    }

    /// Writes the message back as text: canonical names for known headers, unknown
    /// headers as received, folded values on one line, body unchanged.
    pub fn serialize(&self) -> String {
        let mut out = String::with_capacity(self.body.len() + 64 * (self.headers.len() + 1));
        match self.start {
            StartLine::Request { method, uri } => {
                out.push_str(method.as_str());
                out.push(' ');
                out.push_str(uri);
                out.push_str(" SIP/2.0\r\n");
            }
            StartLine::Response { code, reason } => {
                out.push_str("SIP/2.0 ");
                text::push_u32(&mut out, u32::from(code));
                out.push(' ');
                out.push_str(reason);
                out.push_str("\r\n");
            }
        }
        for h in &self.headers {
            out.push_str(h.name.as_str());
            out.push_str(": ");
            out.push_str(&h.value);
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        out.push_str(self.body);
        out
    }
}

/// The elements of [`Message::list`]: one concrete iterator (not an adapter chain), so
/// every caller shares one `next`.
struct ListElements<'s> {
    headers: std::slice::Iter<'s, Header<'s>>,
    name: HeaderName<'s>,
    /// The rest of the header line being split.
    line: Option<text::SplitOutside<'s>>,
}

impl<'s> Iterator for ListElements<'s> {
    type Item = &'s str;

    fn next(&mut self) -> Option<&'s str> {
        loop {
            if let Some(line) = self.line.as_mut() {
                for element in line.by_ref() {
                    let element = trim(element);
                    if !element.is_empty() {
                        return Some(element);
                    }
                }
            }
            let name = self.name;
            let header = self.headers.find(|h| h.name == name)?;
            self.line = Some(split_outside(&header.value, ',', true));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
