//! The audit of a jobs-and-monitors setup: does each monitor's deadline cover its job's period,
//! longest run and a margin (seed 001: an hourly job of about a minute wants 3 600 + 60 + 60 =
//! 3 720 s), and which hazards the setup holds. It reads a *scenario* (the one `import` wrote,
//! or any other), so `syncsim advise FILE` prints the same audit as `import` did.
//!
//! The rules, each from its source:
//! - Kuma's DOWN deadline after the last push is `I + 1 s` with no retry, `I + 1 s + N·R` with N
//!   retries (2.x `server/model/monitor.js`, the push branch of `beat()`; the 1 s buffer is
//!   hard-coded). A push monitor can never wait more than 24 days (`MAX_INTERVAL_SECOND` in
//!   `src/util.ts`), so a monthly job cannot be watched by one.
//! - A paused monitor (`active = 0`) finds no token: Kuma answers 404 and never checks
//!   (`api-router.js`: `push_token = ? AND active = 1`).
//! - An upside-down monitor flips each push (`flipStatus`): a successful run's `status=up` push
//!   is stored DOWN, and silence becomes UP.
//! - Dolibarr's runner selects `processing = 0` only (`cron_run_jobs.php`, `fetchAll(…, 0)`): a
//!   stuck job never runs again until someone resets it; one job never runs twice at once, so a
//!   run longer than the period makes the runs slip.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::sim::scenario::Scenario;
use crate::sim::scenario::model::{DurationDist, JobFrequency, TimelineEvent};

/// The margin of seed 001's rule.
pub const MARGIN_S: i64 = 60;
/// Kuma's largest interval (`MAX_INTERVAL_SECOND`, 24 days).
pub const KUMA_MAX_INTERVAL_S: i64 = 2_073_600;

/// What the audit needs to know about a job.
#[derive(Clone, Debug, PartialEq)]
pub struct JobFacts {
    pub id: u32,
    pub label: String,
    pub enabled: bool,
    /// Never runs during the replay: ended (`dateend` at the start) or its `maxrun` reached.
    pub ended: bool,
    /// Imported stuck in `processing`: a `job_crash` at the start.
    pub stuck: bool,
    pub period_s: i64,
    pub period_text: String,
    pub monthly: bool,
    pub longest_run_s: i64,
    /// The scenario id of the monitor it pushes to.
    pub monitor: Option<String>,
}

