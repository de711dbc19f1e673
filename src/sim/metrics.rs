//! Accumulators the event loop feeds: per-minute load, hour-of-day histograms, and a
//! minute-resolution histogram for durations (freshness, waits). Allocation happens up front;
//! feeding is a few integer operations.

use crate::sim::report::{Freshness, Load, r4};
use crate::time::{Duration, Instant};

/// Attempts on one bank (or all): per local hour, per minute, and the peak minute of each hour.
#[derive(Clone, Debug)]
pub struct LoadCounter {
    /// The run's start: hour indices of the load timeline count from it.
    start: Instant,
    from: Instant,
    by_hour: [u64; 24],
    attempts: u64,
    rate_limited: u64,
    minute: i64,
    this_minute: u64,
    peak: u64,
    /// Peak attempts in one minute, for each hour since the start (the load timeline plot).
    hourly_peaks: Option<Vec<u32>>,
}

impl LoadCounter {
    /// Counts attempts at or after `from` (the end of the warm-up).
    pub fn new(start: Instant, from: Instant, timeline_hours: Option<usize>) -> Self {
        LoadCounter {
            start,
            from,
            by_hour: [0; 24],
            attempts: 0,
            rate_limited: 0,
            minute: i64::MIN,
            this_minute: 0,
            peak: 0,
            hourly_peaks: timeline_hours.map(|n| vec![0; n]),
        }
    }

    /// One attempt at `t`. Calls come in non-decreasing `t`.
    #[inline]
    pub fn add(&mut self, t: Instant, local_hour: u8, rate_limited: bool) {
        if t < self.from {
            return;
        }
        let minute = t.as_ms().div_euclid(60_000);
        if minute != self.minute {
            self.flush();
            self.minute = minute;
        }
        self.this_minute += 1;
        self.attempts += 1;
        self.by_hour[local_hour as usize] += 1;
        if rate_limited {
            self.rate_limited += 1;
        }
    }

    fn flush(&mut self) {
        if self.this_minute == 0 {
            return;
        }
        self.peak = self.peak.max(self.this_minute);
        if let Some(peaks) = &mut self.hourly_peaks {
            let h = ((self.minute * 60_000 - self.start.as_ms()) / 3_600_000) as usize;
            if let Some(p) = peaks.get_mut(h) {
                *p = (*p).max(self.this_minute.min(u32::MAX as u64) as u32);
            }
        }
        self.this_minute = 0;
    }

    /// The figures over `[from, end)`.
    pub fn finish(&mut self, end: Instant) -> Load {
        self.flush();
        let minutes = ((end - self.from).as_ms() as f64 / 60_000.0).max(1.0);
        let mean = self.attempts as f64 / minutes;
        Load {
            attempts: self.attempts,
            rate_limited: self.rate_limited,
            peak_per_minute: self.peak,
            mean_per_minute: r4(mean),
            peak_to_mean: if self.attempts == 0 { 0.0 } else { r4(self.peak as f64 / mean) },
            by_local_hour: self.by_hour.to_vec(),
        }
    }

    pub fn hourly_peaks(&self) -> &[u32] {
        self.hourly_peaks.as_deref().unwrap_or(&[])
    }
}

/// Below this, buckets are one minute wide; above, one hour.
const FINE_MINUTES: u64 = 48 * 60;

/// Durations at one-minute resolution up to 48 h and one-hour resolution beyond, up to a cap
/// (longer ones land in the last bucket; the exact maximum is kept apart). Two tiers keep a
/// histogram of a 400-day run near 100 KB, so one per bank stays affordable.
#[derive(Clone, Debug)]
pub struct MinuteHistogram {
    buckets: Vec<u64>,
    count: u64,
    max_ms: i64,
}

