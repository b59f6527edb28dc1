//! The simulator's randomness: a stateless hash of (seed, stream, index)
//! and a splitmix64 generator seeded from it, with one salt per stream.
//!
//! Every draw is a function of the seed and an index, never of earlier
//! draws elsewhere, which is what makes the world replayable from any point.

/// splitmix64's finaliser: a good 64-bit mixer, so `mix(seed ^ i)` gives
/// independent-looking values for consecutive `i` with no state to keep.
pub(crate) const fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One value for (seed, stream, index); `salt` keeps streams apart.
pub(crate) fn hash(seed: u64, salt: u64, i: u64) -> u64 {
    mix(mix(seed ^ mix(salt)) ^ i)
}

/// A splitmix64 generator, for drawing several values from one hash.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(state: u64) -> Rng {
        Rng(state)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0). The modulo bias is irrelevant at these sizes.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn by weight.
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.below(u64::from(total)) as u32;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

// Salts: one per independent stream of values, side by side so that a new
// one is seen not to repeat an old one.
pub(super) const SALT_INBOX: u64 = 0x1b0c;
pub(super) const SALT_CAMPAIGN: u64 = 0xca3b;
pub(super) const SALT_CAMPAIGN_ID: u64 = 0xca1d;
pub(super) const SALT_RECORD: u64 = 0x5ec0;
pub(super) const SALT_MESSAGE: u64 = 0x3e55;
pub(super) const SALT_TIME: u64 = 0x7173;
pub(super) const SALT_COMPLAINT: u64 = 0xc0a1;
