//! `syncsim advise`: which Kuma push-monitor settings to use for a job. Replays the scenario's
//! jobs under candidate settings (interval I and retries N, retry interval R) and keeps the one
//! with the lowest time to detect among those whose false alerts stay under a target per month,
//! beside the usual rule (I = frequency + duration + 60 s margin). It does the same for a
//! Healthchecks check on the same runs (simple and cron, a few graces, with and without
//! `/start`), and says which tool alerts sooner on this job's failures within the same target.

use crate::sim::analysis::healthchecks::{self, Inputs, Setup};
use crate::sim::analysis::report::MonitorFigures;
use crate::sim::commands::run::run_planned_jobs;
use crate::sim::engine::trace::Trace;
use crate::sim::scenario::Scenario;
use crate::sim::scenario::jobs_plan::JobsPlan;
use crate::time::Duration;
use crate::world::healthchecks::{CheckKind, CheckSettings, DEFAULT_GRACE, MAX_PERIOD, MIN_PERIOD, SENDALERTS_PASS};
use crate::world::kuma::monitor::MonitorSettings;

/// Kuma's largest monitor interval (`MAX_INTERVAL_SECOND`, 24 days).
pub const MAX_INTERVAL_S: u32 = 2_073_600;

/// One candidate and what the replay measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub interval_s: u32,
    pub max_retries: u32,
    pub retry_interval_s: u32,
    /// The latest a DOWN can come after the last push: `I + 1 s + N·R` (plus timer lateness),
    /// `SilenceToDown::spec_rule`.
    pub deadline_s: i64,
    pub false_alerts_per_month: f64,
    pub incidents: u64,
    pub detected: u64,
    pub missed: u64,
    pub ttd_max_s: i64,
    pub seed_rule: bool,
    /// The settings the scenario has now.
    pub configured: bool,
}

#[derive(Clone, Debug)]
pub struct Advice {
    pub monitor: String,
    pub job: String,
    pub candidates: Vec<Candidate>,
    /// Index into `candidates` of the recommendation, if any candidate meets the target.
    pub best: Option<usize>,
    /// Healthchecks checks on the configured run's pings.
    pub healthchecks: Vec<HcCandidate>,
    /// Index into `healthchecks` of the recommendation, if any meets the target.
    pub hc_best: Option<usize>,
    /// Which tool alerts sooner on this job's failures within the target, in one sentence.
    pub verdict: String,
}

