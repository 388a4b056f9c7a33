//! Typed views of the header values a user agent reads. Each borrows the header text.

use std::borrow::Cow;

use super::method::Method;
use super::params::Params;
use super::text::{
    is_lws, is_token, is_token_char, parse_u32, split_outside, take_quoted, trim, unescape,
};
use super::uri::{is_absolute_uri, split_host_port};
use super::ParseError;

/// One Via hop: `SIP/2.0/WSS host:port;branch=...;received=...;rport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// Transport token as received (`UDP`, `TCP`, `WS`, `WSS`, ...).
    pub transport: &'a str,
    /// The sent-by host.
    pub host: &'a str,
    /// The sent-by port.
    pub port: Option<u16>,
    /// Via parameters.
    pub params: Params<'a>,
}

impl<'a> Via<'a> {
    /// Parses one Via value (not a comma-separated list).
    pub fn parse(value: &'a str) -> Result<Via<'a>, ParseError> {
        const H: &str = "Via";
        let (head, params) = match value.split_once(';') {
            Some((h, p)) => (h, Params::parse(p).map_err(|r| ParseError::invalid(H, r))?),
            None => (value, Params::default()),
        };
        let mut parts = head.splitn(3, '/');
        let name = trim(parts.next().unwrap_or_default());
        let version = trim(parts.next().unwrap_or_default());
        let rest = trim(parts.next().unwrap_or_default());
        if !name.eq_ignore_ascii_case("SIP") || version != "2.0" {
            return Err(ParseError::invalid(H, "bad sent-protocol"));
        }
        let (transport, sent_by_text) = rest
            .split_once(is_lws)
            .ok_or(ParseError::invalid(H, "no sent-by"))?;
        if !is_token(transport) {
            return Err(ParseError::invalid(H, "bad transport"));
        }
        let (host, port) =
            sent_by(trim(sent_by_text)).ok_or(ParseError::invalid(H, "bad sent-by"))?;
        Ok(Via {
            transport,
            host,
            port,
            params,
        })
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&'a str> {
        self.params.value("branch")
    }

    /// The `received` parameter.
    pub fn received(&self) -> Option<&'a str> {
        self.params.value("received")
    }

    /// `Some(None)` for a bare `rport`, `Some(Some(port))` when filled in, `None` when absent.
    pub fn rport(&self) -> Option<Option<u16>> {
        match self.params.get("rport")? {
            None => Some(None),
            Some(v) => Some(parse_u32(v).and_then(|n| u16::try_from(n).ok())),
        }
    }
}

/// `host[:port]`, allowing blanks around the colon (`COLON = SWS ":" SWS`).
fn sent_by(s: &str) -> Option<(&str, Option<u16>)> {
    if !s.contains(is_lws) {
        return split_host_port(s);
    }
    let colon = if s.starts_with('[') {
        let end = s.find(']')?;
        end + s.get(end..)?.find(':')?
    } else {
        s.find(':')?
    };
    let host = trim(s.get(..colon)?);
    let port = trim(s.get(colon + 1..)?);
    if host.contains(is_lws) || port.contains(is_lws) {
        return None;
    }
    let (host, None) = split_host_port(host)? else {
        return None;
    };
    Some((host, Some(u16::try_from(parse_u32(port)?).ok()?)))
}

/// `"Display" <uri>;params` or `uri;params` (From, To, Contact, Route, Refer-To, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// The display name: quoted text without the quotes (escapes kept), or the tokens.
    pub display_name: Option<&'a str>,
    /// The URI, without angle brackets.
    pub uri: &'a str,
    /// Header parameters after the URI (`tag`, `expires`, `q`, `+sip.instance`, ...).
    pub params: Params<'a>,
}

