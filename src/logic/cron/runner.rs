//! The Dolibarr-style scheduled-job runner and its monitoring view (SPEC 2.2, 2.3), sans-IO.
//!
//! This is the code under test: it has no clock, never sleeps, does no I/O and draws no random
//! number. The driver (the event loop) owns virtual time and tells the runner what happened:
//!
//! ```text
//! let pass = runner.begin_pass(now);                 // the host's cron fires (every `tick`)
//! for id in pass.due.clone() {                        // one process, one job after another
//!     let run = runner.start_job(pass.id, id, t)?;    // t >= now, >= end of the previous job
//!     // ... the job's own work happens in virtual time ...
//!     runner.finish_job(run, t_end, result)?;         // or runner.process_died(run)?
//! }
//! ```
//!
//! Sources, read for this module (public source, quoted by file and function):
//! - `scripts/cron/cron_run_jobs.php` (the CLI pass): `$now = dol_now()` once; `fetchAll('ASC,ASC,ASC',
//!   't.priority,t.entity,t.rowid', 0, 0, 1 /*status*/, $filter, 0 /*processing*/)`; per line the
//!   due test `datenextrun < $now && (empty(datestart) || datestart <= $now) && (empty(dateend) ||
//!   dateend >= $now)`; then `fetch($id)`, `run_jobs()`, and `reprogram_jobs($userlogin, $now)`
//!   whatever `run_jobs` returned.
//! - `htdocs/cron/class/cronjob.class.php` `run_jobs()`: its *own* `$now = dol_now()`, then before
//!   running `datelastrun = $now; datelastresult = null; lastoutput = ''; lastresult = '';
//!   processing = 1; pid = getmypid(); nbrun += 1; update()`; after the job `datelastresult =
//!   dol_now(); processing = 0; pid = null; update()`. `update()` writes the whole row from the
//!   in-memory object (last writer wins).
//! - same file, `reprogram_jobs($userlogin, $now)`: `if (datenextrun < $now && frequency > 0) while
//!   (datenextrun < $now) datenextrun += frequency * unitfrequency` (seconds), except
//!   `unitfrequency == 2678400` (month) which uses `dol_time_plus_duree(datenextrun, frequency, 'm')`.
//!   Otherwise "datenextrun is already in future, we do not change it".
//! - `htdocs/core/lib/date.lib.php` `dol_time_plus_duree()`: months are a PHP `DateInterval('PnM')`
//!   added in UTC unless `MAIN_DATE_IN_MEMORY_ARE_NOT_GMT` (then in the server zone);
//!   `reprogram_jobs` passes no `$ruleforendofmonth`, so PHP's overflow applies (Jan 31 + 1 month
//!   = "Feb 31" = Mar 3, or Mar 2 in a leap year).
//! - `htdocs/core/class/utils.class.php` `cleanUnfinishedCronjob()`: for jobs with `processing = 1`
//!   and a `pid` whose process is gone (`posix_kill($pid, 0)` false): `processing = 0; pid = null;
//!   lastresult = '-1'; lastoutput = 'Job killed by job cleanUnfinishedCronjob'`. It is itself a
//!   cron job, shown only when `MAIN_FEATURES_LEVEL >= 2`: optional.
//! - `htdocs/cron/list.php` action `confirm_execute` ("Exécuter maintenant", seed 000): `$now =
//!   dol_now()` before `run_jobs()`, then `reprogram_jobs($user->login, $now)` whatever the result.

use std::collections::{BTreeMap, VecDeque};

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};

use crate::time::{Duration, Instant, Zone};

/// Unit of a job's frequency. Dolibarr stores it as `unitfrequency`, a number of seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FrequencyUnit {
    /// `unitfrequency = 1`: not offered by Dolibarr's form, but the column is a plain multiplier.
    Second,
    Minute,
    Hour,
    /// 86 400 s, not a calendar day: the grid ignores daylight-saving changes (see `Runner`).
    Day,
    /// 604 800 s.
    Week,
    /// Calendar months (`unitfrequency = 2678400` is only a marker), see [`MonthCalendar`].
    Month,
}

impl FrequencyUnit {
    /// Dolibarr's `unitfrequency` value for this unit.
    pub const fn unitfrequency(self) -> i64 {
        match self {
            FrequencyUnit::Second => 1,
            FrequencyUnit::Minute => 60,
            FrequencyUnit::Hour => 3_600,
            FrequencyUnit::Day => 86_400,
            FrequencyUnit::Week => 604_800,
            FrequencyUnit::Month => 2_678_400,
        }
    }
}

/// "Every `count` `unit`s". `count = 0` means the job is never reprogrammed (Dolibarr's
/// `frequency > 0` guard): once due it stays due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Frequency {
    pub count: u32,
    pub unit: FrequencyUnit,
}

impl Frequency {
    pub const fn new(count: u32, unit: FrequencyUnit) -> Self {
        Frequency { count, unit }
    }
    /// The fixed period in milliseconds, or `None` for calendar months.
    pub const fn fixed_period(self) -> Option<Duration> {
        match self.unit {
            FrequencyUnit::Month => None,
            unit => Some(Duration(self.count as i64 * unit.unitfrequency() * 1_000)),
        }
    }
}

/// In which calendar a monthly job adds its months.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MonthCalendar {
    /// Current Dolibarr (`date.lib.php` `dol_time_plus_duree`, default setup): the month is added
    /// to the UTC date and time, so the local hour moves with daylight saving.
    #[default]
    Utc,
    /// Older Dolibarr, or `MAIN_DATE_IN_MEMORY_ARE_NOT_GMT = 1`: added to the local wall-clock
    /// date and time in the scenario's zone (PHP's default zone is the server's). A local time
    /// that falls in a spring-forward gap moves forward by the gap, one in an autumn fold takes
    /// the earlier instant (the `time::Zone::instant_of` rule, which is also PHP's).
    ScenarioZone,
}

/// Model settings that are not part of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunnerConfig {
    pub month_calendar: MonthCalendar,
    /// How many run durations the monitoring view keeps *(model choice: default 20)*.
    pub history_len: usize,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig { month_calendar: MonthCalendar::Utc, history_len: 20 }
    }
}

/// A scheduled job as created in Dolibarr's cron module (`llx_cronjob` row at creation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSpec {
    /// `rowid`.
    pub id: u32,
    pub label: String,
    /// Lower runs first (seed 000: 55).
    pub priority: i32,
    /// `status = 1`.
    pub enabled: bool,
    pub frequency: Frequency,
    pub datestart: Option<Instant>,
    pub dateend: Option<Instant>,
    /// The initial `datenextrun` (mandatory in current Dolibarr's `create()`): the grid origin.
    pub first_run: Instant,
}

/// What a run of the job returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunResult {
    Success,
    Error { output: String },
}

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

/// Identifies one runner pass (one `cron_run_jobs.php` process, or one "run now" click).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PassId(pub u64);

/// What a pass selected: its one `now` and the due jobs in run order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pass {
    pub id: PassId,
    pub now: Instant,
    /// Ids of the due jobs, ordered by priority then id.
    pub due: Vec<u32>,
}

/// One run of one job, from `start_job`/`run_now` to `finish_job`/`process_died`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunTicket {
    pub run: u64,
    pub job: u32,
    pub pass: PassId,
}

