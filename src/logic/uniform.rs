//! Uniform draws with pinned algorithms, for the logic and the world models.
//!
//! Written here rather than taken from `rand` so that a report never changes because a crate
//! upgrade changed how ranges are sampled. Randomness always comes from a stream the caller owns.

use rand_core::RngCore;

/// A uniform integer in `[0, n)`; `n == 0` returns 0.
pub fn below<R: RngCore + ?Sized>(rng: &mut R, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    // Lemire, "Fast Random Integer Generation in an Interval" (2019), unbiased variant.
    let mut m = (rng.next_u64() as u128) * (n as u128);
    if (m as u64) < n {
        let threshold = n.wrapping_neg() % n;
        while (m as u64) < threshold {
            m = (rng.next_u64() as u128) * (n as u128);
        }
    }
    (m >> 64) as u64
}

/// A uniform integer in `[lo, hi]` (inclusive); `hi < lo` returns `lo`.
pub fn between<R: RngCore + ?Sized>(rng: &mut R, lo: i64, hi: i64) -> i64 {
    if hi <= lo {
        return lo;
    }
    // hi > lo, so the span is 1..=2^64−1 and fits in u64 even for the full i64 range.
    let span = hi.wrapping_sub(lo) as u64;
    if span == u64::MAX {
        return lo.wrapping_add(rng.next_u64() as i64);
    }
    lo.wrapping_add(below(rng, span + 1) as i64)
}

/// A probability as a 64-bit threshold: `chance(rng, p)` is true with probability `p`.
/// Converting once from `f64` keeps the per-draw test integer-only (and exact on every machine).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Probability(u64);

impl Probability {
    pub const NEVER: Probability = Probability(0);
    /// `p` outside `[0, 1]` is clamped; validation rejects it earlier with a clear message.
    pub fn from_f64(p: f64) -> Self {
        if p.is_nan() || p <= 0.0 {
            Probability(0)
        } else if p >= 1.0 {
            Probability(u64::MAX)
        } else {
            Probability((p * 18_446_744_073_709_551_616.0) as u64)
        }
    }
    pub fn is_never(self) -> bool {
        self.0 == 0
    }
    pub fn chance<R: RngCore + ?Sized>(self, rng: &mut R) -> bool {
        self.0 != 0 && (self.0 == u64::MAX || rng.next_u64() < self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    fn rng(seed: u8) -> ChaCha8Rng {
        ChaCha8Rng::from_seed([seed; 32])
    }

    #[test]
    fn below_stays_in_range_and_reaches_both_ends() {
        let mut r = rng(1);
        let draws: Vec<u64> = (0..2000).map(|_| below(&mut r, 7)).collect();
        assert!(draws.iter().all(|&d| d < 7));
        assert!(draws.contains(&0) && draws.contains(&6));
        assert_eq!(below(&mut r, 0), 0);
    }

    #[test]
    fn between_is_inclusive() {
        let mut r = rng(2);
        let draws: Vec<i64> = (0..2000).map(|_| between(&mut r, -3, 3)).collect();
        assert!(draws.iter().all(|&d| (-3..=3).contains(&d)));
        assert!(draws.contains(&-3) && draws.contains(&3));
    }

    #[test]
    fn probability_extremes_are_exact() {
        let mut r = rng(3);
        assert!((0..100).all(|_| !Probability::from_f64(0.0).chance(&mut r)));
        assert!((0..100).all(|_| Probability::from_f64(1.0).chance(&mut r)));
        let hits = (0..10_000).filter(|_| Probability::from_f64(0.25).chance(&mut r)).count();
        assert!((2_200..2_800).contains(&hits), "{hits}");
    }
}
