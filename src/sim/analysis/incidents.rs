//! Ground-truth incidents of a job from its grid and its runs, and the two small helpers the
//! alert figures share (whole seconds rounded to the nearest, the median). Kuma's figures (`alerts`) and Healthchecks'
//! (`healthchecks`) both judge detection against these incidents.

use std::collections::BTreeSet;

use crate::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Incident {
    pub start: Instant,
    /// `None`: still open at the end of the run.
    pub end: Option<Instant>,
}

/// One run as the ground truth sees it.
#[derive(Clone, Copy, Debug)]
pub struct RunView {
    /// The grid slot it served (`datenextrun` when it started).
    pub slot: Instant,
    pub start: Instant,
    /// When Kuma received its successful push.
    pub delivered: Option<Instant>,
}

/// Incidents of one job from its grid and its runs. A slot is served by a run of that slot that
/// started within `grace` of it (one period plus a tick: "late but successful" is not an
/// incident, a run hours late after a stuck job is) and whose push was delivered. An incident
/// ends at the first delivered push of a run that started after the incident began.
pub fn incidents(slots: &[Instant], runs: &[RunView], grace: Duration) -> Vec<Incident> {
    let served: BTreeSet<Instant> = runs.iter().filter(|r| r.delivered.is_some() && r.start <= r.slot + grace).map(|r| r.slot).collect();
    let close_after = |start: Instant| runs.iter().filter(|r| r.start > start).filter_map(|r| r.delivered).min();
    let mut out = Vec::new();
    let mut open: Option<(Instant, Option<Instant>)> = None;
    for &s in slots {
        if let Some((_, Some(end))) = open {
            if s > end {
                out.push(Incident { start: open.map(|o| o.0).unwrap_or(s), end: Some(end) });
                open = None;
            }
        }
        if open.is_none() && !served.contains(&s) {
            open = Some((s, close_after(s)));
        }
    }
    if let Some((start, end)) = open {
        out.push(Incident { start, end });
    }
    out
}

/// `d` in whole seconds, to the nearest (`round::whole_seconds`).
pub(crate) fn seconds(d: Duration) -> i64 {
    crate::sim::analysis::round::whole_seconds(d)
}

/// The median of whole seconds: `None` for no value (the report prints "—", JSON `null`); for an
/// even count, the usual definition, the mean of the two middle values, a half rounded up
/// (towards +∞) to stay in whole seconds: median of [10, 13] = 11.5 → 12.
pub(crate) fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        Some(v[n / 2])
    } else {
        let (a, b) = (v[n / 2 - 1] as i128, v[n / 2] as i128);
        Some((a + b + 1).div_euclid(2) as i64)
    }
}

#[cfg(test)]
mod median_tests {
    use super::*;

    #[test]
    fn the_median_of_nothing_is_none_not_zero() {
        assert_eq!(median(Vec::new()), None);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_two_middle_values_halves_up() {
        assert_eq!(median(vec![13, 10]), Some(12)); // 11.5 → 12
        assert_eq!(median(vec![40, 10, 20, 30]), Some(25));
        assert_eq!(median(vec![-3, -2]), Some(-2)); // −2.5 → −2
        assert_eq!(median(vec![7, 1, 4]), Some(4));
    }
}
