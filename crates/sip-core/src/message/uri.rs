//! A minimal view of `sip:`/`sips:` URIs: what a user agent reads from them.

use super::params::Params;
use super::text::{is_lws, parse_u32};
use super::ParseError;

/// `sip:user:password@host:port;params?headers`, borrowed from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipUri<'a> {
    /// `sip` or `sips` (as received).
    pub scheme: &'a str,
    /// The user part, still %-escaped.
    pub user: Option<&'a str>,
    /// The password part, when present (deprecated, but legal).
    pub password: Option<&'a str>,
    /// Host name, IPv4 address or bracketed IPv6 reference.
    pub host: &'a str,
    /// Explicit port.
    pub port: Option<u16>,
    /// URI parameters (`transport`, `lr`, `ob`, ...).
    pub params: Params<'a>,
    /// The raw `?headers` part without the `?`.
    pub headers: Option<&'a str>,
}

/// True when `uri` starts with an RFC 3986 scheme followed by `:` and has no blanks.
pub fn is_absolute_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    first_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !uri.contains(is_lws)
}

impl<'a> SipUri<'a> {
    /// Parses a `sip:` or `sips:` URI (case-insensitive scheme).
    pub fn parse(uri: &'a str) -> Result<SipUri<'a>, ParseError> {
        if uri.contains(is_lws) {
            return Err(ParseError::Uri("whitespace in URI"));
        }
        let (scheme, rest) = uri.split_once(':').ok_or(ParseError::Uri("no scheme"))?;
        if !scheme.eq_ignore_ascii_case("sip") && !scheme.eq_ignore_ascii_case("sips") {
            return Err(ParseError::Uri("not a sip or sips URI"));
        }
        // userinfo cannot hold a raw '@', so the first one ends it.
        let (userinfo, hostpart) = match rest.split_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((user, pw)) => (Some(user), Some(pw)),
                None => (Some(u), None),
            },
            None => (None, None),
        };
        if user.is_some_and(str::is_empty) {
            return Err(ParseError::Uri("empty user part"));
        }
        let (hostpart, headers) = match hostpart.split_once('?') {
            Some((h, hd)) => (h, Some(hd)),
            None => (hostpart, None),
        };
        let (hostport, params) = match hostpart.split_once(';') {
            Some((h, p)) => (h, Params::parse(p).map_err(ParseError::Uri)?),
            None => (hostpart, Params::default()),
        };
        let (host, port) = split_host_port(hostport).ok_or(ParseError::Uri("bad host or port"))?;
        Ok(SipUri {
            scheme,
            user,
            password,
            host,
            port,
            params,
            headers,
        })
    }

    /// True for `sips:`.
    pub fn is_secure(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("sips")
    }

    /// The `transport` URI parameter.
    pub fn transport(&self) -> Option<&'a str> {
        self.params.value("transport")
    }
}

/// Splits `host[:port]`, accepting `[v6]:port`; validates host characters.
pub(crate) fn split_host_port(s: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if s.starts_with('[') {
        let end = s.find(']')?;
        let host = s.get(..=end)?;
        let rest = s.get(end + 1..)?;
        let port = if rest.is_empty() {
            None
        } else {
            Some(rest.strip_prefix(':')?)
        };
        (host, port)
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let valid_host = if let Some(inner) = host.strip_prefix('[') {
        inner.strip_suffix(']').is_some_and(|v6| {
            !v6.is_empty()
                && v6
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        })
    } else {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
    };
    if !valid_host {
        return None;
    }
    let port = match port {
        Some(p) => Some(u16::try_from(parse_u32(p)?).ok()?),
        None => None,
    };
    Some((host, port))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_parts() {
        let u =
            SipUri::parse("sip:alice:secret@[2001:db8::1]:5061;transport=ws;ob?Subject=x").unwrap();
        assert_eq!(u.user, Some("alice"));
        assert_eq!(u.password, Some("secret"));
        assert_eq!(u.host, "[2001:db8::1]");
        assert_eq!(u.port, Some(5061));
        assert_eq!(u.transport(), Some("ws"));
        assert!(u.params.has("ob"));
        assert_eq!(u.headers, Some("Subject=x"));

        let u = SipUri::parse("sip:user;par=u%40example.net@example.com").unwrap();
        assert_eq!(u.user, Some("user;par=u%40example.net"));
        assert_eq!(u.host, "example.com");
        assert!(SipUri::parse("sips:example.com").unwrap().is_secure());
    }

    #[test]
    fn rejects_bad_uris() {
        assert!(SipUri::parse("tel:+1").is_err());
        assert!(SipUri::parse("sip:a@host:99999").is_err());
        assert!(SipUri::parse("sip:a@").is_err());
        assert!(SipUri::parse("sip:a@ho st").is_err());
        assert!(is_absolute_uri("soap.beep://192.0.2.103:3002"));
        assert!(!is_absolute_uri("<sip:user@example.com>"));
    }
}
