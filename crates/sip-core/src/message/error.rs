//! The typed parse error: precise enough to put in a 400 reason phrase.
//!
//! The text is built with `push_str` rather than `#[error("...{}...")]` so that reporting
//! a malformed message does not pull `core::fmt` into the wasm engine (`docs/size.md`);
//! [`Display`](std::fmt::Display) writes the same text.

/// Why a received message (or one of its header values) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing but blank lines.
    Empty,
    /// The first line is neither a Request-Line nor a Status-Line.
    StartLine,
    /// The SIP version is not SIP/2.0.
    Version,
    /// The status code is not three digits in 100..=699.
    StatusCode,
    /// The method is not a token.
    Method,
    /// The Request-URI is malformed (or carries URI headers, RFC 3261 §19.1.5).
    RequestUri,
    /// A header line has no colon or its name is not a token.
    HeaderLine {
        /// 1-based line number in the message head.
        line: usize,
    },
    /// A mandatory header is absent.
    Missing(&'static str),
    /// A header that allows one value appears more than once.
    Duplicate(&'static str),
    /// A header value does not follow its grammar.
    Invalid {
        /// Canonical header name.
        header: &'static str,
        /// What was wrong, in a few words.
        reason: &'static str,
    },
    /// The body length differs from Content-Length.
    ContentLength {
        /// The value of the Content-Length header.
        declared: u32,
        /// The number of bytes after the blank line.
        actual: usize,
    },
    /// The CSeq method differs from the Request-Line method.
    CSeqMethod,
    /// A URI is malformed.
    Uri(&'static str),
}

impl ParseError {
    /// The human-readable description (what `Display` writes).
    #[must_use]
    pub fn message(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out);
        out
    }

    /// Appends the description to `out`.
    pub fn write_to(&self, out: &mut String) {
        let parts: [&str; 4] = match self {
            ParseError::Empty => ["empty message", "", "", ""],
            ParseError::StartLine => ["malformed start line", "", "", ""],
            ParseError::Version => ["unsupported SIP version", "", "", ""],
            ParseError::StatusCode => ["invalid status code", "", "", ""],
            ParseError::Method => ["invalid method", "", "", ""],
            ParseError::RequestUri => ["invalid Request-URI", "", "", ""],
            ParseError::HeaderLine { line } => {
                out.push_str("malformed header line ");
                crate::decimal::push(out, *line as u64);
                return;
            }
            ParseError::Missing(name) => ["missing ", name, " header", ""],
            ParseError::Duplicate(name) => ["more than one ", name, " header", ""],
            ParseError::Invalid { header, reason } => ["invalid ", header, " header: ", reason],
            ParseError::ContentLength { declared, actual } => {
                out.push_str("Content-Length ");
                crate::decimal::push(out, u64::from(*declared));
                out.push_str(" does not match body length ");
                crate::decimal::push(out, *actual as u64);
                return;
            }
            ParseError::CSeqMethod => ["CSeq method does not match the request method", "", "", ""],
            ParseError::Uri(reason) => ["invalid URI: ", reason, "", ""],
        };
        for p in parts {
            out.push_str(p);
        }
    }

    pub(crate) fn invalid(header: &'static str, reason: &'static str) -> Self {
        ParseError::Invalid { header, reason }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::ParseError;

    #[test]
    fn messages() {
        let cases = [
            (ParseError::Empty, "empty message"),
            (
                ParseError::HeaderLine { line: 12 },
                "malformed header line 12",
            ),
            (ParseError::Missing("Via"), "missing Via header"),
            (ParseError::Duplicate("CSeq"), "more than one CSeq header"),
            (
                ParseError::invalid("Via", "no branch"),
                "invalid Via header: no branch",
            ),
            (
                ParseError::ContentLength {
                    declared: 99,
                    actual: 0,
                },
                "Content-Length 99 does not match body length 0",
            ),
            (ParseError::Uri("empty host"), "invalid URI: empty host"),
        ];
        for (err, text) in cases {
            assert_eq!(err.message(), text);
            assert_eq!(err.to_string(), text);
        }
    }

    /// A 400's reason phrase carries the message as it is (`ua/inbound.rs`): every message
    /// must stay one printable line, short even with the largest numbers and names.
    #[test]
    fn messages_fit_a_reason_phrase() {
        let longest = "Request-Disposition";
        let errors = [
            ParseError::Empty,
            ParseError::StartLine,
            ParseError::Version,
            ParseError::StatusCode,
            ParseError::Method,
            ParseError::RequestUri,
            ParseError::HeaderLine { line: usize::MAX },
            ParseError::Missing(longest),
            ParseError::Duplicate(longest),
            ParseError::invalid(longest, "parameter without value after '='"),
            ParseError::ContentLength {
                declared: u32::MAX,
                actual: usize::MAX,
            },
            ParseError::CSeqMethod,
            ParseError::Uri("URI with '?' or ',' outside <>"),
        ];
        for err in errors {
            let text = err.message();
            assert!(text.len() <= 80, "{text}");
            assert!(text.chars().all(|c| !c.is_control()), "{text}");
        }
    }
}
