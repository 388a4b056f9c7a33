//! Header names (full and compact forms) and raw header fields.

use std::borrow::Cow;

macro_rules! header_names {
    (@compact) => { "" };
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
            /// Every known name with its canonical and compact forms (`""`: none), in
            /// declaration order. A table scan rather than a chain of comparisons keeps
            /// the wasm engine small.
            const KNOWN: &'static [(HeaderName<'static>, &'static str, &'static str)] = &[
                $( (HeaderName::$variant, $canon, header_names!(@compact $($compact)?)), )*
            ];

            /// Resolves a received header name.
            pub fn parse(name: &'a str) -> HeaderName<'a> {
                for (known, canon, compact) in Self::KNOWN {
                    if name.eq_ignore_ascii_case(canon) || (!compact.is_empty() && name.eq_ignore_ascii_case(compact)) {
                        return *known;
                    }
                }
                HeaderName::Other(name)
            }

            /// The canonical (full) name, or the received text for unknown headers.
            pub fn as_str(&self) -> &'a str {
                match self {
                    $( HeaderName::$variant => $canon, )*
                    HeaderName::Other(s) => s,
                }
            }

            /// The canonical name of a known header (`"extension"` for others), for errors.
            pub(crate) fn static_name(&self) -> &'static str {
                match self {
                    $( HeaderName::$variant => $canon, )*
                    HeaderName::Other(_) => "extension",
                }
            }
        }
    };
}

header_names! {
    /// Accept
    Accept = "Accept";
    /// Accept-Contact (RFC 3841)
    AcceptContact = "Accept-Contact", "a";
    /// Allow
    Allow = "Allow";
    /// Allow-Events (RFC 6665)
    AllowEvents = "Allow-Events", "u";
    /// Authorization
    Authorization = "Authorization";
    /// Call-ID
    CallId = "Call-ID", "i";
    /// Contact
    Contact = "Contact", "m";
    /// Content-Encoding
    ContentEncoding = "Content-Encoding", "e";
    /// Content-Length
    ContentLength = "Content-Length", "l";
    /// Content-Type
    ContentType = "Content-Type", "c";
    /// CSeq
    CSeq = "CSeq";
    /// Date
    Date = "Date";
    /// Event (RFC 6665)
    Event = "Event", "o";
    /// Expires
    Expires = "Expires";
    /// From
    From = "From", "f";
    /// Identity (RFC 8224)
    Identity = "Identity", "y";
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
    ReferTo = "Refer-To", "r";
    /// Referred-By (RFC 3892)
    ReferredBy = "Referred-By", "b";
    /// Reject-Contact (RFC 3841)
    RejectContact = "Reject-Contact", "j";
    /// Replaces (RFC 3891)
    Replaces = "Replaces";
    /// Request-Disposition (RFC 3841)
    RequestDisposition = "Request-Disposition", "d";
    /// Require
    Require = "Require";
    /// Retry-After
    RetryAfter = "Retry-After";
    /// Route
    Route = "Route";
    /// Server
    Server = "Server";
    /// Session-Expires (RFC 4028)
    SessionExpires = "Session-Expires", "x";
    /// Subject
    Subject = "Subject", "s";
    /// Subscription-State (RFC 6665)
    SubscriptionState = "Subscription-State";
    /// Supported
    Supported = "Supported", "k";
    /// Timestamp
    Timestamp = "Timestamp";
    /// To
    To = "To", "t";
    /// Unsupported
    Unsupported = "Unsupported";
    /// User-Agent
    UserAgent = "User-Agent";
    /// Via
    Via = "Via", "v";
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