impl<'a> NameAddr<'a> {
    /// Parses one name-addr or addr-spec value.
    pub fn parse(value: &'a str, header: &'static str) -> Result<NameAddr<'a>, ParseError> {
        let value = trim(value);
        let (display_name, after_display) = if value.starts_with('"') {
            let (inner, rest) = take_quoted(value)
                .ok_or(ParseError::invalid(header, "unterminated quoted string"))?;
            let rest = trim(rest);
            if !rest.starts_with('<') {
                return Err(ParseError::invalid(
                    header,
                    "quoted display name without <uri>",
                ));
            }
            (Some(inner), rest)
        } else if let Some(lt) = value.find('<') {
            let display = trim(value.get(..lt).unwrap_or_default());
            // Tokens per RFC 3261; non-ASCII letters are tolerated (some phones send
            // unquoted UTF-8 names), separators such as ',' are not (RFC 4475 baddn).
            let word_ok = |w: &str| w.chars().all(|c| is_token_char(c) || !c.is_ascii());
            if !display.split(is_lws).all(word_ok) {
                return Err(ParseError::invalid(
                    header,
                    "display name is not tokens or a quoted string",
                ));
            }
            let rest = value.get(lt..).unwrap_or_default();
            (
                if display.is_empty() {
                    None
                } else {
                    Some(display)
                },
                rest,
            )
        } else {
            (None, value)
        };

        let (uri, params_raw) = if let Some(inner) = after_display.strip_prefix('<') {
            let (uri, rest) = inner
                .split_once('>')
                .ok_or(ParseError::invalid(header, "missing '>'"))?;
            let rest = trim(rest);
            let params = if rest.is_empty() {
                ""
            } else {
                rest.strip_prefix(';')
                    .ok_or(ParseError::invalid(header, "text after '>'"))?
            };
            (uri, params)
        } else {
            // addr-spec: a URI with ',', '?' or ';' must be in brackets (RFC 3261 §20.10).
            let (uri, params) = after_display.split_once(';').unwrap_or((after_display, ""));
            let uri = trim(uri);
            if uri.contains(['?', ',']) {
                return Err(ParseError::invalid(
                    header,
                    "URI with '?' or ',' outside <>",
                ));
            }
            (uri, params)
        };
        if !is_absolute_uri(uri) {
            return Err(ParseError::invalid(header, "bad URI"));
        }
        let params = Params::parse(params_raw).map_err(|r| ParseError::invalid(header, r))?;
        Ok(NameAddr {
            display_name,
            uri,
            params,
        })
    }

    /// The display name with quoted-pairs resolved.
    pub fn display_name_unescaped(&self) -> Option<Cow<'a, str>> {
        self.display_name.map(unescape)
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&'a str> {
        self.params.value("tag")
    }

    /// The `expires` parameter (Contact), saturating at `u32::MAX`.
    pub fn expires(&self) -> Option<u32> {
        let v = self.params.value("expires")?;
        parse_u32(v).or_else(|| v.bytes().all(|b| b.is_ascii_digit()).then_some(u32::MAX))
    }
}

/// `CSeq: 4711 INVITE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CSeq<'a> {
    /// Sequence number (< 2^31, RFC 3261 §8.1.1.5).
    pub seq: u32,
    /// Method.
    pub method: Method<'a>,
}

impl<'a> CSeq<'a> {
    /// Parses a CSeq value.
    pub fn parse(value: &'a str) -> Result<CSeq<'a>, ParseError> {
        const H: &str = "CSeq";
        let value = trim(value);
        let (num, method) = value
            .split_once(is_lws)
            .ok_or(ParseError::invalid(H, "expected number and method"))?;
        let seq = parse_u32(num)
            .filter(|n| *n < 1 << 31)
            .ok_or(ParseError::invalid(H, "bad sequence number"))?;
        let method = trim(method);
        if !is_token(method) {
            return Err(ParseError::invalid(H, "bad method"));
        }
        Ok(CSeq {
            seq,
            method: Method::parse(method),
        })
    }
}

/// Which header a challenge or credentials came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// `WWW-Authenticate` / `Authorization` (401).
    Www,
    /// `Proxy-Authenticate` / `Proxy-Authorization` (407).
    Proxy,
}

/// A challenge (`WWW-`/`Proxy-Authenticate`) or credentials (`Authorization`):
/// a scheme and comma-separated `name=value` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge<'a> {
    /// The header family it came from.
    pub kind: AuthKind,
    /// `Digest`, or another scheme.
    pub scheme: &'a str,
    /// Parameters in order; quoted values are unquoted and unescaped.
    pub params: Vec<(&'a str, Cow<'a, str>)>,
}

/// Credentials have the same shape as a challenge.
pub type Credentials<'a> = Challenge<'a>;

