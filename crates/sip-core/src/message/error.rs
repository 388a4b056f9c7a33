//! The typed parse error: precise enough to put in a 400 reason phrase.

/// Why a received message (or one of its header values) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Nothing but blank lines.
    #[error("empty message")]
    Empty,
    /// The first line is neither a Request-Line nor a Status-Line.
    #[error("malformed start line")]
    StartLine,
    /// The SIP version is not SIP/2.0.
    #[error("unsupported SIP version")]
    Version,
    /// The status code is not three digits in 100..=699.
    #[error("invalid status code")]
    StatusCode,
    /// The method is not a token.
    #[error("invalid method")]
    Method,
    /// The Request-URI is malformed (or carries URI headers, RFC 3261 §19.1.5).
    #[error("invalid Request-URI")]
    RequestUri,
    /// A header line has no colon or its name is not a token.
    #[error("malformed header line {line}")]
    HeaderLine {
        /// 1-based line number in the message head.
        line: usize,
    },
    /// A mandatory header is absent.
    #[error("missing {0} header")]
    Missing(&'static str),
    /// A header that allows one value appears more than once.
    #[error("more than one {0} header")]
    Duplicate(&'static str),
    /// A header value does not follow its grammar.
    #[error("invalid {header} header: {reason}")]
    Invalid {
        /// Canonical header name.
        header: &'static str,
        /// What was wrong, in a few words.
        reason: &'static str,
    },
    /// The body length differs from Content-Length.
    #[error("Content-Length {declared} does not match body length {actual}")]
    ContentLength {
        /// The value of the Content-Length header.
        declared: u32,
        /// The number of bytes after the blank line.
        actual: usize,
    },
    /// The CSeq method differs from the Request-Line method.
    #[error("CSeq method does not match the request method")]
    CSeqMethod,
    /// A URI is malformed.
    #[error("invalid URI: {0}")]
    Uri(&'static str),
}

impl ParseError {
    pub(crate) fn invalid(header: &'static str, reason: &'static str) -> Self {
        ParseError::Invalid { header, reason }
    }
}