/// Misuse of the runner's API by the driver (never a behaviour of the simulated system).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunnerError {
    #[error("job id {0} appears twice")]
    DuplicateJob(u32),
    #[error("job {0}: dateend is before datestart")]
    EndBeforeStart(u32),
    #[error("unknown job id {0}")]
    UnknownJob(u32),
    #[error("pass {0:?} is unknown, finished, or its process died")]
    UnknownPass(PassId),
    #[error("run {0} is unknown or already ended")]
    UnknownRun(u64),
    #[error("pass {pass:?} must start job {expected:?} next, not {found}")]
    NotNext { pass: PassId, expected: Option<u32>, found: u32 },
    #[error("pass {pass:?} is still running job {job}: one process runs its jobs one after another")]
    PassBusy { pass: PassId, job: u32 },
    #[error("time goes backwards: {at} is before {earliest}")]
    TimeBackwards { at: Instant, earliest: Instant },
}

/// The Dolibarr columns that `update()` writes back whole.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    enabled: bool,
    datenextrun: Instant,
    datelastrun: Option<Instant>,
    datelastresult: Option<Instant>,
    lastresult: Option<RunOutcome>,
    lastoutput: String,
    nbrun: u64,
    processing: bool,
    /// The run whose process holds the job (`pid`); dead once that run is gone from `runs`.
    pid: Option<u64>,
}

#[derive(Clone, Debug)]
struct JobState {
    view: JobView,
    pid: Option<u64>,
}

impl JobState {
    fn read_row(&self) -> Row {
        let v = &self.view;
        Row {
            enabled: v.enabled,
            datenextrun: v.datenextrun,
            datelastrun: v.datelastrun,
            datelastresult: v.datelastresult,
            lastresult: v.lastresult,
            lastoutput: v.lastoutput.clone(),
            nbrun: v.nbrun,
            processing: v.processing,
            pid: self.pid,
        }
    }
    fn write_row(&mut self, row: &Row) {
        let v = &mut self.view;
        v.enabled = row.enabled;
        v.datenextrun = row.datenextrun;
        v.datelastrun = row.datelastrun;
        v.datelastresult = row.datelastresult;
        v.lastresult = row.lastresult;
        v.lastoutput.clone_from(&row.lastoutput);
        v.nbrun = row.nbrun;
        v.processing = row.processing;
        self.pid = row.pid;
        if row.lastresult.is_some() {
            v.last_known_result = row.lastresult;
        }
    }
}

#[derive(Clone, Debug)]
struct PassState {
    now: Instant,
    due: Vec<u32>,
    next: usize,
    current: Option<u64>,
    /// Earliest instant the next job of this pass may start.
    free_at: Instant,
}

#[derive(Clone, Debug)]
struct Run {
    job: u32,
    pass: PassId,
    started: Instant,
    /// The `$cronjob` object of this run: fetched at start, written back whole at the end.
    object: Row,
    /// The `$now` handed to `reprogram_jobs`: the pass's `now`, or the click time for "run now".
    reprogram_now: Instant,
}

/// The runner: all jobs' rows, the passes in progress and the runs in progress.
///
/// Grid and time zones: fixed units add seconds to `datenextrun` (`reprogram_jobs()`), so the grid
/// is `first_run + k·period` in UTC and a daily job's local hour moves by one hour across a
/// daylight-saving change (03:00 CET becomes 04:00 CEST). Months follow [`MonthCalendar`]; their
/// grid is the *iterated* addition from `first_run` (Jan 31 → Mar 3 → Apr 3 → …), because the loop
/// adds one month at a time to the previous `datenextrun`.
#[derive(Clone, Debug)]
pub struct Runner {
    zone: Zone,
    config: RunnerConfig,
    jobs: BTreeMap<u32, JobState>,
    passes: BTreeMap<PassId, PassState>,
    runs: BTreeMap<u64, Run>,
    next_pass: u64,
    next_run: u64,
}

impl Runner {
    /// A runner over `jobs` with the default [`RunnerConfig`]. `zone` is the scenario's zone.
    ///
    /// Errors: a duplicate id, or `dateend < datestart` (Dolibarr's `CronErrEndDateStartDt`).
    pub fn new(jobs: Vec<JobSpec>, zone: Zone) -> Result<Self, RunnerError> {
        Self::with_config(jobs, zone, RunnerConfig::default())
    }

    /// As [`Runner::new`], with explicit model settings.
    pub fn with_config(jobs: Vec<JobSpec>, zone: Zone, config: RunnerConfig) -> Result<Self, RunnerError> {
        let mut map = BTreeMap::new();
        for spec in jobs {
            if let (Some(s), Some(e)) = (spec.datestart, spec.dateend)
                && e < s
            {
                return Err(RunnerError::EndBeforeStart(spec.id));
            }
            if map.contains_key(&spec.id) {
                return Err(RunnerError::DuplicateJob(spec.id));
            }
            let view = JobView {
                id: spec.id,
                label: spec.label,
                priority: spec.priority,
                frequency: spec.frequency,
                datestart: spec.datestart,
                dateend: spec.dateend,
                first_run: spec.first_run,
                enabled: spec.enabled,
                datenextrun: spec.first_run,
                datelastrun: None,
                datelastresult: None,
                lastresult: None,
                lastoutput: String::new(),
                nbrun: 0,
                processing: false,
                last_known_result: None,
                durations_ms: VecDeque::new(),
            };
            map.insert(spec.id, JobState { view, pid: None });
        }
        Ok(Runner { zone, config, jobs: map, passes: BTreeMap::new(), runs: BTreeMap::new(), next_pass: 0, next_run: 0 })
    }

    /// A runner pass starts at `now` (the host's cron fired).
    ///
    /// Contract: `now` is captured once for the whole pass. The selection is the jobs that are
    /// enabled and not processing *at this instant*, ordered by priority then id
    /// (`cron_run_jobs.php`: `fetchAll('ASC,ASC,ASC', 't.priority,t.entity,t.rowid', …, 1, …, 0)`),
    /// kept if due: `datenextrun < now` (strictly) and `datestart <= now` and `dateend >= now`
    /// when set. The list is a snapshot: a job that another pass starts later is *not* removed
    /// (Dolibarr re-fetches the row but does not re-check it), so overlapping passes can run a
    /// queued job twice. A pass with no due job is over at once.
    pub fn begin_pass(&mut self, now: Instant) -> Pass {
        let id = PassId(self.next_pass);
        self.next_pass += 1;
        let mut due: Vec<(i32, u32)> = self
            .jobs
            .values()
            .map(|j| &j.view)
            .filter(|v| v.enabled && !v.processing)
            // cron_run_jobs.php: ($line->datenextrun < $now) && (empty($line->datestart) ||
            // $line->datestart <= $now) && (empty($line->dateend) || $line->dateend >= $now)
            .filter(|v| v.datenextrun < now)
            .filter(|v| v.datestart.is_none_or(|s| s <= now))
            .filter(|v| v.dateend.is_none_or(|e| e >= now))
            .map(|v| (v.priority, v.id))
            .collect();
        due.sort_unstable();
        let due: Vec<u32> = due.into_iter().map(|(_, id)| id).collect();
        if !due.is_empty() {
            self.passes.insert(id, PassState { now, due: due.clone(), next: 0, current: None, free_at: now });
        }
        Pass { id, now, due }
    }

