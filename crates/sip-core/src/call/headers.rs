//! What an application adds to a call's INVITE (`X-` headers, a From display name), checked
//! here so nothing can be injected whatever the driver passes, and what it reads of a peer's
//! INVITE (its `X-` headers and P-Asserted-Identity, RFC 3325), kept raw: the JS wrapper
//! splits the lines, which costs the page less than objects built in the wasm.

use crate::error::CommandError;
use crate::message::{HeaderName, Message};

/// At most this many `X-` headers on our call, each value at most [`MAX_VALUE`] bytes: a ticket
/// id or a queue name, not a payload (a WebSocket frame and a proxy's buffer have limits).
const MAX_HEADERS: usize = 16;
const MAX_VALUE: usize = 1024;

pub(crate) const REFUSED: CommandError = CommandError::InvalidArgument(
    "call(): headers are X- tokens with values free of control characters (16 of 1024 bytes \
     at most); displayName has no \" \\ or control characters (128 bytes)",
);

/// Text that cannot end a header line or hide in one: no control character but tab (CR,
/// LF or NUL would start another header); with `quoted`, no `"` or `\\` either (a display
/// name is written between quotes as it is).
fn clean(text: &str, quoted: bool) -> bool {
    text.bytes()
        .all(|b| !(b < 32 && b != b'\t' || b == 127 || quoted && (b == b'"' || b == b'\\')))
}

/// Checks the application's additions to a call: `display_name` (at most 128 bytes,
/// [`clean`] for quotes) and `headers`, `Name:value` lines joined by LF (at most
/// [`MAX_HEADERS`], each name an RFC 3261 token starting `X-`, each value [`clean`] and at
/// most [`MAX_VALUE`] bytes). A call that fails is refused before anything is sent.
pub(crate) fn check(display_name: &str, headers: &str) -> bool {
    let mut lines = 0;
    display_name.len() <= 128
        && clean(display_name, true)
        && (headers.is_empty()
            || headers.split('\n').all(|line| {
                lines += 1;
                matches!(line.split_once(':'), Some((name, value))
                    if matches!(name.as_bytes(), [b'x' | b'X', b'-', _, ..])
                        && name
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
                        && value.len() <= MAX_VALUE
                        && clean(value, false))
            }))
        && lines <= MAX_HEADERS
}

/// The `X-` headers and the P-Asserted-Identity (so spelled) of a received INVITE, as
/// `Name:value` lines, each ending with LF (the parser unfolded the values: no LF is left in
/// them).
pub(crate) fn received(msg: &Message<'_>) -> String {
    let mut out = String::new();
    for h in msg.headers() {
        // Both are names the parser does not know.
        if let HeaderName::Other(name) = h.name {
            let pai = name.eq_ignore_ascii_case("P-Asserted-Identity");
            if pai || matches!(name.as_bytes(), [b'x' | b'X', b'-', ..]) {
                // The wrapper looks the identity up by this spelling.
                out.push_str(if pai { "P-Asserted-Identity" } else { name });
                out.push(':');
                out.push_str(&h.value);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_x_tokens_and_values_have_no_line_break() {
        assert!(check("Ann Lee", "X-Ticket:T-42\nx-queue: sales support"));
        assert!(check("", ""));
        for (name, headers) in [
            ("", "X-Ticket:1\rVia: evil"),
            ("", "X-Ticket:a\0b"),
            ("", "Via:x"),
            ("", "X-:x"),
            ("", "X-Bad Name:x"),
            ("", "X-É:x"),
            ("", "X-NoColon"),
            ("", "X-A:1\n"),
            ("Ann\r", ""),
            ("Ann \"A\"", ""),
            ("Ann\\", ""),
        ] {
            assert!(!check(name, headers), "{name:?} {headers:?}");
        }
        let long = ["X-A:", &"v".repeat(MAX_VALUE + 1)].concat();
        assert!(!check("", &long));
        assert!(check("", &long[..long.len() - 1]));
        let many = vec!["X-A:1"; MAX_HEADERS + 1].join("\n");
        assert!(!check("", &many));
        assert!(check("", &many[..many.len() - 6]));
        assert!(!check(&"n".repeat(129), ""));
    }
}
