//! How late Node.js fires each timer of the check chain *(model choice, SPEC 3.3)*: a constant
//! (the default, 1 ms), a uniform range, or an empirical table, drawn once per timer from the
//! monitor's own random stream. Node timers never fire early, so every value is 0 or more, and
//! since each timer is armed when the previous one fired, the lateness accumulates from beat to
//! beat as on a real server.

use std::sync::Arc;

use rand_core::RngCore;

use crate::logic::uniform;

/// Timer lateness in ms, drawn per timer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimerLateness {
    /// Every timer this late (no draw: a constant never touches the stream).
    Constant(i64),
    /// Uniform in `[lo, hi]` ms, both included.
    Uniform { lo_ms: i64, hi_ms: i64 },
    /// `ms` with probability `weight / Σ weights`; weights are positive.
    Table(Arc<[(i64, u64)]>),
}

/// Measured on a real Uptime Kuma 2.5.3 server (issue #14: push monitors with I = 20 s, beats
/// to the millisecond): the spacing of consecutive loop beats minus the interval, 124 samples —
/// 1 ms ×37, 2 ms ×53, 3 ms ×28, 4 ms ×5, 5 ms ×1. Each spacing is one timer's lateness.
pub const KUMA_2_5_3_MEASURED: [(i64, u64); 5] = [(1, 37), (2, 53), (3, 28), (4, 5), (5, 1)];

impl Default for TimerLateness {
    fn default() -> Self {
        TimerLateness::Constant(1)
    }
}

impl TimerLateness {
    /// The measured table ([`KUMA_2_5_3_MEASURED`]).
    pub fn kuma_2_5_3_measured() -> Self {
        TimerLateness::Table(Arc::from(&KUMA_2_5_3_MEASURED[..]))
    }

    /// One timer's lateness; negative values count as 0 (Node never fires early).
    pub fn draw<R: RngCore + ?Sized>(&self, rng: &mut R) -> i64 {
        let ms = match self {
            TimerLateness::Constant(ms) => *ms,
            TimerLateness::Uniform { lo_ms, hi_ms } => uniform::between(rng, *lo_ms, *hi_ms),
            TimerLateness::Table(rows) => {
                let total: u64 = rows.iter().map(|(_, w)| w).sum();
                let mut pick = uniform::below(rng, total);
                rows.iter()
                    .find(|(_, w)| {
                        let hit = pick < *w;
                        pick = pick.saturating_sub(*w);
                        hit
                    })
                    .map_or(0, |(ms, _)| *ms)
            }
        };
        ms.max(0)
    }

    /// The least a timer can be late.
    pub fn min_ms(&self) -> i64 {
        match self {
            TimerLateness::Constant(ms) => *ms,
            TimerLateness::Uniform { lo_ms, .. } => *lo_ms,
            TimerLateness::Table(rows) => rows.iter().map(|(ms, _)| *ms).min().unwrap_or(0),
        }
        .max(0)
    }

    /// The most a timer can be late.
    pub fn max_ms(&self) -> i64 {
        match self {
            TimerLateness::Constant(ms) => *ms,
            TimerLateness::Uniform { hi_ms, .. } => *hi_ms,
            TimerLateness::Table(rows) => rows.iter().map(|(ms, _)| *ms).max().unwrap_or(0),
        }
        .max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    #[test]
    fn a_constant_lateness_never_draws_from_the_stream() {
        let mut rng = stream(1, "m");
        let before = rng.clone().next_u64();
        assert_eq!(TimerLateness::Constant(3).draw(&mut rng), 3);
        assert_eq!(TimerLateness::Constant(-2).draw(&mut rng), 0, "never early");
        assert_eq!(rng.next_u64(), before, "the stream is untouched");
    }

    #[test]
    fn a_uniform_lateness_stays_within_its_bounds_and_reaches_both() {
        let mut rng = stream(2, "m");
        let l = TimerLateness::Uniform { lo_ms: 1, hi_ms: 7 };
        let draws: Vec<i64> = (0..2_000).map(|_| l.draw(&mut rng)).collect();
        assert!(draws.iter().all(|d| (1..=7).contains(d)));
        assert!(draws.contains(&1) && draws.contains(&7));
        assert_eq!((l.min_ms(), l.max_ms()), (1, 7));
    }

    #[test]
    fn the_measured_table_is_drawn_in_proportion_to_its_weights() {
        // 124 000 draws: each value's share within 1 % (absolute) of weight / 124.
        let mut rng = stream(3, "m");
        let l = TimerLateness::kuma_2_5_3_measured();
        let mut counts = [0u64; 6];
        let n = 124_000;
        for _ in 0..n {
            counts[l.draw(&mut rng) as usize] += 1;
        }
        assert_eq!(counts[0], 0, "no value outside the table");
        for (ms, weight) in KUMA_2_5_3_MEASURED {
            let share = counts[ms as usize] as f64 / n as f64;
            assert!((share - weight as f64 / 124.0).abs() < 0.01, "{ms} ms: {share}");
        }
        assert_eq!((l.min_ms(), l.max_ms()), (1, 5));
    }

    #[test]
    fn each_check_of_a_silent_chain_is_late_by_its_own_draw_and_the_lateness_adds_up() {
        // I = 20 s as on the measured server; no push: the chain checks at start + 20 s + l1,
        // then every 20 s + l_k after the previous check (monitor.js re-arms from the check).
        use crate::time::Instant;
        use crate::world::kuma::monitor::{MonitorSettings, PushMonitor};
        let settings = MonitorSettings { timer_lateness: TimerLateness::kuma_2_5_3_measured(), ..MonitorSettings::new(20) };
        let mut m = PushMonitor::with_stream(settings, stream(9, "kuma.monitor.m"));
        m.handle_start(Instant(0));
        let mut checks = Vec::new();
        while let Some(t) = m.poll_timeout().filter(|t| t.as_ms() < 2_000_000) {
            m.handle_timeout(t);
            checks.push(t.as_ms());
        }
        let late: Vec<i64> = std::iter::once(checks[0]).chain(checks.windows(2).map(|w| w[1] - w[0])).map(|d| d - 20_000).collect();
        assert!(late.iter().all(|l| (1..=5).contains(l)), "every timer 1-5 ms late: {late:?}");
        assert!(late.contains(&1) && late.contains(&2) && late.contains(&3), "drawn, not constant: {late:?}");
        assert_eq!(*checks.last().unwrap(), 20_000 * checks.len() as i64 + late.iter().sum::<i64>(), "the lateness accumulates");
    }
}