    /// The pass `pass` starts its next due job `job` at `at`.
    ///
    /// Contract: jobs start in the pass's order, one at a time, each at most once, at
    /// `at >= pass.now` and not before the previous job of the pass ended (a long job delays the
    /// next). As `run_jobs()` does before running: re-read the row (without re-checking
    /// `processing`), then `datelastrun = at` (the run's own `dol_now()`, not the pass's `now`),
    /// `datelastresult = None`, `lastresult = None`, `lastoutput = ""`, `processing = true`,
    /// `nbrun += 1`, and write the row.
    pub fn start_job(&mut self, pass: PassId, job: u32, at: Instant) -> Result<RunTicket, RunnerError> {
        let state = self.passes.get(&pass).ok_or(RunnerError::UnknownPass(pass))?;
        if let Some(run) = state.current {
            let job = self.runs.get(&run).map_or(job, |r| r.job);
            return Err(RunnerError::PassBusy { pass, job });
        }
        let expected = state.due.get(state.next).copied();
        if expected != Some(job) {
            return Err(RunnerError::NotNext { pass, expected, found: job });
        }
        if at < state.free_at {
            return Err(RunnerError::TimeBackwards { at, earliest: state.free_at });
        }
        let reprogram_now = state.now;
        let ticket = self.start_run(pass, job, at, reprogram_now)?;
        let state = self.passes.get_mut(&pass).expect("pass checked above");
        state.next += 1;
        state.current = Some(ticket.run);
        Ok(ticket)
    }

    /// The run `run` ended at `at` with `result`.
    ///
    /// Contract: as `run_jobs()` then `reprogram_jobs($now)`: the run's object (read at start)
    /// gets `datelastresult = at`, `processing = false`, `lastresult`, `lastoutput`; then, success
    /// or not, if `datenextrun < now` and `count > 0`, the period is added until
    /// `datenextrun >= now`, where `now` is the pass's `now` (for "run now", the click time), not
    /// `at`; otherwise `datenextrun` is left alone. The object is written back whole (a change made
    /// meanwhile by an overlapping run is overwritten, as in Dolibarr). Monitoring: the duration
    /// `at − start` enters the bounded history. The pass may then start its next job at `at`.
    pub fn finish_job(&mut self, run: RunTicket, at: Instant, result: RunResult) -> Result<(), RunnerError> {
        let r = self.runs.get(&run.run).ok_or(RunnerError::UnknownRun(run.run))?;
        if at < r.started {
            return Err(RunnerError::TimeBackwards { at, earliest: r.started });
        }
        let r = self.runs.remove(&run.run).expect("run checked above");
        let mut object = r.object;
        // run_jobs(): $this->datelastresult = dol_now(); $this->processing = 0; $this->pid = null;
        object.datelastresult = Some(at);
        object.processing = false;
        object.pid = None;
        match result {
            RunResult::Success => {
                object.lastresult = Some(RunOutcome::Success);
                object.lastoutput.clear();
            }
            RunResult::Error { output } => {
                object.lastresult = Some(RunOutcome::Error);
                object.lastoutput = output;
            }
        }
        // cron_run_jobs.php: reprogram_jobs($userlogin, $now) is called whatever run_jobs returned.
        let freq = self.jobs[&r.job].view.frequency;
        object.datenextrun = self.reprogram(object.datenextrun, freq, r.reprogram_now);
        let history_len = self.config.history_len;
        let job = self.jobs.get_mut(&r.job).expect("runs only reference known jobs");
        job.write_row(&object);
        job.view.durations_ms.push_back((at - r.started).as_ms());
        while job.view.durations_ms.len() > history_len {
            job.view.durations_ms.pop_front();
        }
        self.release_pass(r.pass, at);
        Ok(())
    }

    /// The process running `run` died (fatal error, kill, or the 600 s `set_time_limit` of
    /// `run_jobs()`, which on Linux counts the job's own processing, not time waiting on the
    /// network: the driver decides when that is reached).
    ///
    /// Contract: nothing is written, so the row keeps `processing = true` and the dead pid;
    /// `datenextrun` does not move and the job is skipped by every pass until a clean-up. The whole
    /// pass process is gone: its remaining jobs never start (its id becomes unknown).
    pub fn process_died(&mut self, run: RunTicket) -> Result<(), RunnerError> {
        let r = self.runs.remove(&run.run).ok_or(RunnerError::UnknownRun(run.run))?;
        self.passes.remove(&r.pass);
        Ok(())
    }

    /// The optional clean-up of stuck jobs (`Utils::cleanUnfinishedCronjob`, a scenario switch).
    ///
    /// Contract: every job with `processing = true` whose pid's process is gone gets
    /// `processing = false`, `lastresult = Error`, `lastoutput = "Job killed by job
    /// cleanUnfinishedCronjob"`; `datenextrun` and `datelastresult` are left as they are, so the
    /// next pass finds it due and runs it once, then it is back on the grid. Jobs whose process is
    /// alive are left alone. Returns the ids reset, in id order.
    pub fn cleanup_dead(&mut self) -> Vec<u32> {
        let mut reset = Vec::new();
        for (id, job) in self.jobs.iter_mut() {
            // utils.class.php: fetchAll(..., 1 /*processing*/); skip jobs without pid; reset when
            // !posix_kill($job->pid, 0).
            let dead = job.view.processing && job.pid.is_some_and(|p| !self.runs.contains_key(&p));
            if dead {
                let mut row = job.read_row();
                row.processing = false;
                row.pid = None;
                row.lastresult = Some(RunOutcome::Error);
                row.lastoutput = "Job killed by job cleanUnfinishedCronjob".to_string();
                job.write_row(&row);
                reset.push(*id);
            }
        }
        reset
    }

    /// "Exécuter maintenant" (seed 000; Dolibarr `list.php`/`card.php` action `confirm_execute`):
    /// the job starts at once at `now`, in its own process.
    ///
    /// Contract: no due, enabled or processing check; the start does what [`Runner::start_job`]
    /// does with `at = now`; end it with [`Runner::finish_job`] (or [`Runner::process_died`]),
    /// which reprograms with `now` = the click time: a job that was not yet due keeps its
    /// `datenextrun` and still runs at its slot.
    pub fn run_now(&mut self, job: u32, now: Instant) -> Result<RunTicket, RunnerError> {
        if !self.jobs.contains_key(&job) {
            return Err(RunnerError::UnknownJob(job));
        }
        let pass = PassId(self.next_pass);
        self.next_pass += 1;
        self.passes.insert(pass, PassState { now, due: vec![job], next: 1, current: None, free_at: now });
        let ticket = self.start_run(pass, job, now, now)?;
        self.passes.get_mut(&pass).expect("just inserted").current = Some(ticket.run);
        Ok(ticket)
    }

    /// Enable or disable a job (`status`), as the card's activate/disable buttons do.
    pub fn set_enabled(&mut self, job: u32, enabled: bool) -> Result<(), RunnerError> {
        let j = self.jobs.get_mut(&job).ok_or(RunnerError::UnknownJob(job))?;
        j.view.enabled = enabled;
        Ok(())
    }

    /// The monitoring view of `job`, or `None` for an unknown id.
    pub fn view(&self, job: u32) -> Option<&JobView> {
        self.jobs.get(&job).map(|j| &j.view)
    }

    /// All views, in id order.
    pub fn views(&self) -> impl Iterator<Item = &JobView> {
        self.jobs.values().map(|j| &j.view)
    }