/// A Healthchecks check tried on the configured run's pings.
#[derive(Clone, Debug, PartialEq)]
pub struct HcCandidate {
    /// "simple" or "cron".
    pub kind: &'static str,
    /// The settings as a user enters them ("timeout 300 s" or "`*/5 * * * *` UTC").
    pub schedule: String,
    pub grace_s: i64,
    /// The latest an alert comes after the last ping of a silence: the period + the grace + one
    /// `sendalerts` pass (2 s), whether simple or cron.
    pub deadline_s: i64,
    pub start_signal: bool,
    pub fail_signal: bool,
    pub false_alerts_per_month: f64,
    pub incidents: u64,
    pub detected: u64,
    pub missed: u64,
    pub ttd_max_s: i64,
    /// The grace is the one the report derives from the runs.
    pub derived: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AdviseError {
    #[error("monitor {0:?} is not in the scenario's kuma.monitors")]
    UnknownMonitor(String),
    #[error("no job pushes to monitor {0:?}: nothing to advise on")]
    NoJob(String),
    #[error("the scenario has no Kuma monitor")]
    NoMonitor,
}

/// Run the candidates. `target` is the largest acceptable number of false alerts per 30 days.
pub fn advise(scenario: &Scenario, monitor: Option<&str>, target: f64) -> Result<Advice, AdviseError> {
    let plan = JobsPlan::new(scenario, None, scenario.file.seed);
    let index = match monitor {
        Some(id) => plan.monitor_index(id).ok_or_else(|| AdviseError::UnknownMonitor(id.into()))?,
        None => (0..plan.kuma.monitors.len()).find(|&m| plan.job_of_monitor(m).is_some()).ok_or(AdviseError::NoMonitor)?,
    };
    let id = plan.kuma.monitors[index].id.clone();
    let job = plan.job_of_monitor(index).ok_or_else(|| AdviseError::NoJob(id.clone()))?;
    let (mean, longest) = (job.mean_run(), job.longest_run());
    let secs = |d: Duration| ((d.as_ms() + 999) / 1000) as u32;
    let seed_rule = secs(job.frequency.nominal() + mean + Duration::MINUTE);
    let now = &plan.kuma.monitors[index].settings;
    let configured = (now.interval_s, now.max_retries, now.retry_interval_s);
    let mut intervals = vec![seed_rule, configured.0];
    for margin in [0, 60, 120, 300, 600, 1800] {
        intervals.push(secs(job.frequency.nominal() + longest + Duration::from_secs(margin)));
    }
    // Kuma refuses intervals above MAX_INTERVAL_SECOND (24 days, `src/util.ts`); beyond 2^31 ms
    // Node's setTimeout fires after 1 ms, so such a candidate would check without end.
    intervals.retain(|&i| i <= MAX_INTERVAL_S || i == configured.0);
    intervals.sort_unstable();
    intervals.dedup();
    let months = (scenario.end - scenario.start).as_ms() as f64 / Duration::from_days(30).as_ms() as f64;
    let mut candidates = Vec::new();
    let mut inputs: Option<Inputs> = None;
    let mut grid: Vec<(u32, u32, u32)> = intervals.iter().flat_map(|&i| (0..=3).map(move |n| (i, n, 60))).collect();
    if !grid.contains(&configured) {
        grid.push(configured);
    }
    grid.sort_unstable();
    for (interval_s, max_retries, retry_interval_s) in grid {
        {
            let mut candidate = plan.clone();
            let m = &mut candidate.kuma.monitors[index].settings;
            m.interval_s = interval_s;
            m.max_retries = max_retries;
            m.retry_interval_s = retry_interval_s;
            let (_, monitors) = run_planned_jobs(&candidate, &mut Trace::off());
            let mut fig: MonitorFigures = monitors.get(&id).cloned().unwrap_or_default();
            if (interval_s, max_retries, retry_interval_s) == configured {
                inputs = fig.healthchecks_inputs.take();
            }
            candidates.push(Candidate {
                interval_s,
                max_retries,
                retry_interval_s,
                deadline_s: MonitorSettings { retry_interval_s, max_retries, ..MonitorSettings::new(interval_s) }
                    .silence_to_down()
                    .spec_rule()
                    .as_ms()
                    / 1000,
                false_alerts_per_month: (fig.false_alerts as f64 / months.max(1e-9) * 100.0).round() / 100.0,
                incidents: fig.incidents,
                detected: fig.detected,
                missed: fig.missed,
                ttd_max_s: fig.ttd_down_max_s,
                seed_rule: interval_s == seed_rule && max_retries == 0,
                configured: (interval_s, max_retries, retry_interval_s) == configured,
            });
        }
    }
    // Lowest worst-case detection among those within the target; ties: fewer false alerts.
    let best = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.false_alerts_per_month <= target && c.missed == 0)
        .min_by(|a, b| {
            (a.1.deadline_s, a.1.ttd_max_s)
                .cmp(&(b.1.deadline_s, b.1.ttd_max_s))
                .then(a.1.false_alerts_per_month.total_cmp(&b.1.false_alerts_per_month))
        })
        .map(|(i, _)| i);
    let per_month = |n: u64| (n as f64 / months.max(1e-9) * 100.0).round() / 100.0;
    let healthchecks = inputs.as_ref().map(|i| hc_candidates(i, &per_month)).unwrap_or_default();
    let hc_best = healthchecks
        .iter()
        .enumerate()
        .filter(|(_, c)| c.false_alerts_per_month <= target && c.missed == 0)
        .min_by(|a, b| {
            (a.1.ttd_max_s, a.1.grace_s)
                .cmp(&(b.1.ttd_max_s, b.1.grace_s))
                .then(a.1.false_alerts_per_month.total_cmp(&b.1.false_alerts_per_month))
        })
        .map(|(i, _)| i);
    let verdict = verdict(best.map(|i| &candidates[i]), hc_best.map(|i| &healthchecks[i]), target);
    Ok(Advice { monitor: id, job: job.label.clone(), candidates, best, healthchecks, hc_best, verdict })
}