impl<'a> Challenge<'a> {
    /// Parses one header value, which may hold several challenges separated by commas.
    pub fn parse_all(
        value: &'a str,
        kind: AuthKind,
        header: &'static str,
    ) -> Result<Vec<Challenge<'a>>, ParseError> {
        let mut out: Vec<Challenge<'a>> = Vec::new();
        for item in split_outside(value, ',', false) {
            let item = trim(item);
            if item.is_empty() {
                continue;
            }
            // "Scheme name=value" starts a new challenge; "name=value" continues one.
            let starts_new = match item.split_once(is_lws) {
                Some((word, _)) => is_token(word) && !word.contains('='),
                None => !item.contains('='),
            };
            let param = if starts_new {
                let (scheme, rest) = item.split_once(is_lws).unwrap_or((item, ""));
                out.push(Challenge {
                    kind,
                    scheme,
                    params: Vec::new(),
                });
                trim(rest)
            } else {
                item
            };
            if param.is_empty() {
                continue;
            }
            let current = out
                .last_mut()
                .ok_or(ParseError::invalid(header, "parameter before scheme"))?;
            let (name, v) = param
                .split_once('=')
                .ok_or(ParseError::invalid(header, "parameter without '='"))?;
            let name = trim(name);
            let v = trim(v);
            if !is_token(name) {
                return Err(ParseError::invalid(header, "bad parameter name"));
            }
            let v = if v.starts_with('"') {
                let (inner, rest) = take_quoted(v)
                    .ok_or(ParseError::invalid(header, "unterminated quoted string"))?;
                if !trim(rest).is_empty() {
                    return Err(ParseError::invalid(header, "text after quoted string"));
                }
                unescape(inner)
            } else if v
                .chars()
                .all(|c| is_token_char(c) || matches!(c, '/' | '=' | ':'))
                && !v.is_empty()
            {
                Cow::Borrowed(v)
            } else {
                return Err(ParseError::invalid(header, "bad parameter value"));
            };
            current.params.push((name, v));
        }
        if out.is_empty() {
            return Err(ParseError::invalid(header, "no scheme"));
        }
        Ok(out)
    }

    /// A parameter by name (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }

    /// True for the Digest scheme.
    pub fn is_digest(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("Digest")
    }

    /// `realm`
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    /// `nonce`
    pub fn nonce(&self) -> Option<&str> {
        self.param("nonce")
    }

    /// `opaque`
    pub fn opaque(&self) -> Option<&str> {
        self.param("opaque")
    }

    /// `algorithm` (absent means MD5).
    pub fn algorithm(&self) -> Option<&str> {
        self.param("algorithm")
    }

    /// The offered `qop` values (`auth`, `auth-int`), trimmed.
    pub fn qop(&self) -> impl Iterator<Item = &str> {
        self.param("qop")
            .unwrap_or_default()
            .split(',')
            .map(trim)
            .filter(|s| !s.is_empty())
    }

    /// `stale=true` (case-insensitive): retry with the new nonce without asking the user.
    pub fn stale(&self) -> bool {
        self.param("stale")
            .is_some_and(|s| s.eq_ignore_ascii_case("true"))
    }
}

/// `Content-Type: type/subtype;params`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentType<'a> {
    /// `type/subtype` as received.
    pub mime: &'a str,
    /// Media type parameters.
    pub params: Params<'a>,
}

impl<'a> ContentType<'a> {
    /// Parses a Content-Type value.
    pub fn parse(value: &'a str) -> Result<ContentType<'a>, ParseError> {
        const H: &str = "Content-Type";
        let (mime, params) = value.split_once(';').unwrap_or((value, ""));
        let mime = trim(mime);
        let (t, s) = mime
            .split_once('/')
            .ok_or(ParseError::invalid(H, "expected type/subtype"))?;
        if !is_token(trim(t)) || !is_token(trim(s)) {
            return Err(ParseError::invalid(H, "bad media type"));
        }
        let params = Params::parse(params).map_err(|r| ParseError::invalid(H, r))?;
        Ok(ContentType { mime, params })
    }

    /// Case-insensitive comparison with `type/subtype`.
    pub fn is(&self, mime: &str) -> bool {
        self.mime.eq_ignore_ascii_case(mime)
    }
}

/// `Event: package;id=...` (RFC 6665).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// Event package (`refer`, `dialog`, `message-summary`, ...).
    pub package: &'a str,
    /// Parameters (`id`).
    pub params: Params<'a>,
}

