//! MD5 (RFC 1321) and SHA-256 (FIPS 180-4), the two hashes HTTP Digest needs.
//!
//! Written as plain round loops over one shared block buffer: digest authentication
//! hashes a few hundred bytes per challenge, so speed does not matter, while every byte
//! of the wasm engine is downloaded by each page (the `md-5` and `sha2` crates, with
//! their unrolled rounds and generic wrappers, cost about 9 KB of wasm; see
//! `docs/size.md`). The tests compare both against those crates.

/// Which hash a [`Hasher`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    /// 16-byte digest, little-endian words.
    Md5,
    /// 32-byte digest, big-endian words.
    Sha256,
}

/// An incremental hash over 64-byte blocks (both algorithms use the same padding
/// scheme, differing only in the byte order of words and of the length).
pub(crate) struct Hasher {
    hash: Hash,
    state: [u32; 8],
    block: [u8; 64],
    /// Bytes waiting in `block`.
    filled: usize,
    /// Message length so far, in bytes.
    len: u64,
}

impl Hasher {
    pub(crate) fn new(hash: Hash) -> Hasher {
        let state = match hash {
            Hash::Md5 => [
                0x6745_2301,
                0xefcd_ab89,
                0x98ba_dcfe,
                0x1032_5476,
                0,
                0,
                0,
                0,
            ],
            Hash::Sha256 => SHA256_INIT,
        };
        Hasher {
            hash,
            state,
            block: [0; 64],
            filled: 0,
            len: 0,
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        for &byte in data {
            self.push_byte(byte);
        }
    }

    fn push_byte(&mut self, byte: u8) {
        if let Some(slot) = self.block.get_mut(self.filled) {
            *slot = byte;
        }
        self.filled += 1;
        if self.filled == 64 {
            self.compress();
            self.filled = 0;
        }
    }

    /// Pads, processes the last block(s) and writes the digest as lowercase hex.
    pub(crate) fn finish_hex(mut self) -> String {
        let bits = self.len.wrapping_mul(8);
        self.push_byte(0x80);
        while self.filled != 56 {
            self.push_byte(0);
        }
        let (length, words) = match self.hash {
            Hash::Md5 => (bits.to_le_bytes(), 4),
            Hash::Sha256 => (bits.to_be_bytes(), 8),
        };
        for byte in length {
            self.push_byte(byte);
        }
        let mut out = String::with_capacity(words * 8);
        for word in self.state.iter().take(words) {
            let bytes = match self.hash {
                Hash::Md5 => word.to_le_bytes(),
                Hash::Sha256 => word.to_be_bytes(),
            };
            for b in bytes {
                out.push(hex_digit(b >> 4));
                out.push(hex_digit(b & 0x0f));
            }
        }
        out
    }

    fn compress(&mut self) {
        let mut words = [0u32; 16];
        for (word, chunk) in words.iter_mut().zip(self.block.chunks_exact(4)) {
            let bytes = [chunk[0], chunk[1], chunk[2], chunk[3]];
            *word = match self.hash {
                Hash::Md5 => u32::from_le_bytes(bytes),
                Hash::Sha256 => u32::from_be_bytes(bytes),
            };
        }
        match self.hash {
            Hash::Md5 => md5_rounds(&mut self.state, &words),
            Hash::Sha256 => sha256_rounds(&mut self.state, words),
        }
    }
}

/// `0-9a-f` for a nibble.
pub(crate) fn hex_digit(n: u8) -> char {
    char::from(if n < 10 { b'0' + n } else { b'a' + n - 10 })
}

/// The lowercase hex digest of the concatenation of `parts`.
pub(crate) fn hex_digest(hash: Hash, parts: &[&str]) -> String {
    let mut h = Hasher::new(hash);
    for p in parts {
        h.update(p.as_bytes());
    }
    h.finish_hex()
}

/// RFC 1321 §3.4: four rounds of sixteen steps over one block.
fn md5_rounds(state: &mut [u32; 8], m: &[u32; 16]) {
    let [mut a, mut b, mut c, mut d, ..] = *state;
    for (i, k) in MD5_K.iter().enumerate() {
        let (f, g) = match i / 16 {
            0 => ((b & c) | (!b & d), i),
            1 => ((d & b) | (!d & c), 5 * i + 1),
            2 => (b ^ c ^ d, 3 * i + 5),
            _ => (c ^ (b | !d), 7 * i),
        };
        let shift = MD5_SHIFTS[(i / 16) * 4 + i % 4];
        let sum = a.wrapping_add(f).wrapping_add(*k).wrapping_add(m[g % 16]);
        a = d;
        d = c;
        c = b;
        b = b.wrapping_add(sum.rotate_left(shift));
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d]) {
        *s = s.wrapping_add(v);
    }
}

