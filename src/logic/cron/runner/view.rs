//! The monitoring view of a job (SPEC 2.3): the Dolibarr columns the list shows, a bounded
//! history of durations, and the health indicator computed from them.

use std::collections::VecDeque;

use super::schedule::{Calendar, Frequency};
use crate::time::{Duration, Instant};

/// `lastresult` as the monitoring view reads it (Dolibarr stores `'0'` or an error code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunOutcome {
    Success,
    Error,
}

/// The monitoring view of one job (SPEC 2.3): the Dolibarr columns plus a bounded history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobView {
    pub id: u32,
    pub label: String,
    pub priority: i32,
    pub frequency: Frequency,
    pub datestart: Option<Instant>,
    pub dateend: Option<Instant>,
    /// The grid origin (the job's first `datenextrun`).
    pub first_run: Instant,
    /// `status = 1`.
    pub enabled: bool,
    /// Next run: the job is due once `datenextrun < now`.
    pub datenextrun: Instant,
    /// Start of the last run (the run's own start time, not the pass's `now`).
    pub datelastrun: Option<Instant>,
    /// End of the last run; `None` while a run is in progress (cleared at start) or never ended.
    pub datelastresult: Option<Instant>,
    /// `None` while running or never run (Dolibarr's `''`), else the last outcome.
    pub lastresult: Option<RunOutcome>,
    pub lastoutput: String,
    /// Number of runs started.
    pub nbrun: u64,
    /// `processing = 1`: a run started and did not end (running, or stuck).
    pub processing: bool,
    /// Monitoring: the last outcome ever written (not cleared when a run starts).
    pub last_known_result: Option<RunOutcome>,
    /// Monitoring: durations (ms) of the last completed runs, oldest first, bounded.
    pub durations_ms: VecDeque<i64>,
}

impl JobView {
    /// The health indicator of this job at `now` (SPEC 2.3); months are added on `calendar`.
    ///
    /// Contract, first match wins:
    /// - **Problem** if the last known result is an error (a clean-up reset counts as one), or if
    ///   the job has a period and `now` is strictly after `reference + problem_periods periods +
    ///   tick`, where `reference` is the last start (`datelastrun`), or `first_run` if it never ran
    ///   (months are added on the job's calendar);
    /// - **Attention** if the duration of the last completed run — or, while `processing`, the time
    ///   since its start — is strictly above `attention_factor ×` the median of the previous
    ///   completed runs in the history (median of an even count: mean of the two middle values,
    ///   rounded down); needs at least one previous run;
    /// - **Normal** otherwise.
    pub fn health(&self, now: Instant, tick: Duration, th: &HealthThresholds, calendar: Calendar) -> Health {
        if self.last_known_result == Some(RunOutcome::Error) {
            return Health::Problem;
        }
        if self.frequency.count > 0 {
            let reference = self.datelastrun.unwrap_or(self.first_run);
            let mut deadline = reference;
            for _ in 0..th.problem_periods {
                deadline = calendar.step(deadline, self.frequency);
            }
            if now > Instant(deadline.0.saturating_add(tick.0)) {
                return Health::Problem;
            }
        }
        let durations: Vec<i64> = self.durations_ms.iter().copied().collect();
        let (current, previous) = match (self.processing, self.datelastrun) {
            (true, Some(start)) => (Some((now - start).as_ms()), &durations[..]),
            _ => match durations.split_last() {
                Some((last, previous)) => (Some(*last), previous),
                None => (None, &durations[..]),
            },
        };
        if let (Some(current), Some(median)) = (current, median(previous))
            && i128::from(current) > i128::from(th.attention_factor) * i128::from(median)
        {
            return Health::Attention;
        }
        Health::Normal
    }

    /// Average duration (ms, rounded down) of the runs in the history.
    pub fn average_duration_ms(&self) -> Option<i64> {
        let n = self.durations_ms.len() as i64;
        (n > 0).then(|| self.durations_ms.iter().sum::<i64>() / n)
    }
}

/// Health indicator of the monitoring view (SPEC 2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Health {
    Normal,
    Attention,
    Problem,
}

/// Health thresholds *(model choice, configurable)*.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthThresholds {
    /// Attention when the last (or the running) duration is strictly above this many times the
    /// median of the previous runs. Default 3.
    pub attention_factor: u32,
    /// Problem when nothing started for strictly more than this many periods plus one tick since
    /// the last start (or since `first_run` if it never ran). Default 2.
    pub problem_periods: u32,
}

impl Default for HealthThresholds {
    fn default() -> Self {
        HealthThresholds { attention_factor: 3, problem_periods: 2 }
    }
}

fn median(values: &[i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { ((i128::from(v[n / 2 - 1]) + i128::from(v[n / 2])) / 2) as i64 })
}
