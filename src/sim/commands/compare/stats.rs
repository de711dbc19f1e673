//! Summaries over seeds: mean, sample standard deviation and a 95 % confidence interval for the
//! mean from Student's t distribution (seeds are independent runs, their number is small).

use serde::{Deserialize, Serialize};

/// The smallest relative difference the verdict counts (5 %).
pub const MATERIAL: f64 = 0.05;

/// One figure of one policy over the seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n − 1); 0 with one seed.
    pub sd: f64,
    /// The 95 % confidence interval for the mean; with one seed, the value itself.
    pub ci_low: f64,
    pub ci_high: f64,
    pub min: f64,
    pub max: f64,
}

/// Two-sided 95 % quantiles of Student's t (`t_{0.975, df}`), df = 1..=30, from the standard
/// table (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
const T_975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093,
    2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/// `t_{0.975, df}`; beyond the table, the value of the largest tabulated df not above `df`
/// (40, 60, 120, ∞), which errs on the wide side.
pub fn t_975(df: usize) -> f64 {
    match df {
        0 => f64::INFINITY,
        1..=30 => T_975[df - 1],
        31..=39 => 2.042,
        40..=59 => 2.021,
        60..=119 => 2.000,
        120..=999 => 1.980,
        _ => 1.960,
    }
}

/// Summarise `values` (one per seed, in seed order: the sums are taken in that order, so the
/// same values always give the same bits).
pub fn summarise(values: &[f64]) -> Summary {
    let n = values.len();
    if n == 0 {
        return Summary { n, mean: 0.0, sd: 0.0, ci_low: 0.0, ci_high: 0.0, min: 0.0, max: 0.0 };
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if n == 1 {
        return Summary { n, mean, sd: 0.0, ci_low: mean, ci_high: mean, min, max };
    }
    let sd = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt();
    let half = t_975(n - 1) * sd / (n as f64).sqrt();
    Summary { n, mean, sd, ci_low: mean - half, ci_high: mean + half, min, max }
}

impl Summary {
    /// Half the width of the confidence interval.
    pub fn half_width(&self) -> f64 {
        (self.ci_high - self.ci_low) / 2.0
    }
    /// For a figure where lower is better, this one is clearly better than `other`: its interval
    /// lies wholly below `other`'s (the difference is not seed noise) and its mean is at least
    /// [`MATERIAL`] lower (the difference matters: a p50 of 782 vs 783 min is a tie even when
    /// both are exact).
    pub fn clearly_below(&self, other: &Summary) -> bool {
        self.ci_high < other.ci_low && other.mean - self.mean > MATERIAL * self.mean.abs().max(other.mean.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_of_a_textbook_sample_matches_the_hand_computation() {
        // Values 1..=5: mean 3, sd sqrt(2.5), half width t(4) * sd / sqrt(5) = 2.776 * 0.7071.
        let s = summarise(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.mean, 3.0);
        assert!((s.sd - 2.5f64.sqrt()).abs() < 1e-12);
        assert!((s.half_width() - 2.776 * 2.5f64.sqrt() / 5f64.sqrt()).abs() < 1e-12);
        assert_eq!((s.min, s.max), (1.0, 5.0));
    }

    #[test]
    fn identical_values_have_a_zero_width_interval_and_one_value_is_its_own_interval() {
        let s = summarise(&[7.0; 4]);
        assert_eq!((s.ci_low, s.ci_high, s.sd), (7.0, 7.0, 0.0));
        let one = summarise(&[2.5]);
        assert_eq!((one.ci_low, one.ci_high), (2.5, 2.5));
    }

    #[test]
    fn overlapping_intervals_are_not_clearly_below_each_other() {
        let a = summarise(&[1.0, 2.0, 3.0]);
        let b = summarise(&[2.5, 3.0, 3.5]);
        assert!(!a.clearly_below(&b) && !b.clearly_below(&a));
        let c = summarise(&[10.0, 10.5, 11.0]);
        assert!(a.clearly_below(&c) && !c.clearly_below(&a));
    }

    #[test]
    fn exact_values_less_than_five_percent_apart_are_a_tie() {
        let (a, b, c) = (summarise(&[782.0; 3]), summarise(&[783.0; 3]), summarise(&[833.0; 3]));
        assert!(!a.clearly_below(&b) && !b.clearly_below(&a));
        assert!(a.clearly_below(&c));
    }

    #[test]
    fn t_quantiles_shrink_towards_the_normal_one_as_seeds_grow() {
        assert!(t_975(1) > t_975(2) && t_975(29) > t_975(30) && t_975(30) >= t_975(45) && t_975(45) > t_975(5000));
        assert_eq!(t_975(5000), 1.960);
    }
}
