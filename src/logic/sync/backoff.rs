//! Backoff policies for rule D's repeated failures (SPEC 1.3): where in `[2 h, 5 days]` the next
//! attempt goes after the n-th failure in a row (n >= 2). The rules clamp whatever a policy
//! returns into that window, so a custom policy cannot break the seed's bounds.

use rand_core::RngCore;
use serde::{Deserialize, Serialize};

use crate::logic::uniform;
use crate::time::Duration;

/// seed 002: "si ce n'est pas le premier blocage, une nouvelle tentative sera faite entre 2 heures
/// et 5 jours plus tard".
pub const BACKOFF_MIN: Duration = Duration::from_hours(2);
pub const BACKOFF_MAX: Duration = Duration::from_days(5);

pub trait BackoffPolicy {
    fn name(&self) -> &'static str;
    /// The delay after the `failures_in_a_row`-th failure in a row (>= 2); `previous` is the
    /// delay chosen after the previous failure. The caller clamps into `[2 h, 5 days]`.
    fn delay(&mut self, failures_in_a_row: u32, previous: Duration, rng: &mut dyn RngCore) -> Duration;
}

/// *(model choice)* default `exponential`: `2 h × 2^(n−1)`, capped at 5 days. The jittered kinds
/// follow the AWS Architecture Blog's "Exponential Backoff and Jitter" definitions, with the
/// window's floor of 2 h in place of zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
pub enum BackoffSettings {
    /// `2 h × 2^(n−1)`, capped at 5 days.
    #[default]
    Exponential,
    /// Uniform in `[2 h, exponential(n)]`.
    FullJitter,
    /// `exponential(n)/2` plus uniform in `[0, exponential(n)/2]`, at least 2 h.
    EqualJitter,
    /// Uniform in `[2 h, 3 × previous]`, capped at 5 days.
    DecorrelatedJitter,
}

impl BackoffSettings {
    pub fn build(&self) -> Box<dyn BackoffPolicy + Send> {
        Box::new(Backoff(*self))
    }
    pub fn describe(&self) -> &'static str {
        match self {
            BackoffSettings::Exponential => "exponential",
            BackoffSettings::FullJitter => "full-jitter",
            BackoffSettings::EqualJitter => "equal-jitter",
            BackoffSettings::DecorrelatedJitter => "decorrelated-jitter",
        }
    }
}

/// `2 h × 2^(n−1)`, capped at 5 days (no overflow for any n).
pub fn exponential(n: u32) -> Duration {
    let doublings = n.saturating_sub(1).min(20) as i64;
    BACKOFF_MIN.saturating_mul(1 << doublings).clamp(BACKOFF_MIN, BACKOFF_MAX)
}

struct Backoff(BackoffSettings);

impl BackoffPolicy for Backoff {
    fn name(&self) -> &'static str {
        self.0.describe()
    }
    fn delay(&mut self, n: u32, previous: Duration, rng: &mut dyn RngCore) -> Duration {
        let lo = BACKOFF_MIN.as_ms();
        let exp = exponential(n).as_ms();
        let ms = match self.0 {
            BackoffSettings::Exponential => exp,
            BackoffSettings::FullJitter => uniform::between(rng, lo, exp),
            BackoffSettings::EqualJitter => (exp / 2 + uniform::between(rng, 0, exp / 2)).max(lo),
            BackoffSettings::DecorrelatedJitter => {
                let hi = previous.as_ms().max(lo).saturating_mul(3).min(BACKOFF_MAX.as_ms());
                uniform::between(rng, lo, hi)
            }
        };
        Duration::from_ms(ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_doubles_from_two_hours_and_caps_at_five_days() {
        assert_eq!(exponential(1), Duration::from_hours(2));
        assert_eq!(exponential(2), Duration::from_hours(4));
        assert_eq!(exponential(3), Duration::from_hours(8));
        assert_eq!(exponential(6), Duration::from_hours(64));
        assert_eq!(exponential(7), Duration::from_days(5)); // 128 h > 120 h
        assert_eq!(exponential(u32::MAX), Duration::from_days(5));
    }
}
