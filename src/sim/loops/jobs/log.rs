//! What the jobs loop records: runs, what Kuma did per monitor, the runner's view of each job
//! and the time it spent in each health state. `sim::analysis::alerts` turns it into figures.

use serde::Serialize;

use crate::logic::cron::runner::Health;
use crate::sim::engine::calls::CallCounters;
use crate::sim::scenario::jobs_plan::JobsPlan;
use crate::time::{Duration, Instant};
use crate::world::kuma::monitor::{NotificationKind, Status};

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunFate {
    Success,
    Error,
    /// The process died mid-run (fatal error, kill): the job stays `processing`.
    Crashed,
    /// Killed by the 600 s PHP time limit: stuck like a crash.
    TimeLimit,
    /// Still running when the simulation ended.
    Unfinished,
}

/// One run, as the report and the ground truth need it.
#[derive(Clone, Debug)]
pub struct RunRecord {
    pub job: u32,
    /// The grid slot this run served (`datenextrun` when it started).
    pub slot: Instant,
    pub start: Instant,
    pub end: Option<Instant>,
    pub fate: RunFate,
    /// When Kuma received the successful push for this run, if it did.
    pub push_delivered: Option<Instant>,
    /// When the `status=down` push of a run that ended in error was received (`push_on_error`):
    /// a Healthchecks check reads it as `/fail`.
    pub fail_delivered: Option<Instant>,
    pub push_attempts: u32,
}

impl RunRecord {
    /// A run of `job` for `slot` that starts at `start` and is meant to end as `fate`.
    pub fn started(job: u32, slot: Instant, start: Instant, fate: RunFate) -> Self {
        RunRecord { job, slot, start, end: None, fate, push_delivered: None, fail_delivered: None, push_attempts: 0 }
    }
}

/// What Kuma did, per monitor.
#[derive(Clone, Debug, Default)]
pub struct MonitorLog {
    /// Stored beats: (at, status), in order.
    pub beats: Vec<(Instant, Status)>,
    pub notifications: Vec<(Instant, NotificationKind)>,
    /// The push attempts that came back (refused, timed out, answered) and the pushes the retry
    /// policy gave up on.
    pub pushes: CallCounters,
}

/// The runner's view of a job at the end (Dolibarr's `llx_cronjob` columns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobView {
    pub nbrun: u64,
    pub datenextrun: Instant,
    pub processing: bool,
    pub average_duration_ms: Option<i64>,
}

/// Time a job spent in each health state of the monitoring view, sampled at every tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HealthTime {
    pub normal: Duration,
    pub attention: Duration,
    pub problem: Duration,
}

impl HealthTime {
    pub fn add(&mut self, health: Health, d: Duration) {
        let slot = match health {
            Health::Normal => &mut self.normal,
            Health::Attention => &mut self.attention,
            Health::Problem => &mut self.problem,
        };
        *slot = *slot + d;
    }
}

/// Everything the alert and job figures are computed from.
#[derive(Clone, Debug, Default)]
pub struct CronLog {
    pub runs: Vec<RunRecord>,
    pub monitors: Vec<MonitorLog>,
    /// Per job, in plan order.
    pub health_time: Vec<HealthTime>,
    pub health_at_end: Vec<Option<Health>>,
    /// Per job, in plan order (`None` for a job the runner does not know).
    pub views: Vec<Option<JobView>>,
    pub pushes_sent: u64,
    pub push_attempts: u64,
    pub pushes_lost: u64,
    pub passes: u64,
}

impl CronLog {
    /// Nothing recorded yet, for `plan`'s jobs and monitors.
    pub fn empty(plan: &JobsPlan) -> Self {
        CronLog {
            monitors: vec![MonitorLog::default(); plan.kuma.monitors.len()],
            health_time: vec![HealthTime::default(); plan.jobs.len()],
            ..Default::default()
        }
    }
}