impl<'a> Event<'a> {
    /// Parses an Event value.
    pub fn parse(value: &'a str) -> Result<Event<'a>, ParseError> {
        const H: &str = "Event";
        let (package, params) = value.split_once(';').unwrap_or((value, ""));
        let package = trim(package);
        if !is_token(package) {
            return Err(ParseError::invalid(H, "bad event package"));
        }
        let params = Params::parse(params).map_err(|r| ParseError::invalid(H, r))?;
        Ok(Event { package, params })
    }
}

/// `Replaces: call-id;to-tag=...;from-tag=...;early-only` (RFC 3891).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replaces<'a> {
    /// The dialog's Call-ID.
    pub call_id: &'a str,
    /// `to-tag`
    pub to_tag: &'a str,
    /// `from-tag`
    pub from_tag: &'a str,
    /// `early-only` flag.
    pub early_only: bool,
}

impl<'a> Replaces<'a> {
    /// Parses a Replaces value (also the unescaped `Replaces=` of a Refer-To URI).
    pub fn parse(value: &'a str) -> Result<Replaces<'a>, ParseError> {
        const H: &str = "Replaces";
        let (call_id, params) = value
            .split_once(';')
            .ok_or(ParseError::invalid(H, "missing tags"))?;
        let call_id = trim(call_id);
        if call_id.is_empty() || call_id.contains(is_lws) {
            return Err(ParseError::invalid(H, "bad Call-ID"));
        }
        let params = Params::parse(params).map_err(|r| ParseError::invalid(H, r))?;
        let to_tag = params
            .value("to-tag")
            .ok_or(ParseError::invalid(H, "missing to-tag"))?;
        let from_tag = params
            .value("from-tag")
            .ok_or(ParseError::invalid(H, "missing from-tag"))?;
        Ok(Replaces {
            call_id,
            to_tag,
            from_tag,
            early_only: params.has("early-only"),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn via_with_lws_and_params() {
        let v = Via::parse(
            "SIP  / 2.0  / TCP     spindle.example.com   ;\n  branch  =   z9hG4bK9ikj8  ",
        )
        .unwrap();
        assert_eq!(
            (v.transport, v.host, v.port),
            ("TCP", "spindle.example.com", None)
        );
        assert_eq!(v.branch(), Some("z9hG4bK9ikj8"));
        let v = Via::parse(
            "SIP/2.0/WSS df7jal23ls0d.invalid;rport=5060;received=1.2.3.4;branch=z9hG4bKabc",
        )
        .unwrap();
        assert_eq!(v.transport, "WSS");
        assert_eq!(v.rport(), Some(Some(5060)));
        assert_eq!(v.received(), Some("1.2.3.4"));
        let v = Via::parse("SIP/2.0/UDP 192.0.2.1 : 5070;rport").unwrap();
        assert_eq!(
            (v.host, v.port, v.rport()),
            ("192.0.2.1", Some(5070), Some(None))
        );
        let v = Via::parse("SIP/2.0/TCP [2001:db8::9:1]:5061;branch=z9hG4bKx").unwrap();
        assert_eq!((v.host, v.port), ("[2001:db8::9:1]", Some(5061)));
        assert!(Via::parse("SIP/2.0/UDP 192.0.2.15;;").is_err());
        assert!(Via::parse("SIP/3.0/UDP h").is_err());
        assert!(Via::parse("SIP/2.0/UDP").is_err());
    }

    #[test]
    fn name_addr_forms() {
        let n = NameAddr::parse(
            "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\n  ;\n  tag = 98asjd8",
            "From",
        )
        .unwrap();
        assert_eq!(n.display_name, Some("J Rosenberg \\\\\\\""));
        assert_eq!(n.display_name_unescaped().unwrap(), "J Rosenberg \\\"");
        assert_eq!(n.uri, "sip:jdrosen@example.com");
        assert_eq!(n.tag(), Some("98asjd8"));
        let n = NameAddr::parse("caller<sip:caller@example.com>;tag=323", "From").unwrap();
        assert_eq!(
            (n.display_name, n.uri, n.tag()),
            (Some("caller"), "sip:caller@example.com", Some("323"))
        );
        let n = NameAddr::parse("sip:user@example.com;tag=1", "To").unwrap();
        assert_eq!(
            (n.display_name, n.uri, n.tag()),
            (None, "sip:user@example.com", Some("1"))
        );
        let n = NameAddr::parse(
            "<sip:a@b;transport=ws;ob>;expires=600;+sip.instance=\"<urn:uuid:1>\";reg-id=1",
            "Contact",
        )
        .unwrap();
        assert_eq!(n.uri, "sip:a@b;transport=ws;ob");
        assert_eq!(n.expires(), Some(600));
        assert_eq!(n.params.value("+sip.instance"), Some("<urn:uuid:1>"));
        assert_eq!(n.params.value("reg-id"), Some("1"));
    }

    #[test]
    fn name_addr_errors() {
        assert!(NameAddr::parse("\"Mr. J. User <sip:j.user@example.com>", "To").is_err());
        assert!(NameAddr::parse("\"Watson, Thomas\" < sip:t.watson@example.org >", "To").is_err());
        assert!(
            NameAddr::parse("Bell, Alexander <sip:a.g.bell@example.com>;tag=43", "From").is_err()
        );
        assert!(NameAddr::parse(
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "Contact"
        )
        .is_err());
        assert!(NameAddr::parse("\"Joe\" <sip:joe@example.org>;;;;", "Contact").is_err());
        assert!(NameAddr::parse("<sip:joe@example.org", "Contact").is_err());
        assert!(NameAddr::parse("Zoë Ünal <sip:z@example.org>", "From").is_ok());
        assert!(NameAddr::parse("a;b <sip:z@example.org>", "From").is_err());
    }

    #[test]
    fn cseq() {
        assert_eq!(
            CSeq::parse("0009\n  INVITE").unwrap(),
            CSeq {
                seq: 9,
                method: Method::Invite
            }
        );
        assert!(CSeq::parse("36893488147419103232 REGISTER").is_err());
        assert!(CSeq::parse("2147483648 INVITE").is_err());
        assert!(CSeq::parse("1").is_err());
    }

    #[test]
    fn challenges() {
        let v = "Digest realm=\"example.com\", qop=\"auth,auth-int\", algorithm=SHA-256, nonce=\"a/b=\", opaque=\"o\", stale=TRUE";
        let c = Challenge::parse_all(v, AuthKind::Www, "WWW-Authenticate").unwrap();
        assert_eq!(c.len(), 1);
        let c = &c[0];
        assert!(c.is_digest());
        assert_eq!(c.realm(), Some("example.com"));
        assert_eq!(c.qop().collect::<Vec<_>>(), vec!["auth", "auth-int"]);
        assert_eq!(c.algorithm(), Some("SHA-256"));
        assert_eq!(c.nonce(), Some("a/b="));
        assert!(c.stale());
        let two = Challenge::parse_all(
            "Digest realm=\"a\", nonce=\"1\", Digest realm=\"a\", nonce=\"2\", algorithm=MD5",
            AuthKind::Proxy,
            "Proxy-Authenticate",
        )
        .unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(two[1].nonce(), Some("2"));
        let other = Challenge::parse_all(
            "NoOneKnowsThisScheme opaque-data=here",
            AuthKind::Www,
            "Authorization",
        )
        .unwrap();
        assert_eq!(other[0].scheme, "NoOneKnowsThisScheme");
        assert!(
            Challenge::parse_all("Digest realm=\"x", AuthKind::Www, "WWW-Authenticate").is_err()
        );
    }

    #[test]
    fn small_values() {
        let ct = ContentType::parse("application/sdp ; charset=utf-8").unwrap();
        assert!(ct.is("APPLICATION/SDP"));
        assert_eq!(ct.params.value("charset"), Some("utf-8"));
        assert!(ContentType::parse("sdp").is_err());
        let e = Event::parse("refer;id=93809824").unwrap();
        assert_eq!(
            (e.package, e.params.value("id")),
            ("refer", Some("93809824"))
        );
        let r =
            Replaces::parse("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only")
                .unwrap();
        assert_eq!(
            (r.call_id, r.to_tag, r.from_tag, r.early_only),
            ("98732@sip.example.com", "ff87ff", "r33th4x0r", true)
        );
        assert!(Replaces::parse("abc;to-tag=1").is_err());
    }
}
