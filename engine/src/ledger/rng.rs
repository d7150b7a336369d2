//! A small deterministic PRNG (SplitMix64) for the generator and the callback sample: the same
//! seed gives the same sequence on every platform and in every release.

/// SplitMix64 (Steele, Lea, Flood 2014): 64 bits of state, passes BigCrush, trivially seedable.
///
/// ```
/// use ombud_engine::ledger::SplitMix64;
/// let mut a = SplitMix64::new(7);
/// let mut b = SplitMix64::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed`. Generators with the same seed give the same sequence.
    ///
    /// ```
    /// use ombud_engine::ledger::SplitMix64;
    /// let draw = |seed| { let mut r = SplitMix64::new(seed); [r.next_u64(), r.next_u64()] };
    /// assert_eq!(draw(42), draw(42));
    /// assert_ne!(draw(42), draw(43));
    /// ```
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits: the state steps by the golden-ratio constant and is [`mix`]ed.
    ///
    /// ```
    /// use ombud_engine::ledger::{SplitMix64, mix};
    /// let mut rng = SplitMix64::new(0);
    /// assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf); // the published first value for seed 0
    /// assert_eq!(rng.next_u64(), mix(0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(2)));
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// A number in `0..n` (0 when `n` is 0).
    ///
    /// ```
    /// let mut rng = ombud_engine::ledger::SplitMix64::new(3);
    /// let dice: Vec<u64> = (0..100).map(|_| rng.below(6)).collect();
    /// assert!(dice.iter().all(|d| *d < 6));
    /// assert_eq!(rng.below(0), 0);
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64 }
    }

    /// A number in `[0, 1)`, with 53 random bits.
    ///
    /// ```
    /// let mut rng = ombud_engine::ledger::SplitMix64::new(9);
    /// let u = rng.unit();
    /// assert!((0.0..1.0).contains(&u));
    /// ```
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `true` with probability `p`.
    ///
    /// ```
    /// let mut rng = ombud_engine::ledger::SplitMix64::new(5);
    /// assert!(!rng.chance(0.0));
    /// assert!(rng.chance(1.0));
    /// let late = (0..1000).filter(|_| rng.chance(0.12)).count();
    /// assert!((60..180).contains(&late), "{late}");
    /// ```
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A number in `lo..=hi` (`lo` when `hi <= lo`).
    ///
    /// ```
    /// let mut rng = ombud_engine::ledger::SplitMix64::new(11);
    /// let minutes = rng.range(10, 240);
    /// assert!((10..=240).contains(&minutes));
    /// assert_eq!(rng.range(7, 3), 7);
    /// ```
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo { lo } else { lo + self.below((hi - lo) as u64 + 1) as i64 }
    }

    /// An index chosen with the given weights (`None` when they sum to 0).
    ///
    /// ```
    /// let mut rng = ombud_engine::ledger::SplitMix64::new(2);
    /// assert_eq!(rng.weighted(&[0, 4, 0]), Some(1));
    /// assert_eq!(rng.weighted(&[0, 0]), None);
    /// assert!(rng.weighted(&[15, 5, 1]).is_some_and(|i| i < 3));
    /// ```
    pub fn weighted(&mut self, weights: &[u64]) -> Option<usize> {
        let total: u64 = weights.iter().sum();
        let mut pick = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if pick < *w {
                return Some(i);
            }
            pick -= w;
        }
        None
    }
}

/// The SplitMix64 finaliser: a good 64-bit mix of `z` (a bijection; 0 maps to 0).
///
/// ```
/// use ombud_engine::ledger::mix;
/// assert_eq!(mix(0), 0);
/// assert_eq!(mix(0x9e37_79b9_7f4a_7c15), 0xe220_a839_7b1d_cdaf);
/// assert_ne!(mix(1), mix(2));
/// ```
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seeded hash of a string (FNV-1a, then mixed with the seed): a stable per-item random rank.
///
/// ```
/// use ombud_engine::ledger::seeded_hash;
/// assert_eq!(seeded_hash(1, "T-1"), seeded_hash(1, "T-1"));
/// assert_ne!(seeded_hash(1, "T-1"), seeded_hash(2, "T-1"));
/// ```
pub fn seeded_hash(seed: u64, text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h ^ mix(seed))
}