    /// The health indicator of `job` at `now` (SPEC 2.3), or `None` for an unknown id.
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
    pub fn health(&self, job: u32, now: Instant, tick: Duration, th: &HealthThresholds) -> Option<Health> {
        let v = self.view(job)?;
        if v.last_known_result == Some(RunOutcome::Error) {
            return Some(Health::Problem);
        }
        if v.frequency.count > 0 {
            let reference = v.datelastrun.unwrap_or(v.first_run);
            let mut deadline = reference;
            for _ in 0..th.problem_periods {
                deadline = self.step(deadline, v.frequency);
            }
            if now > Instant(deadline.0.saturating_add(tick.0)) {
                return Some(Health::Problem);
            }
        }
        let durations: Vec<i64> = v.durations_ms.iter().copied().collect();
        let (current, previous) = match (v.processing, v.datelastrun) {
            (true, Some(start)) => (Some((now - start).as_ms()), &durations[..]),
            _ => match durations.split_last() {
                Some((last, previous)) => (Some(*last), previous),
                None => (None, &durations[..]),
            },
        };
        if let (Some(current), Some(median)) = (current, median(previous))
            && i128::from(current) > i128::from(th.attention_factor) * i128::from(median)
        {
            return Some(Health::Attention);
        }
        Some(Health::Normal)
    }

    // ---- internals ----

    fn start_run(&mut self, pass: PassId, job: u32, at: Instant, reprogram_now: Instant) -> Result<RunTicket, RunnerError> {
        let run = self.next_run;
        let state = self.jobs.get_mut(&job).ok_or(RunnerError::UnknownJob(job))?;
        self.next_run += 1;
        // run_jobs(): $this->datelastrun = $now; $this->datelastresult = null; $this->lastoutput = '';
        // $this->lastresult = ''; $this->processing = 1; $this->pid = getmypid(); $this->nbrun += 1;
        // $this->update($user);
        let mut object = state.read_row();
        object.datelastrun = Some(at);
        object.datelastresult = None;
        object.lastoutput.clear();
        object.lastresult = None;
        object.processing = true;
        object.pid = Some(run);
        object.nbrun += 1;
        state.write_row(&object);
        self.runs.insert(run, Run { job, pass, started: at, object, reprogram_now });
        Ok(RunTicket { run, job, pass })
    }

    fn release_pass(&mut self, pass: PassId, at: Instant) {
        if let Some(state) = self.passes.get_mut(&pass) {
            state.current = None;
            state.free_at = at;
            if state.next >= state.due.len() {
                self.passes.remove(&pass);
            }
        }
    }

    /// `reprogram_jobs()`: `if (datenextrun < now && frequency > 0) while (datenextrun < now)
    /// datenextrun += period`. Fixed periods jump in one step to the same result as the loop.
    fn reprogram(&self, datenextrun: Instant, freq: Frequency, now: Instant) -> Instant {
        if datenextrun >= now || freq.count == 0 {
            // "datenextrun is already in future, we do not change it"
            return datenextrun;
        }
        match freq.fixed_period() {
            Some(period) => {
                let p = period.as_ms();
                let k = (now.0 - datenextrun.0 + p - 1) / p; // smallest k with dnr + k·p >= now
                Instant(datenextrun.0.saturating_add(k.saturating_mul(p)))
            }
            None => {
                let mut next = datenextrun;
                while next < now {
                    next = self.step(next, freq);
                }
                next
            }
        }
    }

    /// One period after `t`: seconds for fixed units, `dol_time_plus_duree(t, count, 'm')` for months.
    fn step(&self, t: Instant, freq: Frequency) -> Instant {
        match freq.fixed_period() {
            Some(p) => Instant(t.0.saturating_add(p.0)),
            None => add_months(t, freq.count, self.config.month_calendar, self.zone),
        }
    }
}

/// `dol_time_plus_duree($t, $months, 'm')` without `$ruleforendofmonth`: PHP `DateInterval('PnM')`.
/// The wall-clock time is kept; a day that the target month lacks overflows into the next month
/// (Jan 31 + 1 month = Mar 3, or Mar 2 in a leap year). Out of chrono's range: the far future.
pub fn add_months(t: Instant, months: u32, calendar: MonthCalendar, zone: Zone) -> Instant {
    let result = match calendar {
        MonthCalendar::Utc => chrono::DateTime::from_timestamp_millis(t.0)
            .and_then(|dt| add_months_naive(dt.naive_utc(), months))
            .map(|n| Instant(n.and_utc().timestamp_millis())),
        MonthCalendar::ScenarioZone => add_months_naive(zone.local(t), months).map(|n| zone.instant_of(n)),
    };
    result.unwrap_or(Instant(i64::MAX))
}