impl MinuteHistogram {
    pub fn new(cap: Duration) -> Self {
        let last = Self::bucket((cap.as_ms() / 60_000).max(1) as u64);
        MinuteHistogram { buckets: vec![0; last + 1], count: 0, max_ms: 0 }
    }
    /// Bucket of a duration in whole minutes.
    fn bucket(minutes: u64) -> usize {
        if minutes < FINE_MINUTES { minutes as usize } else { (FINE_MINUTES + (minutes - FINE_MINUTES) / 60) as usize }
    }
    /// The smallest duration (minutes) that falls in bucket `i`.
    fn minutes_of(i: usize) -> u64 {
        let i = i as u64;
        if i < FINE_MINUTES { i } else { FINE_MINUTES + (i - FINE_MINUTES) * 60 }
    }
    #[inline]
    pub fn add(&mut self, d: Duration) {
        let ms = d.as_ms().max(0);
        let i = Self::bucket((ms / 60_000) as u64).min(self.buckets.len() - 1);
        self.buckets[i] += 1;
        self.count += 1;
        self.max_ms = self.max_ms.max(ms);
    }
    pub fn count(&self) -> u64 {
        self.count
    }
    /// The `q`-quantile (nearest rank) in whole minutes.
    pub fn quantile_minutes(&self, q_permille: u64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = (self.count * q_permille).div_ceil(1000).max(1);
        let mut seen = 0;
        for (i, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Self::minutes_of(i);
            }
        }
        Self::minutes_of(self.buckets.len() - 1)
    }
    pub fn max_minutes(&self) -> u64 {
        (self.max_ms / 60_000) as u64
    }
    pub fn freshness(&self) -> Freshness {
        Freshness {
            samples: self.count,
            p50_minutes: self.quantile_minutes(500),
            p95_minutes: self.quantile_minutes(950),
            max_minutes: self.max_minutes(),
        }
    }
    /// Cumulative share of samples at or below each minute (for the freshness plot).
    pub fn cdf(&self) -> Vec<(u64, f64)> {
        let mut out = Vec::new();
        let mut seen = 0u64;
        for (i, &n) in self.buckets.iter().enumerate() {
            if n > 0 {
                seen += n;
                out.push((Self::minutes_of(i), seen as f64 / self.count.max(1) as f64));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_per_minute_and_mean_over_the_window() {
        let start = Instant(0);
        let mut l = LoadCounter::new(start, start, Some(2));
        for _ in 0..5 {
            l.add(Instant(10_000), 0, false);
        }
        l.add(Instant(61_000), 0, true);
        let load = l.finish(Instant(600_000));
        assert_eq!(load.attempts, 6);
        assert_eq!(load.peak_per_minute, 5);
        assert_eq!(load.rate_limited, 1);
        assert_eq!(load.mean_per_minute, 0.6);
        assert_eq!(load.peak_to_mean, r4(5.0 / 0.6));
        assert_eq!(l.hourly_peaks(), &[5, 0]);
    }

    #[test]
    fn quantiles_use_nearest_rank() {
        let mut h = MinuteHistogram::new(Duration::from_hours(2));
        for m in 1..=100 {
            h.add(Duration::from_mins(m));
        }
        assert_eq!(h.quantile_minutes(500), 50);
        assert_eq!(h.quantile_minutes(950), 95);
        assert_eq!(h.max_minutes(), 100);
    }

    #[test]
    fn durations_beyond_the_cap_land_in_the_last_bucket_but_keep_the_exact_max() {
        let mut h = MinuteHistogram::new(Duration::from_mins(10));
        h.add(Duration::from_mins(500));
        assert_eq!(h.quantile_minutes(500), 10);
        assert_eq!(h.max_minutes(), 500);
    }

    #[test]
    fn beyond_48_hours_resolution_is_one_hour_and_the_histogram_stays_small() {
        let mut h = MinuteHistogram::new(Duration::from_days(401));
        assert!(h.buckets.len() < 13_000, "{} buckets", h.buckets.len());
        h.add(Duration::from_hours(47) + Duration::from_mins(59));
        assert_eq!(h.quantile_minutes(1000), 47 * 60 + 59);
        let mut h = MinuteHistogram::new(Duration::from_days(401));
        h.add(Duration::from_hours(100) + Duration::from_mins(30));
        assert_eq!(h.quantile_minutes(1000), 100 * 60, "rounded down to the hour");
        assert_eq!(h.max_minutes(), 100 * 60 + 30, "the maximum stays exact");
    }
}
