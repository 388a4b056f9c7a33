//! Header names (full and compact forms) and raw header fields.

use std::borrow::Cow;

macro_rules! header_names {
    (@compact) => { 0 };
    (@compact $compact:literal) => { $compact };
    ($( $(#[$doc:meta])* $variant:ident = $canon:literal $(, $compact:literal)? ; )*) => {
        /// A header name. Known names are matched case-insensitively, compact forms
        /// (RFC 3261 §7.3.3 and the IANA registry) map to their full name, and any other
        /// name is kept as received.
        #[derive(Debug, Clone, Copy, Eq)]
        pub enum HeaderName<'a> {
            $( $(#[$doc])* $variant, )*
            /// A header this module does not know; compared case-insensitively.
            Other(&'a str),
        }

        impl<'a> HeaderName<'a> {
            /// Every known canonical name, back to back in declaration order, with their
            /// lengths and compact forms (`0`: none) beside: a table of offsets rather than
            /// of `&str`s keeps pointers out of the wasm engine's data (`docs/size.md`).
            const NAMES: &'static str = concat!($($canon),*);
            const LENGTHS: &'static [u8] = &[$($canon.len() as u8),*];
            const COMPACT: &'static [u8] = &[$(header_names!(@compact $($compact)?)),*];

            /// Resolves a received header name.
            pub fn parse(name: &'a str) -> HeaderName<'a> {
                let mut start = 0;
                for (i, (&len, &compact)) in Self::LENGTHS.iter().zip(Self::COMPACT).enumerate() {
                    let end = start + usize::from(len);
                    let canon = Self::NAMES.get(start..end).unwrap_or_default();
                    if name.eq_ignore_ascii_case(canon)
                        || (compact != 0 && name.as_bytes().eq_ignore_ascii_case(&[compact]))
                    {
                        return Self::known(i, name);
                    }
                    start = end;
                }
                HeaderName::Other(name)
            }

            /// The known name at `index` of the tables (`Other(name)` past their end).
            fn known(index: usize, name: &'a str) -> HeaderName<'a> {
                let mut i = 0;
                $(
                    if i == index {
                        return HeaderName::$variant;
                    }
                    i += 1;
                )*
                let _ = i;
                HeaderName::Other(name)
            }

            /// The place of a known header in the tables, `None` for others.
            fn index(&self) -> Option<usize> {
                let mut i = 0;
                $(
                    if matches!(self, HeaderName::$variant) {
                        return Some(i);
                    }
                    i += 1;
                )*
                let _ = i;
                None
            }

            /// The canonical name of a known header, `None` for others.
            fn canonical(&self) -> Option<&'static str> {
                let index = self.index()?;
                let lengths = Self::LENGTHS.get(..=index)?;
                let end: usize = lengths.iter().map(|&l| usize::from(l)).sum();
                let start = end - usize::from(*lengths.last()?);
                Self::NAMES.get(start..end)
            }

            /// The canonical (full) name, or the received text for unknown headers.
            pub fn as_str(&self) -> &'a str {
                match self {
                    HeaderName::Other(s) => s,
                    known => known.canonical().unwrap_or_default(),
                }
            }

            /// The canonical name of a known header (`"extension"` for others), for errors.
            pub(crate) fn static_name(&self) -> &'static str {
                self.canonical().unwrap_or("extension")
            }
        }
    };
}

header_names! {
    /// Accept
    Accept = "Accept";
    /// Accept-Contact (RFC 3841)
    AcceptContact = "Accept-Contact", b'a';
    /// Allow
    Allow = "Allow";
    /// Allow-Events (RFC 6665)
    AllowEvents = "Allow-Events", b'u';
    /// Authorization
    Authorization = "Authorization";
    /// Call-ID
    CallId = "Call-ID", b'i';
    /// Contact
    Contact = "Contact", b'm';
    /// Content-Encoding
    ContentEncoding = "Content-Encoding", b'e';
    /// Content-Length
    ContentLength = "Content-Length", b'l';
    /// Content-Type
    ContentType = "Content-Type", b'c';
    /// CSeq
    CSeq = "CSeq";
    /// Date
    Date = "Date";
    /// Event (RFC 6665)
    Event = "Event", b'o';
    /// Expires
    Expires = "Expires";
    /// From
    From = "From", b'f';
    /// Identity (RFC 8224)
    Identity = "Identity", b'y';
    /// Max-Forwards
    MaxForwards = "Max-Forwards";
    /// Min-Expires
    MinExpires = "Min-Expires";
    /// Path (RFC 3327)
    Path = "Path";
    /// Proxy-Authenticate
    ProxyAuthenticate = "Proxy-Authenticate";
    /// Proxy-Authorization
    ProxyAuthorization = "Proxy-Authorization";
    /// Proxy-Require
    ProxyRequire = "Proxy-Require";
    /// Reason (RFC 3326)
    Reason = "Reason";
    /// Record-Route
    RecordRoute = "Record-Route";
    /// Refer-To (RFC 3515)
    ReferTo = "Refer-To", b'r';
    /// Referred-By (RFC 3892)
    ReferredBy = "Referred-By", b'b';
    /// Reject-Contact (RFC 3841)
    RejectContact = "Reject-Contact", b'j';
    /// Replaces (RFC 3891)
    Replaces = "Replaces";
    /// Request-Disposition (RFC 3841)
    RequestDisposition = "Request-Disposition", b'd';
    /// Require
    Require = "Require";
    /// Retry-After
    RetryAfter = "Retry-After";
    /// Route
    Route = "Route";
    /// Server
    Server = "Server";
    /// Session-Expires (RFC 4028)
    SessionExpires = "Session-Expires", b'x';
    /// Subject
    Subject = "Subject", b's';
    /// Subscription-State (RFC 6665)
    SubscriptionState = "Subscription-State";
    /// Supported
    Supported = "Supported", b'k';
    /// Timestamp
    Timestamp = "Timestamp";
    /// To
    To = "To", b't';
    /// Unsupported
    Unsupported = "Unsupported";
    /// User-Agent
    UserAgent = "User-Agent";
    /// Via
    Via = "Via", b'v';
    /// Warning
    Warning = "Warning";
    /// WWW-Authenticate
    WwwAuthenticate = "WWW-Authenticate";
}

impl PartialEq for HeaderName<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (HeaderName::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(b),
            (HeaderName::Other(_), _) | (_, HeaderName::Other(_)) => false,
            _ => core::mem::discriminant(self) == core::mem::discriminant(other),
        }
    }
}

impl<'a> From<&'a str> for HeaderName<'a> {
    fn from(name: &'a str) -> Self {
        HeaderName::parse(name)
    }
}

