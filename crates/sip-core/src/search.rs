//! Substring search over bytes.
//!
//! `str::find`, `contains`, `split` and `replace` with a `&str` pattern bring core's
//! Two-Way searcher and its slicing panics (about 3 KB of wasm, `docs/size.md`); the
//! needles here are a few constant bytes, so a plain scan does the same job. The facade
//! uses these too, so the searcher is linked by no path.

/// The byte offset of the first `needle` in `haystack` (`Some(0)` for an empty needle).
#[must_use]
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w == needle)
}

/// Whether `needle` occurs in `haystack`.
#[must_use]
pub fn contains(haystack: &str, needle: &str) -> bool {
    find(haystack, needle).is_some()
}

/// The text before and after the first `needle` (like `str::split_once`).
#[must_use]
pub fn split_once<'a>(haystack: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let at = find(haystack, needle)?;
    Some((haystack.get(..at)?, haystack.get(at + needle.len()..)?))
}

/// `haystack` with every non-overlapping `from` replaced by `to`, left to right (like
/// `str::replace`; an empty `from` leaves the text unchanged).
#[must_use]
pub fn replace(haystack: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(haystack.len());
    let mut rest = haystack;
    if !from.is_empty() {
        while let Some((before, after)) = split_once(rest, from) {
            out.push_str(before);
            out.push_str(to);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_str() {
        let texts = [
            "",
            "a",
            ";tag=1",
            "x;tag=;tag=2",
            "%23%2323",
            "ééé;branch=z",
            "\r\n\r\n",
        ];
        let needles = [";tag=", "%23", ";branch=", "\r\n", "é", "a"];
        for t in texts {
            for n in needles {
                assert_eq!(find(t, n), t.find(n), "{t:?} {n:?}");
                assert_eq!(contains(t, n), t.contains(n));
                assert_eq!(split_once(t, n), t.split_once(n));
                assert_eq!(replace(t, n, "#"), t.replace(n, "#"));
            }
        }
        assert_eq!(find("abc", ""), Some(0));
        assert_eq!(replace("abc", "", "x"), "abc");
    }
}
