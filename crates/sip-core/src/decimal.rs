//! Decimal numbers written without `core::fmt`.
//!
//! `to_string()` on an integer pulls the formatting machinery (`Formatter`, padding,
//! `fmt::write`) into the wasm engine; these helpers append the digits directly. The
//! facade uses them too, so no path in the engine needs `core::fmt` for numbers.

/// Appends the decimal form of `n` to `out`.
pub fn push(out: &mut String, n: u64) {
    // u64::MAX has 20 digits.
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut v = n;
    loop {
        if let Some(slot) = digits.get_mut(len) {
            *slot = b'0' + (v % 10) as u8;
        }
        len += 1;
        v /= 10;
        if v == 0 || len == digits.len() {
            break;
        }
    }
    for d in digits.iter().take(len).rev() {
        out.push(char::from(*d));
    }
}

/// The decimal form of `n` as a new string.
#[must_use]
pub fn string(n: u64) -> String {
    let mut s = String::with_capacity(20);
    push(&mut s, n);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_display() {
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            65_535,
            u64::from(u32::MAX),
            u64::MAX / 10,
            u64::MAX,
        ] {
            assert_eq!(string(n), n.to_string());
        }
        let mut s = String::from("x=");
        push(&mut s, 42);
        assert_eq!(s, "x=42");
    }
}