/// Simple and cron (when the job's grid has a cron expression) × a few graces × with and without
/// `/start`; `/fail` as the job sends it.
fn hc_candidates(i: &Inputs, per_month: &dyn Fn(u64) -> f64) -> Vec<HcCandidate> {
    let mut graces = vec![MIN_PERIOD, i.grace, i.grace + Duration::from_mins(2), Duration::from_mins(10), DEFAULT_GRACE];
    graces.retain(|g| (MIN_PERIOD..=MAX_PERIOD).contains(g));
    graces.sort_unstable();
    graces.dedup();
    let mut kinds = vec![("simple", CheckKind::Simple { timeout: i.timeout })];
    if let Ok(kind) = &i.cron_kind {
        kinds.push(("cron", kind.clone()));
    }
    let mut out = Vec::new();
    for (name, kind) in &kinds {
        let schedule = match kind {
            CheckKind::Simple { timeout } => format!("timeout {} s", timeout.as_ms() / 1000),
            CheckKind::Cron { schedule, tz } => format!("`{schedule}` {}", tz.name()),
        };
        for &grace in &graces {
            for start_signal in [false, true] {
                let setup = Setup { settings: CheckSettings { kind: kind.clone(), grace }, start_signal, fail_signal: i.fail_signal };
                let fig = healthchecks::evaluate(&setup, i);
                out.push(HcCandidate {
                    kind: name,
                    schedule: schedule.clone(),
                    grace_s: grace.as_ms() / 1000,
                    deadline_s: (i.timeout + grace + SENDALERTS_PASS).as_ms() / 1000,
                    start_signal,
                    fail_signal: i.fail_signal,
                    false_alerts_per_month: per_month(fig.false_alerts),
                    incidents: i.found.len() as u64,
                    detected: fig.detected,
                    missed: fig.missed,
                    ttd_max_s: fig.ttd_max_s,
                    derived: grace == i.grace,
                });
            }
        }
    }
    out
}

fn hc_name(c: &HcCandidate) -> String {
    let mut s = format!("Healthchecks {} ({}, grace {} s", c.kind, c.schedule, c.grace_s);
    if c.start_signal {
        s.push_str(", /start");
    }
    if c.fail_signal {
        s.push_str(", /fail");
    }
    s + ")"
}

/// Which tool alerts sooner, both held to the same false-alert target.
fn verdict(kuma: Option<&Candidate>, hc: Option<&HcCandidate>, target: f64) -> String {
    match (kuma, hc) {
        (Some(k), Some(h)) => {
            let kuma_name = format!("Kuma (interval {} s, {} retries)", k.interval_s, k.max_retries);
            if h.incidents == 0 {
                format!(
                    "No incident on this scenario to compare detection on; within {target} false alerts per 30 days, after the last heartbeat of a silence {kuma_name} alerts at most {} s later and {} at most {} s later.",
                    k.deadline_s,
                    hc_name(h),
                    h.deadline_s
                )
            } else if h.ttd_max_s < k.ttd_max_s {
                format!(
                    "{} alerts sooner on this job's failures: worst {} s against {} s for {kuma_name}, both within {target} false alerts per 30 days.",
                    hc_name(h),
                    h.ttd_max_s,
                    k.ttd_max_s
                )
            } else if h.ttd_max_s > k.ttd_max_s {
                format!(
                    "{kuma_name} alerts sooner on this job's failures: worst {} s against {} s for {}, both within {target} false alerts per 30 days.",
                    k.ttd_max_s,
                    h.ttd_max_s,
                    hc_name(h)
                )
            } else {
                format!(
                    "{kuma_name} and {} alert equally soon (worst {} s) within {target} false alerts per 30 days.",
                    hc_name(h),
                    k.ttd_max_s
                )
            }
        }
        (Some(_), None) => format!("Only Kuma meets the target of {target} false alerts per 30 days with no missed incident."),
        (None, Some(h)) => format!("Only {} meets the target of {target} false alerts per 30 days with no missed incident.", hc_name(h)),
        (None, None) => "Neither tool meets the target on this scenario.".into(),
    }
}

