//! Rounding for the reports: figures are written with 4 decimals so that reports stay stable, and
//! durations become whole seconds or minutes rounded to the nearest (halves up, towards +∞), never
//! truncated: 59.9 s is "60 s", not "59 s".

use crate::time::Duration;

/// Round for the report: 4 decimals.
pub fn r4(x: f64) -> f64 {
    if x.is_finite() { (x * 10_000.0).round() / 10_000.0 } else { 0.0 }
}

/// `d` in whole seconds, to the nearest (a half second rounds up: 1.5 s → 2 s, −1.5 s → −1 s).
pub fn whole_seconds(d: Duration) -> i64 {
    (d.as_ms() + 500).div_euclid(1000)
}

/// `d` in whole minutes, to the nearest (half a minute rounds up); negative durations give 0.
pub fn whole_minutes(d: Duration) -> u64 {
    (d.as_ms().max(0).saturating_add(30_000) / 60_000) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_to_the_nearest_halves_up() {
        assert_eq!(whole_seconds(Duration::from_ms(59_999)), 60);
        assert_eq!(whole_seconds(Duration::from_ms(1_499)), 1);
        assert_eq!(whole_seconds(Duration::from_ms(1_500)), 2);
        assert_eq!(whole_seconds(Duration::from_ms(-1_500)), -1);
        assert_eq!(whole_seconds(Duration::from_ms(-1_501)), -2);
    }

    #[test]
    fn minutes_round_to_the_nearest_halves_up() {
        assert_eq!(whole_minutes(Duration::from_ms(89_999)), 1);
        assert_eq!(whole_minutes(Duration::from_ms(90_000)), 2);
        assert_eq!(whole_minutes(Duration::from_ms(119_999)), 2);
        assert_eq!(whole_minutes(Duration::from_ms(-5_000)), 0);
    }
}
