//! Transport security: which URLs the engine may talk to.
//!
//! Secure schemes always; plain `http`/`ws` only to loopback hosts (development) unless the
//! integrator opts in with `allowInsecureTransport`.

/// What the URL is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The credential API: `https://`, or `http://` for loopback.
    Http,
    /// A SIP WebSocket server: `wss://`, or `ws://` for loopback.
    WebSocket,
}

/// The host part of an absolute URL (`[::1]` keeps its brackets), lowercased.
pub fn host(url: &str) -> Option<String> {
    let (_, rest) = sip_core::search::split_once(url, "://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        let end = host_port.find(']')?;
        host_port.get(..=end)?
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        None
    } else {
        Some(host.to_ascii_lowercase())
    }
}

/// True for the hosts that never leave the machine.
pub fn is_loopback(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// Accepts `url` for `kind`, or says why not (the caller prefixes the field name).
pub fn check(url: &str, kind: Kind, allow_insecure: bool) -> Result<(), String> {
    let (secure, insecure) = match kind {
        Kind::Http => ("https", "http"),
        Kind::WebSocket => ("wss", "ws"),
    };
    let scheme = sip_core::search::split_once(url, "://").map(|(s, _)| s.to_ascii_lowercase());
    let Some(host) = host(url) else {
        return Err(["must be an absolute ", secure, ":// URL"].concat());
    };
    match scheme.as_deref() {
        Some(s) if s == secure => Ok(()),
        Some(s) if s == insecure && (is_loopback(&host) || allow_insecure) => Ok(()),
        Some(s) if s == insecure => Err([
            "uses ",
            insecure,
            ":// to a non-loopback host: use ",
            secure,
            ":// (or set allowInsecureTransport: true for a test network)",
        ]
        .concat()),
        _ => Err(["must be a ", secure, ":// URL"].concat()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn host_is_found_in_every_form() {
        assert_eq!(
            host("https://apigw.klinkcx.com").as_deref(),
            Some("apigw.klinkcx.com")
        );
        assert_eq!(
            host("http://127.0.0.1:8080/v1").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(host("ws://[::1]:5060/ws").as_deref(), Some("[::1]"));
        assert_eq!(
            host("wss://user:pw@Example.COM:443?x").as_deref(),
            Some("example.com")
        );
        assert_eq!(host("not a url"), None);
        assert_eq!(host("https://"), None);
    }

    #[test]
    fn secure_schemes_pass_and_insecure_only_to_loopback() {
        assert!(check("https://apigw.klinkcx.com", Kind::Http, false).is_ok());
        assert!(check("wss://edge.example.com/ws", Kind::WebSocket, false).is_ok());
        assert!(check("http://127.0.0.1:9000", Kind::Http, false).is_ok());
        assert!(check("http://localhost:9000", Kind::Http, false).is_ok());
        assert!(check("ws://[::1]:8080", Kind::WebSocket, false).is_ok());
        let err = check("http://api.example.com", Kind::Http, false).unwrap_err();
        assert!(err.contains("allowInsecureTransport"), "{err}");
        assert!(check("ws://10.0.0.5:8080", Kind::WebSocket, false).is_err());
        assert!(check("ws://10.0.0.5:8080", Kind::WebSocket, true).is_ok());
        // A loopback-looking name that is not loopback stays insecure.
        assert!(check("http://127.0.0.1.evil.com", Kind::Http, false).is_err());
        // The wrong family of scheme is refused even with the opt-in.
        assert!(check("wss://edge.example.com", Kind::Http, true).is_err());
        assert!(check("ftp://127.0.0.1", Kind::Http, true).is_err());
    }
}
