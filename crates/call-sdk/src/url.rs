//! Transport security: which URLs the engine may talk to.
//!
//! Secure schemes always; plain `http`/`ws` only to loopback hosts (development) unless the
//! integrator opts in with `allowInsecureTransport`. The URL is read by the browser's own
//! parser, the one `fetch` and `WebSocket` use, so the host checked is the host connected to
//! (a parser of our own would have to match every WHATWG quirk, e.g. `http://a\@b` is host `a`).

use web_sys::Url;

/// What the URL is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The credential API: `https://`, or `http://` for loopback.
    Http,
    /// A SIP WebSocket server: `wss://`, or `ws://` for loopback.
    WebSocket,
}

/// True for the hosts that never leave the machine (as `URL.hostname` writes them).
pub fn is_loopback(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// Accepts `url` for `kind`, or says why not (the caller prefixes the field name).
pub fn check(url: &str, kind: Kind, allow_insecure: bool) -> Result<(), String> {
    let (secure, insecure) = match kind {
        Kind::Http => ("https", "http"),
        Kind::WebSocket => ("wss", "ws"),
    };
    let Ok(parsed) = Url::new(url) else {
        return Err(["must be an absolute ", secure, ":// URL"].concat());
    };
    let protocol = parsed.protocol();
    let scheme = protocol.strip_suffix(':').unwrap_or("");
    if scheme == secure {
        Ok(())
    } else if scheme != insecure {
        Err(["must be a ", secure, ":// URL"].concat())
    } else if allow_insecure || is_loopback(&parsed.hostname()) {
        Ok(())
    } else {
        Err([
            "uses ",
            insecure,
            ":// to a non-loopback host: use ",
            secure,
            ":// (or set allowInsecureTransport: true for a test network)",
        ]
        .concat())
    }
}
