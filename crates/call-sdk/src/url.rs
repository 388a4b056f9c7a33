//! Transport security of the SIP WebSocket servers the engine connects to.
//!
//! `wss://` always; plain `ws://` only to loopback hosts (development) unless the integrator
//! opts in with `allowInsecureTransport`. The URL is read by the browser's own parser, the one
//! `WebSocket` uses, so the host checked is the host connected to (a parser of our own would
//! have to match every WHATWG quirk, e.g. `ws://a\@b` is host `a`). The credential API's URL is
//! checked by the JS wrapper (npm/src/config.js), which is what sends the access token.

use web_sys::Url;

/// True for the hosts that never leave the machine (as `URL.hostname` writes them).
pub fn is_loopback(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// Accepts `url` as a WebSocket server, or says why not (the caller prefixes the field name).
pub fn check(url: &str, allow_insecure: bool) -> Result<(), String> {
    let Ok(parsed) = Url::new(url) else {
        return Err("must be an absolute wss:// URL".into());
    };
    match parsed.protocol().as_str() {
        "wss:" => Ok(()),
        "ws:" if allow_insecure || is_loopback(&parsed.hostname()) => Ok(()),
        "ws:" => Err(
            "uses ws:// to a non-loopback host: use wss:// (or set allowInsecureTransport: true for a test network)"
                .into(),
        ),
        _ => Err("must be a wss:// URL".into()),
    }
}