/// The advice as a Markdown table for the terminal.
pub fn render(a: &Advice, target: f64) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ =
        writeln!(out, "Monitor `{}` (job: {}), target: at most {target} false alerts per 30 days, no missed incident.\n", a.monitor, a.job);
    let _ = writeln!(
        out,
        "| I (s) | N | R (s) | DOWN at most after last push | false alerts / 30 d | incidents | detected | missed | worst time to DOWN | |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (i, c) in a.candidates.iter().enumerate() {
        let mut marks = Vec::new();
        if Some(i) == a.best {
            marks.push("**advised**");
        }
        if c.seed_rule {
            marks.push("the usual rule (frequency + duration + 60 s)");
        }
        if c.configured {
            marks.push("as configured");
        }
        let mark = marks.join(", ");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} s | {} | {} | {} | {} | {} s | {mark} |",
            c.interval_s,
            c.max_retries,
            c.retry_interval_s,
            c.deadline_s,
            c.false_alerts_per_month,
            c.incidents,
            c.detected,
            c.missed,
            c.ttd_max_s
        );
    }
    match a.best {
        Some(i) => {
            let c = &a.candidates[i];
            let _ = writeln!(
                out,
                "\nAdvice: interval {} s, {} retries every {} s: a DOWN at most {} s after the last push, {} false alerts per 30 days on this scenario.",
                c.interval_s, c.max_retries, c.retry_interval_s, c.deadline_s, c.false_alerts_per_month
            );
        }
        None => {
            let _ =
                writeln!(out, "\nNo candidate meets the target on this scenario: raise the target or look at the job's duration spread.");
        }
    }
    if !a.healthchecks.is_empty() {
        let _ =
            writeln!(out, "\nHealthchecks on the same runs (the configured run's pings; grace derived from the runs as in the report):\n");
        let _ = writeln!(
            out,
            "| check | schedule | grace (s) | /start | /fail | false alerts / 30 d | detected | missed | worst time to alert | |"
        );
        let _ = writeln!(out, "|---|---|---:|---|---|---:|---:|---:|---:|---|");
        for (i, c) in a.healthchecks.iter().enumerate() {
            let mut marks = Vec::new();
            if Some(i) == a.hc_best {
                marks.push("**advised**");
            }
            if c.derived {
                marks.push("derived grace");
            }
            let yes = |b: bool| if b { "yes" } else { "no" };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} s | {} | {} | {} | {} | {} | {} s | {} |",
                c.kind,
                c.schedule,
                c.grace_s,
                c.deadline_s,
                yes(c.start_signal),
                yes(c.fail_signal),
                c.false_alerts_per_month,
                c.detected,
                c.missed,
                c.ttd_max_s,
                marks.join(", ")
            );
        }
        if let Some(c) = a.hc_best.map(|i| &a.healthchecks[i]) {
            let _ = writeln!(out, "\nAdvice: {}, {} false alerts per 30 days on this scenario.", hc_name(c), c.false_alerts_per_month);
        }
    }
    let _ = writeln!(out, "\n{}", a.verdict);
    out
}
