//! Lexical helpers shared by the header parsers: tokens, quoted strings, LWS and
//! separator-aware splitting. Everything works on `&str` slices and never indexes.

use std::borrow::Cow;

/// RFC 3261 `token` character (alphanum and `-.!%*_+`'~`).
pub(crate) fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '-' | '.' | '!' | '%' | '*' | '_' | '+' | '`' | '\'' | '~'
        )
}

/// A non-empty RFC 3261 `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// Linear white space inside an (already unfolded) header value.
pub(crate) fn is_lws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Trims spaces, tabs and line breaks on both ends.
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(is_lws)
}

/// Splits `s` on `sep` where the separator is outside quoted strings and, when
/// `angles` is set, outside `<...>`. Pieces are returned untrimmed.
pub(crate) fn split_outside(s: &str, sep: char, angles: bool) -> SplitOutside<'_> {
    SplitOutside {
        rest: Some(s),
        sep,
        angles,
    }
}

/// Iterator returned by [`split_outside`].
pub(crate) struct SplitOutside<'a> {
    rest: Option<&'a str>,
    sep: char,
    angles: bool,
}

impl<'a> Iterator for SplitOutside<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        let mut in_quote = false;
        let mut escaped = false;
        let mut in_angle = false;
        for (i, c) in s.char_indices() {
            if in_quote {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_quote = false;
                }
                continue;
            }
            match c {
                '"' => in_quote = true,
                '<' if self.angles => in_angle = true,
                '>' if self.angles => in_angle = false,
                c if c == self.sep && !in_angle => {
                    self.rest = s.get(i + c.len_utf8()..);
                    return s.get(..i);
                }
                _ => {}
            }
        }
        self.rest = None;
        Some(s)
    }
}

/// Reads a quoted string at the start of `s` (which must begin with `"`).
/// Returns the raw inner text (escapes kept) and the rest after the closing quote.
pub(crate) fn take_quoted(s: &str) -> Option<(&str, &str)> {
    let body = s.strip_prefix('"')?;
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return Some((body.get(..i)?, body.get(i + 1..)?));
        }
    }
    None
}

/// Resolves `\x` quoted-pairs; borrows when there are none.
pub(crate) fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut escaped = false;
    for c in raw.chars() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Parses a decimal number made only of ASCII digits (leading zeros allowed),
/// rejecting signs, blanks and overflow.
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut n: u32 = 0;
    for b in s.bytes() {
        n = n.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
    }
    Some(n)
}

/// Appends the decimal form of `n` without the formatting machinery.
pub(crate) fn push_u32(out: &mut String, n: u32) {
    crate::decimal::push(out, u64::from(n));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_quotes_and_angles() {
        let parts: Vec<&str> =
            split_outside("\"a,b\" <sip:x;a,b>;p=1, <sip:y>", ',', true).collect();
        assert_eq!(parts, vec!["\"a,b\" <sip:x;a,b>;p=1", " <sip:y>"]);
        let parts: Vec<&str> = split_outside("a;b=\"c;d\";e", ';', false).collect();
        assert_eq!(parts, vec!["a", "b=\"c;d\"", "e"]);
    }

    #[test]
    fn quoted_strings_with_escapes() {
        assert_eq!(
            take_quoted("\"J \\\"R\\\"\" <x>"),
            Some(("J \\\"R\\\"", " <x>"))
        );
        assert_eq!(take_quoted("\"unterminated"), None);
        assert_eq!(unescape("J \\\"R\\\""), "J \"R\"");
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u32("0068"), Some(68));
        assert_eq!(parse_u32("4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32("4294967296"), None);
        assert_eq!(parse_u32("-1"), None);
        assert_eq!(parse_u32(""), None);
        for n in [0, 7, 10, 99, 100, 65535, u32::MAX] {
            let mut s = String::new();
            push_u32(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
