//! HTTP Digest authentication for SIP (RFC 7616 / RFC 8760; RFC 2617 and RFC 2069
//! compatible): computes the Authorization or Proxy-Authorization value for a
//! challenge. The cnonce comes from the caller, whose RNG is seeded by the driver.

use crate::hash::{hex_digest, hex_digit, Hash};
use crate::message::{AuthKind, Challenge};

/// Hash algorithms of RFC 7616 that a SIP UA meets (SHA-512-256 is not used in SIP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `MD5` (also when the challenge names no algorithm).
    Md5,
    /// `MD5-sess`
    Md5Sess,
    /// `SHA-256` (RFC 8760)
    Sha256,
    /// `SHA-256-sess`
    Sha256Sess,
}

impl Algorithm {
    /// Maps the `algorithm` parameter (absent = MD5); `None` when unsupported.
    pub fn from_param(value: Option<&str>) -> Option<Algorithm> {
        let Some(v) = value else {
            return Some(Algorithm::Md5);
        };
        [
            Algorithm::Md5,
            Algorithm::Md5Sess,
            Algorithm::Sha256,
            Algorithm::Sha256Sess,
        ]
        .into_iter()
        .find(|a| a.as_str().eq_ignore_ascii_case(v))
    }

    /// The token used in the header.
    pub fn as_str(&self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    fn is_sess(&self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess)
    }

    fn hex(&self, parts: &[&str]) -> String {
        let hash = match self {
            Algorithm::Md5 | Algorithm::Md5Sess => Hash::Md5,
            Algorithm::Sha256 | Algorithm::Sha256Sess => Hash::Sha256,
        };
        hex_digest(hash, parts)
    }
}

/// Why no credentials could be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// The challenge scheme is not Digest.
    #[error("authentication scheme is not Digest")]
    NotDigest,
    /// The algorithm is not MD5, SHA-256 or their -sess variants.
    #[error("unsupported digest algorithm")]
    UnsupportedAlgorithm,
    /// Only `auth-int` is offered, which this UA does not do.
    #[error("unsupported qop")]
    UnsupportedQop,
    /// realm or nonce missing.
    #[error("challenge lacks {0}")]
    Missing(&'static str),
}

/// What the caller knows about the request being authorized.
#[derive(Debug, Clone, Copy)]
pub struct DigestRequest<'a> {
    /// Username.
    pub username: &'a str,
    /// Password.
    pub password: &'a str,
    /// Request method (`REGISTER`, `INVITE`, ...).
    pub method: &'a str,
    /// The Request-URI, as in the `uri` parameter.
    pub uri: &'a str,
    /// Client nonce from the driver-seeded RNG (used when qop is offered or -sess).
    pub cnonce: &'a str,
    /// How many times this nonce has been used, starting at 1.
    pub nonce_count: u32,
}

/// The computed credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestResponse {
    /// `Authorization` for a 401, `Proxy-Authorization` for a 407.
    pub header_name: &'static str,
    /// The full header value (`Digest username="...", ...`).
    pub value: String,
    /// The lowercase hex `response` parameter.
    pub response: String,
    /// The algorithm used.
    pub algorithm: Algorithm,
    /// True when `qop=auth` was used.
    pub qop_auth: bool,
}

/// Picks the first Digest challenge with a supported algorithm (RFC 8760 §2.4: the
/// server lists them in preference order).
pub fn select<'c, 'a>(challenges: &'c [Challenge<'a>]) -> Option<&'c Challenge<'a>> {
    challenges.iter().find(|c| {
        c.is_digest() && Algorithm::from_param(c.algorithm()).is_some() && qop_choice(c).is_ok()
    })
}

/// `Ok(true)` for qop=auth, `Ok(false)` for no qop (RFC 2069), error for auth-int only.
fn qop_choice(c: &Challenge<'_>) -> Result<bool, DigestError> {
    if c.param("qop").is_none() {
        return Ok(false);
    }
    if c.qop().any(|q| q.eq_ignore_ascii_case("auth")) {
        Ok(true)
    } else {
        Err(DigestError::UnsupportedQop)
    }
}

