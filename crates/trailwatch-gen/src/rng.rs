//! SplitMix64: small, fast, and the same sequence on every machine.

/// A deterministic pseudo-random generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &[u8] = b"0123456789abcdef";

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// A generator for the `index`th stream derived from `seed`
    /// (independent of how many numbers other streams drew).
    pub fn derive(seed: u64, index: u64) -> Self {
        let mut r = Rng(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let a = r.next_u64();
        Rng(a ^ index.rotate_left(29))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// A standard normal deviate (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.f64().max(1e-300);
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index chosen with the given weights.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    fn chars(&mut self, set: &[u8], n: usize) -> String {
        (0..n).map(|_| *self.pick(set) as char).collect()
    }

    /// `n` letters and digits.
    pub fn alnum(&mut self, n: usize) -> String {
        self.chars(ALNUM, n)
    }

    /// `n` lowercase hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        self.chars(HEX, n)
    }

    /// `n` uppercase hex digits.
    pub fn hex_upper(&mut self, n: usize) -> String {
        self.hex(n).to_ascii_uppercase()
    }

    /// `n` uppercase letters and digits.
    pub fn upper_digits(&mut self, n: usize) -> String {
        self.chars(UPPER_DIGITS, n)
    }

    /// `n` base32 characters (access key IDs).
    pub fn b32(&mut self, n: usize) -> String {
        self.chars(B32, n)
    }

    /// Base64 text of `nbytes` random bytes.
    pub fn b64(&mut self, nbytes: usize) -> String {
        let mut s = String::with_capacity(nbytes.div_ceil(3) * 4);
        let mut left = nbytes;
        while left > 0 {
            let take = left.min(3);
            let v = self.next_u64();
            let quads = [(v >> 18) & 63, (v >> 12) & 63, (v >> 6) & 63, v & 63];
            for (i, q) in quads.iter().enumerate() {
                if i <= take {
                    s.push(B64[*q as usize] as char);
                } else {
                    s.push('=');
                }
            }
            left -= take;
        }
        s
    }

    /// A version-4 UUID.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            8 + (b >> 62),
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }
}

/// A stable 64-bit hash of a string (FNV-1a), for identifiers that must be
/// the same every time they are named.
pub fn stable_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_well_formed() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        let u = a.uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_eq!(a.b64(32).len(), 44);
        assert_eq!(a.b64(825).len(), 1100);
        for _ in 0..1000 {
            let x = a.range(3, 5);
            assert!((3..=5).contains(&x));
        }
    }
}