/// One header field as received: the name and its value, trimmed and, when the
/// field was folded over several lines, unfolded (the only case that allocates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    /// The resolved name.
    pub name: HeaderName<'a>,
    /// The value without surrounding whitespace.
    pub value: Cow<'a, str>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_known_name_resolves_to_its_own_place_in_the_tables() {
        let count = HeaderName::LENGTHS.len();
        assert_eq!(HeaderName::COMPACT.len(), count);
        let total: usize = HeaderName::LENGTHS.iter().map(|&l| usize::from(l)).sum();
        assert_eq!(total, HeaderName::NAMES.len());
        for i in 0..count {
            let known = HeaderName::known(i, "X-Unknown");
            assert_eq!(known.index(), Some(i));
            let name = known.as_str();
            assert!(!name.is_empty() && name != "X-Unknown");
            assert_eq!(known.static_name(), name);
            assert_eq!(HeaderName::parse(name), known, "{name}");
            assert_eq!(HeaderName::parse(&name.to_ascii_uppercase()), known);
            if let Some(&c) = HeaderName::COMPACT.get(i).filter(|&&c| c != 0) {
                let short = char::from(c).to_string();
                assert_eq!(HeaderName::parse(&short), known);
                assert_eq!(HeaderName::parse(&short.to_ascii_uppercase()), known);
            }
        }
        assert_eq!(
            HeaderName::known(count, "X-Foo"),
            HeaderName::Other("X-Foo")
        );
        assert_eq!(
            HeaderName::parse("WWW-Authenticate").as_str(),
            "WWW-Authenticate"
        );
        assert_eq!(HeaderName::Accept.as_str(), "Accept");
        assert_eq!(HeaderName::parse("Accept"), HeaderName::Accept);
        assert_eq!(HeaderName::Other("X-Foo").static_name(), "extension");
        assert_eq!(HeaderName::Other("X-Foo").index(), None);
    }

    #[test]
    fn compact_and_case_insensitive_names() {
        assert_eq!(HeaderName::parse("v"), HeaderName::Via);
        assert_eq!(HeaderName::parse("MaX-fOrWaRdS"), HeaderName::MaxForwards);
        assert_eq!(HeaderName::parse("i").as_str(), "Call-ID");
        assert_eq!(HeaderName::parse("X-Foo"), HeaderName::parse("x-foo"));
        assert_ne!(HeaderName::parse("X-Foo"), HeaderName::Via);
        assert_eq!(HeaderName::parse("X-Foo").as_str(), "X-Foo");
        for (short, long) in [
            ("k", "Supported"),
            ("o", "Event"),
            ("r", "Refer-To"),
            ("x", "Session-Expires"),
        ] {
            assert_eq!(HeaderName::parse(short).as_str(), long);
        }
    }
}
