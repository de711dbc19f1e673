//! Accumulators the event loop feeds: per-minute load, hour-of-day histograms, and a
//! minute-resolution histogram for durations (freshness, waits). Allocation happens up front;
//! feeding is a few integer operations.

use crate::sim::analysis::report::{Freshness, Load};
use crate::sim::analysis::round::r4;
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
    /// `n` durations of `minutes` whole minutes each: the same as `n` calls of [`Self::add`] with
    /// any duration in `[minutes, minutes + 1)` minutes.
    #[inline]
    pub fn add_minutes(&mut self, minutes: u64, n: u64) {
        let i = Self::bucket(minutes).min(self.buckets.len() - 1);
        self.buckets[i] += n;
        self.count += n;
        self.max_ms = self.max_ms.max(minutes.saturating_mul(60_000).min(i64::MAX as u64) as i64);
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

/// Freshness samples without visiting every connection. Each connection's `since` (its last
/// success, or its creation) is counted, per connector, under a minute key
/// `k = ceil((since − start) / 1 min)`. At a sample instant `t` on the minute grid of the start
/// (`t − start = T` whole minutes), `floor((t − since) / 1 min) = T − k` exactly, and a
/// connection created after `t` has `k > T`; so a sample adds `count[k]` durations of `T − k`
/// minutes for every `k <= T`, the same histogram as one `add` per connection. Keys only move
/// forward (a success at `t` has the largest key so far), so the scan starts at the lowest key
/// still counted.
#[derive(Clone, Debug)]
pub struct SinceCounts {
    start: Instant,
    /// Keys per connector: every sample's `T` is below `span − 1`; later keys are clamped.
    span: usize,
    counts: Vec<u32>,
    /// Per connector: every count below is zero.
    lowest: Vec<usize>,
}

impl SinceCounts {
    /// Counts for `connectors` over `[start, end)`, or None if the table would be larger than
    /// `max_entries` (the caller then samples every connection).
    pub fn new(start: Instant, end: Instant, connectors: usize, max_entries: usize) -> Option<Self> {
        let span = usize::try_from((end - start).as_ms().max(0) / 60_000).ok()?.checked_add(2)?;
        if span.checked_mul(connectors)? > max_entries {
            return None;
        }
        Some(SinceCounts { start, span, counts: vec![0; span * connectors], lowest: vec![0; connectors] })
    }

    /// The key of `since` (at or after the start).
    #[inline]
    pub fn key(&self, since: Instant) -> u32 {
        let ms = (since - self.start).as_ms();
        debug_assert!(ms >= 0, "since {since} before the start {}", self.start);
        (ms.max(0) as u64).div_ceil(60_000).min(self.span as u64 - 1) as u32
    }

    pub fn add(&mut self, connector: u32, key: u32) {
        let c = connector as usize;
        self.counts[c * self.span + key as usize] += 1;
        self.lowest[c] = self.lowest[c].min(key as usize);
    }

    /// A connection of `connector` moved from key `from` to key `to`.
    #[inline]
    pub fn moved(&mut self, connector: u32, from: u32, to: u32) {
        if from != to {
            let c = connector as usize;
            let row = &mut self.counts[c * self.span..(c + 1) * self.span];
            row[from as usize] -= 1;
            row[to as usize] += 1;
            self.lowest[c] = self.lowest[c].min(to as usize);
        }
    }

    /// One freshness sample at `t`, which must be on the start's minute grid, into `overall`
    /// and `by_connector`.
    pub fn sample(&mut self, t: Instant, overall: &mut MinuteHistogram, by_connector: &mut [MinuteHistogram]) {
        let ms = (t - self.start).as_ms();
        assert!(ms >= 0 && ms % 60_000 == 0, "a sample at {t} is off the minute grid of {}", self.start);
        let now = ((ms / 60_000) as usize).min(self.span - 1);
        for (c, histogram) in by_connector.iter_mut().enumerate() {
            let row = &self.counts[c * self.span..(c + 1) * self.span];
            let mut lowest = None;
            for (k, &n) in row.iter().enumerate().take(now + 1).skip(self.lowest[c]) {
                if n > 0 {
                    lowest.get_or_insert(k);
                    let minutes = (now - k) as u64;
                    overall.add_minutes(minutes, n as u64);
                    histogram.add_minutes(minutes, n as u64);
                }
            }
            self.lowest[c] = lowest.unwrap_or(now + 1).max(self.lowest[c]);
        }
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
    fn counted_samples_equal_one_add_per_connection() {
        let start = Instant(1_000_123);
        let end = start + Duration::from_days(10);
        let mut counts = SinceCounts::new(start, end, 2, 1 << 20).expect("small");
        let mut since: Vec<(u32, Instant)> = Vec::new();
        let mut r = 5u64;
        let mut draw = |n: u64| {
            r = r.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (r >> 33) % n
        };
        for i in 0..500 {
            let created = start + Duration::from_ms(draw(2 * 86_400_000) as i64);
            since.push((i % 2, created));
            counts.add(i % 2, counts.key(created));
        }
        let cap = Duration::from_days(4);
        let (mut a, mut b) = (MinuteHistogram::new(cap), [MinuteHistogram::new(cap), MinuteHistogram::new(cap)]);
        let (mut x, mut y) = (MinuteHistogram::new(cap), [MinuteHistogram::new(cap), MinuteHistogram::new(cap)]);
        let mut t = start;
        for step in 0..200 {
            // Successes between samples move some connections' `since` to instants in (prev t, t].
            let next = t + Duration::from_mins(1 + draw(60) as i64);
            assert!(next < end, "samples stay inside the run");
            for _ in 0..draw(40) {
                let i = draw(500) as usize;
                let at = t + Duration::from_ms(1 + draw((next - t).as_ms() as u64) as i64);
                if since[i].1 <= at {
                    let (c, old) = since[i];
                    counts.moved(c, counts.key(old), counts.key(at));
                    since[i].1 = at;
                }
            }
            t = next;
            counts.sample(t, &mut a, &mut b);
            for &(c, s) in &since {
                if s <= t {
                    x.add(t - s);
                    y[c as usize].add(t - s);
                }
            }
            assert_eq!(a.buckets, x.buckets, "step {step}");
            assert_eq!((a.count, a.max_minutes()), (x.count, x.max_minutes()));
            assert_eq!(b[0].buckets, y[0].buckets);
            assert_eq!(b[1].buckets, y[1].buckets);
        }
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
