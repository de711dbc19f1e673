//! Ground-truth incidents of a job from its grid and its runs, and the two small helpers the
//! alert figures share (whole seconds, the median). Kuma's figures (`alerts`) and Healthchecks'
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

pub(crate) fn seconds(d: Duration) -> i64 {
    d.as_ms() / 1000
}

pub(crate) fn median(mut v: Vec<i64>) -> i64 {
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}