impl JobFacts {
    /// Runs during the replay (while not stuck).
    fn runs(&self) -> bool {
        self.enabled && !self.ended
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MonitorFacts {
    pub id: String,
    pub active: bool,
    pub upside_down: bool,
    pub interval_s: i64,
    pub max_retries: i64,
    pub retry_interval_s: i64,
}

impl MonitorFacts {
    /// The longest silence Kuma accepts before DOWN, buffer excluded: `I + N·R` (R = I when 0).
    pub fn deadline_s(&self) -> i64 {
        let r = if self.retry_interval_s > 0 { self.retry_interval_s } else { self.interval_s };
        self.interval_s + self.max_retries * r
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Setup {
    pub jobs: Vec<JobFacts>,
    pub monitors: Vec<MonitorFacts>,
}

impl Setup {
    /// Read the facts from a loaded scenario.
    pub fn from_scenario(s: &Scenario) -> Setup {
        let f = &s.file;
        let start = s.start;
        let jobs = f
            .cron
            .jobs
            .iter()
            .map(|j| {
                let stuck = f
                    .timeline
                    .iter()
                    .any(|e| matches!(e, TimelineEvent::JobCrash { at, job } if *job == j.id && at.resolve(start) == start));
                let (period_s, monthly) = match j.frequency {
                    JobFrequency::Every(d) => (d.as_ms() / 1000, false),
                    JobFrequency::Months(n) => (n as i64 * 2_678_400, true),
                };
                let longest = match j.duration {
                    DurationDist::Fixed(d) => d,
                    DurationDist::Uniform([_, b]) => b,
                };
                JobFacts {
                    id: j.id,
                    label: j.label.clone(),
                    enabled: j.enabled,
                    ended: j.dateend.is_some_and(|e| e.resolve(start) <= start),
                    stuck,
                    period_s,
                    period_text: match j.frequency {
                        JobFrequency::Months(1) => "1 month".into(),
                        JobFrequency::Months(n) => format!("{n} months"),
                        JobFrequency::Every(d) => format!("{} s", d.as_ms() / 1000),
                    },
                    monthly,
                    longest_run_s: (longest.as_ms() + 999) / 1000,
                    monitor: j.heartbeat.as_ref().map(|h| h.monitor.clone()),
                }
            })
            .collect();
        let monitors = f
            .kuma
            .monitors
            .iter()
            .map(|m| MonitorFacts {
                id: m.id.clone(),
                active: monitor_active(m),
                upside_down: m.upside_down,
                interval_s: m.interval_s as i64,
                max_retries: m.max_retries as i64,
                retry_interval_s: m.retry_interval_s as i64,
            })
            .collect();
        Setup { jobs, monitors }
    }
}

/// Whether the scenario's monitor is active (not paused).
fn monitor_active(m: &crate::sim::scenario::model::MonitorSpec) -> bool {
    m.active
}

/// One pair's coverage.
#[derive(Clone, Debug, PartialEq)]
pub struct PairAudit {
    pub job: u32,
    pub label: String,
    pub monitor: String,
    pub period_text: String,
    pub longest_run_s: i64,
    /// period + longest run + margin.
    pub needed_s: i64,
    pub deadline_s: i64,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Covers,
    /// Covers, but a failure is noticed much later than needed (deadline above twice the need).
    Loose,
    /// Below the need: a run that is late or long raises a false DOWN.
    Short,
    /// Below the period itself: a DOWN between every two runs.
    BelowPeriod,
    /// The pair is not watched: a paused monitor, or a job that does not run.
    NotWatched,
}

impl Verdict {
    pub fn text(&self) -> &'static str {
        match self {
            Verdict::Covers => "covers",
            Verdict::Loose => "covers, loosely",
            Verdict::Short => "too short",
            Verdict::BelowPeriod => "shorter than the period",
            Verdict::NotWatched => "not watched",
        }
    }
}

/// A hazard of the setup, each with its explanation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hazard {
    PausedMonitorOnRunningJob { job: u32, monitor: String },
    ActiveMonitorOnIdleJob { job: u32, monitor: String, why: &'static str },
    Stuck { job: u32, monitor: Option<String> },
    RunLongerThanPeriod { job: u32, run_s: i64, period_s: i64 },
    DeadlineTooShort { job: u32, monitor: String, deadline_s: i64, needed_s: i64 },
    MonthlyJobWatched { job: u32, monitor: String },
    UpsideDown { job: u32, monitor: String },
    MonitorWithoutJob { monitor: String, active: bool },
    JobWithoutMonitor { job: u32 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Audit {
    pub pairs: Vec<PairAudit>,
    pub hazards: Vec<Hazard>,
    labels: BTreeMap<u32, String>,
    intervals: BTreeMap<String, i64>,
}

/// Audit `setup`: every pair's coverage, then every hazard, in a stable order.
pub fn audit(setup: &Setup) -> Audit {
    let monitor = |id: &str| setup.monitors.iter().find(|m| m.id == id);
    let mut pairs = Vec::new();
    let mut hazards = Vec::new();
    for j in &setup.jobs {
        if j.stuck {
            hazards.push(Hazard::Stuck { job: j.id, monitor: j.monitor.clone() });
        }
        if j.runs() && j.longest_run_s > j.period_s {
            hazards.push(Hazard::RunLongerThanPeriod { job: j.id, run_s: j.longest_run_s, period_s: j.period_s });
        }
        let Some(m) = j.monitor.as_deref().and_then(monitor) else {
            if j.runs() {
                hazards.push(Hazard::JobWithoutMonitor { job: j.id });
            }
            continue;
        };
        let needed_s = j.period_s + j.longest_run_s + MARGIN_S;
        let deadline_s = m.deadline_s();
        let verdict = if !m.active || !j.runs() {
            Verdict::NotWatched
        } else if deadline_s < j.period_s {
            Verdict::BelowPeriod
        } else if deadline_s < needed_s {
            Verdict::Short
        } else if deadline_s > 2 * needed_s {
            Verdict::Loose
        } else {
            Verdict::Covers
        };
        if m.active && j.runs() {
            if j.monthly || needed_s > KUMA_MAX_INTERVAL_S {
                hazards.push(Hazard::MonthlyJobWatched { job: j.id, monitor: m.id.clone() });
            } else if matches!(verdict, Verdict::Short | Verdict::BelowPeriod) {
                hazards.push(Hazard::DeadlineTooShort { job: j.id, monitor: m.id.clone(), deadline_s, needed_s });
            }
            if m.upside_down {
                hazards.push(Hazard::UpsideDown { job: j.id, monitor: m.id.clone() });
            }
        }
        if !m.active && j.runs() {
            hazards.push(Hazard::PausedMonitorOnRunningJob { job: j.id, monitor: m.id.clone() });
        }
        if m.active && !j.runs() {
            let why = if !j.enabled { "a disabled" } else { "an ended" };
            hazards.push(Hazard::ActiveMonitorOnIdleJob { job: j.id, monitor: m.id.clone(), why });
        }
        pairs.push(PairAudit {
            job: j.id,
            label: j.label.clone(),
            monitor: m.id.clone(),
            period_text: j.period_text.clone(),
            longest_run_s: j.longest_run_s,
            needed_s,
            deadline_s,
            verdict,
        });
    }
    for m in &setup.monitors {
        if setup.jobs.iter().all(|j| j.monitor.as_deref() != Some(m.id.as_str())) {
            hazards.push(Hazard::MonitorWithoutJob { monitor: m.id.clone(), active: m.active });
        }
    }
    hazards.sort();
    let labels = setup.jobs.iter().map(|j| (j.id, j.label.clone())).collect();
    let intervals = setup.monitors.iter().map(|m| (m.id.clone(), m.interval_s)).collect();
    Audit { pairs, hazards, labels, intervals }
}

impl Audit {
    fn job(&self, id: u32) -> String {
        format!("job {id} \"{}\"", self.labels.get(&id).map(String::as_str).unwrap_or("?"))
    }

    /// One line per hazard, each saying what will happen and why.
    pub fn hazard_text(&self, h: &Hazard) -> String {
        match h {
            Hazard::PausedMonitorOnRunningJob { job, monitor } => format!(
                "paused monitor on an enabled job: `{monitor}` is paused while {} runs; Kuma answers its pushes 404 and never checks it, so a failure of the job goes unseen",
                self.job(*job)
            ),
            Hazard::ActiveMonitorOnIdleJob { job, monitor, why } => format!(
                "enabled monitor on {why} job: {} never runs, so nothing pushes to `{monitor}`: a guaranteed false DOWN {} s after Kuma starts",
                self.job(*job),
                self.intervals.get(monitor).copied().unwrap_or(0) + 1
            ),
            Hazard::Stuck { job, monitor } => format!(
                "stuck job: {} is in `processing` now; Dolibarr skips it until someone resets it (or cleanUnfinishedCronjob runs), so it stays stuck in the replay{}",
                self.job(*job),
                match monitor {
                    Some(m) => format!(" and `{m}` goes DOWN"),
                    None => ", and no monitor watches it".into(),
                }
            ),
            Hazard::RunLongerThanPeriod { job, run_s, period_s } => format!(
                "period shorter than its runs: {} runs about {run_s} s every {period_s} s; one job never runs twice at once, so its runs slip behind its grid",
                self.job(*job)
            ),
            Hazard::DeadlineTooShort { job, monitor, deadline_s, needed_s } => format!(
                "monitor too short for its job: `{monitor}` goes DOWN {deadline_s} s after the last push, {} needs {needed_s} s (period + longest run + 60 s): false DOWNs",
                self.job(*job)
            ),
            Hazard::MonthlyJobWatched { job, monitor } => format!(
                "job slower than any push monitor: {} runs less often than Kuma's longest interval (24 days, MAX_INTERVAL_SECOND), so `{monitor}` goes DOWN between runs whatever its settings",
                self.job(*job)
            ),
            Hazard::UpsideDown { job, monitor } => format!(
                "upside-down monitor: `{monitor}` flips each push, so every successful run of {} is stored DOWN and silence counts as UP",
                self.job(*job)
            ),
            Hazard::MonitorWithoutJob { monitor, active: true } => format!(
                "monitor without a job: no llx_cronjob job pushes to `{monitor}`; it goes DOWN {} s after Kuma starts unless something outside Dolibarr pushes to it",
                self.intervals.get(monitor).copied().unwrap_or(0) + 1
            ),
            Hazard::MonitorWithoutJob { monitor, active: false } => {
                format!("monitor without a job: `{monitor}` is paused and no job pushes to it (harmless, but it watches nothing)")
            }
            Hazard::JobWithoutMonitor { job } => {
                format!("job without a monitor: {} runs with no push monitor, so its failures are seen by nobody", self.job(*job))
            }
        }
    }

    /// The audit as text for the terminal: the pairs' table, then the hazards. `advice` holds
    /// what `advise` recommends per monitor id (its last line), when it was run.
    pub fn render(&self, advice: &BTreeMap<String, String>) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Coverage: Kuma's DOWN deadline (interval + retries x retry interval) against period + longest run + {MARGIN_S} s (the usual rule: a push is late once the period, the longest run and a margin have passed)"
        );
        if self.pairs.is_empty() {
            let _ = writeln!(out, "  no job pushes to a monitor");
        } else {
            let _ = writeln!(out, "| job | monitor | period | longest run | needed | monitor deadline | verdict | advise recommends |");
            let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---|---|");
            for p in &self.pairs {
                let _ = writeln!(
                    out,
                    "| {} {} | {} | {} | {} s | {} s | {} s | {} | {} |",
                    p.job,
                    p.label,
                    p.monitor,
                    p.period_text,
                    p.longest_run_s,
                    p.needed_s,
                    p.deadline_s,
                    p.verdict.text(),
                    advice.get(&p.monitor).map(String::as_str).unwrap_or("-")
                );
            }
        }
        let _ = writeln!(out, "\nHazards:{}", if self.hazards.is_empty() { " none" } else { "" });
        for h in &self.hazards {
            let _ = writeln!(out, "- {}", self.hazard_text(h));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u32, period_s: i64, run_s: i64, monitor: Option<&str>) -> JobFacts {
        JobFacts {
            id,
            label: format!("j{id}"),
            enabled: true,
            ended: false,
            stuck: false,
            period_s,
            period_text: format!("{period_s} s"),
            monthly: false,
            longest_run_s: run_s,
            monitor: monitor.map(String::from),
        }
    }

    fn monitor(id: &str, interval_s: i64) -> MonitorFacts {
        MonitorFacts { id: id.into(), active: true, upside_down: false, interval_s, max_retries: 0, retry_interval_s: 0 }
    }

    #[test]
    fn the_seed_rule_hourly_job_of_a_minute_is_covered_by_3720_s() {
        let a = audit(&Setup { jobs: vec![job(1, 3600, 60, Some("m"))], monitors: vec![monitor("m", 3720)] });
        assert_eq!(a.pairs[0].needed_s, 3720);
        assert_eq!(a.pairs[0].verdict, Verdict::Covers);
        assert!(a.hazards.is_empty());
        let a = audit(&Setup { jobs: vec![job(1, 3600, 60, Some("m"))], monitors: vec![monitor("m", 3719)] });
        assert_eq!(a.pairs[0].verdict, Verdict::Short);
        assert!(matches!(a.hazards[0], Hazard::DeadlineTooShort { deadline_s: 3719, needed_s: 3720, .. }));
    }

    #[test]
    fn retries_extend_the_deadline() {
        let mut m = monitor("m", 3600);
        (m.max_retries, m.retry_interval_s) = (2, 60);
        assert_eq!(m.deadline_s(), 3720);
        m.retry_interval_s = 0;
        assert_eq!(m.deadline_s(), 3 * 3600);
    }
}
