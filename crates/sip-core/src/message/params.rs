//! `;name=value` parameter lists (header params, URI params), read in place.

use super::text::{is_token, split_outside, trim};

/// A list of `;`-separated parameters kept as the received text. Names are matched
/// case-insensitively; a quoted value is returned without its quotes (escapes kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Params<'a> {
    raw: &'a str,
}

impl<'a> Params<'a> {
    /// Wraps the text after the first `;` (may be empty). Fails on an empty parameter
    /// (`;;`), a name that is not a token, or `name=` with no value.
    pub fn parse(raw: &'a str) -> Result<Params<'a>, &'static str> {
        let params = Params { raw };
        if trim(raw).is_empty() {
            return Ok(Params { raw: "" });
        }
        for piece in split_outside(raw, ';', false) {
            let (name, value) = split_param(piece);
            if name.is_empty() {
                return Err("empty parameter");
            }
            if !is_token(name) {
                return Err("parameter name is not a token");
            }
            if let Some(v) = value {
                if v.is_empty() {
                    return Err("parameter without value after '='");
                }
                if v.starts_with('"') && !(v.len() >= 2 && v.ends_with('"')) {
                    return Err("unterminated quoted parameter");
                }
            }
        }
        Ok(params)
    }

    /// The received text (after the leading `;`).
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// True when there is no parameter.
    pub fn is_empty(&self) -> bool {
        trim(self.raw).is_empty()
    }

    /// Iterates `(name, value)`; `value` is `None` for a flag parameter like `lr`.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + 'a {
        let raw = self.raw;
        split_outside(raw, ';', false)
            .filter(move |_| !trim(raw).is_empty())
            .map(split_param)
            .map(|(n, v)| (n, v.map(unquote_raw)))
    }

    /// `Some(Some(v))` for `name=v`, `Some(None)` for a bare `name`, `None` when absent.
    pub fn get(&self, name: &str) -> Option<Option<&'a str>> {
        if trim(self.raw).is_empty() {
            return None;
        }
        for piece in split_outside(self.raw, ';', false) {
            let (n, v) = split_param(piece);
            if n.eq_ignore_ascii_case(name) {
                return Some(v.map(unquote_raw));
            }
        }
        None
    }

    /// The value of `name=value` (`None` when absent or a flag).
    pub fn value(&self, name: &str) -> Option<&'a str> {
        self.get(name).flatten()
    }

    /// True when the parameter is present, with or without a value.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

fn split_param(piece: &str) -> (&str, Option<&str>) {
    match piece.split_once('=') {
        Some((n, v)) => (trim(n), Some(trim(v))),
        None => (trim(piece), None),
    }
}

fn unquote_raw(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_flags_values_and_quotes() {
        let p = Params::parse(" branch  =   z9hG4bK9ikj8 ;rport; lr;x=\"a;b\"").unwrap();
        assert_eq!(p.value("BRANCH"), Some("z9hG4bK9ikj8"));
        assert_eq!(p.get("rport"), Some(None));
        assert!(p.has("lr"));
        assert_eq!(p.value("x"), Some("a;b"));
        assert_eq!(p.get("missing"), None);
    }

    #[test]
    fn rejects_empty_and_bad_params() {
        assert!(Params::parse(";").is_err());
        assert!(Params::parse("a;;b").is_err());
        assert!(Params::parse("tag=").is_err());
        assert!(Params::parse("bad name=1").is_err());
        assert!(Params::parse("").unwrap().is_empty());
    }
}