/// Formats a nonce count as 8 lowercase hex digits (`00000001`).
pub fn nonce_count_hex(nc: u32) -> String {
    let mut out = String::with_capacity(8);
    for shift in (0..8).rev() {
        out.push(hex_digit(((nc >> (shift * 4)) & 0xf) as u8));
    }
    out
}

/// Computes the credentials answering `challenge` for `req`.
pub fn respond(
    challenge: &Challenge<'_>,
    req: &DigestRequest<'_>,
) -> Result<DigestResponse, DigestError> {
    if !challenge.is_digest() {
        return Err(DigestError::NotDigest);
    }
    let algorithm =
        Algorithm::from_param(challenge.algorithm()).ok_or(DigestError::UnsupportedAlgorithm)?;
    let realm = challenge.realm().ok_or(DigestError::Missing("realm"))?;
    let nonce = challenge.nonce().ok_or(DigestError::Missing("nonce"))?;
    let qop_auth = qop_choice(challenge)?;
    let nc = nonce_count_hex(req.nonce_count);

    let mut ha1 = algorithm.hex(&[req.username, ":", realm, ":", req.password]);
    if algorithm.is_sess() {
        ha1 = algorithm.hex(&[&ha1, ":", nonce, ":", req.cnonce]);
    }
    let ha2 = algorithm.hex(&[req.method, ":", req.uri]);
    let response = if qop_auth {
        algorithm.hex(&[&ha1, ":", nonce, ":", &nc, ":", req.cnonce, ":auth:", &ha2])
    } else {
        algorithm.hex(&[&ha1, ":", nonce, ":", &ha2])
    };

    let mut v = String::with_capacity(256);
    v.push_str("Digest ");
    push_quoted(&mut v, "username", req.username);
    v.push_str(", ");
    push_quoted(&mut v, "realm", realm);
    v.push_str(", ");
    push_quoted(&mut v, "nonce", nonce);
    v.push_str(", ");
    push_quoted(&mut v, "uri", req.uri);
    v.push_str(", response=\"");
    v.push_str(&response);
    v.push_str("\", algorithm=");
    v.push_str(algorithm.as_str());
    if let Some(opaque) = challenge.opaque() {
        v.push_str(", ");
        push_quoted(&mut v, "opaque", opaque);
    }
    if qop_auth || algorithm.is_sess() {
        v.push_str(", ");
        push_quoted(&mut v, "cnonce", req.cnonce);
    }
    if qop_auth {
        v.push_str(", qop=auth, nc=");
        v.push_str(&nc);
    }
    Ok(DigestResponse {
        header_name: match challenge.kind {
            AuthKind::Www => "Authorization",
            AuthKind::Proxy => "Proxy-Authorization",
        },
        value: v,
        response,
        algorithm,
        qop_auth,
    })
}