fn add_months_naive(dt: NaiveDateTime, months: u32) -> Option<NaiveDateTime> {
    let total = i64::from(dt.year()) * 12 + i64::from(dt.month0()) + i64::from(months);
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = u32::try_from(total.rem_euclid(12)).ok()? + 1;
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    // PHP normalises "month N, day d" by counting d − 1 days from the 1st.
    let date = first.checked_add_days(Days::new(u64::from(dt.day0())))?;
    Some(date.and_time(dt.time()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;
    use proptest::prelude::*;

    fn t(s: &str) -> Instant {
        Instant::parse_rfc3339(s).unwrap()
    }
    fn paris() -> Zone {
        Zone::parse("Europe/Paris").unwrap()
    }
    fn every(count: u32, unit: FrequencyUnit) -> Frequency {
        Frequency::new(count, unit)
    }
    fn job(id: u32, priority: i32, frequency: Frequency, first_run: Instant) -> JobSpec {
        JobSpec { id, label: format!("job {id}"), priority, enabled: true, frequency, datestart: None, dateend: None, first_run }
    }
    fn runner(jobs: Vec<JobSpec>) -> Runner {
        Runner::new(jobs, paris()).unwrap()
    }
    /// One whole pass at `now`: every due job in order, each lasting `each`, all successful.
    fn run_pass(r: &mut Runner, now: Instant, each: Duration) -> Vec<u32> {
        let pass = r.begin_pass(now);
        let mut at = now;
        for &id in &pass.due {
            let run = r.start_job(pass.id, id, at).unwrap();
            at += each;
            r.finish_job(run, at, RunResult::Success).unwrap();
        }
        pass.due
    }
    fn next(r: &Runner, id: u32) -> Instant {
        r.view(id).unwrap().datenextrun
    }

    #[test]
    fn strict_due_test_datenextrun_equal_to_now_is_not_due() {
        let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
        assert_eq!(r.begin_pass(t("2026-03-02T10:00:00Z")).due, Vec::<u32>::new());
        assert_eq!(r.begin_pass(t("2026-03-02T09:59:59.999Z")).due, Vec::<u32>::new());
        assert_eq!(r.begin_pass(t("2026-03-02T10:00:00.001Z")).due, vec![1]);
    }

    #[test]
    fn disabled_job_is_never_selected() {
        let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
        r.set_enabled(1, false).unwrap();
        assert!(r.begin_pass(t("2026-03-02T12:00:00Z")).due.is_empty());
        r.set_enabled(1, true).unwrap();
        assert_eq!(r.begin_pass(t("2026-03-02T12:00:00Z")).due, vec![1]);
    }

    #[test]
    fn selection_is_ordered_by_priority_then_id() {
        let f = every(5, FrequencyUnit::Minute);
        let first = t("2026-03-02T10:00:00Z");
        let mut r = runner(vec![job(3, 10, f, first), job(1, 20, f, first), job(2, 10, f, first), job(4, -5, f, first)]);
        let pass = r.begin_pass(t("2026-03-02T10:01:00Z"));
        assert_eq!(pass.due, vec![4, 2, 3, 1]);
        // Out of order is refused: the process walks its list.
        assert_eq!(r.start_job(pass.id, 2, pass.now), Err(RunnerError::NotNext { pass: pass.id, expected: Some(4), found: 2 }));
    }

    #[test]
    fn start_sets_processing_datelastrun_nbrun_and_clears_the_last_result() {
        let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
        run_pass(&mut r, t("2026-03-02T10:01:00Z"), Duration::from_secs(30));
        let pass = r.begin_pass(t("2026-03-02T10:06:00Z"));
        r.start_job(pass.id, 1, t("2026-03-02T10:06:02Z")).unwrap();
        let v = r.view(1).unwrap();
        assert!(v.processing);
        assert_eq!(v.nbrun, 2);
        assert_eq!(v.datelastrun, Some(t("2026-03-02T10:06:02Z"))); // the run's own now
        assert_eq!(v.datelastresult, None);
        assert_eq!(v.lastresult, None);
        assert_eq!(v.last_known_result, Some(RunOutcome::Success));
    }

    #[test]
    fn a_long_job_delays_the_next_one_in_the_same_pass() {
        let f = every(5, FrequencyUnit::Minute);
        let first = t("2026-03-02T10:00:00Z");
        let mut r = runner(vec![job(1, 1, f, first), job(2, 2, f, first)]);
        let pass = r.begin_pass(t("2026-03-02T10:01:00Z"));
        assert_eq!(pass.due, vec![1, 2]);
        let run1 = r.start_job(pass.id, 1, t("2026-03-02T10:01:00Z")).unwrap();
        assert_eq!(r.start_job(pass.id, 2, t("2026-03-02T10:02:00Z")), Err(RunnerError::PassBusy { pass: pass.id, job: 1 }));
        r.finish_job(run1, t("2026-03-02T10:08:00Z"), RunResult::Success).unwrap();
        assert!(matches!(r.start_job(pass.id, 2, t("2026-03-02T10:07:00Z")), Err(RunnerError::TimeBackwards { .. })));
        let run2 = r.start_job(pass.id, 2, t("2026-03-02T10:08:00Z")).unwrap();
        r.finish_job(run2, t("2026-03-02T10:08:30Z"), RunResult::Success).unwrap();
        let v2 = r.view(2).unwrap();
        assert_eq!(v2.datelastrun, Some(t("2026-03-02T10:08:00Z")));
        assert_eq!(v2.datelastresult, Some(t("2026-03-02T10:08:30Z")));
        // Reprogrammed with the pass's now (10:01), not the end (10:08:30 would give 10:10).
        assert_eq!(v2.datenextrun, t("2026-03-02T10:05:00Z"));
        assert_eq!(next(&r, 1), t("2026-03-02T10:05:00Z"));
        // The pass is over.
        assert_eq!(r.start_job(pass.id, 2, t("2026-03-02T10:09:00Z")), Err(RunnerError::UnknownPass(pass.id)));
    }

    #[test]
    fn processing_lock_skips_a_running_job() {
        let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
        let a = r.begin_pass(t("2026-03-02T10:01:00Z"));
        let run = r.start_job(a.id, 1, a.now).unwrap();
        assert!(r.begin_pass(t("2026-03-02T10:06:00Z")).due.is_empty());
        r.finish_job(run, t("2026-03-02T10:09:00Z"), RunResult::Success).unwrap();
        assert_eq!(next(&r, 1), t("2026-03-02T10:05:00Z")); // A's now was 10:01
        // Late, so the next pass runs it at once and puts it back on the grid.
        assert_eq!(run_pass(&mut r, t("2026-03-02T10:11:00Z"), Duration::from_secs(10)), vec![1]);
        assert_eq!(next(&r, 1), t("2026-03-02T10:15:00Z"));
    }

    #[test]
    fn queued_job_is_not_locked_so_overlapping_passes_can_run_it_twice() {
        let f = every(5, FrequencyUnit::Minute);
        let first = t("2026-03-02T10:00:00Z");
        let mut r = runner(vec![job(1, 1, f, first), job(2, 2, f, first)]);
        let a = r.begin_pass(t("2026-03-02T10:01:00Z"));
        assert_eq!(a.due, vec![1, 2]);
        let a1 = r.start_job(a.id, 1, a.now).unwrap();
        // Pass B: job 1 is processing, job 2 is only queued in A, so B takes it.
        let b = r.begin_pass(t("2026-03-02T10:06:00Z"));
        assert_eq!(b.due, vec![2]);
        let b2 = r.start_job(b.id, 2, b.now).unwrap();
        r.finish_job(b2, t("2026-03-02T10:06:30Z"), RunResult::Success).unwrap();
        assert_eq!(next(&r, 2), t("2026-03-02T10:10:00Z"));
        // A goes on with its stale list: job 2 runs again; its datenextrun is already >= A's now.
        r.finish_job(a1, t("2026-03-02T10:08:00Z"), RunResult::Success).unwrap();
        let a2 = r.start_job(a.id, 2, t("2026-03-02T10:08:00Z")).unwrap();
        r.finish_job(a2, t("2026-03-02T10:08:30Z"), RunResult::Success).unwrap();
        assert_eq!(r.view(2).unwrap().nbrun, 2);
        assert_eq!(next(&r, 2), t("2026-03-02T10:10:00Z"));
    }

    #[test]
    fn whole_row_write_back_loses_a_concurrent_run_now_update() {
        // update() writes the whole in-memory object: a "run now" that starts and ends during a
        // pass's run of the same job is overwritten when the pass's run ends.
        let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
        let a = r.begin_pass(t("2026-03-02T10:01:00Z"));
        let run_a = r.start_job(a.id, 1, a.now).unwrap();
        let click = r.run_now(1, t("2026-03-02T10:02:00Z")).unwrap(); // no processing check
        r.finish_job(click, t("2026-03-02T10:03:00Z"), RunResult::Success).unwrap();
        let v = r.view(1).unwrap();
        assert_eq!((v.nbrun, v.processing, v.datenextrun), (2, false, t("2026-03-02T10:05:00Z")));
        // The row says "not processing" although A still runs: the next pass starts it again.
        let b = r.begin_pass(t("2026-03-02T10:06:00Z"));
        assert_eq!(b.due, vec![1]);
        r.finish_job(run_a, t("2026-03-02T10:20:00Z"), RunResult::Success).unwrap();
        let v = r.view(1).unwrap();
        assert_eq!(v.nbrun, 1); // A's object was read when nbrun became 1
        assert_eq!(v.datelastrun, Some(t("2026-03-02T10:01:00Z")));
        assert_eq!(v.datelastresult, Some(t("2026-03-02T10:20:00Z")));
        assert_eq!(v.datenextrun, t("2026-03-02T10:05:00Z"));
    }

    #[test]
    fn next_run_stays_on_the_grid_and_missed_slots_are_skipped_across_a_3_day_outage() {
        let mut r = runner(vec![job(1, 0, every(1, FrequencyUnit::Hour), t("2026-03-02T10:00:00Z"))]);
        let min = Duration::MINUTE;
        assert_eq!(run_pass(&mut r, t("2026-03-02T10:01:00Z"), min), vec![1]);
        assert_eq!(next(&r, 1), t("2026-03-02T11:00:00Z"));
        // No pass for 3 days (cron stopped), then one pass: one run, not 72.
        assert_eq!(run_pass(&mut r, t("2026-03-05T10:31:00Z"), min), vec![1]);
        assert_eq!(r.view(1).unwrap().nbrun, 2);
        assert_eq!(next(&r, 1), t("2026-03-05T11:00:00Z"));
        assert!(run_pass(&mut r, t("2026-03-05T10:36:00Z"), min).is_empty());
        assert_eq!(run_pass(&mut r, t("2026-03-05T11:01:00Z"), min), vec![1]);
        assert_eq!(next(&r, 1), t("2026-03-05T12:00:00Z"));
        assert_eq!(r.view(1).unwrap().nbrun, 3);
    }

    #[test]
    fn reprogram_lands_on_now_when_now_is_on_the_grid() {
        // while (datenextrun < now): the loop stops at datenextrun == now, which is due next pass.
        let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T09:55:00Z"))]);
        run_pass(&mut r, t("2026-03-02T10:00:00Z"), Duration::from_secs(20));
        assert_eq!(next(&r, 1), t("2026-03-02T10:00:00Z"));
    }

    #[test]
    fn a_failed_run_is_reprogrammed_like_a_success() {
        let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
        let pass = r.begin_pass(t("2026-03-02T10:01:00Z"));
        let run = r.start_job(pass.id, 1, pass.now).unwrap();
        r.finish_job(run, t("2026-03-02T10:02:00Z"), RunResult::Error { output: "Bridge 503".into() }).unwrap();
        let v = r.view(1).unwrap();
        assert_eq!(v.lastresult, Some(RunOutcome::Error));
        assert_eq!(v.lastoutput, "Bridge 503");
        assert!(!v.processing);
        assert_eq!(v.datenextrun, t("2026-03-02T10:05:00Z"));
        assert_eq!(v.datelastresult, Some(t("2026-03-02T10:02:00Z")));
    }

    #[test]
    fn calendar_months_overflow_like_php_from_jan_31_in_utc() {
        let mut r = runner(vec![job(1, 0, every(1, FrequencyUnit::Month), t("2026-01-31T08:00:00Z"))]);
        let s = Duration::SECOND;
        run_pass(&mut r, t("2026-01-31T08:05:00Z"), s);
        assert_eq!(next(&r, 1), t("2026-03-03T08:00:00Z")); // "Feb 31" = Mar 3
        run_pass(&mut r, t("2026-03-03T08:05:00Z"), s);
        assert_eq!(next(&r, 1), t("2026-04-03T08:00:00Z")); // the drift stays: iterated grid
        // Missed months are skipped one month at a time: May 3, Jun 3, Jul 3 < now, Aug 3.
        run_pass(&mut r, t("2026-07-15T00:00:00Z"), s);
        assert_eq!(next(&r, 1), t("2026-08-03T08:00:00Z"));

        let z = paris();
        let utc = MonthCalendar::Utc;
        assert_eq!(add_months(t("2028-01-31T08:00:00Z"), 1, utc, z), t("2028-03-02T08:00:00Z")); // leap year
        assert_eq!(add_months(t("2026-11-30T08:00:00Z"), 3, utc, z), t("2027-03-02T08:00:00Z")); // "Feb 30"
        assert_eq!(add_months(t("2026-12-15T23:59:59.250Z"), 1, utc, z), t("2027-01-15T23:59:59.250Z"));
        assert_eq!(add_months(t("2026-05-31T00:00:00Z"), 12, utc, z), t("2027-05-31T00:00:00Z"));
    }

    #[test]
    fn calendar_months_in_the_scenario_zone_keep_the_local_wall_time() {
        let config = RunnerConfig { month_calendar: MonthCalendar::ScenarioZone, ..RunnerConfig::default() };
        let spec = job(1, 0, every(1, FrequencyUnit::Month), t("2026-01-31T08:00:00Z")); // 09:00 CET
        let mut r = Runner::with_config(vec![spec], paris(), config).unwrap();
        run_pass(&mut r, t("2026-01-31T08:05:00Z"), Duration::SECOND);
        assert_eq!(next(&r, 1), t("2026-03-03T08:00:00Z")); // Mar 3 09:00 CET
        run_pass(&mut r, t("2026-03-03T08:05:00Z"), Duration::SECOND);
        assert_eq!(next(&r, 1), t("2026-04-03T07:00:00Z")); // Apr 3 09:00 CEST (UTC calendar: 08:00Z)
        let z = paris();
        let local = MonthCalendar::ScenarioZone;
        // Jan 29 02:30 CET + 2 months = Mar 29 02:30, which does not exist: 03:30 CEST (01:30Z).
        assert_eq!(add_months(t("2026-01-29T01:30:00Z"), 2, local, z), t("2026-03-29T01:30:00Z"));
        // Sep 25 02:30 CEST + 1 month = Oct 25 02:30, which happens twice: the earlier (CEST, 00:30Z).
        assert_eq!(add_months(t("2026-09-25T00:30:00Z"), 1, local, z), t("2026-10-25T00:30:00Z"));
        // Jan 31 overflows in local time too.
        assert_eq!(add_months(t("2026-01-30T23:30:00Z"), 1, local, z), t("2026-03-02T23:30:00Z")); // Jan 31 00:30 CET -> Mar 3 00:30 CET
    }

    #[test]
    fn datestart_and_dateend_bound_the_due_test_inclusively() {
        let mut spec = job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"));
        spec.datestart = Some(t("2026-03-02T10:10:00Z"));
        spec.dateend = Some(t("2026-03-02T10:20:00Z"));
        let mut r = runner(vec![spec]);
        let s = Duration::SECOND;
        assert!(run_pass(&mut r, t("2026-03-02T10:05:00Z"), s).is_empty()); // before datestart
        assert_eq!(run_pass(&mut r, t("2026-03-02T10:10:00Z"), s), vec![1]); // datestart <= now
        assert_eq!(next(&r, 1), t("2026-03-02T10:10:00Z")); // 10:00 -> 10:05 -> 10:10 (>= now)
        assert_eq!(run_pass(&mut r, t("2026-03-02T10:20:00Z"), s), vec![1]); // dateend >= now
        assert!(run_pass(&mut r, t("2026-03-02T10:20:00.001Z"), s).is_empty());
        assert!(run_pass(&mut r, t("2026-03-09T10:00:00Z"), s).is_empty()); // never again
        assert_eq!(r.view(1).unwrap().nbrun, 2);

        let mut bad = job(2, 0, every(1, FrequencyUnit::Day), t("2026-03-02T10:00:00Z"));
        bad.datestart = Some(t("2026-03-03T00:00:00Z"));
        bad.dateend = Some(t("2026-03-02T00:00:00Z"));
        assert_eq!(Runner::new(vec![bad], paris()).err(), Some(RunnerError::EndBeforeStart(2)));
        let dup = job(3, 0, every(1, FrequencyUnit::Day), t("2026-03-02T10:00:00Z"));
        assert_eq!(Runner::new(vec![dup.clone(), dup], paris()).err(), Some(RunnerError::DuplicateJob(3)));
    }

    #[test]
    fn a_stuck_job_never_runs_again_and_its_datenextrun_never_moves_until_cleanup() {
        let f = every(5, FrequencyUnit::Minute);
        let mut r = runner(vec![job(1, 1, f, t("2026-03-02T10:00:00Z")), job(2, 2, f, t("2026-03-02T10:00:00Z"))]);
        let pass = r.begin_pass(t("2026-03-02T10:01:00Z"));
        assert_eq!(pass.due, vec![1, 2]);
        let run = r.start_job(pass.id, 1, pass.now).unwrap();
        r.process_died(run).unwrap();
        // The process is gone: job 2 of that pass never starts.
        assert_eq!(r.start_job(pass.id, 2, t("2026-03-02T10:02:00Z")), Err(RunnerError::UnknownPass(pass.id)));
        assert_eq!(r.finish_job(run, t("2026-03-02T10:02:00Z"), RunResult::Success), Err(RunnerError::UnknownRun(run.run)));
        // Two days of passes every 5 minutes: job 1 is never selected, job 2 runs every time.
        let mut now = t("2026-03-02T10:06:00Z");
        let end = t("2026-03-04T10:00:00Z");
        while now < end {
            assert_eq!(run_pass(&mut r, now, Duration::SECOND), vec![2]);
            now += Duration::from_mins(5);
        }
        let v = r.view(1).unwrap();
        assert!(v.processing);
        assert_eq!(v.datenextrun, t("2026-03-02T10:00:00Z"));
        assert_eq!(v.nbrun, 1);
        assert_eq!((v.datelastrun, v.datelastresult, v.lastresult), (Some(t("2026-03-02T10:01:00Z")), None, None));
        // The clean-up resets it; the next pass runs it once and it is back on the grid.
        assert_eq!(r.cleanup_dead(), vec![1]);
        let v = r.view(1).unwrap();
        assert!(!v.processing);
        assert_eq!(v.lastresult, Some(RunOutcome::Error));
        assert_eq!(v.lastoutput, "Job killed by job cleanUnfinishedCronjob");
        assert_eq!(v.datenextrun, t("2026-03-02T10:00:00Z"));
        assert_eq!(v.datelastresult, None);
        assert_eq!(r.cleanup_dead(), Vec::<u32>::new());
        assert_eq!(run_pass(&mut r, t("2026-03-04T10:01:00Z"), Duration::SECOND), vec![1, 2]);
        assert_eq!(next(&r, 1), t("2026-03-04T10:05:00Z"));
        assert_eq!(r.view(1).unwrap().nbrun, 2);
    }

    #[test]
    fn cleanup_leaves_a_job_whose_process_is_alive() {
        let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
        let pass = r.begin_pass(t("2026-03-02T10:01:00Z"));
        let run = r.start_job(pass.id, 1, pass.now).unwrap();
        assert!(r.cleanup_dead().is_empty());
        assert!(r.view(1).unwrap().processing);
        r.finish_job(run, t("2026-03-02T10:30:00Z"), RunResult::Success).unwrap();
        assert!(!r.view(1).unwrap().processing);
    }

    #[test]
    fn run_now_runs_at_once_then_reprograms_with_the_click_time() {
        let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
        let run = r.run_now(1, t("2026-03-02T10:02:00Z")).unwrap();
        let v = r.view(1).unwrap();
        assert!(v.processing);
        assert_eq!((v.nbrun, v.datelastrun), (1, Some(t("2026-03-02T10:02:00Z"))));
        r.finish_job(run, t("2026-03-02T10:06:00Z"), RunResult::Success).unwrap();
        // Reprogrammed with 10:02 (the click), not 10:06 (the end, which would give 10:10).
        assert_eq!(next(&r, 1), t("2026-03-02T10:05:00Z"));
        assert_eq!(r.run_now(9, t("2026-03-02T10:07:00Z")), Err(RunnerError::UnknownJob(9)));
    }

    #[test]
    fn run_now_before_the_slot_leaves_datenextrun_so_the_slot_still_runs() {
        let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:05:00Z"))]);
        let run = r.run_now(1, t("2026-03-02T10:04:00Z")).unwrap();
        r.finish_job(run, t("2026-03-02T10:04:30Z"), RunResult::Success).unwrap();
        assert_eq!(next(&r, 1), t("2026-03-02T10:05:00Z"));
        assert_eq!(run_pass(&mut r, t("2026-03-02T10:06:00Z"), Duration::SECOND), vec![1]);
        assert_eq!(r.view(1).unwrap().nbrun, 2);
        assert_eq!(next(&r, 1), t("2026-03-02T10:10:00Z"));
    }

    #[test]
    fn daily_grid_adds_86400_s_so_the_paris_hour_moves_across_both_2026_dst_changes() {
        let z = paris();
        let hour = |i: Instant| z.local(i).hour();
        // Spring: 03:00 CET on Mar 27, then 86 400 s steps: 04:00 CEST from Mar 29 on.
        let mut r = runner(vec![job(1, 0, every(1, FrequencyUnit::Day), t("2026-03-27T02:00:00Z"))]);
        let mut seen = Vec::new();
        for day in ["2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30"] {
            run_pass(&mut r, t(&format!("{day}T02:01:00Z")), Duration::MINUTE);
            seen.push((next(&r, 1), hour(next(&r, 1))));
        }
        assert_eq!(
            seen,
            vec![
                (t("2026-03-28T02:00:00Z"), 3),
                (t("2026-03-29T02:00:00Z"), 4),
                (t("2026-03-30T02:00:00Z"), 4),
                (t("2026-03-31T02:00:00Z"), 4)
            ]
        );
        // Autumn: 04:00 CEST, back to 03:00 CET from Oct 25 on.
        let mut r = runner(vec![job(1, 0, every(1, FrequencyUnit::Day), t("2026-10-23T02:00:00Z"))]);
        let mut seen = Vec::new();
        for day in ["2026-10-23", "2026-10-24", "2026-10-25"] {
            run_pass(&mut r, t(&format!("{day}T02:01:00Z")), Duration::MINUTE);
            seen.push((next(&r, 1), hour(next(&r, 1))));
        }
        assert_eq!(seen, vec![(t("2026-10-24T02:00:00Z"), 4), (t("2026-10-25T02:00:00Z"), 3), (t("2026-10-26T02:00:00Z"), 3)]);
    }

    #[test]
    fn health_goes_normal_attention_problem_and_back() {
        let mut r = runner(vec![job(1, 0, every(5, FrequencyUnit::Minute), t("2026-03-02T10:00:00Z"))]);
        let tick = Duration::from_mins(5);
        let th = HealthThresholds::default();
        let health = |r: &Runner, at: &str| r.health(1, t(at), tick, &th).unwrap();
        let one = |r: &mut Runner, now: &str, secs: i64, result: RunResult| {
            let pass = r.begin_pass(t(now));
            assert_eq!(pass.due, vec![1]);
            let run = r.start_job(pass.id, 1, pass.now).unwrap();
            r.finish_job(run, pass.now + Duration::from_secs(secs), result).unwrap();
        };
        assert_eq!(health(&r, "2026-03-02T10:00:30Z"), Health::Normal); // never ran, not late yet
        for now in ["2026-03-02T10:01:00Z", "2026-03-02T10:06:00Z", "2026-03-02T10:11:00Z"] {
            one(&mut r, now, 60, RunResult::Success);
        }
        assert_eq!(health(&r, "2026-03-02T10:12:30Z"), Health::Normal);
        one(&mut r, "2026-03-02T10:16:00Z", 180, RunResult::Success); // 180 = 3 x median 60: not above
        assert_eq!(health(&r, "2026-03-02T10:19:30Z"), Health::Normal);
        one(&mut r, "2026-03-02T10:21:00Z", 190, RunResult::Success); // median of [60,60,60,180] = 60
        assert_eq!(health(&r, "2026-03-02T10:24:30Z"), Health::Attention);
        one(&mut r, "2026-03-02T10:26:00Z", 10, RunResult::Error { output: "boom".into() });
        assert_eq!(health(&r, "2026-03-02T10:26:30Z"), Health::Problem);
        one(&mut r, "2026-03-02T10:31:00Z", 10, RunResult::Success);
        assert_eq!(health(&r, "2026-03-02T10:31:30Z"), Health::Normal);
        assert_eq!(r.view(1).unwrap().average_duration_ms(), Some((60 * 3 + 180 + 190 + 10 + 10) * 1000 / 7));
        // No start for more than 2 periods + 1 tick after 10:31 (deadline 10:46).
        assert_eq!(health(&r, "2026-03-02T10:46:00Z"), Health::Normal);
        assert_eq!(health(&r, "2026-03-02T10:46:00.001Z"), Health::Problem);
        // A running job: Attention once it runs longer than 3 x median (60 s), Problem once stuck.
        let pass = r.begin_pass(t("2026-03-02T10:36:00Z"));
        let run = r.start_job(pass.id, 1, pass.now).unwrap();
        assert_eq!(health(&r, "2026-03-02T10:39:00Z"), Health::Normal);
        assert_eq!(health(&r, "2026-03-02T10:39:00.001Z"), Health::Attention);
        r.process_died(run).unwrap();
        assert_eq!(health(&r, "2026-03-02T10:51:00Z"), Health::Attention);
        assert_eq!(health(&r, "2026-03-02T10:51:00.001Z"), Health::Problem);
        assert_eq!(r.health(7, t("2026-03-02T10:51:00Z"), tick, &th), None);
    }

    #[test]
    fn health_of_a_monthly_job_counts_calendar_months() {
        let mut r = runner(vec![job(1, 0, every(1, FrequencyUnit::Month), t("2026-01-31T08:00:00Z"))]);
        run_pass(&mut r, t("2026-01-31T08:05:00Z"), Duration::SECOND);
        let th = HealthThresholds::default();
        // Last start Jan 31 08:05 -> +1 month Mar 3 08:05 -> +1 month Apr 3 08:05, + 1 h tick.
        assert_eq!(r.health(1, t("2026-04-03T09:05:00Z"), Duration::HOUR, &th), Some(Health::Normal));
        assert_eq!(r.health(1, t("2026-04-03T09:05:00.001Z"), Duration::HOUR, &th), Some(Health::Problem));
    }

    // ---- properties ----

    fn unit_strategy() -> impl Strategy<Value = FrequencyUnit> {
        prop_oneof![
            Just(FrequencyUnit::Second),
            Just(FrequencyUnit::Minute),
            Just(FrequencyUnit::Hour),
            Just(FrequencyUnit::Day),
            Just(FrequencyUnit::Week),
        ]
    }

    proptest! {
        /// SPEC 2.2 "next run": after every run, `datenextrun >= now` of the reprogram (strictly
        /// greater unless `now` is itself a grid instant), it is on `origin + k·period`, and no
        /// earlier grid instant was >= now (missed slots are skipped, never replayed).
        #[test]
        fn prop_next_run_is_at_or_after_reprogram_now_and_on_the_grid(
            origin in 1_767_225_600_000i64..1_798_761_600_000,
            count in 1u32..=60,
            unit in unit_strategy(),
            steps in prop::collection::vec((0u32..100, 0u32..200, any::<bool>(), 0u8..20), 1..40),
        ) {
            let freq = Frequency::new(count, unit);
            let period = freq.fixed_period().unwrap().as_ms();
            let origin = Instant(origin);
            let mut r = runner(vec![job(1, 0, freq, origin)]);
            let mut now = origin - Duration(period / 2);
            for (gap_pct, dur_pct, ok, outage) in steps {
                // gaps of 0..1 period, sometimes a long outage of up to 19 days
                now += Duration(period * i64::from(gap_pct) / 100 + 1 + i64::from(outage / 18) * 86_400_000 * i64::from(outage));
                let pass = r.begin_pass(now);
                let before = next(&r, 1);
                prop_assert_eq!(pass.due.len(), usize::from(before < now));
                for &id in &pass.due {
                    let run = r.start_job(pass.id, id, now).unwrap();
                    let end = now + Duration(period * i64::from(dur_pct) / 100);
                    let result = if ok { RunResult::Success } else { RunResult::Error { output: "x".into() } };
                    r.finish_job(run, end, result).unwrap();
                    let after = next(&r, 1);
                    prop_assert!(after >= pass.now);
                    prop_assert_eq!((after - origin).as_ms().rem_euclid(period), 0);
                    prop_assert!(after - Duration(period) < pass.now);
                    now = end;
                }
            }
        }

        /// Months: the next run is on the iterated calendar grid from the origin, at or after the
        /// reprogram's now, and the grid instant before it is before now.
        #[test]
        fn prop_monthly_next_run_is_at_or_after_reprogram_now_and_on_the_iterated_calendar_grid(
            origin in 1_577_836_800_000i64..1_893_456_000_000,
            count in 1u32..=13,
            zone_calendar in any::<bool>(),
            gaps_days in prop::collection::vec(0i64..120, 1..15),
        ) {
            let calendar = if zone_calendar { MonthCalendar::ScenarioZone } else { MonthCalendar::Utc };
            let config = RunnerConfig { month_calendar: calendar, ..RunnerConfig::default() };
            let freq = Frequency::new(count, FrequencyUnit::Month);
            let origin = Instant(origin);
            let mut r = Runner::with_config(vec![job(1, 0, freq, origin)], paris(), config).unwrap();
            let mut now = origin;
            for gap in gaps_days {
                now += Duration::from_days(gap) + Duration::from_mins(7);
                let due = run_pass(&mut r, now, Duration::MINUTE);
                if due.is_empty() {
                    continue;
                }
                let after = next(&r, 1);
                prop_assert!(after >= now);
                let mut g = origin;
                let mut prev = g;
                while g < after {
                    prev = g;
                    g = add_months(g, count, calendar, paris());
                }
                prop_assert_eq!(g, after);
                prop_assert!(prev < now);
                now += Duration::MINUTE;
            }
        }

        /// SPEC 2.2 "runs the due ones one after another": a pass lists each job at most once,
        /// ordered by (priority, id), and refuses a second start of the same job.
        #[test]
        fn prop_at_most_one_run_per_pass_per_job(
            jobs in prop::collection::vec((-3i32..3, 1u32..30, 0i64..3_600_000), 1..7),
            passes in prop::collection::vec((1i64..1_200_000, 0i64..900_000, 0u8..10), 1..30),
        ) {
            let origin = t("2026-03-02T10:00:00Z");
            let specs: Vec<JobSpec> = jobs
                .iter()
                .enumerate()
                .map(|(i, &(prio, mins, off))| job(i as u32 + 1, prio, every(mins, FrequencyUnit::Minute), origin + Duration(off)))
                .collect();
            let mut r = runner(specs.clone());
            let mut now = origin;
            for (gap, dur, fate) in passes {
                now += Duration(gap);
                if fate == 9 {
                    r.cleanup_dead();
                }
                let pass = r.begin_pass(now);
                let mut keys: Vec<(i32, u32)> = pass.due.iter().map(|&id| (specs[id as usize - 1].priority, id)).collect();
                let sorted = { let mut k = keys.clone(); k.sort(); k.dedup(); k };
                prop_assert_eq!(&keys, &sorted);
                keys.clear();
                let mut at = now;
                let mut started = Vec::new();
                for &id in &pass.due {
                    let run = r.start_job(pass.id, id, at).unwrap();
                    started.push(id);
                    for &again in &started {
                        prop_assert!(r.start_job(pass.id, again, at).is_err());
                    }
                    at += Duration(dur);
                    if fate == 0 {
                        r.process_died(run).unwrap();
                        break;
                    }
                    r.finish_job(run, at, RunResult::Success).unwrap();
                }
                for &again in &started {
                    prop_assert!(r.start_job(pass.id, again, at).is_err());
                }
                now = at;
            }
        }
    }
}
