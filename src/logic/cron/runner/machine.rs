//! The runner's state machine (SPEC 2.2): job rows, passes and runs, driven by the event loop
//! through `begin_pass` / `start_job` / `finish_job` / `process_died` / `cleanup_dead` /
//! `run_now`, as Dolibarr's `cron_run_jobs.php` and `cronjob.class.php` do.

use std::collections::{BTreeMap, VecDeque};

use super::schedule::{Calendar, Frequency, MonthCalendar};
use super::view::{Health, HealthThresholds, JobView, RunOutcome};
use crate::time::{Duration, Instant, Zone};

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
        object.datenextrun = self.calendar().reprogram(object.datenextrun, freq, r.reprogram_now);
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

    /// The health indicator of `job` at `now` (SPEC 2.3), or `None` for an unknown id: see
    /// [`JobView::health`] for the contract, with months added on this runner's calendar.
    pub fn health(&self, job: u32, now: Instant, tick: Duration, th: &HealthThresholds) -> Option<Health> {
        Some(self.view(job)?.health(now, tick, th, self.calendar()))
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

    /// Where this runner adds its periods: its month rule and the scenario's zone.
    fn calendar(&self) -> Calendar {
        Calendar { months: self.config.month_calendar, zone: self.zone }
    }
}