fn push_quoted(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::message::Challenge;

    fn challenge(v: &str) -> Challenge<'_> {
        Challenge::parse_all(v, AuthKind::Www, "WWW-Authenticate")
            .unwrap()
            .remove(0)
    }

    const RFC7616: &str = "realm=\"http-auth@example.org\", qop=\"auth, auth-int\", nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";

    fn rfc7616_request() -> DigestRequest<'static> {
        DigestRequest {
            username: "Mufasa",
            password: "Circle of Life",
            method: "GET",
            uri: "/dir/index.html",
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            nonce_count: 1,
        }
    }

    #[test]
    fn rfc7616_md5_vector() {
        let text = ["Digest ", RFC7616, ", algorithm=MD5"].concat();
        let r = respond(&challenge(&text), &rfc7616_request()).unwrap();
        assert_eq!(r.response, "8ca523f5e9506fed4657c9700eebdbec");
        assert!(
            r.qop_auth,
            "auth is preferred when auth-int is also offered"
        );
        assert!(r.value.contains("qop=auth, nc=00000001"));
        assert!(r
            .value
            .contains("opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""));
        assert_eq!(r.header_name, "Authorization");
    }

    #[test]
    fn rfc7616_sha256_vector() {
        let text = ["Digest ", RFC7616, ", algorithm=SHA-256"].concat();
        let r = respond(&challenge(&text), &rfc7616_request()).unwrap();
        assert_eq!(
            r.response,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
        assert_eq!(r.algorithm, Algorithm::Sha256);
        assert!(r.value.contains("algorithm=SHA-256"));
    }

    #[test]
    fn rfc2617_vector() {
        let c = challenge("Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
        let req = DigestRequest {
            username: "Mufasa",
            password: "Circle Of Life",
            method: "GET",
            uri: "/dir/index.html",
            cnonce: "0a4f113b",
            nonce_count: 1,
        };
        assert_eq!(
            respond(&c, &req).unwrap().response,
            "6629fae49393a05397450978507c4ef1"
        );
    }

    #[test]
    fn rfc2069_without_qop() {
        // HA1 = MD5("Mufasa:testrealm@host.com:Circle Of Life"), response = MD5(HA1:nonce:HA2).
        let c = challenge(
            "Digest realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"",
        );
        let req = DigestRequest {
            username: "Mufasa",
            password: "Circle Of Life",
            method: "GET",
            uri: "/dir/index.html",
            cnonce: "unused",
            nonce_count: 1,
        };
        let r = respond(&c, &req).unwrap();
        let ha1 = Algorithm::Md5.hex(&["Mufasa:testrealm@host.com:Circle Of Life"]);
        let ha2 = Algorithm::Md5.hex(&["GET:/dir/index.html"]);
        assert_eq!(
            r.response,
            Algorithm::Md5.hex(&[&ha1, ":dcd98b7102dd2f0e8b11d0f600bfb0c093:", &ha2])
        );
        assert!(!r.qop_auth);
        assert!(!r.value.contains("nc="));
        assert!(!r.value.contains("cnonce"));
    }

    #[test]
    fn sess_variant_rehashes_ha1() {
        let c = challenge("Digest realm=\"r\", nonce=\"n\", qop=\"auth\", algorithm=SHA-256-sess");
        let req = DigestRequest {
            username: "u",
            password: "p",
            method: "REGISTER",
            uri: "sip:r",
            cnonce: "c",
            nonce_count: 2,
        };
        let r = respond(&c, &req).unwrap();
        let a = Algorithm::Sha256;
        let ha1 = a.hex(&[&a.hex(&["u:r:p"]), ":n:c"]);
        let ha2 = a.hex(&["REGISTER:sip:r"]);
        assert_eq!(r.response, a.hex(&[&ha1, ":n:00000002:c:auth:", &ha2]));
    }

    #[test]
    fn errors_and_selection() {
        let req = rfc7616_request();
        assert_eq!(
            respond(&challenge("Basic realm=\"x\""), &req),
            Err(DigestError::NotDigest)
        );
        assert_eq!(
            respond(
                &challenge("Digest realm=\"x\", nonce=\"n\", algorithm=SHA-512-256"),
                &req
            ),
            Err(DigestError::UnsupportedAlgorithm)
        );
        assert_eq!(
            respond(
                &challenge("Digest realm=\"x\", nonce=\"n\", qop=\"auth-int\""),
                &req
            ),
            Err(DigestError::UnsupportedQop)
        );
        assert_eq!(
            respond(&challenge("Digest nonce=\"n\""), &req),
            Err(DigestError::Missing("realm"))
        );
        let all = Challenge::parse_all("Digest realm=\"x\", nonce=\"1\", algorithm=SHA-512-256, Digest realm=\"x\", nonce=\"2\", algorithm=SHA-256, Digest realm=\"x\", nonce=\"3\"", AuthKind::Proxy, "Proxy-Authenticate").unwrap();
        let chosen = select(&all).unwrap();
        assert_eq!(chosen.nonce(), Some("2"));
        assert_eq!(
            respond(chosen, &req).unwrap().header_name,
            "Proxy-Authorization"
        );
        assert_eq!(nonce_count_hex(0x1a), "0000001a");
    }
}