/// FIPS 180-4 §6.2.2, with the message schedule kept as a rolling window of 16 words.
fn sha256_rounds(state: &mut [u32; 8], mut w: [u32; 16]) {
    let mut v = *state;
    for (t, k) in SHA256_K.iter().enumerate() {
        if t >= 16 {
            let w15 = w[(t + 1) % 16];
            let w2 = w[(t + 14) % 16];
            let s0 = w15.rotate_right(7) ^ w15.rotate_right(18) ^ (w15 >> 3);
            let s1 = w2.rotate_right(17) ^ w2.rotate_right(19) ^ (w2 >> 10);
            w[t % 16] = w[t % 16]
                .wrapping_add(s0)
                .wrapping_add(w[(t + 9) % 16])
                .wrapping_add(s1);
        }
        let [a, b, c, d, e, f, g, h] = v;
        let big_s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = h
            .wrapping_add(big_s1)
            .wrapping_add(ch)
            .wrapping_add(*k)
            .wrapping_add(w[t % 16]);
        let big_s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        v = [
            t1.wrapping_add(big_s0).wrapping_add(maj),
            a,
            b,
            c,
            d.wrapping_add(t1),
            e,
            f,
            g,
        ];
    }
    for (s, x) in state.iter_mut().zip(v) {
        *s = s.wrapping_add(x);
    }
}

/// Per-step left rotations of the four MD5 rounds (four values per round, repeating).
const MD5_SHIFTS: [u32; 16] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

/// `floor(abs(sin(i + 1)) * 2^32)`.
const MD5_K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

/// First 32 bits of the fractional parts of the square roots of the first 8 primes.
const SHA256_INIT: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// First 32 bits of the fractional parts of the cube roots of the first 64 primes.
const SHA256_K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    fn reference(hash: Hash, data: &[u8]) -> String {
        let bytes: Vec<u8> = match hash {
            Hash::Md5 => md5::Md5::digest(data).to_vec(),
            Hash::Sha256 => sha2::Sha256::digest(data).to_vec(),
        };
        bytes
            .iter()
            .flat_map(|b| [hex_digit(b >> 4), hex_digit(b & 0x0f)])
            .collect()
    }

    #[test]
    fn published_vectors() {
        assert_eq!(
            hex_digest(Hash::Md5, &[""]),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(
            hex_digest(Hash::Md5, &["a", "bc"]),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            hex_digest(Hash::Md5, &["12345678901234567890123456789012345678901234567890123456789012345678901234567890"]),
            "57edf4a22be3c955ac49da2e2107b67a"
        );
        assert_eq!(
            hex_digest(Hash::Sha256, &["abc"]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex_digest(
                Hash::Sha256,
                &["abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"]
            ),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    /// Every length across the one- and two-block padding boundaries, split at every
    /// point, against the `md-5` and `sha2` crates.
    #[test]
    fn matches_the_reference_crates() {
        let data: Vec<u8> = (0..300u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for hash in [Hash::Md5, Hash::Sha256] {
            for len in 0..data.len() {
                let input = &data[..len];
                let split = len / 3;
                let mut h = Hasher::new(hash);
                h.update(&input[..split]);
                h.update(&input[split..]);
                assert_eq!(
                    h.finish_hex(),
                    reference(hash, input),
                    "{hash:?} of {len} bytes"
                );
            }
        }
    }
}
