//! The seeded random source for tags, branches, Call-IDs, cnonces and jitter.
//!
//! The driver seeds it (`crypto.getRandomValues` in the browser, a constant in tests) so
//! a failing scenario replays bit for bit. SplitMix64: tiny, fast, good enough for
//! identifiers that must be unique, not secret.

/// A SplitMix64 generator.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

impl Rng {
    /// A generator starting from `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// A value in `lo..=hi` (`lo` when the range is empty).
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo).saturating_add(1))
    }

    /// `len` random lowercase letters and digits: safe in any SIP token position.
    pub fn token(&mut self, len: usize) -> String {
        let mut out = String::with_capacity(len);
        for _ in 0..len {
            let i = (self.next_u64() % ALPHABET.len() as u64) as usize;
            out.push(char::from(ALPHABET.get(i).copied().unwrap_or(b'x')));
        }
        out
    }

    /// A Via branch with the RFC 3261 magic cookie.
    pub fn branch(&mut self) -> String {
        let mut b = String::from("z9hG4bK");
        b.push_str(&self.token(16));
        b
    }

    /// A From/To tag.
    pub fn tag(&mut self) -> String {
        self.token(12)
    }

    /// A Call-ID (no host part: RFC 3261 allows a bare random word).
    pub fn call_id(&mut self) -> String {
        self.token(22)
    }

    /// A digest client nonce.
    pub fn cnonce(&mut self) -> String {
        self.token(16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.branch(), b.branch());
        assert_eq!(a.tag(), b.tag());
        assert_ne!(Rng::new(8).token(10), Rng::new(7).token(10));
    }

    #[test]
    fn shapes() {
        let mut r = Rng::new(1);
        let b = r.branch();
        assert!(b.starts_with("z9hG4bK") && b.len() == 23);
        assert!(r
            .token(40)
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        for _ in 0..100 {
            let v = r.between(3, 5);
            assert!((3..=5).contains(&v));
        }
        assert_eq!(r.below(0), 0);
    }
}
